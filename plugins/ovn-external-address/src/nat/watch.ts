// The backend's watch on the NB: one conditional monitor (resumed by the
// client across reconnects and leader changes) over the owned NAT rows, the
// routers' names and the switch ports' dynamic addresses. Owned rows are
// mirrored and compared with what the backend last read or wrote, so the
// updates its own transactions cause report nothing.

import type { NatStoreChange, NatWatch } from "@incusx/sdk";
import { mapRecord, type Monitor, type MonitorUpdate, type OvsdbClient, type OvsdbRow, type OvsdbValue, type RowUpdate2 } from "@incusx/ovsdb";
import { OVN_NORTHBOUND } from "./rows.js";

/** An owned NAT row's content, compared as one string. */
export type RowPrint = string;

/** The print of a NAT row's content: type, addresses as stored, external_ids in key order. */
export function rowPrint(type: string, logicalIp: string, externalIp: string, externalIds: Readonly<Record<string, string>>): RowPrint {
  const ids = Object.entries(externalIds).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([type, logicalIp, externalIp, ids]);
}

/** What the watch needs from its backend. */
export interface WatchedBackend {
  /** Owned rows (uuid to print) as the backend last read or wrote them; `undefined` until a full read. */
  knownRows(): ReadonlyMap<string, RowPrint> | undefined;
  /** Whether a write of the backend is in flight (its updates may arrive before its reply). */
  writing(): boolean;
  /** Logical switch ports whose dynamic addresses a plan was made from. */
  plannedPorts(): ReadonlySet<string>;
}

/** The columns of a mirrored owned NAT row. */
interface MirroredRow {
  type: string;
  logicalIp: string;
  externalIp: string;
  externalIds: Record<string, string>;
}

/**
 * Watches the NB for changes that can make `backend`'s rows drift; see
 * `NatBackend.watch`. `ownedWhere` is the `external_ids includes` map
 * selecting the backend's rows. Call {@link NatWatcher.writeDone} after
 * every write of the backend.
 */
export class NatWatcher implements NatWatch {
  readonly #mirror = new Map<string, MirroredRow>();
  /** Switch port names by uuid: a modify names only the columns that changed. */
  readonly #ports = new Map<string, string>();
  readonly #backend: WatchedBackend;
  readonly #listener: (change: NatStoreChange) => void;
  #monitor: Monitor | undefined;
  #started = false;
  #closed = false;
  #recheck = false;

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
        NAT: { columns: ["type", "logical_ip", "external_ip", "external_ids"], where: [["external_ids", "includes", ownedWhere]] },
        Logical_Router: { columns: ["name"] },
        Logical_Switch_Port: { columns: ["name", "dynamic_addresses"] },
      },
      (update) => watcher.#onUpdate(update),
    );
    return watcher;
  }

  /** Owned NAT rows the monitor currently sees. */
  get ownedRows(): number {
    return this.#mirror.size;
  }

  /** Compares again once a write finished (its updates were held while it was in flight). */
  writeDone(): void {
    if (this.#recheck && !this.#backend.writing()) {
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
      applyNat(this.#mirror, update.updates.NAT ?? {});
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
    applyNat(this.#mirror, nat);
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
    const router = Object.entries(update.updates.Logical_Router ?? {}).find(([, change]) => !("initial" in change));
    if (router !== undefined) this.#report({ reason: "router", detail: `Logical_Router ${router[0]} ${changeKind(router[1])}` });
    else if (port !== undefined) this.#report({ reason: "address", detail: port });
    else if (natChanged) this.#compare();
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
    if (print !== rowPrint(row.type, row.logicalIp, row.externalIp, row.externalIds)) return `NAT row ${id} was changed`;
  }
  if (known.size !== mirror.size) {
    for (const id of known.keys()) if (!mirror.has(id)) return `NAT row ${id} was deleted`;
  }
  return undefined;
}

function applyNat(mirror: Map<string, MirroredRow>, changes: Readonly<Record<string, RowUpdate2>>): void {
  for (const [id, change] of Object.entries(changes)) {
    if ("delete" in change) mirror.delete(id);
    else if ("modify" in change) {
      const row = mirror.get(id);
      if (row === undefined) continue;
      const diff = change.modify;
      if (typeof diff.type === "string") row.type = diff.type;
      if (typeof diff.logical_ip === "string") row.logicalIp = diff.logical_ip;
      if (typeof diff.external_ip === "string") row.externalIp = diff.external_ip;
      if (diff.external_ids !== undefined) row.externalIds = applyMapDiff(row.externalIds, mapRecord(diff.external_ids));
    } else {
      const row = "initial" in change ? change.initial : change.insert;
      mirror.set(id, {
        type: String(row.type ?? ""),
        logicalIp: String(row.logical_ip ?? ""),
        externalIp: String(row.external_ip ?? ""),
        externalIds: mapRecord(row.external_ids),
      });
    }
  }
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
