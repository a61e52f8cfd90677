#!/usr/bin/env node
// Cold start to an IPv4 address: from process start, with the link just
// brought up, until the DHCPv4 address is in the kernel. Ours
// (`incusx forknet dhcp --no-ipv6 --exit-when-configured`) against
// `udhcpc` (busybox), `dhclient -4 -1` and `dhcpcd -4 -1` (with and without
// its ARP probe of the offered address), in the same run against the same
// dnsmasq in a throwaway test network; then dual stack, ours and dhcpcd's
// time to both addresses. Root only; not part of CI.
//
//   node test/bench/dhcpv4-cold-start.bench.mjs [ROUNDS]      (default 7)
//   INCUSX_BENCH_BASELINE_CLI=/old/checkout/packages/cli/dist/bin.js node ...
//     also times that build as "incusx-baseline", for a before/after in one run
//
// Each round runs every client once, in a rotating order, each from the
// same starting point: eth0 down, addresses flushed, a fresh lease store
// (and for ours a fresh state directory), eth0 up, client started. The time
// is taken when `ip monitor` reports the address, so the clients' own ways
// of exiting do not matter. Every client runs inside the container
// namespace and a private mount namespace whose /run, lease directories
// and /etc/resolv.conf are temporary, so the host's files and interfaces
// are never touched (as packages/dhcp-wire/scripts/capture-fixtures.sh
// does). udhcpc and dhclient get scripts that only put the address on the
// link (they leave that to their script); dhcpcd gets /bin/true as script.
//
// "node-floor" is no DHCP client: a bare `node -e` that adds a fixed address
// with one `ip` command, the least time any Node.js client can take here.
//
// Prints a table and one JSON summary line. Target: ours faster than udhcpc.

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
for (const file of [cli, harness, join(root, "plugins/dhcpv4/dist/index.js"), join(root, "plugins/dhcpv6/dist/index.js")]) {
  if (!existsSync(file)) fail(`${file} not found; run pnpm build`);
}
ensureTool("udhcpc", "udhcpc");
ensureTool("dhcpcd", "dhcpcd-base");
ensureTool("dhclient", "isc-dhcp-client");

const { createTestNetwork } = await import(harness);
const work = mkdtempSync(join(tmpdir(), "incusx-bench-v4-"));
chmodSync(work, 0o755);
const resolvConf = join(work, "resolv.conf");
writeFileSync(resolvConf, "# bench: clients write here, never to the host's resolv.conf\n");
const udhcpcScript = script("udhcpc-script", [
  "# Only the address; no routes, no resolv.conf.",
  'case "$1" in bound|renew) ip addr replace "$ip/${mask:-24}" dev "$interface";; esac',
]);
const dhclientScript = script("dhclient-script", [
  "# Only the address; no routes, no resolv.conf, no hooks.",
  'case "$reason" in BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface";; esac',
]);
writeFileSync(join(work, "dhclient.conf"), "");

const net = await createTestNetwork({ containerLinkUp: false });
const ns = net.containerNs;
let monitor;
try {
  monitor = startMonitor(ns);
  const incusx = (state, ...flags) => incusxOf(cli, state, ...flags);
  const incusxOf = (bin, state, ...flags) => [process.execPath, bin, "forknet", "dhcp", "--netns", "/proc/self/ns/net", "--interface", "eth0", ...flags, "--exit-when-configured", "--timeout", "30", "--state-dir", state];
  const NODE_FLOOR = 'require("node:child_process").execFileSync("ip", ["addr", "add", "192.0.2.250/24", "dev", "eth0"])';
  const v4Clients = {
    incusx: (state) => incusx(state, "--no-ipv6"),
    udhcpc: (state) => ["udhcpc", "-f", "-q", "-n", "-i", "eth0", "-s", udhcpcScript, "-p", join(state, "udhcpc.pid")],
    dhclient: (state) => ["dhclient", "-4", "-1", "-d", "-cf", join(work, "dhclient.conf"), "-sf", dhclientScript, "-lf", join(state, "dhclient.leases"), "-pf", join(state, "dhclient.pid"), "eth0"],
    dhcpcd: () => ["dhcpcd", "-4", "-B", "-1", "-c", "/bin/true", "eth0"],
    "dhcpcd-noarp": () => ["dhcpcd", "-4", "-B", "-1", "--noarp", "-c", "/bin/true", "eth0"],
    // Not a DHCP client: the floor of any Node.js client, a bare Node start
    // that puts a fixed address (outside dnsmasq's range) on the link with one `ip`.
    "node-floor": () => [process.execPath, "-e", NODE_FLOOR],
    ...(baselineCli === undefined ? {} : { "incusx-baseline": (state) => incusxOf(baselineCli, state, "--no-ipv6") }),
  };
  const dualClients = {
    incusx: (state) => incusx(state),
    dhcpcd: () => ["dhcpcd", "-B", "-c", "/bin/true", "eth0"],
    ...(baselineCli === undefined ? {} : { "incusx-baseline": (state) => incusxOf(baselineCli, state) }),
  };
  const V4 = /inet 192\.0\.2\./;
  const V6 = /inet6 2001:db8:1::/;
  console.log(`DHCPv4 cold start, ${rounds} rounds, dnsmasq ${dnsmasqVersion()} in ${net.serverNs}`);
  const scenarios = {};
  for (const [scenario, clients, patterns] of [["ipv4", v4Clients, [V4]], ["dual-stack", dualClients, [V4, V6]]]) {
    const names = Object.keys(clients);
    const times = Object.fromEntries(names.map((n) => [n, []]));
    console.log(`\n${scenario} (until ${patterns.length === 1 ? "the IPv4 address is" : "both addresses are"} in the kernel):`);
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) {
        const ms = await coldStart(name, clients[name], patterns);
        times[name].push(ms);
        console.log(`  round ${round + 1} ${name.padEnd(15)} ${ms.toFixed(1)} ms`);
      }
    }
    const medians = Object.fromEntries(names.map((n) => [n, round1(median(times[n]))]));
    const ratios = Object.fromEntries(names.filter((n) => n !== "incusx").map((n) => [`vs${n[0].toUpperCase()}${n.slice(1).replace(/-(\w)/g, (_, c) => c.toUpperCase())}`, round3(medians.incusx / medians[n])]));
    for (const n of names) console.log(`  ${n.padEnd(15)} median ${medians[n].toFixed(1)} ms  (min ${Math.min(...times[n]).toFixed(1)}, max ${Math.max(...times[n]).toFixed(1)})`);
    console.log(`  ${Object.entries(ratios).map(([k, v]) => `incusx/${k.slice(2)} ${v}`).join(", ")}`);
    scenarios[scenario] = { medians, samples: Object.fromEntries(names.map((n) => [n, times[n].map(round1)])), ratios };
  }
  const targetMet = scenarios.ipv4.ratios.vsUdhcpc < 1;
  console.log(`\ntarget incusx faster than udhcpc (IPv4): ${targetMet ? "met" : "NOT met"}`);
  console.log(JSON.stringify({ bench: "dhcpv4-cold-start", rounds, unit: "ms", scenarios, target: "incusx/udhcpc < 1", targetMet, node: process.version }));
} finally {
  monitor?.kill();
  killAllIn(ns);
  await net.destroy();
  rmSync(work, { recursive: true, force: true });
}

// One cold start of client `name`: milliseconds from spawn until every pattern has shown up in `ip monitor`.
async function coldStart(name, argvOf, patterns) {
  killAllIn(ns);
  const state = mkdtempSync(join(work, `${name}-`));
  const ip = (...args) => sh("ip", "-n", ns, ...args);
  ip("link", "set", "eth0", "down");
  ip("addr", "flush", "dev", "eth0");
  sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.eth0.addr_gen_mode=0", "net.ipv6.conf.eth0.disable_ipv6=0");
  ip("link", "set", "eth0", "up");
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
  let at = 0;
  for (const pattern of patterns) {
    const seen = await monitor.waitFor(mark, (line) => pattern.test(line) && !line.startsWith("Deleted"), 30_000).catch((error) => {
      throw new Error(`${name}: ${error.message}; stderr: ${stderr}`);
    });
    at = Math.max(at, seen);
  }
  killAllIn(ns);
  child.kill("SIGKILL");
  rmSync(state, { recursive: true, force: true });
  return at - start;
}

function script(name, lines) {
  const path = join(work, name);
  writeFileSync(path, ["#!/bin/sh", ...lines, "exit 0", ""].join("\n"));
  chmodSync(path, 0o755);
  return path;
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
  console.error(`dhcpv4-cold-start: ${message}`);
  process.exit(1);
}
