// Drives runtime-runner.mjs, the process under test of many-nics.bench.mjs
// (`--via runtime`, the default), and reads its figures from /proc: RSS,
// threads, open fds and CPU time are the host process's own. `make demo`'s
// fleet step uses nicsOf and procStats with the daemon
// (daemon-runner-support.mjs).

import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const runnerScript = fileURLToPath(new URL("./runtime-runner.mjs", import.meta.url));

/** Clock ticks per second of /proc/PID/stat's utime and stime. */
export const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/**
 * Starts the runner in namespace `homeNs` (`ip netns exec` execs Node in
 * place, so the child's pid is the runner's) on `stateDir`, and resolves
 * once its host has started: `{ pid, spawnedToReadyMs, request(op), kill(signal), exited }`.
 * `request` sends one JSON request and resolves with the answer; it
 * rejects with the runner's error when `ok` is false.
 */
export async function startRunner({ homeNs, stateDir, dns = false }) {
  const spawnedAt = performance.now();
  // INCUSX_RUNNER_NODE_OPTIONS: extra Node flags for the runner, e.g. --cpu-prof to see where its time goes.
  const nodeFlags = (process.env.INCUSX_RUNNER_NODE_OPTIONS ?? "").split(" ").filter(Boolean);
  const child = spawn("ip", ["netns", "exec", homeNs, process.execPath, "--expose-gc", ...nodeFlags, runnerScript, stateDir, ...(dns ? ["--dns"] : [])], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    stderr += chunk;
    if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
  });
  const exited = new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? signal)));
  const pending = new Map();
  let ready;
  const readyAt = new Promise((resolve, reject) => {
    ready = resolve;
    void exited.then((code) => reject(new Error(`runner exited (${code}) before it was ready: ${stderr.slice(-2000)}`)));
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (message.ready) return ready(performance.now());
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message);
    else waiter.reject(new Error(`runner: ${message.error}`));
  });
  void exited.then((code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`runner exited (${code}): ${stderr.slice(-2000)}`));
    pending.clear();
  });
  const at = await readyAt;
  let nextId = 0;
  return {
    pid: child.pid,
    spawnedToReadyMs: at - spawnedAt,
    exited,
    stderr: () => stderr,
    request(op) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.stdin.write(JSON.stringify({ ...op, id }) + "\n");
      });
    },
    kill(signal = "SIGTERM") {
      child.kill(signal);
      return exited;
    },
  };
}

/** What /proc says of process `pid`: `{ rssKiB, hwmKiB, threads, fds, cpuTicks }`. */
export function procStats(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1]);
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    rssKiB: field("VmRSS"),
    hwmKiB: field("VmHWM"),
    threads: field("Threads"),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    cpuTicks: Number(after[11]) + Number(after[12]),
  };
}

/** Samples the RSS of `pid` every `everyMs` until `stop()`; `stop()` returns the largest seen, in KiB. */
export function sampleRss(pid, everyMs = 20) {
  let peak = 0;
  const take = () => {
    try {
      peak = Math.max(peak, procStats(pid).rssKiB);
    } catch {
      // Gone: the figure so far stands.
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

/** `{ instance, netns, families, ... }` of the runner's attach for each container, instance `c<index>`. */
export function nicsOf(containers, extra = () => ({})) {
  return containers.map((c) => ({ instance: `c${c.index}`, netns: c.nsPath, interface: c.iface, ...extra(c) }));
}

/** Statistics of `values`: `{ median, min, max, p95 }`, each to 0.1. */
export function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const r = (x) => Math.round(x * 10) / 10;
  return { median: r(median), min: r(s[0]), max: r(s.at(-1)), p95: r(at(0.95)) };
}
