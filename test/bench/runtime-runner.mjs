#!/usr/bin/env node
// The process under test of the many-NIC benchmarks (many-nics.bench.mjs,
// `--via runtime`, the default): one host with the DHCPv4 and DHCPv6
// plugins and its network runtime, attaching and detaching NICs of other
// namespaces as told, so that its RSS, fds and CPU time (read from
// /proc/PID by the caller) are a host process's own figures.
//
//   node --expose-gc test/bench/runtime-runner.mjs STATE_DIR [--dns]
//
// --dns also loads the DNS plugin (without a resolv.conf of its own: it
// writes only the per-NIC `resolvConf` of an attach).
// INCUSX_BENCH_DHCPV4 / INCUSX_BENCH_DHCPV6: the DHCP plugins' config as
// JSON, e.g. '{"maxConcurrentDiscovers":64}' to compare admission limits.
//
// Reads one JSON request per line on stdin and answers each with one JSON
// line on stdout, `{ id, ok, ... }`, or `{ id, ok: false, error }`:
//   { op: "attach", nics: [{ instance, netns, interface?, families?, resolvConf?, hostname? }], timeoutMs? }
//       attaches them all at once and waits until every family asked for is
//       bound (the lease applied and read back from the kernel); answers
//       with the milliseconds from each attach call to its last bound family
//       and the event loop's delay meanwhile (loopDelayMs: p50, p99, max)
//   { op: "detach", nics: [{ instance }], release? }
//   { op: "restore", expect?: N, timeoutMs? } re-adopts the NICs of the state
//       directory (NetworkRuntime.restore, when the runtime has it) and waits
//       until N NICs are bound
//   { op: "gc" }     a full garbage collection (started with --expose-gc)
//   { op: "list" }   how many NICs are attached, and how many families bound
//   { op: "exit" }   stops the host (leases kept) and exits
// The first line it writes is `{ ready: true, pid, startedMs }` once the
// host has started. Logs at warn and above go to stderr as JSON lines.

import { readFileSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { getHeapSpaceStatistics } from "node:v8";
import { fileURLToPath } from "node:url";
import { Host, LeaseEventBus } from "@incusx/host";
import { IpRoute2LinkConfigurator } from "@incusx/linux-net";
import { attachAll, detachAll } from "./attach-all.mjs";

const [stateDir, ...flags] = process.argv.slice(2);
if (stateDir === undefined || flags.some((f) => f !== "--dns")) {
  console.error("usage: runtime-runner.mjs STATE_DIR [--dns]");
  process.exit(2);
}
// A plugin's config from the environment variable `name` (JSON), if set.
function pluginConfig(name) {
  const text = process.env[name];
  return text ? { config: JSON.parse(text) } : {};
}
// libuv opens one inotify fd for the loop at the first fs.watch (the NIC
// watch on /run/netns) and keeps it for the loop's life: open it now, so
// the fd figures count what NICs hold.
watch(tmpdir()).close();
// The test package: its node_modules links the plugins.
const testDir = fileURLToPath(new URL("../", import.meta.url));
const events = new LeaseEventBus();
const host = new Host({
  baseDir: testDir,
  plugins: [
    { module: "@incusx/plugin-dhcpv4", ...pluginConfig("INCUSX_BENCH_DHCPV4") },
    { module: "@incusx/plugin-dhcpv6", ...pluginConfig("INCUSX_BENCH_DHCPV6") },
    ...(flags.includes("--dns") ? [{ module: "@incusx/plugin-dns" }] : []),
  ],
  stateDir,
  services: {
    linkConfigurator: new IpRoute2LinkConfigurator(),
    leaseEvents: events,
    logSink: (record) => {
      if (record.level === "warn" || record.level === "error") process.stderr.write(JSON.stringify(record) + "\n");
    },
  },
});
const report = await host.start();
for (const plugin of report.plugins) {
  if (plugin.error) process.stderr.write(JSON.stringify({ plugin: plugin.id, error: plugin.error }) + "\n");
}
const runtime = host.networkRuntime();

// Waiters for "these families of this NIC are bound", checked on every lease event.
const waiters = new Set();
const keyOf = (instance, device) => JSON.stringify([instance, device]);
function boundFamilies() {
  const bound = new Map();
  for (const nic of runtime.list()) bound.set(keyOf(nic.instance, nic.device), new Set(nic.families.filter((f) => f.state === "bound").map((f) => f.family)));
  return bound;
}
function checkWaiters() {
  if (waiters.size === 0) return;
  const now = performance.now();
  const bound = boundFamilies();
  for (const waiter of waiters) {
    const families = bound.get(waiter.key);
    if (families !== undefined && waiter.families.every((f) => families.has(f))) {
      waiters.delete(waiter);
      waiter.resolve(now);
    }
  }
}
// One check per burst of events, not one per event: with hundreds of NICs a
// check per event would cost the runtime O(n^2) work the figures would carry.
let checkQueued = false;
events.subscribe(() => {
  if (checkQueued) return;
  checkQueued = true;
  setImmediate(() => {
    checkQueued = false;
    checkWaiters();
  });
});
function boundAt(instance, device, families, timeoutMs) {
  return new Promise((resolve, reject) => {
    const waiter = { key: keyOf(instance, device), families, resolve: (at) => (clearTimeout(timer), resolve(at)) };
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      const nic = runtime.list().find((n) => keyOf(n.instance, n.device) === waiter.key);
      reject(new Error(`${instance}/${device}: not bound (${families.join("+")}) within ${timeoutMs} ms: ${JSON.stringify(nic?.families ?? "not attached")}`));
    }, timeoutMs);
    waiters.add(waiter);
  });
}

const ops = {
  async attach({ nics, timeoutMs }) {
    // How late the event loop ran timers while these attached: what a NIC's
    // packets and timers waited on in this process, besides the machine's load.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    try {
      // checkWaiters: a NIC whose families were bound before its attach call returned.
      const result = await attachAll(nics, { timeoutMs, boundAt, attach: (spec) => runtime.attach(spec), attached: checkWaiters });
      const ms = (ns) => Math.round(ns / 1e4) / 100;
      return { ...result, loopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) } };
    } finally {
      delay.disable();
    }
  },
  detach({ nics, release = false }) {
    return detachAll(nics, (instance, device) => runtime.detach({ instance, device }, { release }));
  },
  async restore({ expect = 0, timeoutMs = 30_000 }) {
    if (typeof runtime.restore !== "function") throw new Error("NetworkRuntime.restore() does not exist in this build");
    const start = performance.now();
    const restored = await runtime.restore();
    const restoredMs = performance.now() - start;
    const deadline = start + timeoutMs;
    for (;;) {
      // Re-adopted: every family the NIC runs is bound again.
      const bound = runtime.list().filter((nic) => nic.families.length > 0 && nic.families.every((f) => f.state === "bound")).length;
      if (bound >= expect) break;
      if (performance.now() > deadline) throw new Error(`${bound} of ${expect} NICs bound ${timeoutMs} ms after restore()`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { restored, restoredMs, allBoundMs: performance.now() - start };
  },
  async gc() {
    if (typeof globalThis.gc !== "function") throw new Error("start the runner with --expose-gc");
    globalThis.gc();
    globalThis.gc();
    const { heapUsed, external, arrayBuffers } = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { sizeKiB: Math.round(s.space_size / 1024), usedKiB: Math.round(s.space_used_size / 1024) }]));
    return { rssKiB: rssKiB(), heapUsedKiB: Math.round(heapUsed / 1024), externalKiB: Math.round(external / 1024), arrayBuffersKiB: Math.round(arrayBuffers / 1024), spaces };
  },
  async list() {
    const nics = runtime.list();
    return { attached: nics.length, bound: nics.reduce((sum, nic) => sum + nic.families.filter((f) => f.state === "bound").length, 0) };
  },
  async exit() {
    await host.stop();
    setImmediate(() => process.exit(0));
    return {};
  },
};

function rssKiB() {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
}

const reply = (message) => process.stdout.write(JSON.stringify(message) + "\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    reply({ ok: false, error: `not JSON: ${line.slice(0, 80)}` });
    return;
  }
  const op = ops[request.op];
  if (op === undefined) {
    reply({ id: request.id, ok: false, error: `unknown op ${JSON.stringify(request.op)}` });
    return;
  }
  op(request).then(
    (result) => reply({ id: request.id, ok: true, ...result }),
    (error) => reply({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
// stdin closed: the bench is gone, so is the runner (leases kept, as on SIGTERM).
process.stdin.on("end", () => void host.stop().finally(() => process.exit(0)));
reply({ ready: true, pid: process.pid, startedMs: performance.now() });
