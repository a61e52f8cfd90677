// The backend's watch on the NB: one conditional monitor (resumed by the
// client across reconnects and leader changes) over the owned NAT rows, the
// routers' names, ports and load balancers, the load balancers' VIPs, the load
// balancer groups, and the switch ports' dynamic addresses. Owned rows are
// mirrored and compared with what the backend last read or wrote, so the
// updates its own transactions cause report nothing. A forward (load
// balancer) change counts only when it changes the VIPs on an external
// address the backend planned rules for, on the router of those rules.

import type { NatStoreChange, NatWatch } from "@incusx/sdk";
import { hasColumn, mapRecord, uuidOf, uuidsOf, type Monitor, type MonitorUpdate, type OvsdbClient, type OvsdbRow, type OvsdbValue, type RowUpdate2 } from "@incusx/ovsdb";
import type { NatView } from "./plan.js";
import { parseVipKey } from "./forward-lb.js";
import { OVN_NORTHBOUND, hostAddress, rowOwnerKey, type NatRowView } from "./rows.js";

/** An owned NAT row's content, compared as one string. */
export type RowPrint = string;

/** The print of a NAT row's content: type, addresses and port range as stored, external_ids in key order. */
export function rowPrint(row: Pick<NatRowView, "type" | "logicalIpRaw" | "externalIp" | "externalPortRange" | "gatewayPort" | "externalIds">): RowPrint {
  const ids = Object.entries(row.externalIds).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const print: unknown[] = [row.type, row.logicalIpRaw, row.externalIp, row.externalPortRange, ids];
  if (row.gatewayPort) print.push(row.gatewayPort);
  return JSON.stringify(print);
}

/** What the watch needs from its backend. */
export interface WatchedBackend {
  /** Owned rows (uuid to print) as the backend last read or wrote them; `undefined` until a full read. */
  knownRows(): ReadonlyMap<string, RowPrint> | undefined;
  /** Whether a write of the backend is in flight (its updates may arrive before its reply). */
  writing(): boolean;
  /** Logical switch ports whose dynamic addresses a plan was made from. */
  plannedPorts(): ReadonlySet<string>;
  /**
   * External addresses (canonical) the last rules asked for, by router
   * name: a change of the load balancer VIPs on one of them, on that
   * router, is reported (`forward`). None: no forward change is.
   */
  plannedAddresses?(): ReadonlyMap<string, ReadonlySet<string>>;
}

/** What changed in the owned rows: the NICs (owner keys) and the rows (uuids). */
export interface WatchedChanges {
  readonly keys: Set<string>;
  readonly uuids: Set<string>;
}

/** A mirrored owned NAT row: its view (plans cache per view object) and print. */
interface MirroredRow {
  readonly view: NatRowView;
  readonly print: RowPrint;
}

/** A mirrored logical router: its name, the NAT rows, load balancers and load balancer groups it references. */
interface MirroredRouter {
  name: string;
  readonly nat: Set<string>;
  readonly lbs: Set<string>;
  readonly groups: Set<string>;
}

/**
 * Watches the NB for changes that can make `backend`'s rows drift; see
 * `NatBackend.watch`. `ownedWhere` is the `external_ids includes` map
 * selecting the backend's rows. Call {@link NatWatcher.writeDone} after
 * every write of the backend.
 */
export class NatWatcher implements NatWatch {
  readonly #mirror = new Map<string, MirroredRow>();
  readonly #routers = new Map<string, MirroredRouter>();
  /** Switch port names by uuid: a modify names only the columns that changed. */
  readonly #ports = new Map<string, string>();
  /** Load balancers' VIPs (`198.51.100.9:80` to targets), by uuid. */
  readonly #lbs = new Map<string, Readonly<Record<string, string>>>();
  /** Load balancer groups' load balancers, by uuid. */
  readonly #groups = new Map<string, Set<string>>();
  readonly #backend: WatchedBackend;
  readonly #listener: (change: NatStoreChange) => void;
  #monitor: Monitor | undefined;
  #started = false;
  #closed = false;
  #recheck = false;
  /** Rows changed by others since {@link takeChanges}; `"all"` when not known. */
  #changes: WatchedChanges | "all" = "all";
  /** Row changes that came while a write was in flight: judged once its reply is in. */
  #heldChanges: [string, MirroredRow | undefined, MirroredRow | undefined][] = [];

  private constructor(backend: WatchedBackend, listener: (change: NatStoreChange) => void) {
    this.#backend = backend;
    this.#listener = listener;
  }

  /** Starts the monitor; resolves once its initial contents are mirrored. */
  static async start(client: OvsdbClient, ownedWhere: OvsdbValue, backend: WatchedBackend, listener: (change: NatStoreChange) => void): Promise<NatWatcher> {
    const watcher = new NatWatcher(backend, listener);
    watcher.#monitor = await client.monitor(
      OVN_NORTHBOUND,
      {
        NAT: { columns: await natColumns(client), where: [["external_ids", "includes", ownedWhere]] },
        // ports: a gateway port added or removed changes where rows go (gateway-ports.ts);
        // load_balancer(_group): a forward on a planned external address changes which rules may be written (forward-lb.ts).
        Logical_Router: { columns: ["name", "nat", "ports", "load_balancer", "load_balancer_group"] },
        Logical_Switch_Port: { columns: ["name", "dynamic_addresses"] },
        Load_Balancer: { columns: ["vips"] },
        Load_Balancer_Group: { columns: ["load_balancer"] },
      },
      (update) => watcher.#onUpdate(update),
    );
    return watcher;
  }

  /** Whether the monitor has its contents (and the watch is open): {@link view} gives something. */
  get ready(): boolean {
    return this.#started && !this.#closed;
  }

  /**
   * What the monitor sees now, as a plan's view: the routers, every owned
   * row, and which router references each. Not a full read (`complete` is
   * unset: foreign snat rows are not in it). `undefined` before the first
   * contents and after close.
   */
  view(): (NatView & { readonly prints: ReadonlyMap<string, RowPrint> }) | undefined {
    if (!this.#started || this.#closed) return undefined;
    const routers = this.routerNames();
    const rows: NatRowView[] = [];
    const prints = new Map<string, RowPrint>();
    for (const [id, row] of this.#mirror) {
      rows.push(row.view);
      prints.set(id, row.print);
    }
    const routerOfRow = new Map<string, string>();
    for (const router of this.#routers.values()) for (const nat of router.nat) routerOfRow.set(nat, router.name);
    return { routers, rows, prints, routerOf: (id) => routerOfRow.get(id) };
  }

  /**
   * The owned rows inserted, changed or deleted since the last call, other
   * than to what the backend knows (its own writes, once their reply came):
   * their owner keys (NIC and family) and uuids; `"all"` when not known
   * (first contents, a monitor that started over, a malformed row). Starts
   * the next collection.
   */
  takeChanges(): WatchedChanges | "all" {
    const changes = this.#changes;
    this.#changes = { keys: new Set(), uuids: new Set() };
    return changes;
  }

  /** The mirrored owned rows of NICs `keys`, and those translating `addresses`. */
  rowsFor(keys: ReadonlySet<string>, addresses: ReadonlySet<string>): { readonly view: NatRowView; readonly print: RowPrint }[] {
    const rows: MirroredRow[] = [];
    for (const row of this.#mirror.values()) {
      if (keys.has(rowOwnerKey(row.view) ?? "") || (row.view.logicalIp !== undefined && addresses.has(row.view.logicalIp))) rows.push(row);
    }
    return rows;
  }

  /** Routers by name (uuid), as the monitor sees them. */
  routerNames(): Map<string, string> {
    const routers = new Map<string, string>();
    for (const [id, router] of this.#routers) routers.set(router.name, id);
    return routers;
  }

  /** The name of the router referencing NAT row `id`, as the monitor sees it. */
  routerOf(id: string): string | undefined {
    for (const router of this.#routers.values()) if (router.nat.has(id)) return router.name;
    return undefined;
  }

  /** Compares again once a write finished (its updates were held while it was in flight). */
  writeDone(): void {
    if (this.#backend.writing()) return;
    for (const [id, before, after] of this.#heldChanges.splice(0)) this.#markChanged(id, before, after);
    if (this.#recheck) {
      this.#recheck = false;
      this.#compare();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#monitor?.cancel();
  }

  #onUpdate(update: MonitorUpdate): void {
    if (this.#closed) return;
    const first = !this.#started;
    this.#started = true;
    if (update.initial && !update.found) {
      this.#mirror.clear();
      this.#ports.clear();
      this.#routers.clear();
      this.#lbs.clear();
      this.#groups.clear();
      this.#changes = "all";
      this.#heldChanges = [];
      applyNat(this.#mirror, update.updates.NAT ?? {}, () => undefined);
      applyRouters(this.#routers, update.updates.Logical_Router ?? {});
      applyLbs(this.#lbs, update.updates.Load_Balancer ?? {});
      applyGroups(this.#groups, update.updates.Load_Balancer_Group ?? {});
      for (const [id, change] of Object.entries(update.updates.Logical_Switch_Port ?? {})) {
        const row = rowOf(change);
        if (typeof row?.name === "string") this.#ports.set(id, row.name);
      }
      // The first contents are the start; a later full resend means changes were missed.
      if (!first) this.#report({ reason: "resync", detail: "the NB monitor was re-established without the changes since" });
      return;
    }
    const nat = update.updates.NAT ?? {};
    const natChanged = Object.keys(nat).length > 0;
    applyNat(this.#mirror, nat, (id, before, after) => this.#markChanged(id, before, after));
    const planned = this.#backend.plannedPorts();
    let port: string | undefined;
    for (const [id, change] of Object.entries(update.updates.Logical_Switch_Port ?? {})) {
      const before = this.#ports.get(id);
      const row = rowOf(change);
      if ("delete" in change) this.#ports.delete(id);
      else if (typeof row?.name === "string") this.#ports.set(id, row.name);
      const after = this.#ports.get(id);
      if (port === undefined && ((before !== undefined && planned.has(before)) || (after !== undefined && planned.has(after)))) {
        port = `Logical_Switch_Port ${after ?? before} ${changeKind(change)}`;
      }
    }
    const routerChanges = update.updates.Logical_Router ?? {};
    const lbChanges = update.updates.Load_Balancer ?? {};
    const groupChanges = update.updates.Load_Balancer_Group ?? {};
    const forwardsMayChange =
      Object.keys(lbChanges).length > 0 ||
      Object.keys(groupChanges).length > 0 ||
      Object.values(routerChanges).some((c) => "modify" in c && (c.modify.load_balancer !== undefined || c.modify.load_balancer_group !== undefined));
    const forwardsBefore = forwardsMayChange ? this.#forwardPrint() : undefined;
    applyRouters(this.#routers, routerChanges);
    applyLbs(this.#lbs, lbChanges);
    applyGroups(this.#groups, groupChanges);
    const forward = forwardsBefore === undefined ? undefined : differingForward(forwardsBefore, this.#forwardPrint());
    // Rules the forward decides were not changed by anyone: every NIC is planned again (the next reconcile reads the load balancers).
    if (forward !== undefined) this.#changes = "all";
    // A router's nat column changes with every NAT row added or removed: only a router that came, went,
    // was renamed or changed ports counts.
    const router = Object.entries(routerChanges).find(
      ([, change]) => "insert" in change || "delete" in change || ("modify" in change && ("name" in change.modify || "ports" in change.modify)),
    );
    if (router !== undefined) this.#report({ reason: "router", detail: `Logical_Router ${router[0]} ${changeKind(router[1])}` });
    else if (forward !== undefined) this.#report({ reason: "forward", detail: forward });
    else if (port !== undefined) this.#report({ reason: "address", detail: port });
    else if (natChanged) this.#compare();
  }

  /**
   * The VIP keys on each planned external address, by router and address:
   * what a snat row's fate there depends on (forward-lb.ts).
   */
  #forwardPrint(): Map<string, string> {
    const print = new Map<string, string>();
    const planned = this.#backend.plannedAddresses?.();
    if (planned === undefined || planned.size === 0) return print;
    for (const router of this.#routers.values()) {
      const addresses = planned.get(router.name);
      if (addresses === undefined) continue;
      const lbs = new Set(router.lbs);
      for (const group of router.groups) for (const lb of this.#groups.get(group) ?? []) lbs.add(lb);
      const byAddress = new Map<string, string[]>();
      for (const lb of lbs) {
        for (const key of Object.keys(this.#lbs.get(lb) ?? {})) {
          const vip = parseVipKey(key);
          if (vip === undefined || !addresses.has(vip.address)) continue;
          const keys = byAddress.get(vip.address) ?? byAddress.set(vip.address, []).get(vip.address)!;
          keys.push(key);
        }
      }
      for (const [address, keys] of byAddress) print.set(`${router.name} ${address}`, keys.sort().join(" "));
    }
    return print;
  }

  #markChanged(id: string, before: MirroredRow | undefined, after: MirroredRow | undefined): void {
    const changes = this.#changes;
    if (changes === "all") return;
    // Possibly the write's own update, ahead of its reply: the backend does not know its rows yet.
    if (this.#backend.writing()) {
      this.#heldChanges.push([id, before, after]);
      return;
    }
    const known = this.#backend.knownRows();
    // The backend's own write, its reply already in: nothing to plan for.
    if (known !== undefined && (after === undefined ? !known.has(id) : known.get(id) === after.print)) return;
    changes.uuids.add(id);
    for (const row of [before, after]) {
      if (row === undefined) continue;
      const key = rowOwnerKey(row.view);
      if (key === undefined) this.#changes = "all";
      else changes.keys.add(key);
    }
  }

  #compare(): void {
    if (this.#backend.writing()) {
      this.#recheck = true;
      return;
    }
    const known = this.#backend.knownRows();
    const drift = known === undefined ? "owned NAT rows changed" : difference(this.#mirror, known);
    if (drift !== undefined) this.#report({ reason: "rules", detail: drift });
  }

  #report(change: NatStoreChange): void {
    try {
      this.#listener(change);
    } catch {
      // The listener's failure is its own; the monitor keeps running.
    }
  }
}

/** The first difference between the mirrored rows and the known ones, or `undefined`. */
function difference(mirror: ReadonlyMap<string, MirroredRow>, known: ReadonlyMap<string, RowPrint>): string | undefined {
  for (const [id, row] of mirror) {
    const print = known.get(id);
    if (print === undefined) return `NAT row ${id} appeared`;
    if (print !== row.print) return `NAT row ${id} was changed`;
  }
  if (known.size !== mirror.size) {
    for (const id of known.keys()) if (!mirror.has(id)) return `NAT row ${id} was deleted`;
  }
  return undefined;
}

function applyNat(
  mirror: Map<string, MirroredRow>,
  changes: Readonly<Record<string, RowUpdate2>>,
  changed: (id: string, before: MirroredRow | undefined, after: MirroredRow | undefined) => void,
): void {
  for (const [id, change] of Object.entries(changes)) {
    const before = mirror.get(id);
    if ("delete" in change) mirror.delete(id);
    else if ("modify" in change) {
      const old = mirror.get(id)?.view;
      if (old === undefined) continue;
      const diff = change.modify;
      mirror.set(
        id,
        mirrored(id, {
          type: typeof diff.type === "string" ? diff.type : old.type,
          logicalIpRaw: typeof diff.logical_ip === "string" ? diff.logical_ip : old.logicalIpRaw,
          externalIp: typeof diff.external_ip === "string" ? diff.external_ip : old.externalIp,
          externalPortRange: typeof diff.external_port_range === "string" ? diff.external_port_range : old.externalPortRange,
          gatewayPort: diff.gateway_port === undefined ? (old.gatewayPort ?? "") : toggled(old.gatewayPort ?? "", uuidsOf(diff.gateway_port)),
          externalIds: diff.external_ids === undefined ? old.externalIds : applyMapDiff(old.externalIds, mapRecord(diff.external_ids)),
        }),
      );
    } else {
      const row = "initial" in change ? change.initial : change.insert;
      mirror.set(
        id,
        mirrored(id, {
          type: String(row.type ?? ""),
          logicalIpRaw: String(row.logical_ip ?? ""),
          externalIp: String(row.external_ip ?? ""),
          externalPortRange: String(row.external_port_range ?? ""),
          gatewayPort: uuidOf(row.gateway_port) ?? "",
          externalIds: mapRecord(row.external_ids),
        }),
      );
    }
    changed(id, before, mirror.get(id));
  }
}

function mirrored(id: string, columns: Omit<NatRowView, "uuid" | "logicalIp">): MirroredRow {
  return { view: { uuid: id, ...columns, logicalIp: hostAddress(columns.logicalIpRaw) }, print: rowPrint(columns) };
}

function applyRouters(routers: Map<string, MirroredRouter>, changes: Readonly<Record<string, RowUpdate2>>): void {
  for (const [id, change] of Object.entries(changes)) {
    if ("delete" in change) routers.delete(id);
    else if ("modify" in change) {
      const router = routers.get(id);
      if (router === undefined) continue;
      if (typeof change.modify.name === "string") router.name = change.modify.name;
      toggle(router.nat, uuidsOf(change.modify.nat));
      toggle(router.lbs, uuidsOf(change.modify.load_balancer));
      toggle(router.groups, uuidsOf(change.modify.load_balancer_group));
    } else {
      const row = "initial" in change ? change.initial : change.insert;
      routers.set(id, {
        name: String(row.name ?? ""),
        nat: new Set(uuidsOf(row.nat)),
        lbs: new Set(uuidsOf(row.load_balancer)),
        groups: new Set(uuidsOf(row.load_balancer_group)),
      });
    }
  }
}

/** Applies a set column's update2 diff: it names the elements that were added or removed. */
function toggle(set: Set<string>, diff: readonly string[]): void {
  for (const item of diff) if (!set.delete(item)) set.add(item);
}

/** Mirrors each load balancer's `vips` (key to targets). */
function applyLbs(mirror: Map<string, Readonly<Record<string, string>>>, changes: Readonly<Record<string, RowUpdate2>>): void {
  for (const [id, change] of Object.entries(changes)) {
    if ("delete" in change) mirror.delete(id);
    else if ("modify" in change) {
      const old = mirror.get(id);
      if (old !== undefined && change.modify.vips !== undefined) mirror.set(id, applyMapDiff(old, mapRecord(change.modify.vips)));
    } else {
      const row = "initial" in change ? change.initial : change.insert;
      mirror.set(id, mapRecord(row.vips));
    }
  }
}

/** Mirrors each load balancer group's load balancers. */
function applyGroups(mirror: Map<string, Set<string>>, changes: Readonly<Record<string, RowUpdate2>>): void {
  for (const [id, change] of Object.entries(changes)) {
    if ("delete" in change) mirror.delete(id);
    else if ("modify" in change) {
      const set = mirror.get(id);
      if (set !== undefined) toggle(set, uuidsOf(change.modify.load_balancer));
    } else {
      const row = "initial" in change ? change.initial : change.insert;
      mirror.set(id, new Set(uuidsOf(row.load_balancer)));
    }
  }
}

/** The first (router, address) whose VIP keys differ between two forward prints, described; undefined when none does. */
function differingForward(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string | undefined {
  for (const spot of new Set([...before.keys(), ...after.keys()])) {
    if (before.get(spot) !== after.get(spot)) {
      const [router, address] = spot.split(" ");
      return `load balancer VIPs on ${address} of router ${router} changed: [${before.get(spot) ?? ""}] -> [${after.get(spot) ?? ""}]`;
    }
  }
  return undefined;
}

/**
 * A map column after an update2 `modify` diff (ovsdb-server(7)): a key not
 * in the old map is added, one with the same value is removed, one with
 * another value takes it.
 */
export function applyMapDiff(old: Readonly<Record<string, string>>, diff: Readonly<Record<string, string>>): Record<string, string> {
  const next = { ...old };
  for (const [key, value] of Object.entries(diff)) {
    if (next[key] === value) delete next[key];
    else next[key] = value;
  }
  return next;
}

function rowOf(change: RowUpdate2): OvsdbRow | undefined {
  if ("initial" in change) return change.initial;
  if ("insert" in change) return change.insert;
  if ("modify" in change) return change.modify;
  return undefined;
}

function changeKind(change: RowUpdate2): string {
  return "insert" in change ? "inserted" : "delete" in change ? "deleted" : "modify" in change ? "modified" : "listed";
}

/** The NAT columns the watch mirrors; `gateway_port` only where the NB schema has it (older OVN lacks it). */
async function natColumns(client: OvsdbClient): Promise<string[]> {
  const columns = ["type", "logical_ip", "external_ip", "external_port_range", "external_ids"];
  return hasColumn(await client.getSchema(OVN_NORTHBOUND), "NAT", "gateway_port") ? [...columns, "gateway_port"] : columns;
}

/** An optional column after an update2 diff: the diff lists the values added or removed (a set of at most one). */
function toggled(old: string, diff: readonly string[]): string {
  const values = new Set(old === "" ? [] : [old]);
  for (const value of diff) if (!values.delete(value)) values.add(value);
  return [...values][0] ?? "";
}
