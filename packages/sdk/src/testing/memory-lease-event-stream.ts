import type { LeaseEvent } from "../lease.js";
import type { Disposable, LeaseEventStream } from "../services.js";
import { realClearTimeout, realSetTimeout } from "./real-time.js";

/** Options of {@link MemoryLeaseEventStream.waitFor}. */
export interface WaitForOptions {
  /** Real milliseconds to wait before rejecting; default 5000. */
  readonly timeoutMs?: number;
  /** Also match events published before the call; default true, so a fast runner cannot win a race. */
  readonly includePast?: boolean;
  /** Stops waiting (rejects with the signal's reason). */
  readonly signal?: AbortSignal;
}

/**
 * A {@link LeaseEventStream} that records every published event and
 * delivers it to subscribers. A throwing subscriber does not stop delivery
 * to the others; its error lands in `subscriberErrors`.
 *
 * @example
 * const events = new MemoryLeaseEventStream();
 * runner.run({ interface: "eth0", signal, emit: (e) => events.publish(e) });
 * const bound = await events.waitFor((e) => e.kind === "bound");
 */
export class MemoryLeaseEventStream implements LeaseEventStream {
  /** Every event published, oldest first. */
  readonly events: LeaseEvent[] = [];
  /** Errors thrown by subscribers, oldest first. */
  readonly subscriberErrors: unknown[] = [];
  readonly #listeners = new Set<(event: LeaseEvent) => void>();

  publish(event: LeaseEvent): void {
    this.events.push(event);
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.subscriberErrors.push(error);
      }
    }
  }

  subscribe(listener: (event: LeaseEvent) => void): Disposable {
    // Wrapped so one function subscribed twice gets two independent subscriptions.
    const wrapped = (event: LeaseEvent): void => listener(event);
    this.#listeners.add(wrapped);
    return { dispose: () => void this.#listeners.delete(wrapped) };
  }

  /** Subscriptions not yet disposed. */
  get subscriberCount(): number {
    return this.#listeners.size;
  }

  /**
   * Resolves with the first event matching `predicate` (by default also
   * among those already published); rejects after `timeoutMs` real
   * milliseconds with a message listing the events seen.
   *
   * @example
   * await clock.advance(30 * 60_000);
   * await events.waitFor((e) => e.kind === "renewed" && e.family === "ipv4", { timeoutMs: 1000 });
   */
  waitFor(predicate: (event: LeaseEvent) => boolean, options: WaitForOptions = {}): Promise<LeaseEvent> {
    const { timeoutMs = 5_000, includePast = true, signal } = options;
    if (includePast) {
      const found = this.events.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        realClearTimeout(timer);
        subscription.dispose();
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = (): void => {
        finish();
        reject(signal!.reason);
      };
      const subscription = this.subscribe((event) => {
        if (!predicate(event)) return;
        finish();
        resolve(event);
      });
      const timer = realSetTimeout(() => {
        finish();
        reject(new Error(`No matching lease event within ${timeoutMs} ms; events so far: ${this.#summary()}`));
      }, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Forgets recorded events and subscriber errors; subscriptions stay. */
  clear(): void {
    this.events.length = 0;
    this.subscriberErrors.length = 0;
  }

  #summary(): string {
    if (this.events.length === 0) return "(none)";
    return this.events.map((e) => `${e.kind} ${e.family} ${e.interface}`).join(", ");
  }
}
