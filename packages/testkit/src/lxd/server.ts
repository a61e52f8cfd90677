import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { holdNamespaces, releaseNamespaces } from "../netns/held-namespaces.js";
import {
  cleanupStaleTestNamespaces,
  DEFAULT_NETNS_PREFIX,
  killProcessesIn,
  NETNS_RUN_DIR,
  networkBaseName,
  nextNetworkNumber,
  TEMP_DIR_PREFIX,
} from "../netns/namespaces.js";
import { run, runChecked, spawnProcess, type TestProcess } from "../netns/processes.js";
import { rootAvailable } from "../netns/test-network.js";
import { waitFor } from "../netns/wait.js";
import { lxdRequest, subscribeLxdEvents, type LxdEventOptions, type LxdEventStream, type LxdResponse } from "./rest.js";

/** The bridge network the harness creates (a name short enough for a Linux interface). */
export const LXD_TEST_BRIDGE = "ixbr0";
/** The bridge's IPv4 address (RFC 5737 TEST-NET-3). */
export const LXD_TEST_IPV4 = "203.0.113.1/24";
/** The bridge's IPv6 address (RFC 3849 documentation prefix). */
export const LXD_TEST_IPV6 = "2001:db8:7::1/64";
/** The `dir` storage pool the harness creates and puts in the default profile's root disk. */
export const LXD_TEST_POOL = "default";

const TOOL_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Options of {@link startLxd}. */
export interface LxdTestOptions {
  /** Namespace name prefix, as `createTestNetwork`'s (default `incusx-t`); the name is `<prefix><pid>-<n>-lxd`. */
  readonly prefix?: string;
  /** Extra config of the bridge network (`dns.domain`, ...), on top of the harness's addresses with NAT and firewall off. */
  readonly bridgeConfig?: Readonly<Record<string, string>>;
  /** How long LXD may take to answer `/1.0` (default 60 000 ms: other tests load the machine). */
  readonly startTimeoutMs?: number;
}

/** One port of a network forward or load balancer, as the `/1.0` API spells it. */
export interface LxdForwardPort {
  /** `tcp` or `udp`. */
  readonly protocol: "tcp" | "udp";
  /** A port, a range or a comma list (`80`, `8000-8010`). */
  readonly listen_port: string;
  /** Where the port goes (a forward's target address). */
  readonly target_address: string;
  /** Target port(s); the listen ports when absent. */
  readonly target_port?: string;
  /** Free text. */
  readonly description?: string;
}

/** What {@link LxdTestServer.createForward} creates besides the listen address. */
export interface LxdForwardOptions {
  /** The network (default the harness's bridge). */
  readonly network?: string;
  /** Default target of every port not listed in `ports` (`config.target_address`). */
  readonly targetAddress?: string;
  /** Port rules. */
  readonly ports?: readonly LxdForwardPort[];
  /** Free text. */
  readonly description?: string;
}

/** What {@link LxdTestServer.createInstance} creates: a container without a root filesystem image. */
export interface LxdInstanceOptions {
  /** Devices of the instance itself (NICs: `{ eth0: { type: "nic", network: "ixbr0", "ipv4.address": "203.0.113.20" } }`). */
  readonly devices?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Instance config (`user.*`, ...). */
  readonly config?: Readonly<Record<string, string>>;
  /** Profiles (default `["default"]`, which holds only the root disk). */
  readonly profiles?: readonly string[];
  /** Project (default `default`); see {@link LxdTestServer.createProject}. */
  readonly project?: string;
}

/** What {@link LxdTestServer.leftovers} finds of a server after `stop()`: all empty when it cleaned up. */
export interface LxdLeftovers {
  /** Whether the namespace's name still exists under /run/netns. */
  readonly namespace: boolean;
  /** Live (not zombie) processes in the namespace or naming LXD_DIR on their command line. */
  readonly processes: readonly { pid: number; command: string }[];
  /** Mount points under LXD_DIR in any mount namespace (`/proc/PID/mountinfo`). */
  readonly mounts: readonly string[];
  /** Whether LXD_DIR still exists. */
  readonly dir: boolean;
}

/**
 * A real LXD daemon (Debian 12's LXD 5.0) in a network namespace of its
 * own, with its own `LXD_DIR`: a `dir` storage pool, a bridge on
 * documentation addresses with NAT and firewall off, and nothing that can
 * reach beyond the namespace (it has no route out). Call `stop()` in
 * `afterEach`/`finally`; {@link withLxd} does it for you.
 */
export interface LxdTestServer {
  /** The network namespace LXD, its dnsmasq and every helper it starts live in. */
  readonly ns: string;
  /** `LXD_DIR`: database, unix socket, storage, logs (`lxd.log`). */
  readonly dir: string;
  /** The daemon's unix socket (`LXD_DIR/unix.socket`): what a provider connects to. */
  readonly socketPath: string;
  /** The bridge network's name. */
  readonly bridge: string;
  /** The storage pool's name. */
  readonly pool: string;
  /** `server_version` of `GET /1.0` (`5.0.2` on Debian 12). */
  readonly version: string;
  /** `api_extensions` of `GET /1.0`. */
  readonly apiExtensions: readonly string[];
  /** Whether the server has the `network_load_balancer` API extension (LXD 5.0 has not). */
  readonly supportsLoadBalancers: boolean;
  /** The daemon's process id, or `undefined` while it is stopped. */
  pid(): number | undefined;
  /** Runs the `lxc` client against this server (`LXD_DIR` set; stdin is `input` or empty); resolves with stdout, rejects with stderr. */
  lxc(args: readonly string[], options?: { input?: string }): Promise<string>;
  /** `GET path` over the unix socket; resolves with `metadata`. */
  get<T = unknown>(path: string): Promise<T>;
  /** Any request over the unix socket; resolves with the whole envelope. */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<LxdResponse<T>>;
  /** Opens a websocket on `/1.0/events?type=...` (default lifecycle; `options` pick projects). */
  events(types?: readonly string[], options?: LxdEventOptions): Promise<LxdEventStream>;
  /** `lxc network forward create NETWORK LISTEN` with the rest as YAML on stdin (ports, description, default target). */
  createForward(listenAddress: string, options?: LxdForwardOptions): Promise<void>;
  /**
   * `POST /1.0/networks/NETWORK/load-balancers`. LXD has load balancers only
   * on OVN networks and only from 5.x releases after 5.0 (API extension
   * `network_load_balancer`); on LXD 5.0 this rejects saying so, without
   * asking the server.
   */
  createLoadBalancer(listenAddress: string, body?: Readonly<Record<string, unknown>>, network?: string): Promise<void>;
  /** `lxc init --empty NAME` with devices, config and profiles as YAML on stdin: no image, nothing downloaded. */
  createInstance(name: string, options?: LxdInstanceOptions): Promise<void>;
  /** `lxc delete --force NAME` (in `project`, default `default`). */
  deleteInstance(name: string, project?: string): Promise<void>;
  /**
   * `lxc project create NAME`, by default sharing the default project's
   * images, profiles, networks and storage volumes (every `features.*`
   * false), so its instances use the harness's bridge and pool.
   */
  createProject(name: string, config?: Readonly<Record<string, string>>): Promise<void>;
  /** Stops the daemon alone (`SIGTERM`, a clean shutdown, or `SIGKILL`, a crash); its dnsmasq keeps running as LXD leaves it. */
  stopDaemon(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts the daemon again on the same `LXD_DIR` and waits until it answers. */
  startDaemon(): Promise<void>;
  /** `stopDaemon(signal)` then `startDaemon()`: the event websocket closes and a client must reconnect. */
  restart(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** What is left of this server (namespace, processes, mounts, directory); for tests of the harness's own cleanup. */
  leftovers(): LxdLeftovers;
  /**
   * Kills LXD and everything in its namespace (dnsmasq, forkdns,
   * forkproxy), unmounts what is left under `LXD_DIR`, deletes the
   * namespace and `LXD_DIR`; harmless twice.
   */
  stop(): Promise<void>;
}

/** Why {@link startLxd} cannot run here (not root, LXD or a firewall tool missing), or `undefined` when it can. */
export function lxdSkipReason(): string | undefined {
  if (!rootAvailable()) return "needs root (network namespaces, LXD)";
  const has = (tool: string): boolean => TOOL_DIRS.some((dir) => existsSync(join(dir, tool)));
  for (const tool of ["lxd", "lxc", "ip"]) if (!has(tool)) return `"${tool}" is not installed (Debian packages lxd, lxd-client, iproute2)`;
  if (!has("nft") && !has("iptables")) return "neither nft nor iptables is installed (LXD needs one; Debian package nftables)";
  return undefined;
}

let cleanedUp: Promise<unknown> | undefined;

/**
 * Starts an {@link LxdTestServer}: creates a namespace (`<prefix><pid>-<n>-lxd`)
 * and a temporary `LXD_DIR`, runs `ip netns exec NS lxd --group root`
 * there, waits until its unix socket answers `GET /1.0` and LXD says it is
 * ready, then creates the `dir` pool and the bridge. `ip netns exec` gives
 * LXD a mount namespace of its own whose mounts never propagate back, so
 * its `shmounts` and `devlxd` tmpfs vanish with its processes. A failed
 * start cleans up itself. Needs root and Debian's lxd and nftables.
 *
 * @example
 * const lxd = await startLxd();
 * try {
 *   await lxd.createForward("198.51.100.10", { targetAddress: "203.0.113.10" });
 *   await lxd.get("/1.0/networks/ixbr0/forwards?recursion=1");
 * } finally {
 *   await lxd.stop();
 * }
 */
export async function startLxd(options: LxdTestOptions = {}): Promise<LxdTestServer> {
  const reason = lxdSkipReason();
  if (reason !== undefined) throw new Error(`Cannot start LXD: ${reason}`);
  const prefix = options.prefix ?? DEFAULT_NETNS_PREFIX;
  cleanedUp ??= cleanupStaleTestNamespaces(prefix).catch(() => []);
  await cleanedUp;

  const dir = mkdtempSync(join(tmpdir(), `${TEMP_DIR_PREFIX}${process.pid}-`));
  const record = holdNamespaces(dir);
  let ns = "";
  try {
    for (let attempt = 0; ; attempt++) {
      const name = `${networkBaseName(prefix, process.pid, nextNetworkNumber())}-lxd`;
      const created = await run(["ip", "netns", "add", name]);
      if (created.code !== 0) {
        if (/exists/i.test(created.stderr) && attempt < 100) continue;
        throw new Error(`Failed to create network namespace "${name}": ${created.stderr.trim()}`);
      }
      ns = name;
      record.namespaces.push(ns);
      break;
    }
    await runChecked(["ip", "-n", ns, "link", "set", "lo", "up"]);
  } catch (error) {
    await releaseNamespaces(record);
    throw error;
  }
  const nsInode = statSync(join(NETNS_RUN_DIR, ns)).ino;
  const socketPath = join(dir, "unix.socket");
  const env = { LXD_DIR: dir, LXD_CONF: join(dir, "client") };
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;

  let daemon: DaemonHandle | undefined;
  const startDaemon = async (): Promise<void> => {
    if (daemon !== undefined) throw new Error("LXD is already running");
    const proc = spawnProcess(["ip", "netns", "exec", ns, "lxd", "--group", "root", "--logfile", join(dir, "lxd.log")], env);
    let code: number | undefined;
    const child: DaemonHandle = { process: proc, exitCode: () => code };
    daemon = child;
    record.processes.add(proc);
    void proc.exited().then((exitCode) => {
      code = exitCode;
      record.processes.delete(proc);
      if (daemon === child) daemon = undefined;
    });
    await waitFor(
      async () => {
        if (child.exitCode() !== undefined) return true;
        try {
          await lxdRequest(socketPath, "GET", "/1.0", undefined, 5_000);
          // LXD answers /1.0 before its networks and storage are up; /internal/ready says when they are.
          await lxdRequest(socketPath, "GET", "/internal/ready", undefined, 5_000);
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: startTimeoutMs, intervalMs: 50, message: `LXD in namespace "${ns}" did not answer GET /1.0` },
    );
    const exited = child.exitCode();
    if (exited !== undefined) {
      throw new Error(`LXD exited with code ${exited} while starting: ${child.process.stderr().trim()} ${readTail(join(dir, "lxd.log"))}`);
    }
  };
  const stopDaemon = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> => {
    const child = daemon;
    if (child === undefined) return;
    child.process.child.kill(signal);
    await waitFor(() => child.exitCode() !== undefined, { timeoutMs: 30_000, message: `LXD did not exit on ${signal}` }).catch(async (error) => {
      child.process.child.kill("SIGKILL");
      await child.process.exited();
      throw error;
    });
    daemon = undefined;
  };

  const lxc = (args: readonly string[], lxcOptions: { input?: string } = {}): Promise<string> =>
    // lxc reads YAML from a stdin that is not a terminal: always give it one that ends.
    runChecked(["lxc", ...args], { env, input: lxcOptions.input ?? "", timeoutMs: 60_000 });
  const request = <T>(method: string, path: string, body?: unknown): Promise<LxdResponse<T>> => lxdRequest<T>(socketPath, method, path, body);
  const get = async <T>(path: string): Promise<T> => (await request<T>("GET", path)).metadata;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      // SIGKILL to everything in the namespace at once: LXD, dnsmasq, forkdns, forkproxy.
      killProcessesIn([ns]);
      const child = daemon;
      if (child !== undefined) await child.process.exited();
      const lingering = await waitFor(() => livePids(nsInode, dir).length === 0, {
        timeoutMs: 20_000,
        message: `Processes of LXD in "${ns}" did not exit`,
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      await unmountUnder(dir);
      await releaseNamespaces(record);
      // The namespace and directory are gone either way; a process that would not die is still reported.
      if (lingering !== undefined) throw lingering;
    })());

  try {
    await startDaemon();
    const root = await get<{ api_extensions?: string[]; environment?: { server_version?: string } }>("/1.0");
    await lxc(["storage", "create", LXD_TEST_POOL, "dir"]);
    await lxc(["profile", "device", "add", "default", "root", "disk", "path=/", `pool=${LXD_TEST_POOL}`]);
    const bridgeConfig = {
      "ipv4.address": LXD_TEST_IPV4,
      "ipv4.nat": "false",
      "ipv4.firewall": "false",
      "ipv6.address": LXD_TEST_IPV6,
      // Lets NICs take a static `ipv6.address`, as they can on IPv4.
      "ipv6.dhcp.stateful": "true",
      "ipv6.nat": "false",
      "ipv6.firewall": "false",
      ...options.bridgeConfig,
    };
    await lxc(["network", "create", LXD_TEST_BRIDGE, ...Object.entries(bridgeConfig).map(([key, value]) => `${key}=${value}`)]);
    const apiExtensions = root.api_extensions ?? [];
    const version = root.environment?.server_version ?? "unknown";
    const supportsLoadBalancers = apiExtensions.includes("network_load_balancer");
    return {
      ns,
      dir,
      socketPath,
      bridge: LXD_TEST_BRIDGE,
      pool: LXD_TEST_POOL,
      version,
      apiExtensions,
      supportsLoadBalancers,
      pid: () => daemon?.process.child.pid,
      lxc,
      get,
      request,
      events: (types = ["lifecycle"], eventOptions = {}) => subscribeLxdEvents(socketPath, types, eventOptions),
      async createForward(listenAddress, forward = {}) {
        const body = {
          description: forward.description ?? "",
          config: forward.targetAddress === undefined ? {} : { target_address: forward.targetAddress },
          ports: forward.ports ?? [],
        };
        await lxc(["network", "forward", "create", forward.network ?? LXD_TEST_BRIDGE, listenAddress], { input: JSON.stringify(body) });
      },
      async createLoadBalancer(listenAddress, body = {}, network = LXD_TEST_BRIDGE) {
        if (!supportsLoadBalancers) {
          throw new Error(`LXD ${version} has no network load balancers (API extension "network_load_balancer" is missing)`);
        }
        const response = await request("POST", `/1.0/networks/${encodeURIComponent(network)}/load-balancers`, { listen_address: listenAddress, ...body });
        if (response.type === "async" && response.operation) await request("GET", `${response.operation}/wait`);
      },
      async createInstance(name, instance = {}) {
        const body = { devices: instance.devices ?? {}, config: instance.config ?? {} };
        const profiles = instance.profiles ?? ["default"];
        const profileArgs = profiles.length === 0 ? ["--no-profiles"] : profiles.flatMap((profile) => ["--profile", profile]);
        // JSON is YAML: lxc init merges it into the new instance.
        const projectArgs = instance.project === undefined ? [] : ["--project", instance.project];
        await lxc(["init", "--empty", name, ...profileArgs, ...projectArgs], { input: JSON.stringify(body) });
      },
      async deleteInstance(name, project) {
        await lxc(["delete", "--force", name, ...(project === undefined ? [] : ["--project", project])]);
      },
      async createProject(name, config = {}) {
        const shared = {
          "features.images": "false",
          "features.profiles": "false",
          "features.networks": "false",
          "features.storage.volumes": "false",
          ...config,
        };
        await lxc(["project", "create", name, ...Object.entries(shared).flatMap(([key, value]) => ["--config", `${key}=${value}`])]);
      },
      stopDaemon,
      startDaemon,
      async restart(signal = "SIGTERM") {
        await stopDaemon(signal);
        await startDaemon();
      },
      leftovers: () => lxdLeftovers(ns, nsInode, dir),
      stop,
    };
  } catch (error) {
    // The start's own error is the one worth seeing.
    await stop().catch(() => undefined);
    throw error;
  }
}

/**
 * Runs `body` with a fresh {@link LxdTestServer} and stops it afterwards,
 * whether `body` resolved or threw.
 *
 * @example
 * await withLxd(async (lxd) => {
 *   await lxd.createInstance("c1", { devices: { eth0: { type: "nic", network: lxd.bridge } } });
 * });
 */
export async function withLxd<T>(body: (lxd: LxdTestServer) => Promise<T>, options: LxdTestOptions = {}): Promise<T> {
  const lxd = await startLxd(options);
  try {
    return await body(lxd);
  } finally {
    await lxd.stop();
  }
}

/** The daemon with its exit code known synchronously. */
interface DaemonHandle {
  readonly process: TestProcess;
  exitCode(): number | undefined;
}

function readTail(path: string): string {
  try {
    return readFileSync(path, "utf8").slice(-2_000);
  } catch {
    return "";
  }
}

/** Pids of live processes in the namespace with inode `nsInode`, or naming `dir` on their command line. */
function livePids(nsInode: number, dir: string): { pid: number; command: string }[] {
  const netns = `net:[${nsInode}]`;
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let command: string;
    let inNamespace = false;
    try {
      // A zombie has an empty command line and no namespace links: it is gone already.
      command = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      if (command === "") continue;
      try {
        inNamespace = readlinkSync(`/proc/${entry}/ns/net`) === netns;
      } catch {
        inNamespace = false;
      }
    } catch {
      continue;
    }
    if (inNamespace || command.includes(dir)) found.push({ pid: Number(entry), command });
  }
  return found;
}

/** Mount points under `dir` in any process's mount namespace. */
function mountsUnder(dir: string, pids: readonly string[]): string[] {
  const points = new Set<string>();
  const seen = new Set<string>();
  for (const pid of pids) {
    let mnt: string;
    let info: string;
    try {
      mnt = readlinkSync(`/proc/${pid}/ns/mnt`);
      if (seen.has(mnt)) continue;
      info = readFileSync(`/proc/${pid}/mountinfo`, "utf8");
    } catch {
      continue;
    }
    seen.add(mnt);
    for (const line of info.split("\n")) {
      const point = line.split(" ")[4];
      if (point !== undefined && (point === dir || point.startsWith(`${dir}/`))) points.add(point);
    }
  }
  return [...points];
}

/** Unmounts (lazily, deepest first) whatever is mounted under `dir` in this process's mount namespace. */
async function unmountUnder(dir: string): Promise<void> {
  const points = mountsUnder(dir, ["self"]).sort((a, b) => b.length - a.length);
  for (const point of points) await run(["umount", "-l", point]);
}

/** What is left of the LXD of namespace `ns` (inode `nsInode`, kept for after its name is gone) and `dir`. */
export function lxdLeftovers(ns: string, nsInode: number, dir: string): LxdLeftovers {
  const pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  return {
    namespace: readdirSync(NETNS_RUN_DIR).includes(ns),
    processes: livePids(nsInode, dir),
    mounts: mountsUnder(dir, pids),
    dir: existsSync(dir),
  };
}
