import type { Clock, Timer } from "@incusx/sdk";

/** The real clock: `Date.now()` and Node timers. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(ms: number, callback: () => void): Timer {
    const handle = setTimeout(callback, ms);
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(handle);
        reject(signal!.reason);
      };
      const handle = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
