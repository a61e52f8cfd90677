import type { Clock, Timer } from "@incusx/sdk";

/**
 * Default longest hold of an admission slot: DHCPv4's first retransmission
 * (RFC 2131 section 4.1: 4 s), past three DHCPv6 Solicit timeouts (1, 2 s).
 * An exchange still unanswered then lost a packet or has no server; it goes
 * on, but the next client in the queue starts, so a silent server holds the
 * queue up 4 s per `limit` clients at most.
 */
export const DEFAULT_ADMISSION_HOLD_MS = 4_000;

/** A place in the exchange phase, granted by {@link ExchangeAdmission.acquire}. */
export interface AdmissionSlot {
  /** Gives the place to the next waiting client; harmless to call again, or after the hold time took it. */
  release(): void;
}

/** What a client asks before it starts a DISCOVER: a place among the clients exchanging with the servers. */
export interface ExchangeAdmission {
  /**
   * Resolves with a slot once fewer than the limit hold one and every
   * earlier caller got its own (FIFO); at once when a slot is free and no
   * one waits. Rejects with the signal's reason when `signal` aborts while
   * waiting, leaving the queue.
   */
  acquire(signal: AbortSignal): Promise<AdmissionSlot>;
}

/** How an {@link AdmissionQueue} is sized. */
export interface AdmissionQueueOptions {
  readonly clock: Clock;
  /** Most slots held at once (at least 1). */
  readonly limit: number;
  /**
   * Longest a slot is held: then it goes to the next waiting client even if
   * its holder never released it, so a silent server (DISCOVER never gives
   * up) can hold up the queue for this long at most.
   */
  readonly holdMs: number;
}

interface Waiter {
  readonly grant: (slot: AdmissionSlot) => void;
  readonly leave: () => void;
}

/**
 * Admission control for the exchange phase of many clients in one process:
 * at most `limit` hold a slot, the others wait in FIFO order. A slot is
 * released by its holder (bound, refused, given up, stopped) or, failing
 * that, after `holdMs`. Clients started together on one link otherwise
 * broadcast their DISCOVERs together, and a server that keeps no record of
 * its offers (dnsmasq with `--no-ping`) offers one address to several of
 * them and refuses all but one REQUEST, while its receive queue overflows.
 *
 * @example
 * const queue = new AdmissionQueue({ clock, limit: 16, holdMs: DEFAULT_ADMISSION_HOLD_MS });
 * const slot = await queue.acquire(signal); // at once when fewer than 16 exchange
 * try { await exchange(); } finally { slot.release(); }
 */
export class AdmissionQueue implements ExchangeAdmission {
  readonly #clock: Clock;
  readonly #limit: number;
  readonly #holdMs: number;
  /** Insertion order is FIFO order; a waiter that leaves is deleted in O(1). */
  readonly #waiting = new Set<Waiter>();
  #held = 0;

  constructor(options: AdmissionQueueOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new RangeError(`The admission limit must be a positive integer, got ${options.limit}`);
    if (!(options.holdMs > 0)) throw new RangeError(`The admission hold time must be positive, got ${options.holdMs}`);
    this.#clock = options.clock;
    this.#limit = options.limit;
    this.#holdMs = options.holdMs;
  }

  /** Slots held now. */
  get held(): number {
    return this.#held;
  }

  /** Clients waiting for a slot now. */
  get waiting(): number {
    return this.#waiting.size;
  }

  acquire(signal: AbortSignal): Promise<AdmissionSlot> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#held < this.#limit && this.#waiting.size === 0) return Promise.resolve(this.#grant());
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiting.delete(waiter);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        grant: (slot) => resolve(slot),
        leave: () => signal.removeEventListener("abort", onAbort),
      };
      this.#waiting.add(waiter);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #grant(): AdmissionSlot {
    this.#held++;
    let released = false;
    let timer: Timer | undefined;
    const release = (): void => {
      if (released) return;
      released = true;
      timer?.cancel();
      this.#held--;
      this.#admitNext();
    };
    timer = this.#clock.setTimer(this.#holdMs, release);
    return { release };
  }

  #admitNext(): void {
    while (this.#held < this.#limit) {
      const next = this.#waiting.values().next();
      if (next.done === true) return;
      this.#waiting.delete(next.value);
      next.value.leave();
      next.value.grant(this.#grant());
    }
  }
}
