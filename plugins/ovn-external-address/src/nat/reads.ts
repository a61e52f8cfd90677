// The reads a plan starts from: targeted (one NIC) or full (reconcile).

import type { NatRule } from "@incusx/sdk";
import { OvsdbClient, op, uuid, uuidOf, uuidsOf, type SelectResult } from "@incusx/ovsdb";
import { OvnNatError } from "./errors.js";
import type { NatView } from "./plan.js";
import { NAT_COLUMNS, OVN_NORTHBOUND, instanceSelector, natRowView, ownerSelector, type NatRowView } from "./rows.js";

/** Reads what one rule's plan needs: the router, snat rows on its logical address, the instance's owned rows, and which of them the router references. */
export async function readForRule(client: OvsdbClient, rule: NatRule, router: string, timeoutMs: number): Promise<NatView> {
  // An IPv4 host address has two spellings (plain, /32); an IPv6 one has many
  // (case, zero groups): the server compares strings, so every snat row is read
  // and compared as an address, as a full read (reconcile) does.
  const byAddress =
    rule.family === "ipv4"
      ? [
          op.select("NAT", [["logical_ip", "==", rule.logicalIp]], [...NAT_COLUMNS]),
          op.select("NAT", [["logical_ip", "==", `${rule.logicalIp}/32`]], [...NAT_COLUMNS]),
        ]
      : [op.select("NAT", [["type", "==", "snat"]], [...NAT_COLUMNS])];
  const results = (await client.transactPruned(
    OVN_NORTHBOUND,
    [
      op.select("Logical_Router", [["name", "==", router]], ["_uuid"]),
      op.select("NAT", [["external_ids", "includes", instanceSelector(rule.owner.instance)]], [...NAT_COLUMNS]),
      ...byAddress,
    ],
    { timeoutMs },
  )) as SelectResult[];
  const routers = new Map<string, string>();
  if (results[0]!.rows.length > 1) {
    throw new OvnNatError("router-missing", `Logical router name "${router}" of network "${rule.network}" is ambiguous: ${results[0]!.rows.length} routers carry it`);
  }
  const routerUuid = uuidOf(results[0]!.rows[0]?._uuid);
  if (routerUuid !== undefined) routers.set(router, routerUuid);
  const rows = new Map<string, NatRowView>();
  for (const r of results[1]!.rows) {
    const view = natRowView(r);
    rows.set(view.uuid, view);
  }
  for (const r of results.slice(2).flatMap((s) => s.rows)) {
    const view = natRowView(r);
    if (view.logicalIp === rule.logicalIp) rows.set(view.uuid, view);
  }
  const onRouter = new Set<string>();
  if (routerUuid !== undefined && rows.size > 0) {
    const ids = [...rows.keys()];
    const checks = (await client.transact(
      OVN_NORTHBOUND,
      ids.map((id) => op.select("Logical_Router", [["_uuid", "==", uuid(routerUuid)], ["nat", "includes", uuid(id)]], ["_uuid"])),
      { timeoutMs },
    )) as SelectResult[];
    checks.forEach((c, i) => c.rows.length > 0 && onRouter.add(ids[i]!));
  }
  return { routers, rows: [...rows.values()], routerOf: (id) => (onRouter.has(id) ? router : undefined) };
}

/** Reads every router and every snat or owned NAT row. */
export async function readAll(client: OvsdbClient, timeoutMs: number): Promise<NatView> {
  const [routerRows, snat, owned] = (await client.transactPruned(
    OVN_NORTHBOUND,
    [
      op.select("Logical_Router", [], ["_uuid", "name", "nat"]),
      op.select("NAT", [["type", "==", "snat"]], [...NAT_COLUMNS]),
      // Owned rows that are not snat (someone changed the type): snat rows came above.
      op.select("NAT", [["external_ids", "includes", ownerSelector()], ["type", "!=", "snat"]], [...NAT_COLUMNS]),
    ],
    { timeoutMs },
  )) as SelectResult[];
  const routers = new Map<string, string>();
  const routerOfRow = new Map<string, string>();
  for (const r of routerRows!.rows) {
    const name = String(r.name);
    routers.set(name, uuidOf(r._uuid)!);
    for (const nat of uuidsOf(r.nat)) routerOfRow.set(nat, name);
  }
  const rows = new Map<string, NatRowView>();
  for (const r of [...snat!.rows, ...owned!.rows]) {
    const view = natRowView(r);
    rows.set(view.uuid, view);
  }
  return { routers, rows: [...rows.values()], routerOf: (id) => routerOfRow.get(id), complete: true };
}
