import type { Clock } from "../services.js";

/**
 * `Clock.sleep` for a clock that has `setTimer`: resolves when the timer
 * fires, rejects with `signal.reason` when aborted (then the timer is
 * cancelled). For writing a {@link Clock}; every clock's sleep behaves alike.
 */
export function sleepOnTimer(clock: Pick<Clock, "setTimer">, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(signal!.reason);
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
