// The pure part of the backend: given what the NB holds (a view) and the
// rules wanted, decide what to keep, insert and delete, which rules are
// blocked by rows we do not own, and build the one guarded transaction
// that applies it. No I/O here, so every case is unit-tested.

import type { NatRule } from "@incusx/sdk";
import { namedUuid, op, ovsMap, ovsSet, uuid, type OvsdbCondition, type OvsdbOperation, type OvsdbRow, type OvsdbValue } from "@incusx/ovsdb";
import type { NatConflict } from "./errors.js";
import {
  EXTERNAL_ID_KEYS,
  instanceSelector,
  isOwned,
  nicName,
  ownerSelector,
  ownerKey,
  rowHolder,
  rowMatches,
  rowMember,
  rowOwnerKey,
  rowWrittenAt,
  ruleOfRow,
  ruleRow,
  type NatRowView,
} from "./rows.js";

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
  /**
   * The row's gateway_port (a distributed gateway port's `_uuid`) on a router
   * with several (gateway-ports.ts); none when undefined. A rule may be
   * placed once per gateway port: one row each.
   */
  readonly gatewayPort?: string;
}

/** A row to delete, with the rule it stood for (when it was a well-formed owned row). */
export interface PlannedDelete {
  readonly row: NatRowView;
  readonly rule: NatRule | undefined;
}

/** A row updated in place to stand for a desired rule of this member: taken over from another member, or adopted (legacy). */
export interface PlannedUpdate {
  /** The row as read; its `_uuid` stays. */
  readonly row: NatRowView;
  /** The rule it is made to stand for, and the router it already sits on. */
  readonly placed: PlacedRule;
  /** The member it is taken from; `undefined` when a legacy row (no member recorded) is adopted. */
  readonly from: string | undefined;
}

/** Whose rows a plan may change. */
export interface PlanOwnership {
  /** The member planning: only its own rows are kept, replaced and deleted; new and updated rows record it. */
  readonly member: string;
  /**
   * Take a desired NIC's row over from another member, updating it in place
   * (`ensure`: the NIC was started here, so it moved here). Without it the
   * row stays its member's and the rule is reported in `conflicts`
   * (`reconcile`: two members' states both want the NIC).
   */
  readonly takeOver?: boolean;
  /**
   * NICs (owner keys) started on this member after `desired` was read from
   * the host state (a moved NIC whose row it took over, say). A rule set
   * older than the start does not name them: their own rows are kept
   * (`spared`), never deleted as unwanted; the next plan, from a newer
   * state, decides.
   */
  readonly started?: ReadonlySet<string>;
  /**
   * When reading the host state `desired` came from began (`at`) and when
   * the view was read (`planAt`), both ms on this host's clock. The
   * member's rows of NICs `desired` does not name that record a write
   * (`incusx:written`) between the two were written after that state read
   * (a NIC started since): spared, as `started` ones are. A stamp after
   * `planAt` can only come from a clock set back since: it proves nothing,
   * and the row is judged as any other.
   */
  readonly stateRead?: { readonly at: number; readonly planAt: number };
  /**
   * NICs (owner keys) the rules name, including rules left out of
   * `desired` before planning (refused because of a forward): the state
   * knows them, so their rows are never spared.
   */
  readonly named?: ReadonlySet<string>;
}

/** What to do. */
export interface NatChangePlan {
  /** The member the plan acts for. */
  readonly member: string;
  /** Rules already in place. */
  readonly kept: readonly PlacedRule[];
  /** Rules to insert. */
  readonly inserts: readonly PlacedRule[];
  /** Rows to update in place: taken over from another member, or legacy rows adopted. */
  readonly updates: readonly PlannedUpdate[];
  /** Rows to delete: the member's own replaced or unwanted rows, and legacy rows of a NIC it wants that it does not adopt. */
  readonly deletes: readonly PlannedDelete[];
  /** Rules blocked by rows we do not own, owned by another NIC, or (without `takeOver`) held by another member. */
  readonly conflicts: readonly NatConflict[];
  /** Rules whose router does not exist. */
  readonly missingRouters: readonly PlacedRule[];
  /** Legacy rows (owned, no member recorded) nothing of this member wants: left alone. */
  readonly legacy: readonly NatRowView[];
  /** The member's own rows no rule names, kept because their NIC was started after the rules were read (`started`). */
  readonly spared: readonly NatRowView[];
}

/**
 * Plans making `ownership.member`'s rows equal `desired`. With scope
 * `"keys"` only the member's rows of the desired rules' owners (NIC and
 * family) are replaced; with `"all"` every row of the member nothing wants
 * is deleted (reconcile). Rows of other members are never deleted; a
 * legacy row of a desired NIC is adopted (updated in place) when it sits
 * on the rule's router.
 */
export function planNat(view: NatView, desired: readonly PlacedRule[], scope: "keys" | "all", ownership: PlanOwnership): NatChangePlan {
  const { member } = ownership;
  const ownByKey = new Map<string, NatRowView[]>();
  const othersByKey = new Map<string, NatRowView[]>();
  for (const row of view.rows) {
    const key = rowOwnerKey(row);
    if (key === undefined) continue;
    pushTo(rowHolder(row, member) === "own" ? ownByKey : othersByKey, key, row);
  }
  const kept: PlacedRule[] = [];
  const keptRows = new Set<string>();
  const wanting: { placed: PlacedRule; row?: NatRowView }[] = [];
  const missingRouters: PlacedRule[] = [];
  const conflicts: NatConflict[] = [];
  const desiredKeys = new Set<string>();
  const adoptedRows = new Set<string>();
  // One rule per NIC and family: the first wins, on each of its gateway ports once.
  const winners = new Map<string, NatRule>();
  const placedPorts = new Set<string>();
  for (const placed of desired) {
    const key = ownerKey(placed.rule.owner, placed.rule.family);
    const winner = winners.get(key);
    if (winner !== undefined && winner !== placed.rule) continue;
    const port = `${key}\u0000${placed.gatewayPort ?? ""}`;
    if (placedPorts.has(port)) continue;
    placedPorts.add(port);
    winners.set(key, placed.rule);
    desiredKeys.add(key);
    if (!view.routers.has(placed.router)) {
      missingRouters.push(placed);
      continue;
    }
    const onRouter = (row: NatRowView): boolean => view.routerOf(row.uuid) === placed.router;
    const match = (ownByKey.get(key) ?? []).find(
      (row) =>
        !keptRows.has(row.uuid) &&
        rowMatches(row, placed.rule) &&
        row.externalPortRange === (placed.portRange ?? "") &&
        (row.gatewayPort ?? "") === (placed.gatewayPort ?? "") &&
        onRouter(row),
    );
    if (match !== undefined) {
      keptRows.add(match.uuid);
      kept.push(placed);
      continue;
    }
    const others = (othersByKey.get(key) ?? []).filter((row) => !adoptedRows.has(row.uuid));
    const legacy = others.find((row) => rowHolder(row, member) === "legacy" && onRouter(row));
    const held = others.filter((row) => rowHolder(row, member) === "other");
    const takeable = ownership.takeOver === true ? held.find(onRouter) : undefined;
    const candidate = legacy ?? takeable;
    if (candidate !== undefined) {
      adoptedRows.add(candidate.uuid);
      wanting.push({ placed, row: candidate });
    } else if (held.length > 0 && ownership.takeOver !== true) {
      for (const row of held) conflicts.push(conflictOf(placed, row));
    } else wanting.push({ placed });
  }
  const deletes: PlannedDelete[] = [];
  const spared: NatRowView[] = [];
  for (const [key, rows] of ownByKey) {
    if (scope === "keys" && !desiredKeys.has(key)) continue;
    // Rules read before the NIC started here cannot say it is unwanted.
    const unknownToRules = !desiredKeys.has(key) && ownership.named?.has(key) !== true;
    if (unknownToRules && (ownership.started?.has(key) === true || rows.some((row) => writtenAfterRead(row, ownership.stateRead)))) {
      spared.push(...rows);
      continue;
    }
    for (const row of rows) if (!keptRows.has(row.uuid)) deletes.push({ row, rule: ruleOfRow(row) });
  }
  const legacy: NatRowView[] = [];
  for (const [key, rows] of othersByKey) {
    for (const row of rows) {
      if (rowHolder(row, member) !== "legacy" || adoptedRows.has(row.uuid)) continue;
      // A wanted NIC's other legacy rows are its stale ones: replaced, as its own would be.
      if (desiredKeys.has(key)) deletes.push({ row, rule: ruleOfRow(row) });
      else legacy.push(row);
    }
  }
  // Rows of a key whose router is missing stay: nothing replaces them.
  const missingKeys = new Set(missingRouters.map((p) => ownerKey(p.rule.owner, p.rule.family)));
  const finalDeletes = deletes.filter((d) => (scope === "all" && rowHolder(d.row, member) === "own") || !missingKeys.has(rowOwnerKey(d.row)!));
  const deleted = new Set(finalDeletes.map((d) => d.row.uuid));
  const byLogical = new Map<string, NatRowView[]>();
  for (const row of view.rows) if (row.logicalIp !== undefined) pushTo(byLogical, row.logicalIp, row);
  const inserts: PlacedRule[] = [];
  const updates: PlannedUpdate[] = [];
  const claimed = new Map<string, PlacedRule>();
  for (const { placed, row: candidate } of wanting) {
    const { rule, router } = placed;
    const spot = `${router}\n${placed.gatewayPort ?? ""}\n${rule.logicalIp}`;
    const blocking = (byLogical.get(rule.logicalIp) ?? []).filter(
      (row) =>
        row.type === "snat" &&
        !deleted.has(row.uuid) &&
        row.uuid !== candidate?.uuid &&
        view.routerOf(row.uuid) === router &&
        samePort(row.gatewayPort, placed.gatewayPort) &&
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
    if (candidate === undefined) inserts.push(placed);
    else updates.push({ row: candidate, placed, from: rowMember(candidate) });
  }
  return { member, kept, inserts, updates, deletes: finalDeletes, conflicts, missingRouters, legacy, spared };
}

/**
 * Whether snat rows on two gateway ports translate the same packets: rows on
 * different ports do not (OVN applies each at its own port), a row without
 * a port may apply at any.
 */
function samePort(a: string | undefined, b: string | undefined): boolean {
  return !a || !b || a === b;
}

/**
 * The NAT row `placed` is written as by `member`: {@link ruleRow} with its
 * port range, gateway port and write time (`writtenAt`, when given). For an
 * update (`keep`: the row's external_ids as read) a range or gateway port
 * the rule no longer wants is cleared.
 */
export function placedRow(placed: PlacedRule, member: string, keep?: Readonly<Record<string, string>>, writtenAt?: number): OvsdbRow {
  const row = ruleRow(placed.rule, member, keep, writtenAt);
  if (keep !== undefined) return { ...row, external_port_range: placed.portRange ?? "", gateway_port: placed.gatewayPort === undefined ? ovsSet([]) : uuid(placed.gatewayPort) };
  return {
    ...row,
    ...(placed.portRange === undefined ? {} : { external_port_range: placed.portRange }),
    ...(placed.gatewayPort === undefined ? {} : { gateway_port: uuid(placed.gatewayPort) }),
  };
}

/** Whether `row` records a write between the state read and the view read. */
function writtenAfterRead(row: NatRowView, read: PlanOwnership["stateRead"]): boolean {
  if (read === undefined) return false;
  const written = rowWrittenAt(row);
  return written !== undefined && written >= read.at && written <= read.planAt;
}

function conflictOf(placed: PlacedRule, row: NatRowView): NatConflict {
  const owned = isOwned(row) ? ruleOfRow(row) : undefined;
  const member = owned === undefined ? undefined : rowMember(row);
  return {
    rule: placed.rule,
    router: placed.router,
    uuid: row.uuid,
    logicalIp: row.logicalIpRaw,
    externalIp: row.externalIp,
    ownedBy: owned === undefined ? undefined : nicName(owned.owner),
    ...(member === undefined ? {} : { member }),
  };
}

/** Whether a plan changes nothing. */
export function planIsEmpty(plan: NatChangePlan): boolean {
  return plan.inserts.length === 0 && plan.updates.length === 0 && plan.deletes.length === 0;
}

/** A guard on owned rows: the rows matching `selector` must still be exactly `uuids`. */
export interface OwnedGuard {
  readonly selector: OvsdbValue;
  readonly uuids: readonly string[];
}

/** What else a plan's transaction carries. */
export interface NatTransactionOptions {
  /** Recorded as `incusx:written` on every row inserted or updated (ms since the epoch). */
  readonly writtenAt?: number;
  /** More `wait`s, put first: what else the plan was decided from (a router's load balancers). */
  readonly guards?: readonly OvsdbOperation[];
}

/** The transaction applying a plan, and where its router mutations are (their `count` must be 1). */
export interface NatTransaction {
  readonly ops: OvsdbOperation[];
  readonly routerMutations: readonly { readonly index: number; readonly router: string }[];
}

/**
 * The one transaction applying `plan`, guarded with `wait`s so that it
 * commits only if nothing it decided on changed since `view` was read:
 * the routers still exist (same uuid), the owned rows are the ones read
 * (`owned`, which must cover the member's own rows the plan deletes), a
 * row updated in place or a legacy row deleted still has the external_ids
 * read (so still the same owner and member), and no snat row appeared on
 * a logical address it writes. Rows taken over or adopted are updated in
 * place (same `_uuid`, still referenced by their router): the NIC is never
 * without its row and never has two.
 */
export function natTransaction(plan: NatChangePlan, view: NatView, owned: readonly OwnedGuard[], options: NatTransactionOptions = {}): NatTransaction {
  const { writtenAt } = options;
  const ops: OvsdbOperation[] = [...(options.guards ?? [])];
  const routers = new Set<string>(plan.inserts.map((p) => p.router));
  for (const u of plan.updates) routers.add(u.placed.router);
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
  // Rows outside the member's own guard: whoever changes their owner first wins, the other re-reads.
  const legacyDeletes = plan.deletes.filter((d) => rowMember(d.row) === undefined && d.row.externalIds[EXTERNAL_ID_KEYS.owner] !== undefined);
  for (const row of [...plan.updates.map((u) => u.row), ...legacyDeletes.map((d) => d.row)]) {
    ops.push(op.wait("NAT", [["_uuid", "==", uuid(row.uuid)]], ["external_ids"], "==", [{ external_ids: ovsMap(row.externalIds) }]));
  }
  const writes = [...plan.inserts, ...plan.updates.map((u) => u.placed)];
  const byRaw = new Map<string, NatRowView[]>();
  for (const row of view.rows) if (row.type === "snat") pushTo(byRaw, row.logicalIpRaw, row);
  const snatRows = view.rows.filter((r) => r.type === "snat");
  // One wait on every snat row is stricter (any snat change by anyone fails it) but far
  // smaller than two waits per address when a full read inserts many rows.
  const bulk = view.complete === true && writes.length >= BULK_GUARD_MIN_INSERTS && snatRows.length <= 2 * writes.length;
  if (bulk) ops.push(op.wait("NAT", [["type", "==", "snat"]], ["_uuid"], "==", snatRows.map((r) => ({ _uuid: uuid(r.uuid) }))));
  const guardedIps = new Set<string>();
  for (const { rule } of bulk ? [] : writes) {
    const full = rule.family === "ipv4" ? "/32" : "/128";
    for (const spelling of [rule.logicalIp, `${rule.logicalIp}${full}`]) {
      if (guardedIps.has(spelling)) continue;
      guardedIps.add(spelling);
      const present = (byRaw.get(spelling) ?? []).map((r) => ({ _uuid: uuid(r.uuid) }));
      ops.push(op.wait("NAT", [["type", "==", "snat"], ["logical_ip", "==", spelling]], ["_uuid"], "==", present));
    }
  }
  // A full read also guards the inserted NICs' rows of other members (and legacy ones), so another
  // member inserting such a NIC at another address makes this fail instead of doubling the NIC:
  // per instance for a few inserts (no contention), else one wait on every row not this member's
  // (one table scan instead of one per instance).
  if (view.complete === true && !bulk && plan.inserts.length > 0) {
    if (plan.inserts.length <= BULK_GUARD_MIN_INSERTS) {
      for (const instance of new Set(plan.inserts.map((p) => p.rule.owner.instance))) {
        const present = view.rows.filter((row) => isOwned(row) && row.externalIds[EXTERNAL_ID_KEYS.instance] === instance);
        ops.push(op.wait("NAT", [["external_ids", "includes", instanceSelector(instance)]], ["_uuid"], "==", present.map((r) => ({ _uuid: uuid(r.uuid) }))));
      }
    } else {
      const notMine = view.rows.filter((row) => isOwned(row) && rowMember(row) !== plan.member);
      const where: OvsdbCondition[] = [
        ["external_ids", "includes", ownerSelector()],
        ["external_ids", "excludes", ovsMap({ [EXTERNAL_ID_KEYS.member]: plan.member })],
      ];
      ops.push(op.wait("NAT", where, ["_uuid"], "==", notMine.map((r) => ({ _uuid: uuid(r.uuid) }))));
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
  for (const u of plan.updates) {
    ops.push(op.update("NAT", [["_uuid", "==", uuid(u.row.uuid)]], placedRow(u.placed, plan.member, u.row.externalIds, writtenAt)));
  }
  const insertsByRouter = new Map<string, string[]>();
  plan.inserts.forEach((placed, i) => {
    const name = `nat${i}`;
    ops.push(op.insert("NAT", placedRow(placed, plan.member, undefined, writtenAt), name));
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
