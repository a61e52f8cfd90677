// Shared by the DHCP cold-start benches (dhcpv4-cold-start.bench.mjs,
// dhcpv6-cold-start.bench.mjs): the client sandbox, the link reset, the
// `ip monitor` clock, the rotating rounds and the statistics. Root only.

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The common start of a cold-start bench `bench`: ROUNDS from the command
 * line (default 7), INCUSX_BENCH_BASELINE_CLI (another build of the CLI to
 * time beside this one, a before/after in one run), root, the built CLI,
 * testkit and `plugins` (folder names under plugins/), and the peer clients'
 * `tools` (`[tool, Debian package]`, installed when missing). Returns what
 * the bench needs, with the netns harness's `createTestNetwork`, and
 * `bundleCli`, the one-shot bundle of `forknet dhcp` when it is built
 * (unless INCUSX_BENCH_NO_BUNDLE=1), `snapshotCli`, its launcher
 * `dist/incusx-forknet` when the startup snapshot is built beside it (same
 * switch), and `baselineBundle`, INCUSX_BENCH_BASELINE_BUNDLE: another
 * build's forknet.bundle.mjs (run with node) or launcher (run as is).
 */
export async function benchSetup(bench, { plugins, tools }) {
  const fail = failer(bench);
  const cli = join(root, "packages/cli/dist/bin.js");
  const harness = join(root, "packages/testkit/dist/netns/index.js");
  const rounds = Number(process.argv[2] ?? 7);
  const baselineCli = process.env.INCUSX_BENCH_BASELINE_CLI;
  if (baselineCli !== undefined && !existsSync(baselineCli)) fail(`${baselineCli} (INCUSX_BENCH_BASELINE_CLI) not found`);
  if (process.getuid?.() !== 0) fail("needs root (network namespaces)");
  for (const file of [cli, harness, ...plugins.map((p) => join(root, "plugins", p, "dist/index.js"))]) {
    if (!existsSync(file)) fail(`${file} not found; run pnpm build`);
  }
  for (const [tool, pkg] of tools) ensureTool(tool, pkg, fail);
  const { createTestNetwork } = await import(pathToFileURL(harness).href);
  const bundle = join(root, "packages/cli/dist/forknet.bundle.mjs");
  const bundles = process.env.INCUSX_BENCH_NO_BUNDLE !== "1";
  const bundleCli = existsSync(bundle) && bundles ? bundle : undefined;
  const launcher = join(root, "packages/cli/dist/incusx-forknet");
  const snapshotCli = existsSync(launcher) && existsSync(join(root, "packages/cli/dist/forknet.snapshot.blob")) && bundles ? launcher : undefined;
  const baselineBundle = process.env.INCUSX_BENCH_BASELINE_BUNDLE;
  if (baselineBundle !== undefined && !existsSync(baselineBundle)) fail(`${baselineBundle} (INCUSX_BENCH_BASELINE_BUNDLE) not found`);
  return { cli, bundleCli, snapshotCli, baselineBundle, rounds, baselineCli, fail, createTestNetwork };
}

/** A function that prints `<bench>: <message>` and exits 1. */
export function failer(bench) {
  return (message) => {
    console.error(`${bench}: ${message}`);
    process.exit(1);
  };
}

/**
 * The peer DHCPv4 clients' scripts in `work`, which only put the address on
 * the link (no routes, no resolv.conf, no hooks), and an empty
 * dhclient.conf: `{ udhcpcScript, dhclientScript, dhclientConf }`.
 */
export function peerScripts(work) {
  const udhcpcScript = script(work, "udhcpc-script", [
    "# Only the address; no routes, no resolv.conf.",
    'case "$1" in bound|renew) ip addr replace "$ip/${mask:-24}" dev "$interface";; esac',
  ]);
  const dhclientScript = script(work, "dhclient-script", [
    "# Only the address; no routes, no resolv.conf, no hooks.",
    'case "$reason" in BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface";; esac',
  ]);
  const dhclientConf = join(work, "dhclient.conf");
  writeFileSync(dhclientConf, "");
  return { udhcpcScript, dhclientScript, dhclientConf };
}

/**
 * A fresh work directory (mode 755, for clients that drop privileges) with
 * the resolv.conf the sandbox binds over /etc/resolv.conf.
 */
export function workDir(prefix) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(work, 0o755);
  const resolvConf = join(work, "resolv.conf");
  writeFileSync(resolvConf, "# bench: clients write here, never to the host's resolv.conf\n");
  return { work, resolvConf };
}

/** Writes an executable shell script `name` in `dir` from `lines` (ends with `exit 0`). */
export function script(dir, name, lines) {
  const path = join(dir, name);
  writeFileSync(path, ["#!/bin/sh", ...lines, "exit 0", ""].join("\n"));
  chmodSync(path, 0o755);
  return path;
}

/**
 * `argv` run inside namespace `ns` and a private mount namespace whose /run,
 * lease directories and /etc/resolv.conf are temporary, so the host's files
 * are never touched (as packages/dhcp-wire/scripts/capture-fixtures.sh
 * does). Inside, /run/netns is hidden by the tmpfs: incusx is given its own
 * namespace as /proc/self/ns/net.
 */
export function sandboxed(ns, resolvConf, argv) {
  return [
    "ip", "netns", "exec", ns, "unshare", "-m", "--propagation", "private", "sh", "-c",
    'mount -t tmpfs tmpfs /run && mkdir -p /run/netns /var/lib/dhcp /var/lib/dhcpcd && mount -t tmpfs tmpfs /var/lib/dhcp && mount -t tmpfs tmpfs /var/lib/dhcpcd && mount --bind "$0" /etc/resolv.conf && exec "$@"',
    resolvConf, ...argv,
  ];
}

/**
 * The same starting point for every client: eth0 down, addresses flushed,
 * the kernel's default link-local generation (dhcpcd turns it off), IPv6
 * on, eth0 up.
 */
export function resetLink(ns) {
  const ip = (...args) => sh("ip", "-n", ns, ...args);
  ip("link", "set", "eth0", "down");
  ip("addr", "flush", "dev", "eth0");
  sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.eth0.addr_gen_mode=0", "net.ipv6.conf.eth0.disable_ipv6=0");
  ip("link", "set", "eth0", "up");
}

/**
 * Spawns the sandboxed client and waits until every pattern has shown up in
 * `monitor`; returns milliseconds from spawn to the last one, then kills the
 * client (the clients' own ways of exiting do not matter).
 */
export async function timeUntilAddresses({ name, ns, resolvConf, monitor, argv, patterns }) {
  const wrapped = sandboxed(ns, resolvConf, argv);
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
  killAllIn(ns, monitor);
  child.kill("SIGKILL");
  return at - start;
}

/** `ip -o monitor address` in `ns`, every line kept with the time it was read. */
export function startMonitor(ns) {
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

/** Kills every process in `ns` but the address monitor: they are the bench's clients. */
export function killAllIn(ns, monitor) {
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

/**
 * Runs `once(name)` for every client in `rounds` rounds, in an order that
 * rotates each round, printing each time; returns the times per client.
 */
export async function timeRounds(names, rounds, once) {
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const ms = await once(name);
      times[name].push(ms);
      console.log(`  round ${round + 1} ${name.padEnd(15)} ${ms.toFixed(1)} ms`);
    }
  }
  return times;
}

/** Prints and returns each client's median (with min and max), and the samples rounded for the JSON line. */
export function summarize(names, times) {
  const medians = Object.fromEntries(names.map((n) => [n, round1(median(times[n]))]));
  for (const n of names) console.log(`  ${n.padEnd(15)} median ${medians[n].toFixed(1)} ms  (min ${Math.min(...times[n]).toFixed(1)}, max ${Math.max(...times[n]).toFixed(1)})`);
  return { medians, samples: Object.fromEntries(names.map((n) => [n, times[n].map(round1)])) };
}

/** Runs a command; throws with its stderr when it fails. */
export function sh(command, ...args) {
  const run = spawnSync(command, args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${run.stderr}`);
  return run.stdout;
}

/** Installs Debian package `pkg` when `tool` is missing; `fail` when that does not work. */
export function ensureTool(tool, pkg, fail) {
  if (spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0) return;
  console.log(`Installing ${pkg} for ${tool}`);
  const install = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", pkg], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (install.status !== 0) fail(`cannot install ${pkg}`);
}

/** The installed dnsmasq's version. */
export function dnsmasqVersion() {
  return /version (\S+)/.exec(spawnSync("dnsmasq", ["--version"], { encoding: "utf8" }).stdout)?.[1] ?? "?";
}

/** The median of `values`. */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `x` to one decimal. */
export function round1(x) {
  return Math.round(x * 10) / 10;
}

/** `x` to three decimals. */
export function round3(x) {
  return Math.round(x * 1000) / 1000;
}
