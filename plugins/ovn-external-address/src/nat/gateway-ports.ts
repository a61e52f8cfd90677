// Which distributed gateway port (DGP) a NIC's snat row goes on. A router
// with one DGP (Incus's `-lrp-ext`) applies a row without `gateway_port`
// there, so nothing is set, as Incus writes it. A router with several (Incus
// adds one per OVN-IC integration) applies a row without `gateway_port`
// only at the DGP whose networks contain its external address, and
// ovn-northd drops it when none does; there the row names its port, and
// several snat rows on one logical address are legal (one per port).

import { BlockList, isIPv4 } from "node:net";
import { OvsdbClient, op, optionalAtom, uuidOf, uuidsOf, type SelectResult } from "@incusx/ovsdb";
import type { PlacedRule } from "./plan.js";
import { OVN_NORTHBOUND } from "./rows.js";

/** A distributed gateway port of a router. */
export interface GatewayPort {
  /** The Logical_Router_Port `_uuid` (what NAT's `gateway_port` references). */
  readonly uuid: string;
  readonly name: string;
  /** The port's `networks` (`198.51.100.10/24`, ...). */
  readonly networks: readonly string[];
}

/** Distributed gateway ports by router name (routers without any are absent). */
export type RouterGateways = ReadonlyMap<string, readonly GatewayPort[]>;

/**
 * Reads the distributed gateway ports (a `gateway_chassis` or an
 * `ha_chassis_group`, as Incus sets) of `routers` (every router when
 * undefined), in one transaction.
 */
export async function readGatewayPorts(client: OvsdbClient, routers: readonly string[] | undefined, timeoutMs: number): Promise<RouterGateways> {
  const only = routers?.length === 1 ? routers[0]! : undefined;
  const columns = ["_uuid", "name", "networks"];
  const [r, chassis, group] = (await client.transact(
    OVN_NORTHBOUND,
    [
      op.select("Logical_Router", only === undefined ? [] : [["name", "==", only]], ["name", "ports"]),
      op.select("Logical_Router_Port", [["gateway_chassis", "!=", ["set", []]]], columns),
      op.select("Logical_Router_Port", [["ha_chassis_group", "!=", ["set", []]]], columns),
    ],
    { timeoutMs },
  )) as SelectResult[];
  const ports = new Map<string, GatewayPort>();
  for (const row of [...chassis!.rows, ...group!.rows]) {
    const uuid = uuidOf(row._uuid)!;
    const networks = row.networks;
    const list = Array.isArray(networks) && networks[0] === "set" ? (networks[1] as unknown[]).map(String) : [String(optionalAtom(networks) ?? "")].filter((n) => n !== "");
    ports.set(uuid, { uuid, name: String(row.name ?? ""), networks: list });
  }
  const wanted = routers === undefined ? undefined : new Set(routers);
  const out = new Map<string, GatewayPort[]>();
  for (const row of r!.rows) {
    const name = String(row.name);
    if (wanted !== undefined && !wanted.has(name)) continue;
    const dgps = uuidsOf(row.ports).flatMap((id) => ports.get(id) ?? []);
    if (dgps.length > 0) out.set(name, dgps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  }
  return out;
}

/**
 * The gateway ports a rule's rows go on, one row each: none (`[undefined]`,
 * no `gateway_port`) when the router has at most one DGP; else the DGPs
 * whose networks contain the external address (OVN's own choice for a row
 * without `gateway_port`); else Incus's uplink port `<router>-lrp-ext`;
 * else every DGP.
 */
export function gatewayTargets(router: string, externalIp: string, dgps: readonly GatewayPort[]): (GatewayPort | undefined)[] {
  if (dgps.length <= 1) return [undefined];
  const holding = dgps.filter((p) => p.networks.some((n) => networkContains(n, externalIp)));
  if (holding.length > 0) return holding;
  const uplink = dgps.find((p) => p.name === `${router}-lrp-ext`);
  return uplink === undefined ? [...dgps] : [uplink];
}

/** `placed` with each rule on its gateway ports ({@link gatewayTargets}): a rule becomes one entry per port. */
export function placeOnGateways(placed: readonly PlacedRule[], gateways: RouterGateways): PlacedRule[] {
  return placed.flatMap((p) =>
    gatewayTargets(p.router, p.rule.externalIp, gateways.get(p.router) ?? []).map((port) => (port === undefined ? p : { ...p, gatewayPort: port.uuid })),
  );
}

/** Whether `cidr` (`198.51.100.10/24`) contains `address`. */
function networkContains(cidr: string, address: string): boolean {
  const [net, bits] = cidr.split("/");
  if (net === undefined || bits === undefined || isIPv4(net) !== isIPv4(address)) return false;
  const type = isIPv4(net) ? "ipv4" : "ipv6";
  try {
    const list = new BlockList();
    list.addSubnet(net, Number(bits), type);
    return list.check(address, type);
  } catch {
    return false;
  }
}
