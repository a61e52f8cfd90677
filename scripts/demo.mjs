#!/usr/bin/env node
// `make demo`: the main job of incusx, end to end, on this machine, as root.
// Uses the built packages (`pnpm build`; make demo does).
//
//   1. bundle     `incusx bundle create` packs the built-in plugins (dhcpv4,
//                 dhcpv6, dns, ovn-external-address) into a bundle in a temp
//                 dir under test/demo/ (inside the tree where @incusx/host is
//                 installed, so the one SDK copy is found; docs/packagers.md),
//                 and `incusx bundle verify` checks it
//   2. host       a host config names the bundle; `incusx plugins check
//                 --config` starts a host from it and prints the startup report
//   3. dhcp       a container network namespace on a network served by dnsmasq
//                 (testkit netns harness, documentation addresses only) gets its
//                 IPv4 (DHCPv4) and IPv6 (stateful DHCPv6) addresses from
//                 `incusx forknet dhcp --config HOSTCONFIG --resolv-conf FILE`
//   4. dns        the resolv.conf written from both leases, printed
//   5. fleet      `incusx daemon` (a host config with the DHCPv4, DHCPv6 and
//                 DNS plugins; config, socket and state in temp dirs, never
//                 /etc, /run or /var/lib) configures 50 container namespaces
//                 attached at once through its unix-socket API (the daemon's
//                 client, test/bench/daemon-runner-support.mjs) on one bridge
//                 served by one dnsmasq (testkit's createBridgedNetwork): IPv4
//                 and IPv6 in each, and a resolv.conf in each container's own
//                 directory; waits on /1.0/events for every NIC's bound
//                 leases, prints the time until all are configured, the
//                 daemon's RSS and its memory per NIC, checks every
//                 namespace, then stops the daemon with SIGTERM
//   6. ovn        a real OVN northbound database (ovsdb-server, temp dir) with a
//                 router and a network forward: a bad ipv4.address.external is
//                 rejected with Incus's message, a good one becomes a snat row
//                 (`ovn-nbctl lr-nat-list`)
//   7. cleanup    namespaces, dnsmasq, ovsdb-server and temp dirs removed (also
//                 when a step failed)
//
// Each step prints what it did and how long it took; a summary table ends the
// run. Exits 0 only when every step behaved as expected; exits 1 at once when
// not run as root (INCUSX_DEMO_UID=N pretends to run as uid N, for tests).

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = join(root, "packages", "cli", "dist", "bin.js");
// Inside the workspace's test package, whose node_modules links the host, the
// SDK and the plugins: the "installed prefix" the bundle must sit in.
const scratchParent = join(root, "test", "demo");
const PLUGINS = ["@incusx/plugin-dhcpv4", "@incusx/plugin-dhcpv6", "@incusx/plugin-dns", "@incusx/plugin-ovn-external-address"];
const STEPS = ["bundle", "host", "dhcp", "dns", "fleet", "ovn", "cleanup"];
// Containers of the fleet step: enough to show one process serving many, few enough to stay quick.
const FLEET = 50;
const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

const pretend = process.env.INCUSX_DEMO_UID;
const uid = pretend !== undefined && pretend !== "" ? Number(pretend) : process.getuid?.();
if (uid !== 0) {
  console.error("incusx demo: needs root (it creates network namespaces and runs dnsmasq in them); run `sudo make demo`.");
  process.exit(1);
}
for (const [file, hint] of [
  [cli, "run `pnpm build` (make demo does)"],
  ...PLUGINS.map((p) => [join(root, "plugins", p.replace("@incusx/plugin-", ""), "dist", "index.js"), "run `pnpm build` (make demo does)"]),
  [join(root, "packages", "daemon", "dist", "index.js"), "run `pnpm build` (make demo does)"],
  [join(root, "packages", "testkit", "dist", "netns", "index.js"), "run `pnpm build` (make demo does)"],
  [join(root, "packages", "testkit", "dist", "ovsdb", "index.js"), "run `pnpm build` (make demo does)"],
]) {
  if (!existsSync(file)) {
    console.error(`incusx demo: ${relative(root, file)} not found; ${hint}.`);
    process.exit(1);
  }
}

console.log(bold("incusx demo: a host from a bundle, DHCPv4 + DHCPv6 + resolv.conf in a container namespace, OVN external address"));

// Leftovers of a killed run (same prefix, over 10 minutes old, so a demo
// running at the same time keeps its own) go first.
for (const entry of readdirSync(scratchParent)) {
  const dir = join(scratchParent, entry);
  if (entry.startsWith(".tmp-demo-") && Date.now() - statSync(dir).mtimeMs > 600_000) rmSync(dir, { recursive: true, force: true });
}
const work = await mkdtemp(join(scratchParent, ".tmp-demo-"));
const results = [];
let failures = [];
let net;
let nb;
let fleet;
let fleetDaemon;

const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

function expect(ok, what) {
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
  return ok;
}

// Runs one step: prints its title, times it, records its result. A step that
// throws fails; later steps that need what it made are skipped.
async function step(name, title, body) {
  console.log(`\n${bold(`Step ${STEPS.indexOf(name) + 1}/${STEPS.length} (${name}): ${title}`)}`);
  const before = failures.length;
  const start = performance.now();
  let result;
  try {
    result = (await body()) ?? "ok";
  } catch (error) {
    expect(false, `${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const ms = performance.now() - start;
  const ok = failures.length === before;
  const outcome = ok ? (result === "skipped" ? "skipped" : "ok") : "FAILED";
  console.log(`  -> ${outcome} in ${(ms / 1000).toFixed(2)} s`);
  results.push({ name, outcome, ms });
  return ok && result !== "skipped";
}

// Runs the built CLI as a user would, echoing the command and its output.
function incusx(args, cwd = work) {
  console.log(`$ incusx ${args.join(" ")}`);
  const run = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: "utf8", timeout: 40_000 });
  if (run.stdout.trim() !== "") for (const line of run.stdout.trimEnd().split("\n")) console.log(line ? `  ${line}` : "");
  // Plugin logs and errors are on stderr; shown so nothing is hidden.
  for (const line of run.stderr.trimEnd().split("\n").filter(Boolean)) console.log(`  (stderr) ${line}`);
  console.log(`  (exit status ${run.status})`);
  return run;
}

const hostConfig = join(work, "host.json");
const resolvConf = join(work, "resolv.conf");
const stateDir = join(work, "state");

try {
  const bundled = await step("bundle", "Build a bundle of the built-in plugins and verify it", async () => {
    const create = incusx(["bundle", "create", "--out", "bundle", "--name", "demo", "--version", "1.0.0", ...PLUGINS]);
    expect(create.status === 0, "incusx bundle create exits 0");
    for (const id of ["dhcpv4", "dhcpv6", "dns", "ovn-external-address"]) {
      expect(new RegExp(`^incusx\\.${id} +0\\.0\\.0 +@incusx/plugin-${id} +[0-9a-f]{16}$`, "m").test(create.stdout), `the bundle holds incusx.${id}`);
    }
    const verify = incusx(["bundle", "verify", "bundle"]);
    expect(verify.status === 0 && /verified: 4 plugins/.test(verify.stdout), "incusx bundle verify: every file matches bundle.json");
  });

  const hosted = bundled && (await step("host", "Start a host from the bundle (host config names it) and print its startup report", async () => {
    await writeFile(hostConfig, JSON.stringify({ bundle: "bundle", plugins: [], defaults: { onFailure: "abort" } }, null, 2) + "\n");
    console.log(`Host config ${relative(root, hostConfig)}: ${JSON.stringify({ bundle: "bundle", plugins: [], defaults: { onFailure: "abort" } })}`);
    const check = incusx(["plugins", "check", "--config", "host.json"]);
    expect(check.status === 0, "incusx plugins check exits 0: every plugin of the bundle started");
    expect(/^4 plugins: 4 started/m.test(check.stdout), "the startup report lists 4 started plugins");
  }));

  const configured = hosted && (await step("dhcp", "DHCPv4 and stateful DHCPv6 together in a container namespace served by dnsmasq", async () => {
    const { createTestNetwork } = await import(pathToFileURL(join(root, "packages/testkit/dist/netns/index.js")).href);
    net = await createTestNetwork({
      prefix: "incusx-demo",
      v6: "stateful",
      dnsmasqArgs: ["--dhcp-option=option:domain-search,demo.example", "--dhcp-option=option6:domain-search,demo.example"],
    });
    console.log(`Namespaces: ${net.serverNs} (dnsmasq: 192.0.2.100-200, 2001:db8:1::100-200, DNS 192.0.2.53 and 2001:db8:1::53)`);
    console.log(`            ${net.containerNs} (the container: eth0, no address)`);
    const run = incusx([
      "forknet", "dhcp", "--config", "host.json", "--netns", net.containerNs, "--interface", "eth0", "--hostname", "c1",
      "--state-dir", stateDir, "--resolv-conf", resolvConf, "--exit-when-configured", "--timeout", "20",
    ]);
    expect(run.status === 0, "incusx forknet dhcp --exit-when-configured exits 0 (IPv4 and IPv6 configured)");
    const leased4 = /^bound ipv4 eth0 (\S+)\/24 /m.exec(run.stdout)?.[1];
    const leased6 = /^bound ipv6 eth0 (\S+)\/128 /m.exec(run.stdout)?.[1];
    console.log(`$ ip -n ${net.containerNs} -json addr show dev eth0`);
    const addresses = await net.addresses("container", "eth0");
    for (const a of addresses) console.log(`  ${a.local}/${a.prefixlen} scope ${a.scope} valid_lft ${a.valid_life_time}`);
    expect(addresses.some((a) => a.local === leased4 && a.prefixlen === 24), `the DHCPv4 address ${leased4 ?? "?"} is on eth0 as a /24`);
    expect(addresses.some((a) => a.local === leased6 && a.prefixlen === 128), `the DHCPv6 address ${leased6 ?? "?"} is on eth0 as a /128`);
  }));

  configured && (await step("dns", "resolv.conf written from both leases", async () => {
    console.log(`$ cat ${relative(root, resolvConf)}`);
    const text = await readFile(resolvConf, "utf8");
    for (const line of text.trimEnd().split("\n")) console.log(`  ${line}`);
    expect(/^nameserver 192\.0\.2\.53$/m.test(text), "the DHCPv4 lease's name server 192.0.2.53");
    expect(/^nameserver 2001:db8:1::53$/m.test(text), "the DHCPv6 lease's name server 2001:db8:1::53");
    expect(/^search demo\.example$/m.test(text), "one search list, demo.example, from both leases");
  }));

  await step("fleet", `incusx daemon configures ${FLEET} container namespaces at once (one dnsmasq, IPv4 + IPv6, a resolv.conf in each)`, async () => {
    const { createBridgedNetwork } = await import(pathToFileURL(join(root, "packages/testkit/dist/netns/index.js")).href);
    const { nicsOf, procStats } = await import(pathToFileURL(join(root, "test/bench/runtime-runner-support.mjs")).href);
    const { startDaemonRunner } = await import(pathToFileURL(join(root, "test/bench/daemon-runner-support.mjs")).href);
    let t = performance.now();
    fleet = await createBridgedNetwork({
      containers: FLEET,
      prefix: "incusx-demo",
      dnsmasqArgs: ["--dhcp-option=option:domain-search,fleet.example", "--dhcp-option=option6:domain-search,fleet.example"],
    });
    await fleet.linkLocalReady();
    console.log(`${FLEET} container namespaces (${fleet.containers[0].ns} ... ${fleet.containers.at(-1).ns}), each eth0 a port of br0 in ${fleet.serverNs},`);
    console.log(`one dnsmasq on br0 (192.0.2.10-250, 2001:db8:1::1000-ffff, --no-ping); links up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    // Config and socket in a temp dir, state in the demo's: nothing of a real installation (/etc, /run, /var/lib) is touched.
    fleetDaemon = await startDaemonRunner({ homeNs: fleet.homeNs, stateDir: join(work, "fleet-state"), dns: true });
    const before = procStats(fleetDaemon.pid);
    console.log(`$ incusx daemon --config ${fleetDaemon.configFile} --socket ${fleetDaemon.socket}   (in namespace ${fleet.homeNs})`);
    console.log(`  host config: DHCPv4, DHCPv6 and DNS plugins, stateDir ${relative(root, join(work, "fleet-state"))}`);
    console.log(`  daemon ${fleetDaemon.pid} listening ${(fleetDaemon.spawnedToReadyMs / 1000).toFixed(2)} s after spawn: RSS ${mib(before.rssKiB)}, ${before.fds} fds, ${before.threads} threads`);
    const server = await fleetDaemon.client.server();
    console.log(`  GET /1.0: server ${server.environment.server}, families ${server.environment.families.join(", ")}, plugins ${server.environment.plugins.map((p) => p.id).join(", ")}`);
    console.log(`POST /1.0/nics x ${FLEET} at once: { "instance": "cN", "device": "eth0", "netns": "/run/netns/...-cN", "interface": "eth0", "resolv_conf": { "root": "<cN's directory>", "path": "/resolv.conf" } }`);
    console.log(`  waiting on GET /1.0/events for each NIC's "bound" lease events (IPv4 and IPv6)`);
    t = performance.now();
    const nics = nicsOf(fleet.containers, (c) => ({ hostname: `c${c.index}`, resolvConf: { root: c.dir, path: "/resolv.conf" } }));
    const attached = await fleetDaemon.request({ op: "attach", nics, timeoutMs: 60_000 });
    const allMs = performance.now() - t;
    const after = procStats(fleetDaemon.pid);
    expect(attached.errors.length === 0, `all ${FLEET} NICs configured (IPv4 and IPv6 bound)${attached.errors.length ? `: ${attached.errors[0]}` : ""}`);
    console.log(`  all ${FLEET} configured in ${(allMs / 1000).toFixed(2)} s; daemon RSS ${mib(after.rssKiB)} (${after.fds} fds, ${after.threads} threads)`);
    // No GC can be forced in the daemon: right after the burst V8's young generation is still grown (test/bench/many-nics.bench.mjs measures the steady figure too).
    console.log(`  memory per NIC: (${mib(after.rssKiB)} with ${FLEET} - ${mib(before.rssKiB)} with 0) / ${FLEET} = ${((after.rssKiB - before.rssKiB) / FLEET).toFixed(0)} KiB (right after the burst, V8's young generation still grown)`);
    const listed = await fleetDaemon.client.list();
    const bothBound = listed.filter((nic) => nic.families.length === 2 && nic.families.every((f) => f.state === "bound")).length;
    expect(bothBound === FLEET, `GET /1.0/nics lists ${bothBound} of ${FLEET} NICs with IPv4 and IPv6 bound`);
    // The DNS plugin writes each resolv.conf after the leases' events: wait for the last one.
    const resolvOf = (c) => readFile(join(c.dir, "resolv.conf"), "utf8").catch(() => "");
    const complete = (text) => /^nameserver 192\.0\.2\.53$/m.test(text) && /^nameserver 2001:db8:1::53$/m.test(text);
    const written = await fleet
      .waitFor(async () => (await Promise.all(fleet.containers.map(resolvOf))).every(complete), { timeoutMs: 10_000, intervalMs: 20 })
      .then(() => true, () => false);
    console.log(`  every resolv.conf names both name servers ${written ? `${((performance.now() - t - allMs) / 1000).toFixed(2)} s after that` : "NOT within 10 s"}`);
    let configured = 0;
    for (const c of fleet.containers) {
      const addresses = await fleet.addresses(c.ns, "eth0");
      const resolv = await resolvOf(c);
      const ok =
        addresses.some((a) => a.family === "inet" && a.prefixlen === 24) &&
        addresses.some((a) => a.family === "inet6" && a.scope === "global" && a.prefixlen === 128) &&
        complete(resolv);
      if (ok) configured++;
      if (c.index === 0 || (!ok && configured === c.index)) {
        console.log(`$ ip -n ${c.ns} addr show dev eth0 scope global; cat ${join(c.dir, "resolv.conf")}`);
        for (const a of addresses.filter((x) => x.scope === "global")) console.log(`  ${a.local}/${a.prefixlen}`);
        for (const line of resolv.trimEnd().split("\n")) console.log(`  ${line}`);
      }
    }
    expect(configured === FLEET, `${configured} of ${FLEET} namespaces have their IPv4 /24 and IPv6 /128 on eth0 and both name servers in their own resolv.conf`);
    console.log(`$ kill -TERM ${fleetDaemon.pid}   (graceful stop: runners stopped, leases kept, socket removed)`);
    t = performance.now();
    const stopped = await fleetDaemon.request({ op: "exit" });
    fleetDaemon = undefined;
    expect(stopped.socketRemoved, `incusx daemon exited 0 on SIGTERM and removed its socket (${((performance.now() - t) / 1000).toFixed(2)} s)`);
  });

  await step("ovn", "OVN external address: a bad one rejected, a good one applied as a snat row", async () => {
    if (spawnSync("ovsdb-server", ["--version"]).error !== undefined) {
      expect(false, "ovsdb-server is installed (apt-get install ovn-central; make demo does)");
      return;
    }
    const { startOvnNorthbound } = await import(pathToFileURL(join(root, "packages/testkit/dist/ovsdb/index.js")).href);
    nb = await startOvnNorthbound();
    await nb.nbctl("lr-add", "lr-ovn0");
    console.log(`Northbound database ${nb.connection} (OVN's NB schema) with logical router "lr-ovn0"`);
    const stateFile = join(work, "network-state.json");
    const writeState = (external) =>
      writeFile(stateFile, JSON.stringify({
        networks: [{
          name: "ovn0", type: "ovn", ovn_router: "lr-ovn0", config: { "ipv4.address": "10.0.0.1/24" },
          forwards: [{ listen_address: "198.51.100.9" }], load_balancers: [{ listen_address: "198.51.100.20" }],
        }],
        instances: [{ name: "c1", devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": external } } }],
      }, null, 2));
    const nic = ["--state", "network-state.json", "--ovn-nb", nb.connection, "--instance", "c1", "--device", "eth0"];

    console.log("Host state: network ovn0 has forward 198.51.100.9 and load balancer 198.51.100.20; c1/eth0 asks for 198.51.100.20");
    await writeState("198.51.100.20");
    const bad = incusx(["nic", "start", ...nic]);
    expect(bad.status === 1, "incusx nic start exits 1 for an address that is no network forward");
    expect(
      bad.stderr.includes('Invalid value for device option "ipv4.address.external": External address "198.51.100.20" is not a network forward on network "ovn0"'),
      "with Incus's message",
    );
    console.log("Host state: c1/eth0 now asks for 198.51.100.9 (the forward)");
    await writeState("198.51.100.9");
    const good = incusx(["nic", "start", ...nic]);
    expect(good.status === 0, "incusx nic start exits 0 and applies the rule");
    console.log("$ ovn-nbctl lr-nat-list lr-ovn0");
    const table = await nb.nbctl("lr-nat-list", "lr-ovn0");
    for (const line of table.trimEnd().split("\n")) console.log(`  ${line}`);
    expect(/^snat +198\.51\.100\.9 +10\.0\.0\.5\s*$/m.test(table), "ovn-nbctl sees the snat row 198.51.100.9 <- 10.0.0.5 on lr-ovn0");
  });
} finally {
  await step("cleanup", "Remove the namespaces, dnsmasq, ovsdb-server and temp files", async () => {
    const errors = [];
    if (net !== undefined) {
      await net.destroy().catch((e) => errors.push(e));
      const left = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
      expect(!left.includes(net.containerNs) && !left.includes(net.serverNs), `namespaces ${net.serverNs} and ${net.containerNs} are gone`);
    }
    // The daemon first (if a failed step left it running), then the namespaces it worked in.
    if (fleetDaemon !== undefined) await fleetDaemon.kill("SIGKILL");
    if (fleet !== undefined) {
      await fleet.destroy().catch((e) => errors.push(e));
      const left = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
      expect(!left.includes(fleet.serverNs.replace(/-srv$/, "-")), `the ${FLEET} fleet namespaces, its server and home namespaces are gone`);
    }
    if (nb !== undefined) await nb.stop().catch((e) => errors.push(e));
    await rm(work, { recursive: true, force: true }).catch((e) => errors.push(e));
    expect(errors.length === 0 && !existsSync(work), `${relative(root, work)} removed${errors.length ? `: ${errors.map(String).join("; ")}` : ""}`);
  });
}

// Steps that needed what a failed one should have made did not run.
for (const name of STEPS) if (!results.some((r) => r.name === name)) results.splice(STEPS.indexOf(name), 0, { name, outcome: "not run", ms: 0 });
console.log(`\n${bold("Summary")}`);
const width = Math.max(...results.map((r) => r.name.length), 4);
console.log(`  ${"STEP".padEnd(width)}  RESULT   TIME`);
for (const r of results) console.log(`  ${r.name.padEnd(width)}  ${r.outcome.padEnd(7)}  ${(r.ms / 1000).toFixed(2)} s`);
const total = results.reduce((sum, r) => sum + r.ms, 0);
console.log(`  ${"total".padEnd(width)}  ${(failures.length === 0 ? "ok" : "FAILED").padEnd(7)}  ${(total / 1000).toFixed(2)} s`);
console.log("");
if (failures.length === 0) {
  console.log(bold("Demo passed: every step behaved as expected."));
} else {
  console.log(bold(`Demo FAILED: ${failures.length} expectation(s) not met:`));
  for (const failure of failures) console.log(`  - ${failure}`);
}
process.exit(failures.length === 0 ? 0 : 1);
