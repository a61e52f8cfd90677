// Network forwards are OVN load balancers (Incus: one Load_Balancer per
// protocol, VIP = listen address, on the router and the internal switch).
// When a router's load balancer has a VIP without a port on an address that
// is also a NAT row's external_ip, ovn-northd skips un-SNAT for every TCP/UDP
// packet to that address (lr_in_unsnat, priority 120, "next;"): the replies
// to the NIC's SNATed connections are never translated back (lxc/incus#2921,
// #3578). Incus wrote such a VIP for a forward's default target_address until
// lxc/incus#3596 (since: a `dnat` NAT row). No NAT row on that address can
// work, so the rule is refused and the NIC keeps the network's SNAT. A VIP
// with a port only skips un-SNAT for that port and protocol: the snat row is
// right there, but a connection the NIC opens from that source port (ntpd
// from 123, a SIP server from 5060) would keep it through SNAT and lose its
// replies, so the row gets an external_port_range that leaves the VIP ports out.

import { op, uuid, uuidOf, uuidsOf, mapRecord, type OvsdbOperation, type OvsdbValue, type SelectResult, type OvsdbClient } from "@incusx/ovsdb";
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

/** The load balancer VIPs of each router that matter to a snat row on the same address. */
export interface ForwardVips {
  /** VIPs without a port: no NAT row may use their address. */
  readonly portless: PortlessVips;
  /** Ports of VIPs with a port, by router name, then by canonical address (any protocol). */
  readonly ports: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<number>>>;
}

/** Lowest and highest port an external_port_range may hold. */
const PORT_MIN = 1;
const PORT_MAX = 65535;

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
export function parseVipKey(key: string): { address: string; port: number | undefined } | undefined {
  let host = key;
  let portText: string | undefined;
  if (key.startsWith("[")) {
    const end = key.indexOf("]");
    if (end < 0) return undefined;
    host = key.slice(1, end);
    if (key.length > end + 1) {
      if (key[end + 1] !== ":") return undefined;
      portText = key.slice(end + 2);
    }
  } else if (key.split(":").length === 2) {
    [host, portText] = key.split(":") as [string, string];
  }
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(/^\d+$/.test(portText!) && port >= PORT_MIN && port <= PORT_MAX)) return undefined;
  try {
    return { address: canonicalWithFamily(host).canonical, port };
  } catch {
    return undefined;
  }
}

/**
 * The widest port range holding none of `ports` ("444-65535" for 443), or
 * undefined when `ports` is empty (the row needs no range). Ports inside the
 * range keep their number through SNAT (OVN sets no "random" flag); only a
 * source port outside it is moved into it. Ties go to the higher range, where
 * the kernel's ephemeral ports are.
 */
export function snatPortRange(ports: Iterable<number>): string | undefined {
  const sorted = [...new Set(ports)].filter((p) => p >= PORT_MIN && p <= PORT_MAX).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  let best: [number, number] | undefined;
  let low = PORT_MIN;
  for (const p of [...sorted, PORT_MAX + 1]) {
    if (p > low && (best === undefined || p - 1 - low >= best[1] - best[0])) best = [low, p - 1];
    low = p + 1;
  }
  // 65535 ports cannot all be VIP ports of one address in practice; if they are, nothing is left to SNAT into.
  return best === undefined ? undefined : `${best[0]}-${best[1]}`;
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

/** The VIPs of each router's load balancers, direct or through its load balancer groups (northd applies both alike). */
export function forwardVipsOf(tables: LoadBalancerTables): ForwardVips {
  const lbs = new Map(tables.loadBalancers.map((lb) => [uuidOf(lb._uuid) ?? "", lb]));
  const groups = new Map(tables.groups.map((g) => [uuidOf(g._uuid) ?? "", uuidsOf(g.load_balancer)]));
  const portless = new Map<string, Map<string, PortlessVip[]>>();
  const ports = new Map<string, Map<string, Set<number>>>();
  for (const router of tables.routers) {
    const name = String(router.name);
    const ids = new Set([...uuidsOf(router.load_balancer), ...uuidsOf(router.load_balancer_group).flatMap((g) => groups.get(g) ?? [])]);
    for (const id of ids) {
      const lb = lbs.get(id);
      if (lb === undefined) continue;
      for (const vip of Object.keys(mapRecord(lb.vips))) {
        const parsed = parseVipKey(vip);
        if (parsed === undefined) continue;
        if (parsed.port === undefined) {
          const byAddress = portless.get(name) ?? portless.set(name, new Map()).get(name)!;
          byAddress.set(parsed.address, [...(byAddress.get(parsed.address) ?? []), { loadBalancer: String(lb.name ?? ""), uuid: id, vip }]);
        } else {
          const byAddress = ports.get(name) ?? ports.set(name, new Map()).get(name)!;
          (byAddress.get(parsed.address) ?? byAddress.set(parsed.address, new Set()).get(parsed.address)!).add(parsed.port);
        }
      }
    }
  }
  return { portless, ports };
}

/**
 * Splits `placed` into the rules that may be written (with the port range
 * their row needs when their external address has VIPs with ports) and
 * those whose external address is a portless VIP on their router.
 */
export function screenForwardLbs(placed: readonly PlacedRule[], vips: ForwardVips): { allowed: PlacedRule[]; blocked: ForwardLbBlock[] } {
  const allowed: PlacedRule[] = [];
  const blocked: ForwardLbBlock[] = [];
  for (const p of placed) {
    const hit = vips.portless.get(p.router)?.get(p.rule.externalIp);
    if (hit !== undefined) {
      blocked.push({ placed: p, vips: hit });
      continue;
    }
    const portRange = snatPortRange(vips.ports.get(p.router)?.get(p.rule.externalIp) ?? []);
    allowed.push(portRange === undefined ? { rule: p.rule, router: p.router } : { rule: p.rule, router: p.router, portRange });
  }
  return { allowed, blocked };
}

/** What {@link readForwardVips} read: the VIPs, and the rows they came from (for {@link forwardLbGuards}). */
export interface ForwardLbRead extends ForwardVips {
  readonly tables: LoadBalancerTables;
}

/**
 * `wait`s that hold a transaction to the load balancers `routers` had in
 * `tables`: each router's `load_balancer` and `load_balancer_group`, each
 * of those groups' `load_balancer`, each of those load balancers' `vips`,
 * exactly as read. A forward added, changed or removed on one of those
 * routers after the read makes the transaction fail instead of landing a
 * row decided without it (the writer reads again). A router not in
 * `tables` gets none (the plan's router guard covers it).
 */
export function forwardLbGuards(tables: LoadBalancerTables, routers: Iterable<string>): OvsdbOperation[] {
  const wanted = new Set(routers);
  const lbs = new Map(tables.loadBalancers.map((lb) => [uuidOf(lb._uuid) ?? "", lb]));
  const groups = new Map(tables.groups.map((g) => [uuidOf(g._uuid) ?? "", g]));
  const ops: OvsdbOperation[] = [];
  const lbIds = new Set<string>();
  const groupIds = new Set<string>();
  for (const router of [...tables.routers].sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1))) {
    const name = String(router.name);
    if (!wanted.has(name)) continue;
    ops.push(
      op.wait("Logical_Router", [["name", "==", name]], ["load_balancer", "load_balancer_group"], "==", [
        { load_balancer: router.load_balancer as OvsdbValue, load_balancer_group: router.load_balancer_group as OvsdbValue },
      ]),
    );
    for (const id of uuidsOf(router.load_balancer)) lbIds.add(id);
    for (const id of uuidsOf(router.load_balancer_group)) groupIds.add(id);
  }
  for (const id of [...groupIds].sort()) {
    const group = groups.get(id);
    if (group === undefined) continue;
    ops.push(op.wait("Load_Balancer_Group", [["_uuid", "==", uuid(id)]], ["load_balancer"], "==", [{ load_balancer: group.load_balancer as OvsdbValue }]));
    for (const lb of uuidsOf(group.load_balancer)) lbIds.add(lb);
  }
  for (const id of [...lbIds].sort()) {
    const lb = lbs.get(id);
    if (lb !== undefined) ops.push(op.wait("Load_Balancer", [["_uuid", "==", uuid(id)]], ["vips"], "==", [{ vips: lb.vips as OvsdbValue }]));
  }
  return ops;
}

/** Reads the load balancers of `routers` (every router when undefined) in one transaction. */
export async function readForwardVips(client: OvsdbClient, routers: readonly string[] | undefined, timeoutMs: number): Promise<ForwardLbRead> {
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
  const tables: LoadBalancerTables = {
    routers: r!.rows.filter((row) => wanted === undefined || wanted.has(String(row.name))),
    loadBalancers: lb!.rows,
    groups: g!.rows,
  };
  return { ...forwardVipsOf(tables), tables };
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
