#!/usr/bin/env node
// From link up to an IPv6 address: the network runtime of this process
// attaching a NIC of a test namespace (no process per container, the
// namespace held by fd) with optimistic DAD on and off, against
// `dhcpcd -6`, in the same run against the same dnsmasq (--no-ping) in a
// throwaway test network. Root only; not part of CI.
//
//   pnpm run bench:dhcpv6-optimistic [ROUNDS]      (default 7; after pnpm build)
//   node test/bench/dhcpv6-optimistic.bench.mjs [ROUNDS]
//   INCUSX_BENCH_DEBUG=1 node test/bench/dhcpv6-optimistic.bench.mjs 3   (per-round trace)
//
// Each round runs every client once, in a rotating order, each from the
// same starting point: eth0 down, addresses flushed, the kernel's default
// link-local generation, optimistic_dad and use_optimistic back to 0, a
// fresh DUID and lease store. Then:
// - incusx-optimistic / incusx: a fresh NetworkRuntime (the DHCPv6 plugin's
//   runner, rtnetlink link configurator, all in this process) attaches the
//   NIC while the link is down, with `optimisticDad` on / off;
// - dhcpcd: `dhcpcd -6 -B` is started while the link is down and waits
//   for carrier (what a resident client does);
// - dhcpcd-cold: `dhcpcd -6 -B -1` is started once the link is up (as the
//   cold-start bench does).
// The clock starts as `ip link set eth0 up` is run (and the carrier change
// is applied at once on both ends, see operUp) and stops when the global
// address is in the kernel (tentative or not), as a netlink socket of this
// process in the namespace sees it (an `ip monitor` process lagged by
// seconds on a loaded machine).
// dhcpcd runs inside the container namespace and a private mount
// namespace whose /run, lease directories and /etc/resolv.conf are
// temporary, so the host's files and interfaces are never touched.
//
// Prints a table, the ratios and one JSON summary line. Target:
// incusx-optimistic at most 0.2x dhcpcd's median (the faster of the two
// dhcpcd ways).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { IpRoute2LinkConfigurator, openNetns, readLinkInfo, setIpv6Sysctls, watchAddressFlags } from "@incusx/linux-net";
import { NetworkRuntime } from "@incusx/network-runtime";
import { Dhcpv6Runner } from "@incusx/plugin-dhcpv6";
import { sleepOnTimer } from "@incusx/sdk/host";
import { MemoryLeaseEventStream, MemoryStateStore } from "@incusx/sdk/testing";
import {
  benchSetup,
  dnsmasqVersion,
  killAllIn,
  round3,
  sandboxed,
  sh,
  summarize,
  timeRounds,
  workDir,
} from "./cold-start-support.mjs";

const BENCH = "dhcpv6-optimistic";
const { rounds, fail, createTestNetwork } = await benchSetup(BENCH, { plugins: ["dhcpv6"], tools: [["dhcpcd", "dhcpcd-base"]] });
const { work, resolvConf } = workDir("incusx-bench-v6opt-");
const GLOBAL = /inet6 2001:db8:1::/;

const clock = {
  now: () => Date.now(),
  setTimer(ms, callback) {
    const handle = setTimeout(callback, ms);
    return { cancel: () => clearTimeout(handle) };
  },
  sleep(ms, signal) {
    return sleepOnTimer(this, ms, signal);
  },
};
// INCUSX_BENCH_DEBUG=1 prints, for each round, the runner's log and the
// kernel's address flags as they changed, in ms from link up.
const debug = process.env.INCUSX_BENCH_DEBUG === "1";
let linkUpAt = 0;
const trace = [];
const logger = (fields = {}) => {
  const log = (level) => (message, more) => {
    if (debug) trace.push(`    ${(performance.now() - linkUpAt).toFixed(1).padStart(8)} ${level} ${message} ${JSON.stringify({ ...fields, ...more })}`);
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error"), child: (more) => logger({ ...fields, ...more }) };
};
const quiet = logger();

const net = await createTestNetwork({ v4: false, containerLinkUp: false });
const ns = net.containerNs;
const handles = { container: openNetns(net.containerNsPath), server: openNetns(`/run/netns/${net.serverNs}`) };
try {
  const clients = {
    "incusx-optimistic": () => runtimeClient(true),
    incusx: () => runtimeClient(false),
    dhcpcd: (state) => dhcpcdWaiting(state),
    "dhcpcd-cold": (state) => dhcpcdCold(state),
  };
  const names = Object.keys(clients);
  console.log(`DHCPv6 from link up, optimistic DAD, ${rounds} rounds, dnsmasq ${dnsmasqVersion()} --no-ping in ${net.serverNs}`);
  console.log(`command: node test/bench/${BENCH}.bench.mjs ${rounds}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${cpus().length} cores`);
  const times = await timeRounds(names, rounds, (name) => fromLinkUp(name, clients[name]));
  const { medians, samples } = summarize(names, times);
  const dhcpcdBest = Math.min(medians.dhcpcd, medians["dhcpcd-cold"]);
  const ratios = {
    optimisticVsDhcpcd: round3(medians["incusx-optimistic"] / medians.dhcpcd),
    optimisticVsDhcpcdCold: round3(medians["incusx-optimistic"] / medians["dhcpcd-cold"]),
    optimisticVsOff: round3(medians["incusx-optimistic"] / medians.incusx),
    offVsDhcpcd: round3(medians.incusx / medians.dhcpcd),
  };
  const targetMet = medians["incusx-optimistic"] <= 0.2 * dhcpcdBest;
  console.log(`  incusx-optimistic/dhcpcd ${ratios.optimisticVsDhcpcd}, /dhcpcd-cold ${ratios.optimisticVsDhcpcdCold}, /incusx (off) ${ratios.optimisticVsOff}; incusx (off)/dhcpcd ${ratios.offVsDhcpcd}`);
  console.log(`  target incusx-optimistic <= 0.2x dhcpcd (the faster way, ${dhcpcdBest} ms): ${targetMet ? "met" : "NOT met"}`);
  console.log(JSON.stringify({ bench: BENCH, rounds, unit: "ms", medians, samples, ratios, targetMet, node: process.version }));
} finally {
  killAllIn(ns);
  handles.container.close();
  handles.server.close();
  await net.destroy();
  rmSync(work, { recursive: true, force: true });
}

// One round of client `name`: milliseconds from link up to the global address.
async function fromLinkUp(name, prepare) {
  killAllIn(ns);
  const state = mkdtempSync(join(work, `${name}-`));
  resetLinkDown();
  const client = await prepare(state);
  const watch = watchGlobal();
  try {
    await watch.ready;
    const start = performance.now();
    linkUpAt = start;
    trace.length = 0;
    sh("ip", "-n", ns, "link", "set", "eth0", "up");
    await operUp();
    await client.linkUp?.();
    const at = await watch.seen(30_000).catch((error) => {
      throw new Error(`${name}: ${error.message}${client.stderr ? `; stderr: ${client.stderr()}` : ""}`);
    });
    if (debug) console.log(`  ${name}, ${(at - start).toFixed(1)} ms:\n${trace.join("\n")}`);
    return at - start;
  } finally {
    watch.close();
    await client.stop();
    killAllIn(ns);
    rmSync(state, { recursive: true, force: true });
  }
}

// When the leased address is in the kernel (tentative or not), seen by a
// netlink socket of this process in the container namespace: no `ip
// monitor` process whose own scheduling would be on the clock.
function watchGlobal() {
  let ready;
  let found;
  const readyP = new Promise((resolve) => (ready = resolve));
  const foundP = new Promise((resolve) => (found = resolve));
  const watch = watchAddressFlags(
    "eth0",
    (addresses) => {
      const now = performance.now();
      if (debug) for (const a of addresses) trace.push(`    ${(now - linkUpAt).toFixed(1).padStart(8)} kernel ${a.address}/${a.prefixLength} ${a.flags.join(" ")}`);
      ready();
      if (addresses.some((a) => a.address.startsWith("2001:db8:1:"))) found(now);
    },
    { netns: handles.container, onError: (error) => fail(`watching eth0: ${error.message}`) },
  );
  return {
    ready: readyP,
    seen: (timeoutMs) =>
      Promise.race([foundP, new Promise((_, reject) => setTimeout(() => reject(new Error(`no address within ${timeoutMs} ms`)), timeoutMs).unref())]),
    close: () => watch.close(),
  };
}

// The starting point of every client: eth0 down without addresses, the
// kernel's own link-local generation, IPv6 on and no optimistic DAD.
function resetLinkDown() {
  sh("ip", "-n", ns, "link", "set", "eth0", "down");
  sh(
    "ip", "netns", "exec", ns, "sysctl", "-qw",
    "net.ipv6.conf.eth0.addr_gen_mode=0", "net.ipv6.conf.eth0.disable_ipv6=0",
    "net.ipv6.conf.eth0.optimistic_dad=0", "net.ipv6.conf.eth0.use_optimistic=0",
  );
  // After the settings: turning addr_gen_mode back to 0 (dhcpcd sets 1)
  // makes the kernel create the link-local address at once, link down or
  // not; it must not be there before the round's client (and its
  // optimistic_dad) is.
  sh("ip", "-n", ns, "addr", "flush", "dev", "eth0");
}

// A fresh runtime attaching the NIC while its link is down.
async function runtimeClient(optimisticDad) {
  const runtime = new NetworkRuntime({
    runners: [new Dhcpv6Runner(clock, new MemoryStateStore(), quiet, {})],
    link: new IpRoute2LinkConfigurator(),
    linkFor: (_nic, netns) => new IpRoute2LinkConfigurator({ netns }),
    openNetns,
    setIpv6Sysctls,
    events: new MemoryLeaseEventStream(),
    clock,
    logger: quiet,
  });
  const key = { instance: "bench", device: "eth0" };
  await runtime.attach({ ...key, interface: "eth0", netns: net.containerNsPath, families: ["ipv6"], optimisticDad });
  return { stop: () => runtime.detach(key) };
}

// `dhcpcd -6 -B` started with the link down, once it says it waits for carrier.
async function dhcpcdWaiting() {
  const child = startDhcpcd(["dhcpcd", "-6", "-B", "-d", "-c", "/bin/true", "eth0"]);
  await child.waitFor(/waiting for carrier/);
  return child;
}

// `dhcpcd -6 -B -1` started once the link is up.
function dhcpcdCold() {
  let child;
  return {
    linkUp: () => {
      child = startDhcpcd(["dhcpcd", "-6", "-B", "-1", "-c", "/bin/true", "eth0"]);
    },
    stderr: () => child?.stderr() ?? "",
    stop: () => child?.stop(),
  };
}

function startDhcpcd(argv) {
  const wrapped = sandboxed(ns, resolvConf, argv);
  const child = spawn(wrapped[0], wrapped.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const waiters = new Set();
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    stderr += chunk;
    for (const w of [...waiters]) w();
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    stderr: () => stderr,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`dhcpcd did not print ${pattern} within 10 s: ${stderr}`)), 10_000);
        const check = () => {
          if (!pattern.test(stderr)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

// Reading a link makes the kernel apply a pending carrier change at once
// (see operUp in dhcpv6-cold-start.bench.mjs), for every client alike;
// read in-process over rtnetlink (no process started on the clock). Both
// ends: the server's veth-srv lost its carrier with eth0, and
// until its change is applied its queue drops dnsmasq's answers, which a
// client that solicits at once (optimistic DAD) would otherwise meet and
// lose a second to retransmission, where a container's host side that
// was up all along would not.
async function operUp() {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
    const [ctr, srv] = await Promise.all([readLinkInfo("eth0", { netns: handles.container }), readLinkInfo("veth-srv", { netns: handles.server })]);
    if (ctr.carrier && srv.carrier) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  fail("eth0 or veth-srv did not come up");
}
