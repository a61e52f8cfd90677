// An OVN northbound database laid out exactly as Incus lays out an `ovn`
// network and its instance NICs (internal/server/network/driver_ovn.go,
// ovn/ovn_nb_actions.go): object names from the network ID, the instance
// port named by the instance's volatile.uuid, Incus's external_ids, and the
// network-wide snat Incus writes. Built with ovn-nbctl, as a real Incus
// database would hold it.
import { OvsdbClient } from "@incusx/ovsdb";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";

/** Names Incus gives the OVN objects of network ID `id` (acl.OVNNetworkPrefix and driver_ovn.go's get*Name). */
export function incusNames(id: number) {
  const prefix = `incus-net${id}`;
  const router = `${prefix}-lr`;
  return {
    prefix,
    chassisGroup: prefix,
    router,
    routerExtPort: `${router}-lrp-ext`,
    routerIntPort: `${router}-lrp-int`,
    extSwitch: `${prefix}-ls-ext`,
    intSwitch: `${prefix}-ls-int`,
    /** getInstanceDevicePortName: `<prefix>-instance-<instance UUID>-<device>`. */
    instancePort: (uuid: string, device: string) => `${prefix}-instance-${uuid}-${device}`,
  };
}

/** What {@link createIncusNetwork} lays out. */
export interface IncusNetworkLayout {
  readonly id: number;
  /** The uplink network of the router's external port (its distributed gateway port). */
  readonly uplink: string;
  /** The router's external address on the uplink (the network-wide snat's external_ip). */
  readonly routerExternal: string;
  /** The internal subnet, prefix included. */
  readonly subnet: string;
  /** The router's internal address, prefix included. */
  readonly routerInternal: string;
}

/** The NB rows of an Incus `ovn` network: router with ext (HA chassis group: a distributed gateway port) and int ports, both switches, the network-wide snat. */
export async function createIncusNetwork(nb: OvnTestNorthbound, layout: IncusNetworkLayout): Promise<void> {
  const n = incusNames(layout.id);
  const [subnetAddress] = layout.subnet.split("/");
  const [routerIntAddress] = layout.routerInternal.split("/");
  // CreateLogicalRouter: options Incus sets.
  await nb.nbctl(
    "lr-add", n.router, "--", "set", "Logical_Router", n.router,
    "options:always_learn_from_arp_request=false", "options:dynamic_neigh_routers=true",
  );
  await nb.nbctl("ha-chassis-group-add", n.chassisGroup);
  await nb.nbctl("ha-chassis-group-add-chassis", n.chassisGroup, "gw1", "10");
  // External side: switch with router and provider (localnet) ports; router port with the chassis group.
  await nb.nbctl("ls-add", n.extSwitch);
  await nb.nbctl("lrp-add", n.router, n.routerExtPort, "00:16:3e:00:07:01", `${layout.routerExternal}/${layout.uplink.split("/")[1]}`);
  const group = (await nb.nbctl("--bare", "--columns=_uuid", "find", "HA_Chassis_Group", `name=${n.chassisGroup}`)).trim();
  await nb.nbctl("set", "Logical_Router_Port", n.routerExtPort, `ha_chassis_group=${group}`, "options:gateway_mtu=1500");
  await nb.nbctl(
    "lsp-add", n.extSwitch, `${n.extSwitch}-lsp-router`, "--", "lsp-set-type", `${n.extSwitch}-lsp-router`, "router",
    "--", "lsp-set-addresses", `${n.extSwitch}-lsp-router`, "router",
    "--", "lsp-set-options", `${n.extSwitch}-lsp-router`, `router-port=${n.routerExtPort}`,
    "--", "set", "Logical_Switch_Port", `${n.extSwitch}-lsp-router`, `external_ids:incus_switch=${n.extSwitch}`,
  );
  await nb.nbctl(
    "lsp-add", n.extSwitch, `${n.extSwitch}-lsp-provider`, "--", "lsp-set-type", `${n.extSwitch}-lsp-provider`, "localnet",
    "--", "lsp-set-addresses", `${n.extSwitch}-lsp-provider`, "unknown",
    "--", "lsp-set-options", `${n.extSwitch}-lsp-provider`, "network_name=physnet0",
    "--", "set", "Logical_Switch_Port", `${n.extSwitch}-lsp-provider`, `external_ids:incus_switch=${n.extSwitch}`,
  );
  // Internal side: UpdateLogicalSwitchIPAllocation (subnet, the router's address excluded), router port, switch router port.
  await nb.nbctl(
    "ls-add", n.intSwitch, "--", "set", "Logical_Switch", n.intSwitch,
    `other_config:subnet=${layout.subnet}`, `other_config:exclude_ips=${routerIntAddress}`,
  );
  await nb.nbctl("lrp-add", n.router, n.routerIntPort, "00:16:3e:00:07:02", layout.routerInternal);
  await nb.nbctl(
    "lsp-add", n.intSwitch, `${n.intSwitch}-lsp-router`, "--", "lsp-set-type", `${n.intSwitch}-lsp-router`, "router",
    "--", "lsp-set-addresses", `${n.intSwitch}-lsp-router`, "router",
    "--", "lsp-set-options", `${n.intSwitch}-lsp-router`, `router-port=${n.routerIntPort}`,
    "--", "set", "Logical_Switch_Port", `${n.intSwitch}-lsp-router`, `external_ids:incus_switch=${n.intSwitch}`,
  );
  // The network-wide snat (CreateLogicalRouterNAT with the router's internal subnet), not ours.
  await nb.nbctl("lr-nat-add", n.router, "snat", layout.routerExternal, `${subnetAddress}/${layout.subnet.split("/")[1]}`);
}

/**
 * An instance NIC's port as InstanceDevicePortStart creates it: on the
 * internal switch, `MAC dynamic` (no static address: OVN assigns one),
 * external_ids incus_switch and incus_location (the member).
 */
export async function createIncusInstancePort(nb: OvnTestNorthbound, id: number, uuid: string, device: string, mac: string, member: string): Promise<string> {
  const n = incusNames(id);
  const port = n.instancePort(uuid, device);
  await nb.nbctl(
    "lsp-add", n.intSwitch, port, "--", "lsp-set-addresses", port, `${mac} dynamic`,
    "--", "set", "Logical_Switch_Port", port, `external_ids:incus_switch=${n.intSwitch}`, `external_ids:incus_location=${member}`,
  );
  return port;
}

/** The `dynamic_addresses` ovn-northd wrote on `port` ("" until it did). */
export async function dynamicAddresses(nb: OvnTestNorthbound, port: string): Promise<string> {
  return (await nb.nbctl("--bare", "--columns=dynamic_addresses", "list", "Logical_Switch_Port", port)).trim();
}

/**
 * A second distributed gateway port on the network's router, as Incus adds
 * one for an OVN-IC network integration (`ts-incus-<integration>-<project>-<network>`,
 * with its own HA chassis group of the same name, on the transit switch).
 * Returns the port's `_uuid`.
 */
export async function addTransitGatewayPort(nb: OvnTestNorthbound, id: number, name: string, networks: readonly string[]): Promise<string> {
  const n = incusNames(id);
  await nb.nbctl("ha-chassis-group-add", name);
  await nb.nbctl("ha-chassis-group-add-chassis", name, "gw2", "10");
  await nb.nbctl("ls-add", name);
  await nb.nbctl("lrp-add", n.router, name, "00:16:3e:00:07:03", ...networks);
  const group = (await nb.nbctl("--bare", "--columns=_uuid", "find", "HA_Chassis_Group", `name=${name}`)).trim();
  await nb.nbctl("set", "Logical_Router_Port", name, `ha_chassis_group=${group}`);
  await nb.nbctl(
    "lsp-add", name, `${name}-az1`, "--", "lsp-set-type", `${name}-az1`, "router",
    "--", "lsp-set-addresses", `${name}-az1`, "router", "--", "lsp-set-options", `${name}-az1`, `router-port=${name}`,
  );
  return portUuid(nb, name);
}

/** The `_uuid` of logical router port `name`. */
export async function portUuid(nb: OvnTestNorthbound, name: string): Promise<string> {
  return (await nb.nbctl("--bare", "--columns=_uuid", "find", "Logical_Router_Port", `name=${name}`)).trim();
}

/** NB, SB and ovn-northd with an Incus network laid out, and a client on the NB; the caller stops `nb` and closes `client`. */
export async function startIncusNorthbound(layout: IncusNetworkLayout): Promise<{ nb: OvnTestNorthbound; client: OvsdbClient }> {
  const nb = await startOvnNorthbound({ northd: true });
  let client: OvsdbClient | undefined;
  try {
    client = await OvsdbClient.connect(nb.connection, { database: "OVN_Northbound" });
    await createIncusNetwork(nb, layout);
    return { nb, client };
  } catch (error) {
    client?.close();
    await nb.stop();
    throw error;
  }
}

/** The lr_out_snat flow lines ovn-northd made for `router` that match `ip4.src == SRC`. */
export async function routerSnatFlows(nb: OvnTestNorthbound, router: string, src: string): Promise<string[]> {
  const flows = (await nb.sbctl("lflow-list", router)).split("\n").filter((l) => l.includes("lr_out_snat"));
  return flows.filter((l) => new RegExp(`ip4\\.src == ${src.replace(/\./g, "\\.")}( |\\))`).test(l));
}
