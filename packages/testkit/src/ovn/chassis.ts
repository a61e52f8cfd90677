import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createTestNetwork, rootAvailable, type TestNetwork } from "../netns/test-network.js";
import type { TestProcess } from "../netns/processes.js";
import { OVN_NB_SCHEMA, OVN_SB_SCHEMA, ovsdbServerArgs, runTool, waitListening } from "../ovsdb/server.js";

/** Open vSwitch's own schema (Debian's openvswitch-common). */
const OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";

/** The MAC address the harness gives the container's `eth0` (RFC 7042 documentation range). */
export const OVN_TEST_CONTAINER_MAC = "00:00:5e:00:53:01";

/** The integration bridge, inside the chassis namespace only. */
const OVN_TEST_BRIDGE = "br-int";

/** The chassis name (`external_ids:system-id`) of the harness's ovn-controller. */
const OVN_TEST_CHASSIS = "incusx-test-chassis";

const TOOLS = ["ovsdb-server", "ovsdb-tool", "ovs-vswitchd", "ovs-vsctl", "ovn-northd", "ovn-controller", "ovn-nbctl", "ovn-sbctl"];
const TOOL_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Options of {@link startOvnChassis}. */
export interface OvnChassisOptions {
  /** Namespace name prefix, as `createTestNetwork`'s (default `incusx-t`). */
  readonly prefix?: string;
}

/**
 * One OVN chassis in a test network: the "server" namespace of a
 * {@link TestNetwork} runs ovsdb-server (conf.db), ovs-vswitchd with a
 * userspace (`netdev`) `br-int`, the NB and SB ovsdb-servers, ovn-northd
 * and ovn-controller; the server's end of the veth pair is a port of
 * `br-int`, so the container's `eth0` is what {@link bindContainer} binds to
 * a logical switch port. Everything lives in the network's namespaces and
 * temporary directory; `stop()` (or the network's exit hook) removes it.
 */
export interface OvnTestChassis {
  /** The network; run clients in its "container" namespace (`forknet(net, ...)`). */
  readonly network: TestNetwork;
  /** The private run/db/log directory of every OVS and OVN process (OVS_RUNDIR, OVN_RUNDIR, ...). */
  readonly dir: string;
  /** NB connection string (`unix:DIR/nb.sock`). */
  readonly northbound: string;
  /** SB connection string (`unix:DIR/sb.sock`). */
  readonly southbound: string;
  /** Runs `ovn-nbctl --db=NB ...args`; resolves with stdout, rejects with stderr. */
  nbctl(...args: string[]): Promise<string>;
  /** Runs `ovn-sbctl --db=SB ...args`. */
  sbctl(...args: string[]): Promise<string>;
  /** Runs `ovs-vsctl --db=conf.db's socket ...args` (waits for ovs-vswitchd unless `--no-wait`). */
  vsctl(...args: string[]): Promise<string>;
  /**
   * Binds the container's `eth0` to logical switch port `port` (which must
   * exist in the NB): the server's veth end gets `external_ids:iface-id`,
   * and the call resolves once ovn-controller has installed the port's
   * flows (`ovn-installed`) and every chassis has caught up with the NB
   * (`ovn-nbctl --wait=hv sync`).
   */
  bindContainer(port: string): Promise<void>;
  /** Waits until ovn-controller has applied the NB as it is now (`ovn-nbctl --wait=hv sync`). */
  sync(): Promise<void>;
  /** Stops every process, deletes the namespaces and the directory; harmless twice. */
  stop(): Promise<void>;
}

/** Why {@link startOvnChassis} cannot run here (not root, a tool missing), or `undefined` when it can. */
export function ovnChassisSkipReason(): string | undefined {
  if (!rootAvailable()) return "needs root (network namespaces, veth pairs, ovs-vswitchd)";
  for (const tool of TOOLS) {
    if (!TOOL_DIRS.some((dir) => existsSync(join(dir, tool)))) {
      return `"${tool}" is not installed (Debian packages openvswitch-switch, ovn-central, ovn-host)`;
    }
  }
  for (const schema of [OVS_SCHEMA, OVN_NB_SCHEMA, OVN_SB_SCHEMA]) if (!existsSync(schema)) return `${schema} is missing`;
  return undefined;
}

/**
 * Starts an {@link OvnTestChassis}. Needs root and the Debian packages
 * openvswitch-switch, ovn-central and ovn-host; no kernel module (the
 * bridge is `datapath_type=netdev`, ovs-vswitchd's userspace datapath,
 * reading the veth with packet sockets). Every process runs inside the
 * network's server namespace with its own run directory, so a system
 * Open vSwitch (`/run/openvswitch`, `/var/run/ovn`) is never touched, and
 * the bridge's tap devices exist only in that namespace. A failed start
 * cleans up itself.
 *
 * @example
 * const ovn = await startOvnChassis();
 * await ovn.nbctl("ls-add", "ls0");
 * await ovn.nbctl("lsp-add", "ls0", "c1", "--", "lsp-set-addresses", "c1", `${OVN_TEST_CONTAINER_MAC} 198.51.100.10`);
 * await ovn.bindContainer("c1");
 * await ovn.stop();
 */
export async function startOvnChassis(options: OvnChassisOptions = {}): Promise<OvnTestChassis> {
  const reason = ovnChassisSkipReason();
  if (reason !== undefined) throw new Error(`Cannot start an OVN chassis: ${reason}`);
  const network = await createTestNetwork({ ...(options.prefix === undefined ? {} : { prefix: options.prefix }), startDnsmasq: false });
  try {
    return await startIn(network);
  } catch (error) {
    await network.destroy();
    throw error;
  }
}

async function startIn(network: TestNetwork): Promise<OvnTestChassis> {
  const dir = join(network.dir, "ovn");
  await mkdir(dir);
  // Every default path of the OVS and OVN tools points into `dir`, never at the system's.
  const env = ["OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR", "OVS_SYSCONFDIR", "OVN_RUNDIR", "OVN_DBDIR", "OVN_LOGDIR", "OVN_SYSCONFDIR"].map(
    (name) => `${name}=${dir}`,
  );
  const inChassis = (argv: readonly string[]): string[] => ["ip", "netns", "exec", network.serverNs, "env", ...env, ...argv];
  const tool = (argv: readonly string[]): Promise<string> => runTool(inChassis(argv), 30_000);
  const start = async (argv: readonly string[], ready: () => Promise<void>): Promise<TestProcess> => {
    const child = network.spawn("server", ["env", ...env, ...argv]);
    await Promise.race([
      ready(),
      child.exited().then((code) => {
        throw new Error(`"${argv[0]}" exited with code ${code} while starting: ${child.stderr().trim()}`);
      }),
    ]);
    return child;
  };
  const sock = (name: string): string => join(dir, `${name}.sock`);
  const ovsdb = async (name: string, schema: string): Promise<void> => {
    const db = join(dir, `${name}.db`);
    await runTool(["ovsdb-tool", "create", db, schema]);
    await start(ovsdbServerArgs(dir, name, db, [`punix:${sock(name)}`]), () => waitListening({ path: sock(name) }, `${name} ovsdb-server`));
  };
  const daemon = (name: string): string[] => [`--log-file=${join(dir, `${name}.log`)}`, `--pidfile=${join(dir, `${name}.pid`)}`, "--no-chdir", "-vconsole:off"];

  // The server's end of the veth pair becomes a bridge port: no addresses of its own.
  await network.exec("server", ["ip", "addr", "flush", "dev", network.serverIface]);
  await tool(["sysctl", "-qw", `net.ipv6.conf.${network.serverIface}.disable_ipv6=1`]);
  await network.exec("container", ["ip", "link", "set", "dev", network.iface, "address", OVN_TEST_CONTAINER_MAC]);

  await ovsdb("conf", OVS_SCHEMA);
  const conf = `unix:${sock("conf")}`;
  const vsctl = (...args: string[]): Promise<string> => tool(["ovs-vsctl", `--db=${conf}`, "--timeout=20", ...args]);
  await vsctl("--no-wait", "init");
  await start(["ovs-vswitchd", conf, `--unixctl=${join(dir, "vswitchd.ctl")}`, ...daemon("vswitchd")], () =>
    waitListening({ path: join(dir, "vswitchd.ctl") }, "ovs-vswitchd"),
  );
  await vsctl(
    "add-br", OVN_TEST_BRIDGE,
    "--", "set", "Bridge", OVN_TEST_BRIDGE, "datapath_type=netdev", "fail-mode=secure", "other_config:disable-in-band=true",
  );

  await ovsdb("nb", OVN_NB_SCHEMA);
  await ovsdb("sb", OVN_SB_SCHEMA);
  const northbound = `unix:${sock("nb")}`;
  const southbound = `unix:${sock("sb")}`;
  await start(["ovn-northd", `--ovnnb-db=${northbound}`, `--ovnsb-db=${southbound}`, `--unixctl=${join(dir, "northd.ctl")}`, ...daemon("northd")], () =>
    waitListening({ path: join(dir, "northd.ctl") }, "ovn-northd"),
  );
  await vsctl(
    "--no-wait", "set", "Open_vSwitch", ".",
    `external_ids:system-id=${OVN_TEST_CHASSIS}`,
    `external_ids:ovn-remote=${southbound}`,
    "external_ids:ovn-encap-type=geneve",
    // One chassis: no tunnel is ever built; the encap IP only has to be set.
    "external_ids:ovn-encap-ip=127.0.0.1",
    `external_ids:ovn-bridge=${OVN_TEST_BRIDGE}`,
  );
  const nbctl = (...args: string[]): Promise<string> => tool(["ovn-nbctl", `--db=${northbound}`, "--timeout=20", ...args]);
  const sbctl = (...args: string[]): Promise<string> => tool(["ovn-sbctl", `--db=${southbound}`, "--timeout=20", ...args]);
  // ovn-controller 23.03 takes no --unixctl; its control socket goes to OVN_RUNDIR.
  await start(["ovn-controller", conf, ...daemon("controller")], () =>
    network.waitFor(async () => (await sbctl("--bare", "--columns=name", "list", "Chassis")).includes(OVN_TEST_CHASSIS), {
      timeoutMs: 20_000,
      intervalMs: 50,
      message: "ovn-controller did not register its chassis",
    }).then(() => undefined),
  );
  const sync = async (): Promise<void> => void (await nbctl("--wait=hv", "sync"));

  let stopped: Promise<void> | undefined;
  return {
    network,
    dir,
    northbound,
    southbound,
    nbctl,
    sbctl,
    vsctl,
    sync,
    async bindContainer(port) {
      const iface = network.serverIface;
      await vsctl("--may-exist", "add-port", OVN_TEST_BRIDGE, iface, "--", "set", "Interface", iface, `external_ids:iface-id=${port}`);
      await network.waitFor(async () => (await vsctl("--no-wait", "get", "Interface", iface, "external_ids")).includes('ovn-installed="true"'), {
        timeoutMs: 20_000,
        message: `ovn-controller did not install the flows of port "${port}"`,
      });
      await sync();
    },
    stop: () => (stopped ??= network.destroy()),
  };
}
