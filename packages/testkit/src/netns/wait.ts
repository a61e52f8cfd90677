import { realSetTimeout } from "../internal/real-time.js";

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Milliseconds between checks (default 50). */
  readonly intervalMs?: number;
  /** What did not happen, for the timeout error. */
  readonly message?: string;
}

/**
 * Re-runs `check` until it returns a truthy value and resolves with that
 * value: the harness's way of waiting for a condition (an address appears,
 * dnsmasq listens) instead of sleeping. A `check` that throws ends the
 * wait with its error; on timeout the error says what was awaited.
 *
 * @example
 * await net.waitFor(async () => (await net.addresses("container", "eth0")).some((a) => a.local === "2001:db8:1::101"));
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) throw new Error(`${options.message ?? "Condition not met"} within ${timeoutMs} ms`);
    await new Promise((resolve) => realSetTimeout(resolve, intervalMs));
  }
}
