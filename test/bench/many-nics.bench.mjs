#!/usr/bin/env node
// One host process serving many container namespaces (issue 14's targets),
// measured against a real dnsmasq (`--no-ping`) on one bridge, with the
// peers (dhclient, udhcpc) in the same run. Root only; not part of CI.
//
//   node test/bench/many-nics.bench.mjs [--only a,b,...] [--nics 200] [--rounds 20] [--idle-seconds 60] [--via runtime|daemon] [--server-neighbours pinned|learned] [--restarts 1]
//   pnpm run bench:many-nics -- --only a,b
//
// Sections (all by default):
//   a  attach request to IPv4 configured (link up, one NIC), median of
//      --rounds, against dhclient's and udhcpc's cold start in the same run
//   b  attach to IPv6 configured, link-local already valid, median of --rounds
//   c  memory per attached dual-stack NIC: (RSS with N - RSS with 0) / N,
//      both after a full GC
//   d  N NICs attached at once: time until every one has both families
//      bound, and the runtime process's RSS (peak while attaching)
//   f  idle CPU with N bound NICs over --idle-seconds (utime + stime)
//   g  open fds after N attach + N detach, against the count before
//   e  restart: SIGKILL the runtime process with N NICs bound, start it
//      again on the same state directory, NetworkRuntime.restore(); time
//      until every NIC is bound again, and every namespace watched
//      (`ip monitor address`) for a removed address; --restarts K does it K
//      times in a row and reports the worst, with the UDP datagrams the
//      server and the containers dropped for a full receive buffer
//
// The process under test (--via) runs in an empty namespace of its own (so
// a runner that ignored a NIC's namespace would find nothing of this
// machine to configure); its RSS, fds and CPU time are read from
// /proc/PID:
//   runtime (default)  test/bench/runtime-runner.mjs: a host with the DHCPv4
//       and DHCPv6 plugins and its network runtime, driven over stdin.
//       "Configured" is the runtime's own word: the lease was applied and
//       read back from the kernel (NetworkRuntime.list() shows the family
//       bound). Memory figures are taken after a full GC.
//   daemon  `incusx daemon` itself (the built CLI, the same plugins; config
//       and socket in a temp dir), driven through its unix-socket API with
//       the daemon's client (test/bench/daemon-runner-support.mjs): attach
//       is POST /1.0/nics, "configured" the family's `bound` lease event on
//       /1.0/events, timed from just before the POST; (e) restarts the
//       daemon, which re-adopts its NICs by itself. No GC can be forced in
//       the daemon, so (c) reads the RSS as it is.
// Peers are timed from their spawn until `ip monitor` shows the address,
// as in dhcpv4-cold-start.bench.mjs.
//
// --server-neighbours (default pinned): whether the server namespace's
// neighbour table holds every container's link-local address as a permanent
// entry (createBridgedNetwork's serverNeighbours). dnsmasq looks up the
// sender of every DHCPv6 message there and sleeps 100 ms, blocking every
// other client, when it is missing; with 200 containers the kernel's
// default table (gc_thresh3 1024, all namespaces together) evicts learned
// entries, which a host serving that many containers avoids by raising the
// table size and this shared machine cannot. `learned` measures that case.
//
// Prints a table (figure, measured, target, PASS/FAIL, command) and one
// JSON line. Exits 0 even when a target is missed: the table says so.

import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { benchSetup, dnsmasqVersion, killAllIn, peerScripts, resetLink, startMonitor, timeUntilAddresses, workDir } from "./cold-start-support.mjs";
import { CLOCK_TICKS, nicsOf, procStats, sampleRss, startRunner, stats } from "./runtime-runner-support.mjs";
import { startDaemonRunner } from "./daemon-runner-support.mjs";

const BENCH = "many-nics";
const args = parseArgs(process.argv.slice(2));
const command = `node test/bench/many-nics.bench.mjs ${process.argv.slice(2).join(" ")}`.trim();
const { fail } = await benchSetup(BENCH, {
  plugins: ["dhcpv4", "dhcpv6"],
  tools: args.only.has("a") ? [["udhcpc", "udhcpc"], ["dhclient", "isc-dhcp-client"]] : [],
});
const { createBridgedNetwork } = await import(pathToFileURL(new URL("../../packages/testkit/dist/netns/index.js", import.meta.url).pathname).href);

const rows = [];
const summary = { bench: BENCH, via: args.via, serverNeighbours: args.serverNeighbours, nics: args.nics, rounds: args.rounds, node: process.version, dnsmasq: dnsmasqVersion(), loadavg: loadavg(), figures: {} };
// The process under test, started (again, for (e)) on `stateDir`.
const startProcess = (stateDir) => (args.via === "daemon" ? startDaemonRunner : startRunner)({ homeNs: net.homeNs, stateDir });
const processName = args.via === "daemon" ? "incusx daemon" : "runtime process";
const row = (id, figure, measured, target, pass) => {
  rows.push({ id, figure, measured, target, result: pass === undefined ? "n/a" : pass ? "PASS" : "FAIL" });
  console.log(`  => ${figure}: ${measured} (target ${target}) ${pass === undefined ? "n/a" : pass ? "PASS" : "FAIL"}`);
};
const kib = (k) => `${(k / 1024).toFixed(1)} MiB`;

const fleetSize = args.only.has("c") || args.only.has("d") || args.only.has("e") || args.only.has("f") || args.only.has("g") ? args.nics : 0;
const { work, resolvConf } = workDir("incusx-bench-many-");
console.log(`${BENCH}: building ${fleetSize + 1} container namespaces on one bridge (dnsmasq ${summary.dnsmasq}, --no-ping, no --log-dhcp: its per-exchange log lines slow the server, not the clients measured; server neighbours ${args.serverNeighbours})`);
let t = performance.now();
const net = await createBridgedNetwork({ containers: fleetSize + 1, prefix: "incusx-bench", logDhcp: false, serverNeighbours: args.serverNeighbours });
let runner;
try {
  console.log(`  built in ${((performance.now() - t) / 1000).toFixed(1)} s; server ${net.serverNs}, ${processName} in ${net.homeNs}`);
  const single = net.containers[0];
  const fleet = net.containers.slice(1);
  const stateDir = mkdtempSync(join(work, "state-"));
  runner = await startProcess(stateDir);
  console.log(`  ${processName} ${runner.pid} ready in ${runner.spawnedToReadyMs.toFixed(0)} ms${args.via === "daemon" ? ` (socket ${runner.socket})` : ""}`);

  if (args.only.has("a") || args.only.has("b")) await singleNic(single);
  if (fleetSize > 0) {
    t = performance.now();
    await net.linkLocalReady({ timeoutMs: 120_000 });
    console.log(`\nall ${fleet.length} fleet links have a valid link-local (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    await fleetSections(fleet, stateDir);
  }
} catch (error) {
  console.error(`${BENCH}: ${error instanceof Error ? error.stack : String(error)}`);
  if (runner !== undefined) console.error(`runner stderr (tail): ${runner.stderr().slice(-3000)}`);
  process.exitCode = 1;
} finally {
  // A runner started with --cpu-prof (INCUSX_RUNNER_NODE_OPTIONS) writes its profile only when it exits by itself.
  if (runner !== undefined && args.via === "runtime" && /--cpu-prof/.test(process.env.INCUSX_RUNNER_NODE_OPTIONS ?? "")) {
    await Promise.race([runner.request({ op: "exit" }).catch(() => {}), sleep(10_000)]);
    await Promise.race([runner.exited, sleep(10_000)]);
  }
  await runner?.kill("SIGKILL");
  await net.destroy();
  rmSync(work, { recursive: true, force: true });
}
printTable();

// a and b: one NIC in container 0, attached and detached (with release, so
// every round starts cold) round after round, peers in between.
async function singleNic(c) {
  const monitor = startMonitor(c.ns);
  try {
    if (args.only.has("a")) {
      const { udhcpcScript, dhclientScript, dhclientConf } = peerScripts(work);
      const peers = {
        udhcpc: (state) => ["udhcpc", "-f", "-q", "-n", "-i", "eth0", "-s", udhcpcScript, "-p", join(state, "udhcpc.pid")],
        dhclient: (state) => ["dhclient", "-4", "-1", "-d", "-cf", dhclientConf, "-sf", dhclientScript, "-lf", join(state, "dhclient.leases"), "-pf", join(state, "dhclient.pid"), "eth0"],
      };
      const names = ["incusx", ...Object.keys(peers)];
      const times = Object.fromEntries(names.map((n) => [n, []]));
      console.log(`\n(a) attach to IPv4 configured, link up, ${args.rounds} rounds, against dhclient and udhcpc cold starts`);
      for (let round = 0; round < args.rounds; round++) {
        for (const name of names.map((_, i) => names[(i + round) % names.length])) {
          killAllIn(c.ns, monitor);
          resetLink(c.ns);
          let ms;
          if (name === "incusx") {
            ms = (await attachOnce(c, ["ipv4"])).ms;
          } else {
            const state = mkdtempSync(join(work, `${name}-`));
            ms = await timeUntilAddresses({ name, ns: c.ns, resolvConf, monitor, argv: peers[name](state), patterns: [/inet 192\.0\.2\./] });
            rmSync(state, { recursive: true, force: true });
          }
          times[name].push(ms);
          console.log(`  round ${round + 1} ${name.padEnd(9)} ${ms.toFixed(1)} ms`);
        }
      }
      killAllIn(c.ns, monitor);
      const s = Object.fromEntries(names.map((n) => [n, stats(times[n])]));
      for (const n of names) console.log(`  ${n.padEnd(9)} median ${s[n].median} ms (min ${s[n].min}, p95 ${s[n].p95}, max ${s[n].max})`);
      const vsDhclient = s.dhclient.median / s.incusx.median;
      const vsUdhcpc = s.udhcpc.median / s.incusx.median;
      summary.figures.a = { ...s, dhclientOverIncusx: round2(vsDhclient), udhcpcOverIncusx: round2(vsUdhcpc), samples: times };
      row("a", "attach to IPv4 configured, median", `${s.incusx.median} ms`, "<= 10 ms", s.incusx.median <= 10);
      row("a", "dhclient cold start / ours", `${vsDhclient.toFixed(1)}x (dhclient ${s.dhclient.median} ms)`, ">= 3x", vsDhclient >= 3);
      row("a", "udhcpc cold start / ours", `${vsUdhcpc.toFixed(1)}x (udhcpc ${s.udhcpc.median} ms)`, ">= 7x", vsUdhcpc >= 7);
    }
    if (args.only.has("b")) {
      console.log(`\n(b) attach to IPv6 configured, link-local already valid, ${args.rounds} rounds`);
      const times = [];
      for (let round = 0; round < args.rounds; round++) {
        resetLink(c.ns);
        await net.waitFor(async () => (await net.addresses(c.ns, "eth0")).some((a) => a.family === "inet6" && a.scope === "link" && a.tentative !== true), {
          timeoutMs: 10_000,
          intervalMs: 20,
          message: "no valid link-local address",
        });
        const { ms } = await attachOnce(c, ["ipv6"]);
        times.push(ms);
        console.log(`  round ${round + 1} incusx    ${ms.toFixed(1)} ms`);
      }
      const s = stats(times);
      console.log(`  incusx    median ${s.median} ms (min ${s.min}, p95 ${s.p95}, max ${s.max})`);
      summary.figures.b = { ...s, samples: times };
      row("b", "attach to IPv6 configured (link-local valid), median", `${s.median} ms`, "<= 30 ms", s.median <= 30);
    }
  } finally {
    monitor.kill();
  }
}

// One attach of container c's NIC for `families`, then a detach with release.
async function attachOnce(c, families) {
  const nic = { instance: "single", netns: c.nsPath, interface: c.iface, families };
  const answer = await runner.request({ op: "attach", nics: [nic], timeoutMs: 15_000 });
  if (answer.errors.length > 0) throw new Error(`attach: ${answer.errors[0]}`);
  const detached = await runner.request({ op: "detach", nics: [nic], release: true });
  if (detached.errors.length > 0) throw new Error(`detach: ${detached.errors[0]}`);
  return { ms: answer.ms[0] };
}

// c, d, f, g, e over the fleet, in that order, in one runtime process and
// then (e) its successor on the same state directory.
async function fleetSections(fleet, stateDir) {
  const n = fleet.length;
  const nics = nicsOf(fleet);
  const before = { ...procStats(runner.pid), ...(await runner.request({ op: "gc" })), fdsBesidesInotify: fdsBesidesInotify(runner.pid) };
  console.log(`\n(c, d) ${n} dual-stack NICs attached at once; ${processName} before: RSS ${kib(before.rssKiB)}, ${before.threads} threads, ${before.fds} fds`);
  const rss = sampleRss(runner.pid);
  // CPU time of the process under test and of dnsmasq over the burst: on a
  // machine shared with other jobs the wall time follows the load, what the
  // two spend does not.
  const dnsmasqPid = serverPid("dnsmasq");
  const cpu0 = { ours: procStats(runner.pid).cpuTicks, dnsmasq: dnsmasqPid === undefined ? NaN : procStats(dnsmasqPid).cpuTicks };
  const attached = await runner.request({ op: "attach", nics, timeoutMs: 60_000 });
  const peakKiB = rss.stop();
  const afterAttach = procStats(runner.pid);
  const cpuMs = {
    ours: Math.round(((afterAttach.cpuTicks - cpu0.ours) / CLOCK_TICKS) * 1000),
    dnsmasq: Math.round(((dnsmasqPid === undefined ? NaN : procStats(dnsmasqPid).cpuTicks - cpu0.dnsmasq) / CLOCK_TICKS) * 1000),
  };
  if (attached.errors.length > 0) console.log(`  ${attached.errors.length} NICs failed, first: ${attached.errors[0]}`);
  const each = stats(attached.ms.filter((x) => x !== null));
  console.log(`  all configured in ${attached.totalMs.toFixed(0)} ms (per NIC: median ${each.median}, p95 ${each.p95}, max ${each.max} ms); RSS ${kib(afterAttach.rssKiB)}, peak ${kib(peakKiB)}, ${afterAttach.threads} threads, ${afterAttach.fds} fds`);
  console.log(`  CPU time over the burst: ${processName} ${cpuMs.ours} ms, dnsmasq ${cpuMs.dnsmasq} ms${attached.loopDelayMs === undefined ? "" : `; event loop delay p50 ${attached.loopDelayMs.p50} ms, p99 ${attached.loopDelayMs.p99} ms, max ${attached.loopDelayMs.max} ms`}`);
  const withAll = { ...procStats(runner.pid), ...(await runner.request({ op: "gc" })) };
  const perNicKiB = (withAll.rssKiB - before.rssKiB) / n;
  // The attach burst grows V8's young generation (to 32 MiB here); V8 gives
  // it back once allocation calms down, so the steady figure is read again
  // after the idle section (or a 30 s pause without it).
  console.log(`  ${gcWord(withAll)}: RSS ${kib(withAll.rssKiB)}: (${withAll.rssKiB} - ${before.rssKiB}) KiB / ${n} = ${perNicKiB.toFixed(1)} KiB per NIC`);
  summary.figures.c = { rss0KiB: before.rssKiB, rssNKiB: withAll.rssKiB, perNicKiB: round2(perNicKiB) };
  summary.figures.d = { totalMs: Math.round(attached.totalMs), cpuMs, loopDelayMs: attached.loopDelayMs, perNic: each, failed: attached.errors.length, rssKiB: afterAttach.rssKiB, peakRssKiB: peakKiB, threads: afterAttach.threads, fds: afterAttach.fds };
  if (args.only.has("c")) {
    row("c", `memory per dual-stack NIC, ${n} namespaces, just after attaching`, `${perNicKiB.toFixed(1)} KiB (${withAll.spaces === undefined ? "no GC forced" : `V8 new space ${kib(withAll.spaces.new_space.sizeKiB)}`})`, "<= 256 KiB", attached.errors.length === 0 && perNicKiB <= 256);
  }
  if (args.only.has("d")) {
    row("d", `${n} attached at once, all configured`, `${(attached.totalMs / 1000).toFixed(2)} s${attached.errors.length ? ` (${attached.errors.length} failed)` : ""}`, "<= 3 s", attached.errors.length === 0 && attached.totalMs <= 3000);
    row("d", `RSS of the ${processName} with ${n} (peak)`, kib(peakKiB), "<= 150 MiB", peakKiB <= 150 * 1024);
  }

  if (args.only.has("f")) {
    console.log(`\n(f) idle CPU with ${n} bound NICs over ${args.idleSeconds} s`);
    const a = procStats(runner.pid);
    const t0 = performance.now();
    await sleep(args.idleSeconds * 1000);
    const b = procStats(runner.pid);
    const seconds = (performance.now() - t0) / 1000;
    const percent = ((b.cpuTicks - a.cpuTicks) / CLOCK_TICKS / seconds) * 100;
    console.log(`  ${b.cpuTicks - a.cpuTicks} ticks (${CLOCK_TICKS}/s) in ${seconds.toFixed(1)} s = ${percent.toFixed(2)}% of one core`);
    summary.figures.f = { ticks: b.cpuTicks - a.cpuTicks, seconds: round2(seconds), percent: round2(percent) };
    row("f", `idle CPU, ${n} bound NICs, ${args.idleSeconds} s`, `${percent.toFixed(2)}% of a core`, "<= 1%", percent <= 1);
  }

  if (args.only.has("c")) {
    if (!args.only.has("f")) await sleep(30_000);
    const steady = await runner.request({ op: "gc" });
    const steadyKiB = (steady.rssKiB - before.rssKiB) / n;
    console.log(`\n(c) after the idle period (${gcWord(steady)}): RSS ${kib(steady.rssKiB)}${steady.spaces === undefined ? "" : `, V8 new space ${kib(steady.spaces.new_space.sizeKiB)}`}: (${steady.rssKiB} - ${before.rssKiB}) KiB / ${n} = ${steadyKiB.toFixed(1)} KiB per NIC`);
    summary.figures.c.steadyRssKiB = steady.rssKiB;
    summary.figures.c.steadyPerNicKiB = round2(steadyKiB);
    row("c", `memory per dual-stack NIC, ${n} namespaces, steady (idle)`, `${steadyKiB.toFixed(1)} KiB`, "<= 256 KiB", attached.errors.length === 0 && steadyKiB <= 256);
  }

  if (args.only.has("g")) {
    console.log(`\n(g) fds after ${n} attach + ${n} detach`);
    const detached = await runner.request({ op: "detach", nics, release: false });
    if (detached.errors.length > 0) console.log(`  ${detached.errors.length} detaches failed, first: ${detached.errors[0]}`);
    // Closing is asynchronous in places (a socket's close callback): give it a moment, then count.
    let after = { ...procStats(runner.pid), fdsBesidesInotify: fdsBesidesInotify(runner.pid) };
    for (let i = 0; i < 50 && after.fdsBesidesInotify > before.fdsBesidesInotify; i++) {
      await sleep(20);
      after = { ...procStats(runner.pid), fdsBesidesInotify: fdsBesidesInotify(runner.pid) };
    }
    console.log(`  detached in ${detached.totalMs.toFixed(0)} ms; fds ${before.fds} before, ${afterAttach.fds} with ${n}, ${after.fds} after (${before.fdsBesidesInotify} and ${after.fdsBesidesInotify} besides inotify); threads ${before.threads} -> ${after.threads}`);
    summary.figures.g = { before: before.fds, attached: afterAttach.fds, after: after.fds, beforeBesidesInotify: before.fdsBesidesInotify, afterBesidesInotify: after.fdsBesidesInotify };
    row("g", `fds after ${n} attach + ${n} detach (besides inotify)`, `${after.fdsBesidesInotify} (baseline ${before.fdsBesidesInotify})`, "= baseline", after.fdsBesidesInotify <= before.fdsBesidesInotify);
  }

  if (args.only.has("e")) {
    const times = [];
    for (let k = 0; k < args.restarts; k++) times.push(await restart(fleet, nics, stateDir));
    if (args.restarts > 1) {
      const done = times.filter((ms) => ms !== undefined);
      const worst = done.length === times.length ? Math.max(...done) : undefined;
      console.log(`\n  restarts: ${times.map((ms) => (ms === undefined ? "failed" : `${(ms / 1000).toFixed(2)} s`)).join(", ")}`);
      summary.figures.restarts = times.map((ms) => (ms === undefined ? null : Math.round(ms)));
      row("e", `worst of ${args.restarts} restarts with ${fleet.length} NICs (from SIGKILL)`, worst === undefined ? "a restart failed" : `${(worst / 1000).toFixed(2)} s`, "<= 5 s", worst !== undefined && worst <= 5000);
    }
  }
}

// One restart; resolves with the time from the SIGKILL until every NIC was
// bound again, or undefined when the restore failed.
async function restart(fleet, nics, stateDir) {
  const n = fleet.length;
  console.log(`\n(e) restart with ${n} NICs: SIGKILL, start again on the same state directory, ${args.via === "daemon" ? "the daemon re-adopts at start" : "restore()"}`);
  const listed = await runner.request({ op: "list" });
  if (listed.attached === 0) {
    const again = await runner.request({ op: "attach", nics, timeoutMs: 60_000 });
    if (again.errors.length > 0) throw new Error(`re-attach before the restart: ${again.errors[0]}`);
  } else if (listed.attached !== n) {
    throw new Error(`${listed.attached} NICs attached before the restart, not ${n}`);
  }
  const snapshot = await addressesOf(fleet);
  const total = [...snapshot.values()].reduce((sum, set) => sum + set.size, 0);
  console.log(`  ${total} global addresses in ${n} namespaces; watching every namespace for a removal`);
  const watchers = await Promise.all(fleet.map((c) => watchDeletes(c.ns)));
  const dropsBefore = udpDropsIn([net.serverNs, ...fleet.map((c) => c.ns)]);
  let removed = [];
  try {
    await runner.kill("SIGKILL");
    const killedAt = performance.now();
    runner = await startProcess(stateDir);
    let restored;
    try {
      restored = await runner.request({ op: "restore", expect: n, timeoutMs: 30_000 });
    } catch (error) {
      row("e", `restart with ${n} NICs, all re-adopted`, String(error.message).slice(0, 80), "<= 5 s", false);
      summary.figures.e = { error: String(error.message) };
      return undefined;
    }
    const fromKill = performance.now() - killedAt;
    const after = await addressesOf(fleet);
    removed = watchers.flatMap((w) => w.deleted());
    for (const c of fleet) for (const address of snapshot.get(c.ns)) if (!after.get(c.ns).has(address)) removed.push(`${c.ns} ${address} (missing at the end)`);
    const readyWhat = args.via === "daemon" ? "listening (NICs re-adopted)" : "ready";
    const restoreWhat = args.via === "daemon" ? "" : `restore() ${restored.restoredMs.toFixed(0)} ms, `;
    console.log(`  new process ${readyWhat} ${runner.spawnedToReadyMs.toFixed(0)} ms after spawn; ${restoreWhat}all ${n} bound ${restored.allBoundMs.toFixed(0)} ms after it; ${(fromKill / 1000).toFixed(2)} s from the SIGKILL`);
    console.log(`  addresses removed: ${removed.length}${removed.length ? `, e.g. ${removed.slice(0, 3).join("; ")}` : ""}`);
    const dropsAfter = udpDropsIn([net.serverNs, ...fleet.map((c) => c.ns)]);
    const server = dropsAfter[0] - dropsBefore[0];
    const containers = dropsAfter.slice(1).reduce((sum, d, i) => sum + d - dropsBefore[i + 1], 0);
    console.log(`  UDP datagrams dropped during the restart for a full receive buffer (v4 + v6): server ${server}, containers ${containers}`);
    summary.figures.e = { spawnToReadyMs: Math.round(runner.spawnedToReadyMs), restoreMs: Math.round(restored.restoredMs), allBoundMs: Math.round(restored.allBoundMs), fromKillMs: Math.round(fromKill), removed: removed.length, addresses: total, udpDrops: { server, containers } };
    row("e", `restart with ${n} NICs, all re-adopted (from SIGKILL)`, `${(fromKill / 1000).toFixed(2)} s`, "<= 5 s", fromKill <= 5000);
    row("e", "addresses removed during the restart", `${removed.length} of ${total}`, "0", removed.length === 0);
    return fromKill;
  } finally {
    for (const w of watchers) w.stop();
  }
}

// UDP datagrams each namespace dropped so far because a socket's receive
// buffer was full (RcvbufErrors, IPv4 and IPv6 together), read from its
// /proc/net/snmp and snmp6: a dropped DHCP message waits for its
// retransmission (4 s for DHCPv4). InErrors is not counted: it also counts
// the datagrams a socket filter turned away (our clients' sockets filter
// the replies meant for other clients).
function udpDropsIn(namespaces) {
  return namespaces.map((ns) => {
    const text = spawnSync("ip", ["netns", "exec", ns, "cat", "/proc/net/snmp", "/proc/net/snmp6"], { encoding: "utf8" }).stdout;
    const lines = text.split("\n");
    const udp = lines.filter((l) => l.startsWith("Udp: "));
    const names = udp[0]?.split(/\s+/) ?? [];
    const values = udp[1]?.split(/\s+/) ?? [];
    const v4 = Number(values[names.indexOf("RcvbufErrors")] ?? 0);
    const v6 = Number(lines.find((l) => /^Udp6RcvbufErrors\s/.test(l))?.split(/\s+/)[1] ?? 0);
    return v4 + v6;
  });
}

// The global addresses of eth0 in every container: namespace -> Set("addr/len").
async function addressesOf(containers) {
  const result = new Map();
  for (const c of containers) {
    const list = await net.addresses(c.ns, c.iface);
    result.set(c.ns, new Set(list.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`)));
  }
  return result;
}

// `ip monitor address` in one namespace, keeping every "Deleted" line; resolves once it runs.
async function watchDeletes(ns) {
  const child = spawn("ip", ["-n", ns, "-o", "monitor", "address"], { stdio: ["ignore", "pipe", "ignore"] });
  const deleted = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line.startsWith("Deleted") && / scope global /.test(line)) deleted.push(`${ns} ${line.replace(/\s+/g, " ").slice(0, 120)}`);
  });
  await new Promise((resolve) => child.once("spawn", resolve));
  return { deleted: () => deleted, stop: () => child.kill() };
}

function printTable() {
  if (rows.length === 0) return;
  summary.loadavgEnd = loadavg();
  console.log(`\nTargets (issue 14), ${new Date().toISOString()}, ${summary.nics} NICs via ${summary.via === "daemon" ? "incusx daemon" : "runtime-runner.mjs"}, server neighbours ${summary.serverNeighbours}, node ${process.version}, dnsmasq ${summary.dnsmasq}, load average ${summary.loadavg} at the start, ${summary.loadavgEnd} at the end`);
  const header = ["figure", "measured", "target", "result"];
  const widths = header.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
  const line = (cells) => `  ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join("  ")}`;
  console.log(line(header));
  for (const r of rows) console.log(line([r.figure, r.measured, r.target, r.result]));
  console.log(`  command: ${command}`);
  summary.rows = rows;
  console.log(JSON.stringify(summary));
}

function parseArgs(argv) {
  const out = { only: new Set(["a", "b", "c", "d", "e", "f", "g"]), nics: 200, rounds: 20, idleSeconds: 60, via: "runtime", serverNeighbours: "pinned", restarts: 1 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const int = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n <= 0) fail(`${argv[i]} needs a positive integer, got ${JSON.stringify(value)}`);
      i++;
      return n;
    };
    if (argv[i] === "--only") {
      out.only = new Set(String(value).split(","));
      i++;
      for (const s of out.only) if (!"abcdefg".includes(s) || s.length !== 1) fail(`--only takes sections a to g, got ${JSON.stringify(value)}`);
    } else if (argv[i] === "--nics") out.nics = int();
    else if (argv[i] === "--rounds") out.rounds = int();
    else if (argv[i] === "--idle-seconds") out.idleSeconds = int();
    else if (argv[i] === "--restarts") out.restarts = int();
    else if (argv[i] === "--via") {
      if (value !== "runtime" && value !== "daemon") fail(`--via takes runtime or daemon, got ${JSON.stringify(value)}`);
      out.via = value;
      i++;
    }
    else if (argv[i] === "--server-neighbours") {
      if (value !== "pinned" && value !== "learned") fail(`--server-neighbours takes pinned or learned, got ${JSON.stringify(value)}`);
      out.serverNeighbours = value;
      i++;
    }
    else if (argv[i] === "--") continue;
    else fail(`unknown argument ${argv[i]}; usage: many-nics.bench.mjs [--only a,b,...] [--nics N] [--rounds N] [--idle-seconds S] [--via runtime|daemon] [--server-neighbours pinned|learned] [--restarts K]`);
  }
  if (out.nics > 219) fail("--nics is at most 219 (one more container holds the single-NIC rounds)");
  return out;
}

// The pid of the server namespace's process named `comm` (dnsmasq), if any.
function serverPid(comm) {
  const pids = spawnSync("ip", ["netns", "pids", net.serverNs], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  return pids.map(Number).find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm;
    } catch {
      return false;
    }
  });
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

// "after GC", or what the figure is when no collection could be forced (the daemon).
function gcWord(measured) {
  return measured.gcForced === false ? "no GC forced" : "after GC";
}

// The first three fields of /proc/loadavg: how busy the machine was.
function loadavg() {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

// Open fds of `pid` but libuv's inotify fd: the loop opens one at its first
// fs.watch (the NIC watch on /run/netns) and keeps it for its life.
// runtime-runner.mjs opens it before the baseline; the daemon at its first
// attach, which would count as a leak of one.
function fdsBesidesInotify(pid) {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) !== "anon_inode:inotify";
    } catch {
      return false;
    }
  }).length;
}
