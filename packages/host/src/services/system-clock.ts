import type { Clock, Timer } from "@incusx/sdk";
import { sleepOnTimer } from "@incusx/sdk/host";

// Node fires a timer at once when its delay exceeds 2^31-1 ms (about 24.8
// days, a plausible DHCP lifetime), so longer waits are split.
const MAX_TIMER_MS = 0x7fffffff;

/** The real clock: `Date.now()` and Node timers, for any delay. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(ms: number, callback: () => void): Timer {
    const due = Date.now() + Math.max(0, ms);
    let handle: NodeJS.Timeout;
    const arm = (delay: number) => {
      handle = setTimeout(() => {
        const left = due - Date.now();
        if (left > 0) arm(left);
        else callback();
      }, Math.min(delay, MAX_TIMER_MS));
    };
    arm(Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOnTimer(this, ms, signal);
  }
}
