// Network forwards are OVN load balancers (Incus: one Load_Balancer per
// protocol, VIP = listen address, on the router and the internal switch).
// When a router's load balancer has a VIP without a port on an address that
// is also a NAT row's external_ip, ovn-northd skips un-SNAT for every TCP/UDP
// packet to that address (lr_in_unsnat, priority 120, "next;"): the replies
// to the NIC's SNATed connections are never translated back (lxc/incus#2921,
// #3578). Incus wrote such a VIP for a forward's default target_address until
// lxc/incus#3596 (since: a `dnat` NAT row). No NAT row on that address can
// work, so the rule is refused and the NIC keeps the network's SNAT. A VIP
// with a port only skips un-SNAT for that port: the snat row is right there.

import { op, uuidOf, uuidsOf, mapRecord, type SelectResult, type OvsdbClient } from "@incusx/ovsdb";
import { OvnNatError } from "./errors.js";
import type { PlacedRule } from "./plan.js";
import { OVN_NORTHBOUND, canonicalWithFamily, nicName } from "./rows.js";

/** A load balancer VIP without a port, on one router. */
export interface PortlessVip {
  /** The Load_Balancer's name (Incus: `incus-net<ID>-lb-<listen>-<tcp|udp>`). */
  readonly loadBalancer: string;
  /** Its `_uuid`. */
  readonly uuid: string;
  /** The `vips` key as stored (`198.51.100.9`, `[2001:db8::9]`). */
  readonly vip: string;
}

/** Portless VIPs by router name, then by canonical address. */
export type PortlessVips = ReadonlyMap<string, ReadonlyMap<string, readonly PortlessVip[]>>;

/** A rule refused because its external address is a portless VIP of its router. */
export interface ForwardLbBlock {
  readonly placed: PlacedRule;
  readonly vips: readonly PortlessVip[];
}

/**
 * The address of a `vips` key and whether it has a port: `198.51.100.9`,
 * `198.51.100.9:443`, `[2001:db8::9]`, `[2001:db8::9]:443`, `2001:db8::9`.
 * `undefined` for a key that is no address (never blocks anything).
 */
export function parseVipKey(key: string): { address: string; port: boolean } | undefined {
  let host = key;
  let port = false;
  if (key.startsWith("[")) {
    const end = key.indexOf("]");
    if (end < 0) return undefined;
    host = key.slice(1, end);
    port = key.length > end + 1;
  } else if (key.split(":").length === 2) {
    host = key.slice(0, key.indexOf(":"));
    port = true;
  }
  try {
    return { address: canonicalWithFamily(host).canonical, port };
  } catch {
    return undefined;
  }
}

/** One row of each table {@link portlessVipsOf} reads. */
export interface LoadBalancerTables {
  /** Logical_Router rows: `name`, `load_balancer`, `load_balancer_group`. */
  readonly routers: readonly Record<string, unknown>[];
  /** Load_Balancer rows: `_uuid`, `name`, `vips`. */
  readonly loadBalancers: readonly Record<string, unknown>[];
  /** Load_Balancer_Group rows: `_uuid`, `load_balancer`. */
  readonly groups: readonly Record<string, unknown>[];
}

/** The portless VIPs of each router's load balancers, direct or through its load balancer groups (northd applies both alike). */
export function portlessVipsOf(tables: LoadBalancerTables): PortlessVips {
  const lbs = new Map(tables.loadBalancers.map((lb) => [uuidOf(lb._uuid) ?? "", lb]));
  const groups = new Map(tables.groups.map((g) => [uuidOf(g._uuid) ?? "", uuidsOf(g.load_balancer)]));
  const result = new Map<string, Map<string, PortlessVip[]>>();
  for (const router of tables.routers) {
    const ids = new Set([...uuidsOf(router.load_balancer), ...uuidsOf(router.load_balancer_group).flatMap((g) => groups.get(g) ?? [])]);
    const byAddress = new Map<string, PortlessVip[]>();
    for (const id of ids) {
      const lb = lbs.get(id);
      if (lb === undefined) continue;
      for (const vip of Object.keys(mapRecord(lb.vips))) {
        const parsed = parseVipKey(vip);
        if (parsed === undefined || parsed.port) continue;
        const list = byAddress.get(parsed.address) ?? [];
        byAddress.set(parsed.address, [...list, { loadBalancer: String(lb.name ?? ""), uuid: id, vip }]);
      }
    }
    if (byAddress.size > 0) result.set(String(router.name), byAddress);
  }
  return result;
}

/** Splits `placed` into the rules that may be written and those whose external address is a portless VIP on their router. */
export function screenForwardLbs(placed: readonly PlacedRule[], vips: PortlessVips): { allowed: PlacedRule[]; blocked: ForwardLbBlock[] } {
  const allowed: PlacedRule[] = [];
  const blocked: ForwardLbBlock[] = [];
  for (const p of placed) {
    const hit = vips.get(p.router)?.get(p.rule.externalIp);
    if (hit === undefined) allowed.push(p);
    else blocked.push({ placed: p, vips: hit });
  }
  return { allowed, blocked };
}

/** Reads the load balancers of `routers` (every router when undefined) in one transaction. */
export async function readPortlessVips(client: OvsdbClient, routers: readonly string[] | undefined, timeoutMs: number): Promise<PortlessVips> {
  // One router (an ensure) is selected by name; several (a reconcile) are filtered here.
  const only = routers?.length === 1 ? routers[0]! : undefined;
  const [r, lb, g] = (await client.transact(
    OVN_NORTHBOUND,
    [
      op.select("Logical_Router", only === undefined ? [] : [["name", "==", only]], ["name", "load_balancer", "load_balancer_group"]),
      op.select("Load_Balancer", [], ["_uuid", "name", "vips"]),
      op.select("Load_Balancer_Group", [], ["_uuid", "load_balancer"]),
    ],
    { timeoutMs },
  )) as SelectResult[];
  const wanted = routers === undefined ? undefined : new Set(routers);
  return portlessVipsOf({
    routers: r!.rows.filter((row) => wanted === undefined || wanted.has(String(row.name))),
    loadBalancers: lb!.rows,
    groups: g!.rows,
  });
}

/** The error for a refused rule: names the NIC, address, router and load balancers, and what fixes it. */
export function forwardLbError(block: ForwardLbBlock): OvnNatError {
  const { rule, router } = block.placed;
  const lbs = block.vips.map((v) => `"${v.loadBalancer}" (_uuid ${v.uuid})`).join(", ");
  return new OvnNatError(
    "forward-lb-conflict",
    `External address "${rule.externalIp}" of NIC "${nicName(rule.owner)}" is a load balancer VIP without a port on router "${router}" (${lbs}): ` +
      `a NAT row on it would make OVN skip un-SNAT for all TCP/UDP to it and break the NIC's connections, so none is written. ` +
      `The forward's default target must be a dnat NAT row (Incus with lxc/incus#3596) or port maps`,
  );
}
