import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NamespacedDnsmasq, networkDnsmasqConfig, type DnsmasqV6Mode, type TestDnsmasq } from "./dnsmasq.js";
import { holdNamespaces, releaseNamespaces } from "./held-namespaces.js";
import {
  cleanupStaleTestNamespaces,
  DEFAULT_NETNS_PREFIX,
  NETNS_RUN_DIR,
  networkBaseName,
  nextNetworkNumber,
  TEMP_DIR_PREFIX,
} from "./namespaces.js";
import { nodeArgv } from "./node-script.js";
import { run, runChecked, spawnProcess, type ExecOptions, type ExecResult, type TestProcess } from "./processes.js";
import { waitFor, type WaitForOptions } from "./wait.js";

/** Options of {@link createTestNetwork}. */
export interface TestNetworkOptions {
  /** Namespace name prefix (default `incusx-t`); names are `<prefix><pid>-<n>-srv|ctr`. */
  readonly prefix?: string;
  /** Extra dnsmasq arguments, appended to the DESIGN.md command line. */
  readonly dnsmasqArgs?: readonly string[];
  /** Serve DHCPv4 (default `true`). */
  readonly v4?: boolean;
  /** Serve DHCPv6: `true`/`"stateful"` (default) for an address range, `"stateless"` for `ra-stateless`, `false` for none. */
  readonly v6?: boolean | DnsmasqV6Mode;
  /** Lease time of the ranges (default `1h`). */
  readonly leaseTime?: string;
  /** dnsmasq's `--log-dhcp` (default `true`; benchmarks turn it off, see `DnsmasqChoices.logDhcp`). */
  readonly logDhcp?: boolean;
  /** Start dnsmasq at once (default `true`); with `false`, call `dnsmasq.start()` when wanted. */
  readonly startDnsmasq?: boolean;
  /** Bring the container's `eth0` up (default `true`); `false` leaves it down for tests of link bring-up. */
  readonly containerLinkUp?: boolean;
}

/** Which side of a test network: its role, or the namespace's actual name. */
export type TestNamespace = "server" | "container" | (string & {});

/** One address as `ip -json addr show` prints it (`addr_info` entry). */
export interface IpAddressJson {
  /** `inet` or `inet6`. */
  readonly family: string;
  /** The address. */
  readonly local: string;
  /** Prefix length. */
  readonly prefixlen: number;
  /** `global`, `link`, `host`. */
  readonly scope?: string;
  /** Seconds left, 4294967295 for forever. */
  readonly valid_life_time?: number;
  /** Seconds left, 4294967295 for forever. */
  readonly preferred_life_time?: number;
  /** Flags (`tentative`, `dadfailed`, `dynamic`, ...) appear as `true` members. */
  readonly [key: string]: unknown;
}

/** One route as `ip -json route show` prints it. */
export interface IpRouteJson {
  /** Destination (`default`, `192.0.2.0/24`, a host address). */
  readonly dst: string;
  /** Next hop. */
  readonly gateway?: string;
  /** Metric. */
  readonly metric?: number;
  /** Other members (`protocol`, `scope`, `expires`, ...). */
  readonly [key: string]: unknown;
}

/**
 * A throwaway two-namespace network: a "server" namespace with dnsmasq on
 * `veth-srv` (192.0.2.1/24, 2001:db8:1::1/64) and a "container" namespace
 * whose `eth0` is the other end, with no address. Call `destroy()` in
 * `afterEach` (or `finally`) so it goes away even when the test fails.
 */
export interface TestNetwork {
  /** Name of the server namespace (`incusx-t<pid>-<n>-srv`). */
  readonly serverNs: string;
  /** Name of the container namespace (`incusx-t<pid>-<n>-ctr`). */
  readonly containerNs: string;
  /** Path of the container namespace (`/run/netns/...`), for `--netns` and `nsenter`. */
  readonly containerNsPath: string;
  /** The container's interface. */
  readonly iface: "eth0";
  /** The server's interface. */
  readonly serverIface: "veth-srv";
  /** The network's temporary directory (dnsmasq files, scripts' scratch space). */
  readonly dir: string;
  /** The dnsmasq of the server namespace. */
  readonly dnsmasq: TestDnsmasq;
  /** Runs `argv` in namespace `ns` (`ip netns exec`), without a shell; never rejects on a non-zero exit. */
  exec(ns: TestNamespace, argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * Runs a Node script in namespace `ns` and waits for it: the way to test
   * socket code, since one Node process cannot open sockets in another
   * namespace. A `.ts` script runs from source (workspace packages too).
   */
  runNode(ns: TestNamespace, scriptPath: string, args?: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Starts a Node script in namespace `ns` and returns at once (a responder); `destroy()` kills it. */
  spawnNode(ns: TestNamespace, scriptPath: string, args?: readonly string[]): TestProcess;
  /** Starts any command in namespace `ns`; `destroy()` kills it. */
  spawn(ns: TestNamespace, argv: readonly string[]): TestProcess;
  /** The addresses of `iface` in namespace `ns`, as `ip -json addr show` prints them. */
  addresses(ns: TestNamespace, iface: string): Promise<IpAddressJson[]>;
  /** The main-table routes of `iface` in namespace `ns` (`ip -json route show`), one family. */
  routes(ns: TestNamespace, iface: string, family?: "ipv4" | "ipv6"): Promise<IpRouteJson[]>;
  /** Waits for a condition; see {@link waitFor}. */
  waitFor<T>(check: () => T | Promise<T>, options?: WaitForOptions): Promise<NonNullable<T>>;
  /** Kills dnsmasq and every started process, deletes both namespaces and the temporary directory; idempotent. */
  destroy(): Promise<void>;
}

/**
 * Whether this process can build test networks (it runs as root). Tests
 * that need one skip otherwise, saying why.
 *
 * @example
 * describe.skipIf(!rootAvailable())("against dnsmasq (needs root)", () => { ... });
 */
export function rootAvailable(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

let cleanedUp: Promise<unknown> | undefined;

/**
 * Creates a {@link TestNetwork}: both namespaces, the veth pair, the server
 * addresses and dnsmasq, ready to serve. Touches nothing outside the
 * namespaces it creates (sysctls are set inside them; only documentation
 * addresses are used). Needs root.
 *
 * @example
 * let net: TestNetwork;
 * beforeEach(async () => { net = await createTestNetwork({ leaseTime: "2m" }) });
 * afterEach(() => net.destroy());
 * it("gets an address", async () => {
 *   await net.runNode("container", clientScript, [net.iface]);
 *   await net.waitFor(async () => (await net.addresses("container", "eth0")).some((a) => a.family === "inet6" && a.scope === "global"));
 * });
 */
export async function createTestNetwork(options: TestNetworkOptions = {}): Promise<TestNetwork> {
  if (!rootAvailable()) throw new Error("Creating a test network needs root (network namespaces, veth pairs)");
  const prefix = options.prefix ?? DEFAULT_NETNS_PREFIX;
  cleanedUp ??= cleanupStaleTestNamespaces(prefix).catch(() => []);
  await cleanedUp;

  const dir = mkdtempSync(join(tmpdir(), `${TEMP_DIR_PREFIX}${process.pid}-`));
  // dnsmasq drops to an unprivileged user and must still reach its files.
  chmodSync(dir, 0o755);
  const record = holdNamespaces(dir);
  const processes = record.processes;

  let serverNs = "";
  let containerNs = "";
  try {
    for (let attempt = 0; ; attempt++) {
      const base = networkBaseName(prefix, process.pid, nextNetworkNumber());
      const created = await run(["ip", "netns", "add", `${base}-srv`]);
      if (created.code !== 0) {
        // A name held by another loader of this module in the same process: take the next number.
        if (/exists/i.test(created.stderr) && attempt < 100) continue;
        throw new Error(`Failed to create network namespace "${base}-srv": ${created.stderr.trim()}`);
      }
      serverNs = `${base}-srv`;
      record.namespaces.push(serverNs);
      await runChecked(["ip", "netns", "add", `${base}-ctr`]);
      containerNs = `${base}-ctr`;
      record.namespaces.unshift(containerNs);
      break;
    }
    await setUpLinks(serverNs, containerNs, options.containerLinkUp ?? true);
  } catch (error) {
    await releaseNamespaces(record);
    throw error;
  }

  const dnsmasq = new NamespacedDnsmasq(serverNs, networkDnsmasqConfig(options, { iface: "veth-srv", dir }));
  const nsName = (ns: TestNamespace): string => (ns === "server" ? serverNs : ns === "container" ? containerNs : ns);
  const track = (child: TestProcess): TestProcess => {
    processes.add(child);
    void child.exited().then(() => processes.delete(child));
    return child;
  };
  let destroyed: Promise<void> | undefined;
  const network: TestNetwork = {
    serverNs,
    containerNs,
    containerNsPath: `${NETNS_RUN_DIR}/${containerNs}`,
    iface: "eth0",
    serverIface: "veth-srv",
    dir,
    dnsmasq,
    exec: (ns, argv, execOptions) => run(["ip", "netns", "exec", nsName(ns), ...argv], execOptions),
    runNode: (ns, scriptPath, args = [], execOptions) =>
      run(["ip", "netns", "exec", nsName(ns), ...nodeArgv(scriptPath, args, dir)], execOptions),
    spawnNode: (ns, scriptPath, args = []) => track(spawnProcess(["ip", "netns", "exec", nsName(ns), ...nodeArgv(scriptPath, args, dir)])),
    spawn: (ns, argv) => track(spawnProcess(["ip", "netns", "exec", nsName(ns), ...argv])),
    async addresses(ns, iface) {
      const links = JSON.parse((await runChecked(["ip", "-n", nsName(ns), "-json", "addr", "show", "dev", iface])) || "[]") as {
        addr_info?: IpAddressJson[];
      }[];
      return links.flatMap((link) => link.addr_info ?? []);
    },
    async routes(ns, iface, family = "ipv4") {
      const flag = family === "ipv6" ? "-6" : "-4";
      return JSON.parse((await runChecked(["ip", "-n", nsName(ns), "-json", flag, "route", "show", "dev", iface])) || "[]") as IpRouteJson[];
    },
    waitFor,
    destroy() {
      destroyed ??= (async () => {
        await dnsmasq.stop();
        // Deleting a namespace's name frees the namespace later, in the kernel's own time;
        // deleting the veth pair is done when the call returns: the container's eth0 is gone.
        await run(["ip", "-n", serverNs, "link", "del", "veth-srv"]);
        await releaseNamespaces(record);
      })();
      return destroyed;
    },
  };
  if (options.startDnsmasq ?? true) {
    try {
      await dnsmasq.start();
    } catch (error) {
      await network.destroy();
      throw error;
    }
  }
  return network;
}

async function setUpLinks(serverNs: string, containerNs: string, containerUp: boolean): Promise<void> {
  const inServer = (...args: string[]): Promise<string> => runChecked(["ip", "-n", serverNs, ...args]);
  const inContainer = (...args: string[]): Promise<string> => runChecked(["ip", "-n", containerNs, ...args]);
  await inServer("link", "add", "veth-srv", "type", "veth", "peer", "name", "eth0", "netns", containerNs);
  await inServer("link", "set", "lo", "up");
  await inContainer("link", "set", "lo", "up");
  // Inside the server namespace only: its addresses need no DAD, so dnsmasq can bind at once.
  await runChecked(["ip", "netns", "exec", serverNs, "sysctl", "-qw", "net.ipv6.conf.veth-srv.accept_dad=0"]);
  await inServer("addr", "add", "192.0.2.1/24", "dev", "veth-srv");
  await inServer("addr", "add", "2001:db8:1::1/64", "dev", "veth-srv", "nodad");
  await inServer("link", "set", "veth-srv", "up");
  if (containerUp) await inContainer("link", "set", "eth0", "up");
}
