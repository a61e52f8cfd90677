import type { Lease, LeaseEvent } from "@incusx/sdk";

/**
 * Most addresses, and most routes, a waiting removal keeps when removals
 * coalesce: far above any real lease, and what bounds the queue's memory
 * when a server hands out a new address on every exchange.
 */
export const MAX_COALESCED_ENTRIES = 256;

const IN_FORCE: ReadonlySet<LeaseEvent["kind"]> = new Set(["bound", "renewed", "rebound"]);

/** What the queue runs for each event it lets through; `signal` aborts when the runtime stops. */
export type LeaseEventWork = (event: LeaseEvent, signal: AbortSignal) => Promise<void>;

/**
 * The lease events of one runner (one interface and family) on their way
 * to the link, with backpressure: one event is worked on at a time, and
 * behind it wait at most two: the removal of the leases that ended
 * (`expired`, `released`) and then the newest lease in force (`bound`,
 * `renewed`, `rebound`). A newer lease replaces a waiting one, an end
 * drops the lease waiting before it, and two waiting removals merge, so a
 * server answering in a tight loop costs a bounded number of link changes
 * and bounded memory, and the link ends up with the last lease. Events
 * that carry no link work (`failed`) go through at once.
 *
 * When `stop` aborts, the lease being applied is abandoned between two link
 * changes and waiting leases are dropped; removals still run (a release
 * on stop must take the addresses away).
 *
 * @example
 * const queue = new LeaseEventQueue((event, signal) => apply(event, signal), stop.signal, publish, onError);
 * runner.run({ ..., emit: (event) => queue.push(event) });
 * await queue.idle();
 */
export class LeaseEventQueue {
  #removal: LeaseEvent | undefined;
  #lease: LeaseEvent | undefined;
  #superseded = 0;
  #draining: Promise<void> | undefined;
  #running = false;

  /**
   * @param work Applies one event to the link.
   * @param stop Aborted when the runtime stops.
   * @param passThrough Receives the events that carry no link work, at once.
   * @param onError Hears what `work` threw; the queue goes on.
   */
  constructor(
    private readonly work: LeaseEventWork,
    private readonly stop: AbortSignal,
    private readonly passThrough: (event: LeaseEvent) => void,
    private readonly onError: (event: LeaseEvent, error: unknown) => void,
  ) {}

  /** Queues `event`, coalescing it with what is waiting, and starts work if none is in flight. */
  push(event: LeaseEvent): void {
    if (IN_FORCE.has(event.kind)) {
      if (this.stop.aborted) {
        this.#superseded++;
        return;
      }
      // A lease never applied is still news to listeners: the first one stays "bound".
      const waiting = this.#lease;
      if (waiting !== undefined) this.#superseded++;
      this.#lease = waiting?.kind === "bound" ? { ...event, kind: "bound" } : event;
    } else if (event.kind === "expired" || event.kind === "released") {
      if (this.#lease !== undefined) this.#superseded++;
      this.#lease = undefined;
      if (this.#removal !== undefined) this.#superseded++;
      this.#removal = this.#removal === undefined ? event : mergedRemoval(this.#removal, event);
    } else {
      this.passThrough(event);
      return;
    }
    if (!this.#running) {
      this.#running = true;
      this.#draining = this.#drain();
    }
  }

  /** Events dropped or merged since the queue was made, because a newer one superseded them. */
  get superseded(): number {
    return this.#superseded;
  }

  /** Events waiting behind the one in flight: never more than two. */
  get waiting(): number {
    return (this.#removal === undefined ? 0 : 1) + (this.#lease === undefined ? 0 : 1);
  }

  /** Resolves once no event is in flight or waiting. */
  idle(): Promise<void> {
    return this.#running && this.#draining !== undefined ? this.#draining : Promise.resolve();
  }

  #take(): LeaseEvent | undefined {
    const removal = this.#removal;
    if (removal !== undefined) {
      this.#removal = undefined;
      return removal;
    }
    const lease = this.#lease;
    this.#lease = undefined;
    return lease !== undefined && this.stop.aborted ? undefined : lease;
  }

  async #drain(): Promise<void> {
    // Started from push(): the first event's work begins at once, so it is in flight before the next push.
    for (let event = this.#take(); event !== undefined; event = this.#take()) {
      try {
        await this.work(event, this.stop);
      } catch (error) {
        this.onError(event, error);
      }
    }
    this.#running = false;
  }
}

/**
 * One removal standing for two: the newer event, removing the addresses
 * and routes of both leases (the older one may name an address an earlier
 * run left on the link), at most {@link MAX_COALESCED_ENTRIES} of each.
 */
function mergedRemoval(older: LeaseEvent, newer: LeaseEvent): LeaseEvent {
  if (older.lease === undefined) return newer;
  if (newer.lease === undefined) return { ...newer, lease: older.lease };
  const lease: Lease = {
    ...newer.lease,
    addresses: unique([...older.lease.addresses, ...newer.lease.addresses], (a) => `${a.address}/${a.prefixLength}`),
    routes: unique([...older.lease.routes, ...newer.lease.routes], (r) => `${r.destination} ${r.metric ?? ""}`),
  };
  return { ...newer, lease };
}

function unique<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    if (byKey.size >= MAX_COALESCED_ENTRIES) break;
    if (!byKey.has(key(item))) byKey.set(key(item), item);
  }
  return [...byKey.values()];
}
