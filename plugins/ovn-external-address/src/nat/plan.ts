// The pure part of the backend: given what the NB holds (a view) and the
// rules wanted, decide what to keep, insert and delete, which rules are
// blocked by rows we do not own, and build the one guarded transaction
// that applies it. No I/O here, so every case is unit-tested.

import type { NatRule } from "@incusx/sdk";
import { namedUuid, op, ovsSet, uuid, type OvsdbOperation, type OvsdbValue } from "@incusx/ovsdb";
import type { NatConflict } from "./errors.js";
import { isOwned, nicName, ownerKey, rowMatches, rowOwnerKey, ruleOfRow, ruleRow, type NatRowView } from "./rows.js";

/** What the NB holds, as far as a plan needs it. */
export interface NatView {
  /** Existing logical routers by name (uuid). */
  readonly routers: ReadonlyMap<string, string>;
  /** Every row the plan may touch or must check: owned rows in scope and snat rows on the desired logical addresses. */
  readonly rows: readonly NatRowView[];
  /** Name of the router referencing a row, when known. */
  routerOf(rowUuid: string): string | undefined;
  /** True when `rows` holds every snat row of the database (a full read). */
  readonly complete?: boolean;
}

/** Above this many inserted addresses, a complete view guards all snat rows with one wait instead of two per address. */
const BULK_GUARD_MIN_INSERTS = 8;

/** A rule and the logical router it goes on. */
export interface PlacedRule {
  readonly rule: NatRule;
  readonly router: string;
  /** The row's external_port_range, kept clear of a forward's VIP ports (forward-lb.ts); none when undefined. */
  readonly portRange?: string;
}

/** A row to delete, with the rule it stood for (when it was a well-formed owned row). */
export interface PlannedDelete {
  readonly row: NatRowView;
  readonly rule: NatRule | undefined;
}

/** What to do. */
export interface NatChangePlan {
  /** Rules already in place. */
  readonly kept: readonly PlacedRule[];
  /** Rules to insert. */
  readonly inserts: readonly PlacedRule[];
  /** Owned rows to delete (replaced or unwanted). */
  readonly deletes: readonly PlannedDelete[];
  /** Rules blocked by rows we do not own (or owned by another NIC). */
  readonly conflicts: readonly NatConflict[];
  /** Rules whose router does not exist. */
  readonly missingRouters: readonly PlacedRule[];
}

/**
 * Plans making the owned rows equal `desired`. With scope `"keys"` only the
 * owned rows of the desired rules' owners (NIC and family) are replaced;
 * with `"all"` every owned row nothing wants is deleted (reconcile).
 */
export function planNat(view: NatView, desired: readonly PlacedRule[], scope: "keys" | "all"): NatChangePlan {
  const ownedByKey = new Map<string, NatRowView[]>();
  for (const row of view.rows) {
    const key = rowOwnerKey(row);
    if (key === undefined) continue;
    pushTo(ownedByKey, key, row);
  }
  const kept: PlacedRule[] = [];
  const keptRows = new Set<string>();
  const wanting: PlacedRule[] = [];
  const missingRouters: PlacedRule[] = [];
  const desiredKeys = new Set<string>();
  for (const placed of desired) {
    const key = ownerKey(placed.rule.owner, placed.rule.family);
    if (desiredKeys.has(key)) continue; // one rule per NIC and family: the first wins
    desiredKeys.add(key);
    if (!view.routers.has(placed.router)) {
      missingRouters.push(placed);
      continue;
    }
    const match = (ownedByKey.get(key) ?? []).find(
      (row) =>
        !keptRows.has(row.uuid) &&
        rowMatches(row, placed.rule) &&
        row.externalPortRange === (placed.portRange ?? "") &&
        view.routerOf(row.uuid) === placed.router,
    );
    if (match !== undefined) {
      keptRows.add(match.uuid);
      kept.push(placed);
    } else wanting.push(placed);
  }
  const deletes: PlannedDelete[] = [];
  for (const [key, rows] of ownedByKey) {
    if (scope === "keys" && !desiredKeys.has(key)) continue;
    for (const row of rows) if (!keptRows.has(row.uuid)) deletes.push({ row, rule: ruleOfRow(row) });
  }
  // Owned rows of a key whose router is missing stay: nothing replaces them.
  const missingKeys = new Set(missingRouters.map((p) => ownerKey(p.rule.owner, p.rule.family)));
  const finalDeletes = deletes.filter((d) => scope === "all" || !missingKeys.has(rowOwnerKey(d.row)!));
  const deleted = new Set(finalDeletes.map((d) => d.row.uuid));
  const byLogical = new Map<string, NatRowView[]>();
  for (const row of view.rows) if (row.logicalIp !== undefined) pushTo(byLogical, row.logicalIp, row);
  const inserts: PlacedRule[] = [];
  const conflicts: NatConflict[] = [];
  const claimed = new Map<string, PlacedRule>();
  for (const placed of wanting) {
    const { rule, router } = placed;
    const spot = `${router}\n${rule.logicalIp}`;
    const blocking = (byLogical.get(rule.logicalIp) ?? []).filter(
      (row) =>
        row.type === "snat" &&
        !deleted.has(row.uuid) &&
        view.routerOf(row.uuid) === router &&
        rowOwnerKey(row) !== ownerKey(rule.owner, rule.family),
    );
    const rival = claimed.get(spot);
    if (blocking.length > 0 || rival !== undefined) {
      for (const row of blocking) conflicts.push(conflictOf(placed, row));
      if (blocking.length === 0 && rival !== undefined) {
        conflicts.push({ rule, router, uuid: "", logicalIp: rule.logicalIp, externalIp: rival.rule.externalIp, ownedBy: nicName(rival.rule.owner) });
      }
      continue;
    }
    claimed.set(spot, placed);
    inserts.push(placed);
  }
  return { kept, inserts, deletes: finalDeletes, conflicts, missingRouters };
}

function conflictOf(placed: PlacedRule, row: NatRowView): NatConflict {
  const owned = isOwned(row) ? ruleOfRow(row) : undefined;
  return {
    rule: placed.rule,
    router: placed.router,
    uuid: row.uuid,
    logicalIp: row.logicalIpRaw,
    externalIp: row.externalIp,
    ownedBy: owned === undefined ? undefined : nicName(owned.owner),
  };
}

/** Whether a plan changes nothing. */
export function planIsEmpty(plan: NatChangePlan): boolean {
  return plan.inserts.length === 0 && plan.deletes.length === 0;
}

/** A guard on owned rows: the rows matching `selector` must still be exactly `uuids`. */
export interface OwnedGuard {
  readonly selector: OvsdbValue;
  readonly uuids: readonly string[];
}

/** The transaction applying a plan, and where its router mutations are (their `count` must be 1). */
export interface NatTransaction {
  readonly ops: OvsdbOperation[];
  readonly routerMutations: readonly { readonly index: number; readonly router: string }[];
}

/**
 * The one transaction applying `plan`, guarded with `wait`s so that it
 * commits only if nothing it decided on changed since `view` was read:
 * the routers still exist (same uuid), the owned rows are the ones read,
 * and no snat row appeared on a logical address it inserts.
 */
export function natTransaction(plan: NatChangePlan, view: NatView, owned: readonly OwnedGuard[]): NatTransaction {
  const ops: OvsdbOperation[] = [];
  const routers = new Set<string>(plan.inserts.map((p) => p.router));
  for (const d of plan.deletes) {
    const r = view.routerOf(d.row.uuid);
    if (r !== undefined && view.routers.has(r)) routers.add(r);
  }
  for (const name of [...routers].sort()) {
    ops.push(op.wait("Logical_Router", [["name", "==", name]], ["_uuid"], "==", [{ _uuid: uuid(view.routers.get(name)!) }]));
  }
  for (const guard of owned) {
    ops.push(
      op.wait("NAT", [["external_ids", "includes", guard.selector]], ["_uuid"], "==", guard.uuids.map((u) => ({ _uuid: uuid(u) }))),
    );
  }
  const byRaw = new Map<string, NatRowView[]>();
  for (const row of view.rows) if (row.type === "snat") pushTo(byRaw, row.logicalIpRaw, row);
  const snatRows = view.rows.filter((r) => r.type === "snat");
  // One wait on every snat row is stricter (any snat change by anyone fails it) but far
  // smaller than two waits per address when a full read inserts many rows.
  const bulk = view.complete === true && plan.inserts.length >= BULK_GUARD_MIN_INSERTS && snatRows.length <= 2 * plan.inserts.length;
  if (bulk) ops.push(op.wait("NAT", [["type", "==", "snat"]], ["_uuid"], "==", snatRows.map((r) => ({ _uuid: uuid(r.uuid) }))));
  const guardedIps = new Set<string>();
  for (const { rule } of bulk ? [] : plan.inserts) {
    const full = rule.family === "ipv4" ? "/32" : "/128";
    for (const spelling of [rule.logicalIp, `${rule.logicalIp}${full}`]) {
      if (guardedIps.has(spelling)) continue;
      guardedIps.add(spelling);
      const present = (byRaw.get(spelling) ?? []).map((r) => ({ _uuid: uuid(r.uuid) }));
      ops.push(op.wait("NAT", [["type", "==", "snat"], ["logical_ip", "==", spelling]], ["_uuid"], "==", present));
    }
  }
  // Deleting the router's reference deletes the row (NAT rows are not root: garbage collected).
  const deletesByRouter = new Map<string, string[]>();
  for (const d of plan.deletes) {
    const r = view.routerOf(d.row.uuid);
    if (r !== undefined && view.routers.has(r)) pushTo(deletesByRouter, r, d.row.uuid);
    else ops.push(op.mutate("Logical_Router", [["nat", "includes", uuid(d.row.uuid)]], [["nat", "delete", uuid(d.row.uuid)]]));
  }
  for (const [router, uuids] of deletesByRouter) {
    ops.push(op.mutate("Logical_Router", [["_uuid", "==", uuid(view.routers.get(router)!)]], [["nat", "delete", ovsSet(uuids.map(uuid))]]));
  }
  const insertsByRouter = new Map<string, string[]>();
  plan.inserts.forEach((placed, i) => {
    const name = `nat${i}`;
    const row = ruleRow(placed.rule);
    ops.push(op.insert("NAT", placed.portRange === undefined ? row : { ...row, external_port_range: placed.portRange }, name));
    pushTo(insertsByRouter, placed.router, name);
  });
  const routerMutations: { index: number; router: string }[] = [];
  for (const [router, names] of insertsByRouter) {
    routerMutations.push({ index: ops.length, router });
    ops.push(op.mutate("Logical_Router", [["_uuid", "==", uuid(view.routers.get(router)!)]], [["nat", "insert", ovsSet(names.map(namedUuid))]]));
  }
  return { ops, routerMutations };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
