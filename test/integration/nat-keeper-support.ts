// A host running the OVN plugin with its NAT keeper against a real NB, a
// host state file it watches, and an observer client that sees every NB
// transaction touching NAT rows or routers (one update per transaction).
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Host, type NatKeeper, type NatKeeperReport } from "@incusx/host";
import { OvsdbClient, mapRecord, type Monitor, type MonitorUpdate, type OvsdbOperation } from "@incusx/ovsdb";
import type { HostState } from "@incusx/sdk/host";

const NB = "OVN_Northbound";
const TEST_DIR = fileURLToPath(new URL("..", import.meta.url));

/** An instance with one NIC on ovn0: a static address, or none (OVN assigns it dynamically). */
export interface KeeperInstance {
  readonly name: string;
  readonly ipv4?: string;
  readonly external?: string;
}

/** The host state: network ovn0 on router lr-ovn0, forwards 198.51.100.9 and .10, the instances. */
export function keeperState(instances: readonly KeeperInstance[]): HostState {
  return {
    networks: [
      {
        name: "ovn0",
        type: "ovn",
        ovn_router: "lr-ovn0",
        config: { "ipv4.address": "10.0.0.1/16" },
        forwards: [{ listen_address: "198.51.100.9" }, { listen_address: "198.51.100.10" }],
      },
    ],
    instances: instances.map((i) => ({
      name: i.name,
      devices: {
        eth0: {
          type: "nic",
          network: "ovn0",
          ...(i.ipv4 === undefined ? {} : { "ipv4.address": i.ipv4 }),
          "ipv4.address.external": i.external ?? "198.51.100.9",
        },
      },
    })),
  };
}

/** An owned snat row as the observer sees it. */
export interface ObservedRow {
  readonly uuid: string;
  readonly instance: string;
  readonly logicalIp: string;
  readonly externalIp: string;
  /** `incusx:member` of the row. */
  readonly member: string;
  /** external_port_range ("" when none). */
  readonly portRange: string;
}

/**
 * Sees every NB transaction that touches NAT rows or routers: one monitor
 * update per transaction. Tracks the owned snat rows.
 */
export class NbObserver {
  readonly rows = new Map<string, ObservedRow>();
  /** Router names by uuid. */
  readonly routers = new Map<string, string>();
  /** Switch ports' dynamic_addresses by uuid (name, value). */
  readonly ports = new Map<string, { name: string; dynamic: string }>();
  /** Updates seen after the initial contents (one per transaction). */
  transactions = 0;
  #waiters: (() => void)[] = [];
  readonly #ids = new Map<string, Record<string, string>>();
  /** Called after every update (one per transaction), in order. */
  readonly afterEach = new Set<() => void>();
  #watchers = new Set<() => void>();

  private constructor(
    readonly client: OvsdbClient,
    private monitor: Monitor | undefined,
  ) {}

  static async start(connection: string): Promise<NbObserver> {
    const client = await OvsdbClient.connect(connection, { database: NB, requestTimeoutMs: 10_000 });
    const observer = new NbObserver(client, undefined);
    observer.monitor = await client.monitor(
      NB,
      {
        NAT: { columns: ["logical_ip", "external_ip", "external_port_range", "external_ids"] },
        Logical_Router: { columns: ["name", "nat"] },
        Logical_Switch_Port: { columns: ["name", "dynamic_addresses"] },
      },
      (u) => observer.#onUpdate(u),
    );
    return observer;
  }

  /** The dynamic_addresses of switch port `name`. */
  dynamicAddresses(name: string): string | undefined {
    return [...this.ports.values()].find((p) => p.name === name)?.dynamic;
  }

  /** The owned row of `instance`, if any. */
  row(instance: string): ObservedRow | undefined {
    return [...this.rows.values()].find((r) => r.instance === instance);
  }

  /** Resolves when `predicate` holds (checked after every update); rejects after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 20_000, what = "the NB condition"): Promise<number> {
    const started = performance.now();
    while (!predicate()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), Math.max(1, timeoutMs - (performance.now() - started)));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return performance.now() - started;
  }

  /**
   * Resolves with the time (performance.now()) of the update after which
   * `predicate` first held, checked synchronously on every update from now
   * on: an update processed before the caller resumes is still timed right.
   */
  when(predicate: () => boolean, timeoutMs = 20_000, what = "the NB condition"): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        this.#watchers.delete(check);
        clearTimeout(timer);
        resolve(performance.now());
      };
      const timer = setTimeout(() => {
        this.#watchers.delete(check);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#watchers.add(check);
    });
  }

  async close(): Promise<void> {
    await this.monitor?.cancel();
    this.client.close();
  }

  #onUpdate(update: MonitorUpdate): void {
    if (!update.initial) this.transactions++;
    if (update.initial && !update.found) this.rows.clear();
    for (const [id, change] of Object.entries(update.updates.Logical_Router ?? {})) {
      if ("delete" in change) this.routers.delete(id);
      else {
        const row = "initial" in change ? change.initial : "insert" in change ? change.insert : change.modify;
        if (typeof row.name === "string") this.routers.set(id, row.name);
      }
    }
    for (const [id, change] of Object.entries(update.updates.Logical_Switch_Port ?? {})) {
      if ("delete" in change) {
        this.ports.delete(id);
        continue;
      }
      const row = "initial" in change ? change.initial : "insert" in change ? change.insert : change.modify;
      const old = this.ports.get(id);
      const dynamic = typeof row.dynamic_addresses === "string" ? row.dynamic_addresses : (old?.dynamic ?? "");
      this.ports.set(id, { name: typeof row.name === "string" ? row.name : (old?.name ?? ""), dynamic });
    }
    for (const [id, change] of Object.entries(update.updates.NAT ?? {})) {
      if ("delete" in change) {
        this.rows.delete(id);
        continue;
      }
      const old = this.rows.get(id);
      const row = "initial" in change ? change.initial : "insert" in change ? change.insert : change.modify;
      // A modify carries a map diff: a key with the same value goes, any other is set.
      let ids: Record<string, string> | undefined = "modify" in change ? undefined : mapRecord(row.external_ids);
      if ("modify" in change && row.external_ids !== undefined) {
        ids = { ...(this.#ids.get(id) ?? {}) };
        for (const [k, v] of Object.entries(mapRecord(row.external_ids))) {
          if (ids[k] === v) delete ids[k];
          else ids[k] = v;
        }
      }
      if (ids !== undefined) this.#ids.set(id, ids);
      if (ids !== undefined && ids["incusx:instance"] === undefined) continue;
      this.rows.set(id, {
        uuid: id,
        instance: ids?.["incusx:instance"] ?? old?.instance ?? "",
        logicalIp: typeof row.logical_ip === "string" ? row.logical_ip : (old?.logicalIp ?? ""),
        externalIp: typeof row.external_ip === "string" ? row.external_ip : (old?.externalIp ?? ""),
        member: ids === undefined ? (old?.member ?? "") : (ids["incusx:member"] ?? ""),
        portRange: typeof row.external_port_range === "string" ? row.external_port_range : (old?.portRange ?? ""),
      });
    }
    if (process.env.NATDBG && !update.initial) console.error(`[NATDBG obs] tx ${this.transactions}: ${Object.entries(update.updates.NAT ?? {}).map(([id, c]) => `${id.slice(0, 8)} ${"delete" in c ? "delete" : "insert" in c ? "insert " + String(mapRecord(c.insert.external_ids)["incusx:instance"]) + "@" + String(mapRecord(c.insert.external_ids)["incusx:member"]) : "modify " + JSON.stringify(c.modify.external_ids ?? null)}`).join("; ")}`);
    for (const check of [...this.#watchers]) check();
    for (const hook of [...this.afterEach]) hook();
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** A started host with the OVN plugin and its keeper, on a state file in a temp dir. */
export interface KeeperHost {
  readonly host: Host;
  readonly keeper: NatKeeper;
  readonly reports: NatKeeperReport[];
  readonly stateFile: string;
  /** Rewrites the state file (the keeper hears it). */
  writeState(instances: readonly KeeperInstance[]): Promise<void>;
  /** Resolves with the first report after index `from` that `predicate` accepts. */
  report(predicate: (r: NatKeeperReport) => boolean, from?: number, timeoutMs?: number): Promise<NatKeeperReport>;
  stop(): Promise<void>;
}

/** Starts a host (OVN plugin on `northbound`) and its keeper; waits for the first reconcile. */
export async function startKeeperHost(northbound: string, instances: readonly KeeperInstance[], options: { requestTimeoutMs?: number; member?: string } = {}): Promise<KeeperHost> {
  const dir = await mkdtemp(join(tmpdir(), "incusx-keeper-"));
  const stateFile = join(dir, "state.json");
  const writeState = async (list: readonly KeeperInstance[]): Promise<void> => {
    const tmp = `${stateFile}.tmp`;
    await writeFile(tmp, JSON.stringify(keeperState(list)));
    await rename(tmp, stateFile);
  };
  await writeState(instances);
  const host = new Host({
    baseDir: TEST_DIR,
    stateDir: dir,
    networkStateFile: stateFile,
    ...(options.member === undefined ? {} : { member: options.member }),
    plugins: [
      {
        module: "@incusx/plugin-ovn-external-address",
        config: { northbound, requestTimeoutMs: options.requestTimeoutMs ?? 2000 },
        onFailure: "abort",
      },
    ],
    services: { logSink: () => undefined },
  });
  const started = await host.start();
  if (!started.ok) throw new Error(`host did not start: ${JSON.stringify(started.plugins.map((p) => p.error?.message))}`);
  const keeper = host.natKeeper();
  const reports: NatKeeperReport[] = [];
  const waiters: (() => void)[] = [];
  keeper.onReport((r) => {
    reports.push(r);
    for (const wake of waiters.splice(0)) wake();
  });
  const report = async (predicate: (r: NatKeeperReport) => boolean, from = 0, timeoutMs = 20_000): Promise<NatKeeperReport> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = reports.slice(from).find(predicate);
      if (found !== undefined) return found;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching keeper report; reports: ${JSON.stringify(reports.map(summary))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  keeper.start();
  return {
    host,
    keeper,
    reports,
    stateFile,
    writeState,
    report,
    stop: async () => {
      await keeper.stop();
      await host.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A report without its error object, for messages. */
export function summary(r: NatKeeperReport): unknown {
  return r.kind === "failed" ? { kind: r.kind, code: r.error.code, message: r.error.message, retryInMs: r.retryInMs } : r;
}

/**
 * `client`, except that its first transaction writing a NAT row runs
 * `meanwhile` (someone else changing the NB, a forward say) before it goes
 * out: after the writer decided, before its transaction reaches the NB.
 */
export function clientChangingBeforeFirstWrite(client: OvsdbClient, meanwhile: () => Promise<unknown>): OvsdbClient {
  let done = false;
  const writes = (ops: readonly OvsdbOperation[]): boolean => ops.some((o) => (o.op === "insert" || o.op === "update") && o.table === "NAT");
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (prop !== "transact" && prop !== "transactPruned") return value.bind(target);
      return async (db: string, ops: OvsdbOperation[], options?: unknown) => {
        if (!done && writes(ops)) {
          done = true;
          await meanwhile();
        }
        return value.call(target, db, ops, options);
      };
    },
  });
}
