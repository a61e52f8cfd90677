import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NamespacedDnsmasq, networkDnsmasqConfig, type TestDnsmasq } from "./dnsmasq.js";
import { holdNamespaces, inParallel, releaseNamespaces } from "./held-namespaces.js";
import { cleanupStaleTestNamespaces, DEFAULT_NETNS_PREFIX, NETNS_RUN_DIR, networkBaseName, nextNetworkNumber, TEMP_DIR_PREFIX } from "./namespaces.js";
import { run, runChecked, spawnProcess, type ExecOptions, type ExecResult, type TestProcess } from "./processes.js";
import { rootAvailable, type IpAddressJson, type TestNetworkOptions } from "./test-network.js";
import { waitFor, type WaitForOptions } from "./wait.js";

/** Most containers one {@link BridgedNetwork} holds: the DHCPv4 range has 241 addresses, the rest is room for peer clients. */
export const MAX_BRIDGED_CONTAINERS = 220;

/** The MAC of `br0`, fixed so that adding ports never changes it. */
export const BRIDGE_MAC = "02:1c:ff:ff:ff:01";

// How many `ip` commands run at once while building or tearing down: enough
// to be quick, few enough not to crowd a small machine shared with others.
const PARALLEL = 8;

/**
 * Options of {@link createBridgedNetwork}: those of a two-namespace test
 * network that apply (prefix, dnsmasq arguments, families, lease time,
 * links up), and how many containers. The ranges are wider: DHCPv4
 * 192.0.2.10 to 192.0.2.250, stateful DHCPv6 2001:db8:1::1000 to ::ffff.
 */
export interface BridgedNetworkOptions extends Pick<TestNetworkOptions, "prefix" | "dnsmasqArgs" | "v4" | "v6" | "leaseTime" | "logDhcp" | "containerLinkUp"> {
  /** How many container namespaces, 1 to {@link MAX_BRIDGED_CONTAINERS}. */
  readonly containers: number;
  /**
   * How the server namespace knows each container's link-layer address for
   * IPv6: `"learned"` (default) as any host does, from neighbour discovery;
   * `"pinned"` gives every `eth0` a fixed MAC (`BridgedContainer.mac`) and
   * puts its EUI-64 link-local address in the server's neighbour table as a
   * permanent entry on `br0`. dnsmasq looks up the sender of every DHCPv6
   * message there and, when it is missing, sends a neighbour solicitation
   * and sleeps 100 ms (single-threaded: every client waits). Learned entries
   * of 200 containers do not survive on a machine with the kernel's default
   * neighbour table size (gc_thresh3 1024, shared by all namespaces): the
   * containers' own entries push them out, so a burst of 200 Solicits costs
   * dnsmasq up to 20 s of sleep. A host serving that many containers raises
   * the table size; a test on a shared machine cannot, so benchmarks pin.
   */
  readonly serverNeighbours?: "learned" | "pinned";
}

/**
 * The MAC of container `index`'s `eth0` in a network built with
 * `serverNeighbours: "pinned"`: locally administered, unique in the network.
 */
export function containerMac(index: number): string {
  const hex = index.toString(16).padStart(4, "0");
  return `02:1c:00:00:${hex.slice(0, 2)}:${hex.slice(2)}`;
}

/**
 * The EUI-64 link-local address the kernel gives a link with `mac`
 * (RFC 4291 appendix A: the universal/local bit inverted, ff:fe inserted),
 * as `ip` prints it.
 */
export function eui64LinkLocal(mac: string): string {
  const b = mac.split(":").map((x) => Number.parseInt(x, 16));
  if (b.length !== 6 || b.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new RangeError(`Not a MAC address: ${mac}`);
  const words = [((b[0]! ^ 0x02) << 8) | b[1]!, (b[2]! << 8) | 0xff, 0xfe00 | b[3]!, (b[4]! << 8) | b[5]!];
  return `fe80::${words.map((w) => w.toString(16)).join(":")}`.replace(/^fe80::(0:)+/, "fe80::");
}

/** One container of a {@link BridgedNetwork}. */
export interface BridgedContainer {
  /** Its position, 0 to `containers - 1`. */
  readonly index: number;
  /** Namespace name (`<prefix><pid>-<n>-c<index>`). */
  readonly ns: string;
  /** Namespace path (`/run/netns/...`), for `--netns` and a runtime's attach. */
  readonly nsPath: string;
  /** Its interface, a port of the bridge. */
  readonly iface: "eth0";
  /** The bridge port in the server namespace that is the other end of `eth0`. */
  readonly port: string;
  /** The MAC of `eth0` when the network pins it (`serverNeighbours: "pinned"`), else `undefined` (the kernel's random one). */
  readonly mac?: string;
  /** A directory of its own (mode 755) for its resolv.conf, leases, scripts. */
  readonly dir: string;
}

/**
 * Many container namespaces on one bridge: a "server" namespace holds the
 * bridge `br0` (192.0.2.1/24, 2001:db8:1::1/64) with one dnsmasq serving
 * DHCPv4, DHCPv6 and router advertisements on it (`--no-ping`, ranges
 * wide enough for every container), and each container's `eth0` is the
 * far end of a veth pair whose near end is a bridge port. Built for
 * benchmarks and tests of one process serving many namespaces; call
 * `destroy()` in `finally` so it goes, also on failure.
 */
export interface BridgedNetwork {
  /** Name of the server namespace (bridge and dnsmasq). */
  readonly serverNs: string;
  /**
   * Name of an empty namespace (only `lo`, up): where to run the process
   * under test, so that a runner that ignored a NIC's namespace would find
   * no interface of the machine to configure.
   */
  readonly homeNs: string;
  /** The bridge, in the server namespace. */
  readonly bridge: "br0";
  /** The containers, in order. */
  readonly containers: readonly BridgedContainer[];
  /** The network's temporary directory (dnsmasq files; each container's directory is inside). */
  readonly dir: string;
  /** The dnsmasq on the bridge. */
  readonly dnsmasq: TestDnsmasq;
  /** Runs `argv` in namespace `ns` (a name), without a shell; never rejects on a non-zero exit. */
  exec(ns: string, argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Starts any command in namespace `ns`; `destroy()` kills it. */
  spawn(ns: string, argv: readonly string[]): TestProcess;
  /** The addresses of `iface` in namespace `ns`, as `ip -json addr show` prints them. */
  addresses(ns: string, iface: string): Promise<IpAddressJson[]>;
  /** Resolves once every container's `eth0` (up) has a link-local IPv6 address past DAD. */
  linkLocalReady(options?: WaitForOptions): Promise<void>;
  /** Waits for a condition; see {@link waitFor}. */
  waitFor<T>(check: () => T | Promise<T>, options?: WaitForOptions): Promise<NonNullable<T>>;
  /** Kills dnsmasq and every started process, deletes every namespace and the temporary directory; idempotent. */
  destroy(): Promise<void>;
}

/**
 * Creates a {@link BridgedNetwork} of `options.containers` namespaces. Uses
 * documentation addresses only and touches nothing outside the namespaces
 * it creates. Needs root.
 *
 * @example
 * const net = await createBridgedNetwork({ containers: 200 });
 * try {
 *   for (const c of net.containers) await runtime.attach({ instance: `c${c.index}`, device: "eth0", netns: c.nsPath, interface: c.iface });
 * } finally {
 *   await net.destroy();
 * }
 */
export async function createBridgedNetwork(options: BridgedNetworkOptions): Promise<BridgedNetwork> {
  if (!rootAvailable()) throw new Error("Creating a bridged test network needs root (network namespaces, veth pairs)");
  const count = options.containers;
  if (!Number.isInteger(count) || count < 1 || count > MAX_BRIDGED_CONTAINERS) {
    throw new RangeError(`A bridged test network holds 1 to ${MAX_BRIDGED_CONTAINERS} containers, not ${String(count)}`);
  }
  const prefix = options.prefix ?? DEFAULT_NETNS_PREFIX;
  await cleanupStaleTestNamespaces(prefix).catch(() => []);

  const dir = mkdtempSync(join(tmpdir(), `${TEMP_DIR_PREFIX}${process.pid}-`));
  // dnsmasq drops to an unprivileged user and must still reach its files.
  chmodSync(dir, 0o755);
  const record = holdNamespaces(dir);
  const destroyHeld = (): Promise<void> => releaseNamespaces(record);

  let serverNs = "";
  let homeNs = "";
  let containers: BridgedContainer[] = [];
  try {
    let base = "";
    for (let attempt = 0; ; attempt++) {
      base = networkBaseName(prefix, process.pid, nextNetworkNumber());
      const created = await run(["ip", "netns", "add", `${base}-srv`]);
      if (created.code === 0) break;
      // A name held by another loader of this module in the same process: take the next number.
      if (!/exists/i.test(created.stderr) || attempt >= 100) {
        throw new Error(`Failed to create network namespace "${base}-srv": ${created.stderr.trim()}`);
      }
    }
    serverNs = `${base}-srv`;
    homeNs = `${base}-home`;
    record.namespaces.push(serverNs, homeNs);
    containers = Array.from({ length: count }, (_, index) => {
      const ns = `${base}-c${index}`;
      const own = join(dir, `c${index}`);
      mkdirSync(own, { mode: 0o755 });
      const mac = options.serverNeighbours === "pinned" ? { mac: containerMac(index) } : {};
      return { index, ns, nsPath: `${NETNS_RUN_DIR}/${ns}`, iface: "eth0" as const, port: `p${index}`, dir: own, ...mac };
    });
    // Held before they exist, so a half-done batch is still cleaned up.
    record.namespaces.unshift(...containers.map((c) => c.ns));
    const names = [homeNs, ...containers.map((c) => c.ns)];
    await runChecked(["ip", "-batch", "-"], { input: names.map((name) => `netns add ${name}\n`).join(""), timeoutMs: 60_000 });
    await runChecked(["ip", "-n", homeNs, "link", "set", "lo", "up"]);
    await setUpBridge(serverNs, containers, dir, options.containerLinkUp ?? true);
  } catch (error) {
    await destroyHeld();
    throw error;
  }

  const dnsmasq = new NamespacedDnsmasq(
    serverNs,
    networkDnsmasqConfig(options, { iface: "br0", dir, v4Range: ["192.0.2.10", "192.0.2.250"], v6Range: ["2001:db8:1::1000", "2001:db8:1::ffff"] }),
  );
  const addresses = async (ns: string, iface: string): Promise<IpAddressJson[]> => {
    const links = JSON.parse((await runChecked(["ip", "-n", ns, "-json", "addr", "show", "dev", iface])) || "[]") as { addr_info?: IpAddressJson[] }[];
    return links.flatMap((link) => link.addr_info ?? []);
  };
  let destroyed: Promise<void> | undefined;
  const network: BridgedNetwork = {
    serverNs,
    homeNs,
    bridge: "br0",
    containers,
    dir,
    dnsmasq,
    exec: (ns, argv, execOptions) => run(["ip", "netns", "exec", ns, ...argv], execOptions),
    spawn(ns, argv) {
      const child = spawnProcess(["ip", "netns", "exec", ns, ...argv]);
      record.processes.add(child);
      void child.exited().then(() => record.processes.delete(child));
      return child;
    },
    addresses,
    async linkLocalReady(waitOptions = {}) {
      const waiting = new Set(containers);
      await waitFor(
        async () => {
          await inParallel([...waiting], PARALLEL, async (c) => {
            const valid = (await addresses(c.ns, c.iface)).some((a) => a.family === "inet6" && a.scope === "link" && a.tentative !== true);
            if (valid) waiting.delete(c);
          });
          return waiting.size === 0;
        },
        { timeoutMs: 30_000, message: "Not every container's eth0 has a valid link-local address", ...waitOptions },
      );
    },
    waitFor,
    destroy() {
      destroyed ??= (async () => {
        await dnsmasq.stop();
        await destroyHeld();
      })();
      return destroyed;
    },
  };
  try {
    await dnsmasq.start();
  } catch (error) {
    await network.destroy();
    throw error;
  }
  return network;
}

// The bridge and every port in one `ip -batch` run in the server namespace
// (a few hundred commands, one process), then each container's links.
async function setUpBridge(serverNs: string, containers: readonly BridgedContainer[], dir: string, containerUp: boolean): Promise<void> {
  const sysctl = (...settings: string[]): Promise<string> => runChecked(["ip", "netns", "exec", serverNs, "sysctl", "-qw", ...settings]);
  // Inside the server namespace only: the bridge's addresses need no DAD, so dnsmasq can bind at once.
  await sysctl("net.ipv6.conf.default.accept_dad=0");
  const bridgeBatch = join(dir, "bridge.batch");
  writeFileSync(
    bridgeBatch,
    [
      "link set lo up",
      // No STP and no forward delay: a port forwards as soon as it is up. No
      // multicast snooping: DHCPv6 and RA multicast reach every port at once.
      // A MAC of its own: a bridge without one takes its lowest port's, and
      // every change as ports are added flushes its neighbour table, pinned
      // entries and what the server learned alike.
      `link add br0 address ${BRIDGE_MAC} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`,
      "addr add 192.0.2.1/24 dev br0",
      "addr add 2001:db8:1::1/64 dev br0 nodad",
      "link set br0 up",
      "",
    ].join("\n"),
  );
  await runChecked(["ip", "-n", serverNs, "-batch", bridgeBatch]);
  // Bridge ports need no IPv6 of their own (no link-local, no RA, no DAD traffic).
  await sysctl("net.ipv6.conf.default.disable_ipv6=1");
  const portsBatch = join(dir, "ports.batch");
  writeFileSync(
    portsBatch,
    containers
      .map((c) => {
        const address = c.mac === undefined ? "" : ` address ${c.mac}`;
        const pin = c.mac === undefined ? "" : `neigh replace ${eui64LinkLocal(c.mac)} lladdr ${c.mac} dev br0 nud permanent\n`;
        return `link add ${c.port} type veth peer name ${c.iface}${address} netns ${c.ns}\nlink set ${c.port} master br0 up\n${pin}`;
      })
      .join(""),
  );
  await runChecked(["ip", "-n", serverNs, "-batch", portsBatch], { timeoutMs: 60_000 });
  const containerBatch = join(dir, "container.batch");
  writeFileSync(containerBatch, containerUp ? "link set lo up\nlink set eth0 up\n" : "link set lo up\n");
  await inParallel(containers, PARALLEL, async (c) => {
    await runChecked(["ip", "-n", c.ns, "-batch", containerBatch]);
  });
}
