import type { Clock, Timer } from "../services.js";
import { sleepOnTimer } from "../host/sleep-on-timer.js";
import { realSetImmediate } from "./real-time.js";

/** Stops `advance`/`runAll` from spinning forever on a timer that re-arms itself at 0 ms. */
const MAX_TIMERS_PER_CALL = 100_000;

interface ScheduledTimer {
  readonly seq: number;
  readonly due: number;
  readonly callback: () => void;
}

/**
 * A {@link Clock} that only moves when a test moves it. Timers fire in time
 * order (ties in scheduling order) while `advance`, `next` or `runAll` runs,
 * and pending promise chains are allowed to settle between timers, so code
 * written as `await clock.sleep(...)` loops progresses naturally.
 *
 * @example
 * const clock = new FakeClock(Date.UTC(2025, 0, 1));
 * const done = clock.sleep(30_000);
 * await clock.advance(30_000); // `done` is now resolved
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, ScheduledTimer>();

  /** @param startMs Epoch milliseconds the clock starts at; default 0. */
  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new TypeError(`FakeClock: start time must be a finite number, got ${startMs}`);
    this.#now = startMs;
  }

  /** Current fake time in epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Schedules `callback` at `now() + ms` (negative or NaN delays count as 0). */
  setTimer(ms: number, callback: () => void): Timer {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const seq = this.#seq++;
    this.#timers.set(seq, { seq, due: this.#now + delay, callback });
    return { cancel: () => void this.#timers.delete(seq) };
  }

  /** Resolves when fake time reaches `now() + ms`; rejects with `signal.reason` when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOnTimer(this, ms, signal);
  }

  /** Timers scheduled and neither fired nor cancelled. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Fake time of the earliest pending timer, or `undefined` when there is none. */
  get nextTimerAt(): number | undefined {
    return this.#earliest()?.due;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way,
   * including timers that fired callbacks schedule within the window.
   * Promise chains settle before and after each timer. A throwing timer
   * callback stops the advance and rejects with its error, the clock left at
   * that timer's time.
   *
   * @example
   * await clock.advance(60_000); // one minute of lease life
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`FakeClock.advance: ms must be a finite number >= 0, got ${ms}`);
    const target = this.#now + ms;
    await this.flush();
    for (let fired = 0; ; fired++) {
      const timer = this.#earliest();
      if (timer === undefined || timer.due > target) break;
      if (fired >= MAX_TIMERS_PER_CALL) throw loopError("advance");
      this.#fire(timer);
      await this.flush();
    }
    this.#now = target;
    await this.flush();
  }

  /**
   * Jumps to the earliest pending timer and fires it. Returns false, without
   * moving time, when no timer is pending.
   */
  async next(): Promise<boolean> {
    await this.flush();
    const timer = this.#earliest();
    if (timer === undefined) return false;
    this.#fire(timer);
    await this.flush();
    return true;
  }

  /**
   * Fires timers (and the timers they schedule) until none is pending and
   * returns how many fired. Throws when code keeps re-arming timers forever;
   * use {@link advance} for periodic work such as lease renewal.
   */
  async runAll(): Promise<number> {
    let fired = 0;
    while (await this.next()) {
      if (++fired >= MAX_TIMERS_PER_CALL) throw loopError("runAll");
    }
    return fired;
  }

  /** Lets pending promise chains settle without moving time. */
  async flush(): Promise<void> {
    // One macrotask turn drains the whole microtask queue, however deep the chain.
    await new Promise<void>((resolve) => realSetImmediate(resolve));
  }

  #earliest(): ScheduledTimer | undefined {
    let best: ScheduledTimer | undefined;
    for (const t of this.#timers.values()) {
      if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }

  #fire(timer: ScheduledTimer): void {
    this.#timers.delete(timer.seq);
    if (timer.due > this.#now) this.#now = timer.due;
    timer.callback();
  }
}

function loopError(method: string): Error {
  return new Error(
    `FakeClock.${method}: more than ${MAX_TIMERS_PER_CALL} timers fired in one call; is a timer re-arming itself at 0 ms?`,
  );
}
