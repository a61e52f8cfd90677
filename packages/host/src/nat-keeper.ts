// Continuous reconcile: keeps the NAT rules of every backend equal to what
// the host state asks for. Backends that can watch their store say when
// something drifted; the host state says when it changed. Reports are
// coalesced into one reconcile (one transaction per backend and batch); a
// failure is retried with capped exponential backoff, never in a loop.

import {
  ErrorCode,
  IncusxError,
  isIncusxError,
  type Clock,
  type NatBackend,
  type NatReconcileResult,
  type NatRule,
  type NatStoreChange,
  type NatWatch,
  type Timer,
} from "@incusx/sdk";
import type { NatReconcileReport } from "@incusx/nic";

/** Why a keeper's reconcile ran: its first run, a backend's store drifted, the host state changed, or a retry after a failure. */
export type NatKeeperTrigger = "start" | "drift" | "state" | "retry";

/** One reconcile of a {@link NatKeeper} that finished. */
export interface NatKeeperReconciled {
  readonly kind: "reconciled";
  /** The cluster member whose rules were reconciled, when the host names one. */
  readonly member?: string;
  /** How long the reconcile took (keeper clock). */
  readonly durationMs: number;
  /** Rules created, corrected or deleted (0 when nothing had drifted). */
  readonly changes: number;
  /** Rules owned once it finished (desired rules less those blocked or failed). */
  readonly ownedRows: number;
  readonly trigger: NatKeeperTrigger;
}

/** One reconcile (or watch start) of a {@link NatKeeper} that failed; it is tried again in `retryInMs`. */
export interface NatKeeperFailed {
  readonly kind: "failed";
  /** The failure, always with a stable `code`. */
  readonly error: IncusxError;
  readonly retryInMs: number;
}

/** What a {@link NatKeeper} reports after every run. */
export type NatKeeperReport = NatKeeperReconciled | NatKeeperFailed;

/** What a {@link NatKeeper} works with. */
export interface NatKeeperOptions {
  /** Reconciles every backend against the host state (a `NicLifecycle`). */
  readonly lifecycle: { reconcile(): Promise<NatReconcileReport> };
  /** The NAT backends; those with `watch` are watched. */
  readonly backends: readonly NatBackend[];
  /** Time source for the debounce and the backoff. */
  readonly clock: Clock;
  /** Subscribes to host state changes; returns the unsubscribe function. */
  readonly stateChanges?: (listener: () => void) => () => void;
  /** Cluster member name put in reports. */
  readonly member?: string;
  /** Quiet time before a reconcile, to batch a burst of changes (default 5 ms). */
  readonly debounceMs?: number;
  /** First retry delay after a failure (default 100 ms), doubled per failure in a row. */
  readonly initialBackoffMs?: number;
  /** Largest retry delay (default 30 000 ms). */
  readonly maxBackoffMs?: number;
}

/** Default quiet time before a reconcile. */
export const NAT_KEEPER_DEBOUNCE_MS = 5;
/** Default first retry delay. */
export const NAT_KEEPER_INITIAL_BACKOFF_MS = 100;
/** Default largest retry delay. */
export const NAT_KEEPER_MAX_BACKOFF_MS = 30_000;

/**
 * Keeps NAT rules right without being asked: reconciles once at start, then
 * whenever a watching backend reports drift or the host state changes.
 * Changes that come while a reconcile runs are batched into the next one.
 * Drift of rows or routers alone is repaired towards the rules of the last
 * full run, passed to the backends' `reconcile` as the same array (no
 * re-planning); host state, address changes, a watch that started over and
 * retries plan every NIC again; so does a run after which a backend
 * spared rows (their NIC started after the state it planned from was read).
 * A failed reconcile is reported and retried
 * after 100 ms, 200 ms, ... up to 30 s; changes reported meanwhile wait for
 * the retry. Reports go to every
 * {@link NatKeeper.onReport} listener.
 *
 * @example
 * const keeper = host.natKeeper();
 * keeper.onReport((r) => r.kind === "failed" && log(r.error.message));
 * keeper.start();
 */
export class NatKeeper {
  readonly #options: NatKeeperOptions;
  readonly #listeners = new Set<(report: NatKeeperReport) => void>();
  readonly #watches = new Map<NatBackend, NatWatch>();
  #unsubscribe: (() => void) | undefined;
  #pending: NatKeeperTrigger | undefined;
  #timer: Timer | undefined;
  #running: Promise<void> | undefined;
  #failures = 0;
  /** Whether the next run must re-read the host state and re-plan every NIC. */
  #full = true;
  /** Each backend's desired rules, from the last full run: what a repair of rows alone restores. */
  #desired: Map<string, readonly NatRule[]> | undefined;
  /** When the last full run began reading the host state: passed with its rules, so rows written since are spared. */
  #stateReadAt: number | undefined;
  #started = false;
  #stopped = false;

  constructor(options: NatKeeperOptions) {
    this.#options = options;
  }

  /** Adds a report listener; returns its removal. A throwing listener is ignored. */
  onReport(listener: (report: NatKeeperReport) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts watching and schedules the first reconcile; harmless twice. Returns at once (reports say how it went). */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#unsubscribe = this.#options.stateChanges?.(() => this.notify("state"));
    this.notify("start");
  }

  /** Says something changed (`state`: the host state, `drift`: a backend's store); a reconcile follows after the debounce. */
  notify(trigger: "start" | "drift" | "state"): void {
    this.#full = true;
    this.#schedule(trigger);
  }

  // Rows or routers changed: the desired rules did not, so the last plan is repaired towards.
  // Addresses, or a watch that missed changes, need the NICs planned again.
  #onDrift(change: NatStoreChange): void {
    if (change.reason === "address" || change.reason === "resync") this.#full = true;
    this.#schedule("drift");
  }

  #schedule(trigger: NatKeeperTrigger): void {
    if (this.#stopped) return;
    this.#pending ??= trigger;
    if (this.#running === undefined && this.#timer === undefined) this.#arm(this.#options.debounceMs ?? NAT_KEEPER_DEBOUNCE_MS);
  }

  /** Stops watching and scheduling; waits for a reconcile in flight. Harmless twice. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#unsubscribe?.();
    await this.#running?.catch(() => undefined);
    for (const watch of this.#watches.values()) await watch.close().catch(() => undefined);
    this.#watches.clear();
  }

  #arm(ms: number): void {
    this.#timer = this.#options.clock.setTimer(ms, () => {
      this.#timer = undefined;
      this.#running = this.#run().finally(() => {
        this.#running = undefined;
        // Changes that came during the run (not our own writes: backends do not report those).
        if (this.#pending !== undefined && this.#timer === undefined && !this.#stopped) this.#arm(this.#options.debounceMs ?? NAT_KEEPER_DEBOUNCE_MS);
      });
    });
  }

  async #run(): Promise<void> {
    const trigger = this.#failures > 0 ? "retry" : (this.#pending ?? "drift");
    this.#pending = undefined;
    const { clock } = this.#options;
    const started = clock.now();
    const full = this.#full || this.#desired === undefined;
    this.#full = false;
    let outcome: { changes: number; ownedRows: number; spared: boolean };
    try {
      await this.#watchAll();
      outcome = full ? await this.#reconcileAll() : await this.#repair(this.#desired!);
    } catch (error) {
      if (this.#stopped) return;
      this.#full = true;
      this.#failures++;
      const initial = this.#options.initialBackoffMs ?? NAT_KEEPER_INITIAL_BACKOFF_MS;
      const retryInMs = Math.min(initial * 2 ** (this.#failures - 1), this.#options.maxBackoffMs ?? NAT_KEEPER_MAX_BACKOFF_MS);
      // Whatever came meanwhile is covered by the retry.
      this.#pending = undefined;
      this.#timer?.cancel();
      this.#arm(retryInMs);
      this.#emit({ kind: "failed", error: typed(error), retryInMs });
      return;
    }
    this.#failures = 0;
    // Rows kept because their NIC started after the state was read: a plan from a newer state judges them.
    if (outcome.spared) this.notify("state");
    const member = this.#options.member;
    const { changes, ownedRows } = outcome;
    this.#emit({ kind: "reconciled", ...(member === undefined ? {} : { member }), durationMs: clock.now() - started, changes, ownedRows, trigger });
  }

  /** Plans every NIC from the host state and reconciles every backend; keeps the desired rules for repairs. */
  async #reconcileAll(): Promise<{ changes: number; ownedRows: number; spared: boolean }> {
    const report = await this.#options.lifecycle.reconcile();
    const desired = new Map<string, readonly NatRule[]>();
    let changes = 0;
    let ownedRows = 0;
    let spared = false;
    for (const backend of report.backends) {
      desired.set(backend.networkType, backend.desired);
      changes += backend.ensured.length + backend.removed.length;
      ownedRows += ownedAfter(backend.result, backend.desired.length);
      spared ||= sparedAny(backend.result);
    }
    this.#desired = desired;
    this.#stateReadAt = report.stateReadAt;
    return { changes, ownedRows, spared };
  }

  /** Reconciles the watching backends towards the rules of the last full run, without planning again. */
  async #repair(desired: ReadonlyMap<string, readonly NatRule[]>): Promise<{ changes: number; ownedRows: number; spared: boolean }> {
    let changes = 0;
    let ownedRows = 0;
    let spared = false;
    for (const backend of this.#options.backends) {
      const rules = desired.get(backend.networkType);
      if (rules === undefined) continue;
      const result = await backend.reconcile(rules, this.#stateReadAt === undefined ? {} : { stateReadAt: this.#stateReadAt });
      changes += result.ensured.length + result.removed.length;
      ownedRows += ownedAfter(result, rules.length);
      spared ||= sparedAny(result);
    }
    return { changes, ownedRows, spared };
  }

  /** Opens the watch of every backend that has one and is not watched yet. */
  async #watchAll(): Promise<void> {
    for (const backend of this.#options.backends) {
      if (backend.watch === undefined || this.#watches.has(backend)) continue;
      const watch = await backend.watch((change) => this.#onDrift(change));
      if (this.#stopped) await watch.close();
      else this.#watches.set(backend, watch);
    }
  }

  #emit(report: NatKeeperReport): void {
    for (const listener of this.#listeners) {
      try {
        listener(report);
      } catch {
        // A listener's failure must not stop the keeper.
      }
    }
  }
}

/**
 * Rows owned after a reconcile: what the backend says (the OVN backend's
 * `ownedRows`), else the desired rules less those its result says were
 * not applied (blocked by foreign rows, or failed).
 */
function ownedAfter(result: NatReconcileResult | undefined, desired: number): number {
  const extra = result as { ownedRows?: number; conflicts?: readonly unknown[]; failed?: readonly unknown[] } | undefined;
  if (typeof extra?.ownedRows === "number") return extra.ownedRows;
  return desired - (extra?.conflicts?.length ?? 0) - (extra?.failed?.length ?? 0);
}

/** Whether a backend kept rows its rules did not name because their NIC started after those rules were read. */
function sparedAny(result: NatReconcileResult | undefined): boolean {
  return (result?.spared?.length ?? 0) > 0;
}

function typed(error: unknown): IncusxError {
  if (isIncusxError(error)) return error as IncusxError;
  const message = error instanceof Error ? error.message : String(error);
  return new IncusxError(ErrorCode.PluginFailed, `NAT reconcile failed: ${message}`, { cause: error });
}
