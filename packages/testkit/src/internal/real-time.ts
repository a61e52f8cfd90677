// Real timers, captured when the testkit loads. The testkit's own waits
// (time limits of contracts and netns helpers) must keep working when a test
// installs vitest's fake timers or drives its code with a FakeClock.

/** The event loop's `setTimeout`, as it was when the testkit loaded. */
export const realSetTimeout = globalThis.setTimeout;
/** The event loop's `clearTimeout`, as it was when the testkit loaded. */
export const realClearTimeout = globalThis.clearTimeout;

const TIMED_OUT = Symbol("timed out");

/** Resolves with `promise`'s outcome, or with the timeout marker after `ms` real milliseconds. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = realSetTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    realClearTimeout(timer);
  }
}

/** Whether `value` is the timeout marker of {@link within}. */
export function timedOut(value: unknown): value is typeof TIMED_OUT {
  return value === TIMED_OUT;
}

/** Waits `ms` real milliseconds. */
export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}
