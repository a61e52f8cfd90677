#!/usr/bin/env node
// Idle cost of watching many NICs for their namespace or interface going
// away (`watchNicPresence` of @incusx/linux-net), and how fast all of them
// notice. Root only; not part of CI. Needs a build (`pnpm run build`).
//
//   node test/bench/nic-presence-idle.bench.mjs [WATCHERS] [SECONDS]   (default 200, 20)
//
// In one throwaway test network (createTestNetwork, nothing else touched)
// it measures this process's CPU time (process.cpuUsage) over SECONDS with:
//   - no watcher (the baseline of an idle Node.js process),
//   - WATCHERS watchers of eth0 by `/run/netns/NAME` (inotify on /run/netns,
//     plus one netlink socket each),
//   - WATCHERS watchers of eth0 by `/proc/PID/ns/net` of WATCHERS `sleep`s in
//     the namespace (one PID each, as one per container; one pidfd each,
//     or without pidfd one shared timer every NETNS_POLL_MS) (procfs has no inotify: one shared timer stats every path
//     every NETNS_POLL_MS),
// then ends each set the way a container stops (the sleep killed, the
// namespace deleted) and reports the slowest notice. Prints a table and a
// JSON line. Target (issue 14): idle CPU of 200 NICs <= 1% of one core.

import { statSync } from "node:fs";
import { NETNS_POLL_MS, openNetns, watchNicPresence } from "@incusx/linux-net";
import { createTestNetwork } from "@incusx/testkit/netns";

const watchers = Number(process.argv[2] ?? 200);
const seconds = Number(process.argv[3] ?? 20);
if (!Number.isInteger(watchers) || watchers < 1 || !(seconds > 0)) {
  console.error("Usage: nic-presence-idle.bench.mjs [WATCHERS] [SECONDS]");
  process.exit(2);
}

const kib = () => Math.round(process.memoryUsage().rss / 1024);

/** Percent of one core this process used over `seconds` of idling. */
async function idleCpu() {
  const before = process.cpuUsage();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = process.cpuUsage(before);
  const wallMs = performance.now() - started;
  return ((used.user + used.system) / 1000 / wallMs) * 100;
}

/** Starts a watch of eth0 in the namespace at each of `paths`; resolves with the handles and a promise of every report. */
function watchAll(paths) {
  const handles = [];
  const reports = [];
  for (const path of paths) {
    const netns = openNetns(path);
    handles.push(netns);
    reports.push(
      new Promise((resolve) => {
        watchNicPresence({ iface: "eth0", netns }, (gone) => resolve({ at: performance.now(), reason: gone.reason }));
      }),
    );
  }
  return { handles, all: Promise.all(reports) };
}

const net = await createTestNetwork({ startDnsmasq: false });
const rows = [];
try {
  rows.push({ set: "no watcher", cpuPercent: await idleCpu(), rssKiB: kib() });

  const named = watchAll(Array(watchers).fill(net.containerNsPath));
  rows.push({ set: `${watchers} by /run/netns (inotify)`, cpuPercent: await idleCpu(), rssKiB: kib() });

  // One process per watch, as 200 containers have 200 PIDs: 200 distinct paths to poll.
  const sleepers = Array.from({ length: watchers }, () => net.spawn("container", ["sleep", "100000"]));
  const procPaths = sleepers.map((sleeper) => `/proc/${sleeper.child.pid}/ns/net`);
  const target = statSync(net.containerNsPath);
  await net.waitFor(() => procPaths.every((path) => statSync(path).ino === target.ino), { timeoutMs: 60_000 });
  const byPid = watchAll(procPaths);
  rows.push({ set: `${watchers} by /proc/PID/ns/net, ${watchers} PIDs (pidfd each) + the ${watchers} above`, cpuPercent: await idleCpu(), rssKiB: kib() });

  // From the first kill: the kills themselves take a while for 200 processes.
  let from = performance.now();
  for (const sleeper of sleepers) sleeper.child.kill("SIGKILL");
  await Promise.all(sleepers.map((sleeper) => sleeper.exited()));
  let reports = await byPid.all;
  const procNotice = Math.max(...reports.map((r) => r.at - from));
  const procReasons = [...new Set(reports.map((r) => r.reason))];

  const { execFileSync } = await import("node:child_process");
  execFileSync("ip", ["netns", "del", net.containerNs]);
  from = performance.now();
  reports = await named.all;
  const namedNotice = Math.max(...reports.map((r) => r.at - from));
  const namedReasons = [...new Set(reports.map((r) => r.reason))];
  for (const handle of [...named.handles, ...byPid.handles]) handle.close();

  console.log("set".padEnd(80), "CPU (% of one core)", "RSS (KiB)");
  for (const row of rows) console.log(row.set.padEnd(80), row.cpuPercent.toFixed(3).padEnd(19), row.rssKiB);
  console.log(`slowest notice of ${watchers} killed-process watches (from the first kill): ${procNotice.toFixed(1)} ms (${procReasons.join(", ")})`);
  console.log(`slowest notice of ${watchers} deleted-namespace watches: ${namedNotice.toFixed(1)} ms (${namedReasons.join(", ")})`);
  console.log(JSON.stringify({ watchers, seconds, pollMs: NETNS_POLL_MS, idle: rows, procNoticeMs: procNotice, namedNoticeMs: namedNotice }));
} finally {
  await net.destroy();
}
