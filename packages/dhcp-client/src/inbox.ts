import type { Clock } from "@incusx/sdk";

/**
 * The longest single timer the inbox sets: Node's setTimeout fires at once
 * for anything over 2^31-1 ms (24.8 days), and lease lifetimes can be
 * longer. A longer wait ends early with `timeout`; callers look at the
 * clock again and wait for the rest.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The most packets an {@link Inbox} holds for a client that has not taken
 * them yet. Anyone on the link can send to the client's port at line rate;
 * past this bound a packet is dropped, as a full socket buffer drops it, so
 * memory stays bounded whatever arrives. Far above what one exchange needs:
 * a client takes each packet within microseconds of its arrival.
 */
export const INBOX_MAX_MESSAGES = 64;

/** What ended a wait on the {@link Inbox}. */
export type InboxEvent =
  | { readonly kind: "message"; readonly bytes: Uint8Array }
  /** Something outside the protocol happened (an address failed DAD); the state machine looks again. Only after {@link Inbox.wake}. */
  | { readonly kind: "wake" }
  | { readonly kind: "timeout" };

/**
 * Where packets from the transport and nudges from the runner wait for a
 * DHCP client's state machine, which takes them one at a time. Every wait is
 * timed by the injected clock, so a fake clock drives the whole protocol.
 *
 * @example
 * const inbox = new Inbox(clock);
 * transport.onMessage((bytes) => inbox.push(bytes));
 * const event = await inbox.next(4000, signal); // { kind: "message", bytes } or { kind: "timeout" }
 */
export class Inbox {
  readonly #clock: Clock;
  #queue: InboxEvent[] = [];
  #messages = 0;
  #dropped = 0;
  #wakeWaiting = false;
  #waiter: (() => void) | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Packets dropped so far because {@link INBOX_MAX_MESSAGES} were waiting. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues a received packet, or drops it when {@link INBOX_MAX_MESSAGES} already wait. */
  push(bytes: Uint8Array): void {
    if (this.#messages >= INBOX_MAX_MESSAGES) {
      this.#dropped++;
      return;
    }
    this.#messages++;
    this.#queue.push({ kind: "message", bytes });
    this.#waiter?.();
  }

  /**
   * Ends the current wait (or the next one) with a `wake` event. A wake
   * still waiting to be taken stands for any number of them (the state
   * machine looks at everything when it takes it), so the queue holds at
   * most one: a runner can be woken at any rate without growing it.
   */
  wake(): void {
    if (!this.#wakeWaiting) {
      this.#wakeWaiting = true;
      this.#queue.push({ kind: "wake" });
    }
    this.#waiter?.();
  }

  /** Drops queued packets: answers to an exchange that is over. */
  dropMessages(): void {
    this.#queue = this.#queue.filter((e) => e.kind !== "message");
    this.#messages = 0;
  }

  /**
   * The next event, or `timeout` after `ms` (`Infinity`: no timeout; at
   * most {@link MAX_TIMER_MS} at a time).
   * Rejects with the signal's reason when aborted.
   */
  next(ms: number, signal: AbortSignal): Promise<InboxEvent> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const queued = this.#take();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        timer?.cancel();
        signal.removeEventListener("abort", onAbort);
        this.#waiter = undefined;
      };
      const onAbort = (): void => {
        finish();
        reject(signal.reason);
      };
      const timer = Number.isFinite(ms)
        ? this.#clock.setTimer(Math.min(MAX_TIMER_MS, Math.max(0, ms)), () => {
            finish();
            resolve({ kind: "timeout" });
          })
        : undefined;
      this.#waiter = () => {
        finish();
        resolve(this.#take()!);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #take(): InboxEvent | undefined {
    const event = this.#queue.shift();
    if (event?.kind === "message") this.#messages--;
    else if (event?.kind === "wake") this.#wakeWaiting = false;
    return event;
  }
}

/** What {@link receiveUntilAborted} listens on: the receiving half of a client transport. */
export interface MessageSource {
  /** Calls `listener` with every message received, until closed. */
  onMessage(listener: (bytes: Uint8Array) => void): { close(): void };
}

/**
 * Runs a client's protocol loop with every message from `source` queued in
 * `inbox`, and stops listening when the loop ends. The loop ends by
 * rejecting, normally with the abort of `signal`: that resolves, any other
 * error (a bug) rejects.
 *
 * @example
 * if (signal.aborted) return;
 * await receiveUntilAborted(transport, inbox, signal, () => this.#loop(signal));
 * if (releaseOnStop) await this.#release();
 */
export async function receiveUntilAborted(source: MessageSource, inbox: Inbox, signal: AbortSignal, loop: () => Promise<unknown>): Promise<void> {
  const subscription = source.onMessage((bytes) => inbox.push(bytes));
  try {
    await loop();
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    subscription.close();
  }
}
