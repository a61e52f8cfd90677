// `incusx daemon` as the process under test of many-nics.bench.mjs
// (`--via daemon`) and of `make demo`'s fleet step: the real daemon (the
// built CLI, a host config with the DHCPv4, DHCPv6 and, with `dns`, DNS
// plugins), driven only through its unix-socket API with the daemon's own
// client, and offered with the interface of runtime-runner-support.mjs's
// startRunner so the bench runs either.
//
// Everything it makes is in temp dirs: the host config and the socket in a
// fresh directory under the OS temp dir (a unix socket path must stay under
// 108 bytes), the state in `stateDir`; never /etc, /run or /var/lib, so a
// real installation's daemon is never touched.
//
// "Configured" is the daemon's `bound` lease event of a family on
// /1.0/events (the lease applied and read back from the kernel), timed from
// just before the attach request (POST /1.0/nics) was sent.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { attachAll, detachAll } from "./attach-all.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(root, "packages/cli/dist/bin.js");
const { DaemonClient } = await import(pathToFileURL(join(root, "packages/daemon/dist/index.js")).href);

// Generous: a loaded machine starts Node and the plugins in about a second.
const LISTEN_TIMEOUT_MS = 30_000;
const LEASE_IN_FORCE = new Set(["bound", "renewed", "rebound"]);
const LEASE_GONE = new Set(["expired", "released", "failed", "detached"]);
const keyOf = (instance, device) => JSON.stringify([instance, device]);

/**
 * Starts `incusx daemon` in namespace `homeNs` (`ip netns exec` execs Node
 * in place, so the child's pid is the daemon's) on `stateDir`, and resolves
 * once its socket accepts requests and its event stream is open:
 * `{ pid, socket, configFile, spawnedToReadyMs, exited, stderr(), request(op), kill(signal) }`.
 * `request` takes runtime-runner.mjs's ops (attach, detach, restore, gc,
 * list, exit) and answers in its shapes; `gc` cannot force a collection in
 * the daemon and reports the RSS as it is (`gcForced: false`); `exit`
 * sends SIGTERM, rejects unless the daemon exits 0, and says whether it
 * removed its socket (`socketRemoved`).
 */
export async function startDaemonRunner({ homeNs, stateDir, dns = false }) {
  const dir = mkdtempSync(join(tmpdir(), "incusx-daemon-"));
  const socket = join(dir, "daemon.sock");
  const configFile = join(dir, "host.json");
  const plugins = ["dhcpv4", "dhcpv6", ...(dns ? ["dns"] : [])].map((id) => ({ module: join(root, "plugins", id) }));
  writeFileSync(configFile, JSON.stringify({ stateDir, plugins }, null, 2) + "\n");

  const spawnedAt = performance.now();
  // INCUSX_RUNNER_NODE_OPTIONS: extra Node flags for the daemon, as for runtime-runner.mjs.
  const nodeFlags = (process.env.INCUSX_RUNNER_NODE_OPTIONS ?? "").split(" ").filter(Boolean);
  const child = spawn("ip", ["netns", "exec", homeNs, process.execPath, ...nodeFlags, cli, "daemon", "--config", configFile, "--socket", socket], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  let announced;
  const listening = new Promise((resolve) => (announced = resolve));
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    stderr += chunk;
    if (stderr.includes("incusx: daemon listening on")) announced();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
  });
  // Whether the daemon removed its socket itself (as it does on SIGTERM) is read before the temp dir goes.
  let socketLeft = false;
  const exited = new Promise((resolve) => child.on("close", (code, signal) => resolve(code ?? signal))).then((code) => {
    socketLeft = existsSync(socket);
    rmSync(dir, { recursive: true, force: true });
    return code;
  });
  let timer;
  try {
    await Promise.race([
      listening,
      exited.then((code) => {
        throw new Error(`incusx daemon exited (${code}) before it listened: ${stderr.slice(-2000)}`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`incusx daemon did not listen within ${LISTEN_TIMEOUT_MS} ms: ${stderr.slice(-2000)}`)), LISTEN_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  } finally {
    clearTimeout(timer);
  }

  // One connection per request, closed after the answer: idle keep-alive connections would count as the daemon's fds.
  const client = new DaemonClient(socket, { agent: false });
  // Families in force per NIC, kept from the event stream; waiters checked on each change.
  const bound = new Map();
  const waiters = new Set();
  const stream = await client.events(onEvent, ["lease"]).catch(async (error) => {
    // Nobody would stop a daemon this function did not hand back.
    child.kill("SIGKILL");
    await exited;
    throw error;
  });
  function onEvent(event) {
    if (event.type !== "lease") return;
    const { instance, device, kind, family } = event.metadata;
    const key = keyOf(instance, device);
    if (LEASE_IN_FORCE.has(kind)) {
      if (!bound.has(key)) bound.set(key, new Set());
      bound.get(key).add(family);
    } else if (LEASE_GONE.has(kind)) bound.get(key)?.delete(family);
    else return;
    const now = performance.now();
    for (const waiter of waiters) {
      if (waiter.key === key && waiter.families.every((f) => bound.get(key)?.has(f))) {
        waiters.delete(waiter);
        waiter.resolve(now);
      }
    }
  }
  const readyAt = performance.now();

  // Asked for just before a NIC's attach: what an earlier attach of it left counts no more.
  function boundAt(instance, device, families, timeoutMs) {
    bound.delete(keyOf(instance, device));
    return new Promise((resolve, reject) => {
      const waiter = { key: keyOf(instance, device), families, resolve: (at) => (clearTimeout(timer), resolve(at)) };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        client.nic(instance, device).then(
          (nic) => reject(new Error(`${instance}/${device}: not bound (${families.join("+")}) within ${timeoutMs} ms: ${JSON.stringify(nic.families)}`)),
          (error) => reject(new Error(`${instance}/${device}: not bound (${families.join("+")}) within ${timeoutMs} ms: ${error.message}`)),
        );
      }, timeoutMs);
      waiters.add(waiter);
    });
  }

  const ops = {
    attach({ nics, timeoutMs }) {
      return attachAll(nics, {
        timeoutMs,
        boundAt,
        attach: ({ resolvConf, ...spec }) => client.attach({ ...spec, ...(resolvConf === undefined ? {} : { resolv_conf: resolvConf }) }),
      });
    },
    detach({ nics, release = false }) {
      return detachAll(nics, (instance, device) => client.detach(instance, device, { release }));
    },
    // The daemon re-adopts its NICs by itself when it starts (before it listens): wait until `expect` are bound.
    async restore({ expect = 0, timeoutMs = 30_000 }) {
      const start = performance.now();
      for (;;) {
        const nics = await client.list();
        const all = nics.filter((nic) => nic.families.length > 0 && nic.families.every((f) => f.state === "bound")).length;
        if (all >= expect) return { restored: nics.length, restoredMs: 0, allBoundMs: performance.now() - start };
        if (performance.now() - start > timeoutMs) throw new Error(`${all} of ${expect} NICs bound ${timeoutMs} ms after the daemon listened`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async gc() {
      return { rssKiB: rssOf(child.pid), gcForced: false };
    },
    async list() {
      const nics = await client.list();
      return { attached: nics.length, bound: nics.reduce((sum, nic) => sum + nic.families.filter((f) => f.state === "bound").length, 0) };
    },
    async exit() {
      stream.close();
      child.kill("SIGTERM");
      const code = await exited;
      if (code !== 0) throw new Error(`incusx daemon exited with ${code} after SIGTERM: ${stderr.slice(-2000)}`);
      return { code, socketRemoved: !socketLeft };
    },
  };

  return {
    pid: child.pid,
    socket,
    configFile,
    client,
    spawnedToReadyMs: readyAt - spawnedAt,
    exited,
    stderr: () => stderr,
    async request(op) {
      const run = ops[op.op];
      if (run === undefined) throw new Error(`unknown op ${JSON.stringify(op.op)}`);
      return { ok: true, ...(await run(op)) };
    },
    kill(signal = "SIGTERM") {
      stream.close();
      child.kill(signal);
      return exited;
    },
  };
}

function rssOf(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
}
