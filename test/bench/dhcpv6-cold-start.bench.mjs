#!/usr/bin/env node
// Cold start to an IPv6 address: from process start, with the link just
// brought up, until the DHCPv6 address is in the kernel. Ours
// (`incusx forknet dhcp --no-ipv4 --exit-when-configured`) against
// `dhcpcd -6 -B -1` and `dhclient -6 -1`, in the same run against the same
// dnsmasq in a throwaway test network. Root only; not part of CI.
//
//   node test/bench/dhcpv6-cold-start.bench.mjs [ROUNDS]      (default 7)
//   INCUSX_BENCH_BASELINE_CLI=/old/checkout/packages/cli/dist/bin.js node ...
//     also times that build as "incusx-baseline", for a before/after in one run
//
// Each round runs every client once, in a rotating order, each from the
// same starting point: eth0 down, addresses flushed, a fresh DUID and lease
// store, eth0 up (and operationally up in the kernel, see operUp), client
// started. The time is taken when `ip monitor`
// reports the global address (tentative or not), so the clients' own
// ways of exiting do not matter. Every client runs inside the container
// namespace and a private mount namespace whose /run, lease directories
// and /etc/resolv.conf are temporary, so the host's files and interfaces
// are never touched (as packages/dhcp-wire/scripts/capture-fixtures.sh does).
// dhclient and dhcpcd get no-op scripts except for putting the address on
// the link (dhclient leaves that to its script); dhclient is started the way
// ifupdown starts it, once the link-local address has finished DAD.
//
// Prints a table and one JSON summary line. Target: ours at most half of
// dhcpcd's median.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(root, "packages/cli/dist/bin.js");
const harness = join(root, "packages/testkit/dist/netns/index.js");
const rounds = Number(process.argv[2] ?? 7);
// Another build of the CLI to time beside this one (a before/after comparison in one run).
const baselineCli = process.env.INCUSX_BENCH_BASELINE_CLI;
if (baselineCli !== undefined && !existsSync(baselineCli)) fail(`${baselineCli} (INCUSX_BENCH_BASELINE_CLI) not found`);

if (process.getuid?.() !== 0) fail("needs root (network namespaces)");
for (const file of [cli, harness, join(root, "plugins/dhcpv6/dist/index.js")]) {
  if (!existsSync(file)) fail(`${file} not found; run pnpm build`);
}
ensureTool("dhcpcd", "dhcpcd-base");
ensureTool("dhclient", "isc-dhcp-client");

const { createTestNetwork } = await import(harness);
const work = mkdtempSync(join(tmpdir(), "incusx-bench-v6-"));
chmodSync(work, 0o755);
const resolvConf = join(work, "resolv.conf");
writeFileSync(resolvConf, "# bench: clients write here, never to the host's resolv.conf\n");
const dhclientScript = join(work, "dhclient-script");
writeFileSync(
  dhclientScript,
  [
    "#!/bin/sh",
    "# Only what dhclient needs to configure the address; no resolv.conf, no hooks.",
    'case "$reason" in BOUND6|RENEW6|REBIND6|REBOOT6)',
    '  [ -n "$new_ip6_address" ] && ip -6 addr replace "$new_ip6_address/${new_ip6_prefixlen:-128}" dev "$interface" valid_lft "${new_max_life:-forever}" preferred_lft "${new_preferred_life:-forever}";;',
    "esac",
    "exit 0",
    "",
  ].join("\n"),
);
chmodSync(dhclientScript, 0o755);
writeFileSync(join(work, "dhclient.conf"), "");

const WAIT_FOR_LL6 =
  'while ! ip -6 addr show dev eth0 scope link | grep -q "inet6 fe80" || ip -6 addr show dev eth0 scope link tentative | grep -q inet6; do sleep 0.1; done; ';

const net = await createTestNetwork({ v4: false, containerLinkUp: false });
const ns = net.containerNs;
let monitor;
try {
  monitor = startMonitor(ns);
  const incusxOf = (bin, state) => [process.execPath, bin, "forknet", "dhcp", "--netns", "/proc/self/ns/net", "--interface", "eth0", "--no-ipv4", "--exit-when-configured", "--timeout", "30", "--state-dir", state];
  const clients = {
    incusx: (state) => incusxOf(cli, state),
    dhcpcd: () => ["dhcpcd", "-6", "-B", "-1", "-c", "/bin/true", "eth0"],
    // dhclient -6 exits at once while the link-local address is tentative; ifupdown's
    // `inet6 dhcp` waits for DAD first (wait-for-ll6.sh, polling every 0.1 s), and so do we.
    dhclient: (state) => ["sh", "-c", WAIT_FOR_LL6 + 'exec "$@"', "dhclient", "dhclient", "-6", "-1", "-cf", join(work, "dhclient.conf"), "-sf", dhclientScript, "-lf", join(state, "dhclient6.leases"), "-pf", join(state, "dhclient6.pid"), "eth0"],
    ...(baselineCli === undefined ? {} : { "incusx-baseline": (state) => incusxOf(baselineCli, state) }),
  };
  const names = Object.keys(clients);
  console.log(`DHCPv6 cold start, ${rounds} rounds, dnsmasq ${dnsmasqVersion()} in ${net.serverNs}`);
  const scenarios = {};
  // "link-up": the clock starts as the link comes up, so the kernel's DAD of
  // the link-local address (1-2 s, which every client must wait for) is in
  // every time. "link-ready": the clock starts once DAD is done, so only the
  // clients' own work is timed.
  for (const scenario of ["link-up", "link-ready"]) {
    const times = Object.fromEntries(names.map((n) => [n, []]));
    console.log(`\n${scenario}:`);
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) {
        const ms = await coldStart(name, clients[name], scenario === "link-ready");
        times[name].push(ms);
        console.log(`  round ${round + 1} ${name.padEnd(15)} ${ms.toFixed(1)} ms`);
      }
    }
    const medians = Object.fromEntries(names.map((n) => [n, round1(median(times[n]))]));
    const ratios = { vsDhcpcd: round3(medians.incusx / medians.dhcpcd), vsDhclient: round3(medians.incusx / medians.dhclient) };
    if (baselineCli !== undefined) ratios.baselineVsDhcpcd = round3(medians["incusx-baseline"] / medians.dhcpcd);
    for (const n of names) console.log(`  ${n.padEnd(15)} median ${medians[n].toFixed(1)} ms  (min ${Math.min(...times[n]).toFixed(1)}, max ${Math.max(...times[n]).toFixed(1)})`);
    if (ratios.baselineVsDhcpcd !== undefined) console.log(`  incusx-baseline/dhcpcd ${ratios.baselineVsDhcpcd}`);
    console.log(`  incusx/dhcpcd ${ratios.vsDhcpcd}, incusx/dhclient ${ratios.vsDhclient}; target incusx/dhcpcd <= 0.5: ${ratios.vsDhcpcd <= 0.5 ? "met" : "NOT met"}`);
    scenarios[scenario] = { medians, samples: Object.fromEntries(names.map((n) => [n, times[n].map(round1)])), ratios, targetMet: ratios.vsDhcpcd <= 0.5 };
  }
  console.log(JSON.stringify({ bench: "dhcpv6-cold-start", rounds, unit: "ms", scenarios, node: process.version }));
} finally {
  monitor?.kill();
  killAllIn(ns);
  await net.destroy();
  rmSync(work, { recursive: true, force: true });
}

// One cold start of client `name`: milliseconds from spawn to the global address.
async function coldStart(name, argvOf, waitForDad) {
  killAllIn(ns);
  const state = mkdtempSync(join(work, `${name}-`));
  const ip = (...args) => sh("ip", "-n", ns, ...args);
  ip("link", "set", "eth0", "down");
  ip("addr", "flush", "dev", "eth0");
  // dhcpcd turns the kernel's link-local generation off; each client starts from the kernel default.
  sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.eth0.addr_gen_mode=0", "net.ipv6.conf.eth0.disable_ipv6=0");
  ip("link", "set", "eth0", "up");
  await operUp(ns);
  if (waitForDad) await linkLocalReady(ns);
  const argv = argvOf(state);
  const wrapped = [
    "ip", "netns", "exec", ns, "unshare", "-m", "--propagation", "private", "sh", "-c",
    'mount -t tmpfs tmpfs /run && mkdir -p /run/netns /var/lib/dhcp /var/lib/dhcpcd && mount -t tmpfs tmpfs /var/lib/dhcp && mount -t tmpfs tmpfs /var/lib/dhcpcd && mount --bind "$0" /etc/resolv.conf && exec "$@"',
    resolvConf, ...argv,
  ];
  // Inside the wrapper /run/netns is hidden by the tmpfs, so incusx is given its own namespace as /proc/self/ns/net.
  const mark = monitor.lines.length;
  const start = performance.now();
  const child = spawn(wrapped[0], wrapped.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  const at = await monitor.waitFor(mark, (line) => /inet6 2001:db8:1::/.test(line) && !line.startsWith("Deleted"), 30_000).catch((error) => {
    throw new Error(`${name}: ${error.message}; stderr: ${stderr}`);
  });
  killAllIn(ns);
  child.kill("SIGKILL");
  rmSync(state, { recursive: true, force: true });
  return at - start;
}

// The same link-up moment for every client. eth0 and veth-srv both have
// ifindex 2 in their namespaces, so the kernel treats their carrier changes
// as non-urgent and linkwatch applies them up to 1 s late (at most one batch
// a second, host-wide); only then does the link become operationally up and
// DAD of the link-local address start. Whichever client happened to read
// the link state first (a read makes the kernel apply the pending change)
// would otherwise get an earlier DAD than one that waits for netlink events.
// Reading `carrier` here applies it for every client alike, before the clock
// starts.
async function operUp(ns) {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
    const [, operstate] = sh("ip", "netns", "exec", ns, "cat", "/sys/class/net/eth0/carrier", "/sys/class/net/eth0/operstate").split("\n");
    if (operstate === "up") return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("eth0 did not come up");
}

async function linkLocalReady(ns) {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const out = sh("ip", "-n", ns, "-6", "addr", "show", "dev", "eth0", "scope", "link");
    if (out.includes("inet6 fe80") && !out.includes("tentative")) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the link-local address did not finish DAD");
}

function startMonitor(ns) {
  const child = spawn("ip", ["-n", ns, "-o", "monitor", "address"], { stdio: ["ignore", "pipe", "ignore"] });
  const lines = [];
  const waiters = new Set();
  let buffer = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    const now = performance.now();
    buffer += chunk;
    const parts = buffer.split("\n");
    buffer = parts.pop();
    for (const line of parts) lines.push({ line, at: now });
    for (const w of [...waiters]) w();
  });
  return {
    lines,
    pid: child.pid,
    kill: () => child.kill(),
    waitFor(from, test, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.slice(from).find((l) => test(l.line));
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit.at);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no address within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

// Every process in the container namespace but the address monitor is a client of this bench.
function killAllIn(ns) {
  const pids = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout.split(/\s+/).filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    if (Number(pid) === monitor?.pid) continue;
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

function sh(command, ...args) {
  const run = spawnSync(command, args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${run.stderr}`);
  return run.stdout;
}

function ensureTool(tool, pkg) {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0) return;
  console.log(`Installing ${pkg} for ${tool}`);
  const install = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", pkg], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (install.status !== 0) fail(`cannot install ${pkg}`);
}

function dnsmasqVersion() {
  return /version (\S+)/.exec(spawnSync("dnsmasq", ["--version"], { encoding: "utf8" }).stdout)?.[1] ?? "?";
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function round1(x) {
  return Math.round(x * 10) / 10;
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

function fail(message) {
  console.error(`dhcpv6-cold-start: ${message}`);
  process.exit(1);
}
