import type { ChildProcess } from "node:child_process";
import { spawnIpMonitor, type IpOptions } from "./ip-command.js";

/** How often state is re-read anyway, covering events missed while `ip monitor` was still subscribing. */
export const FALLBACK_POLL_MS = 2_000;

/**
 * Re-runs `check` once now, on every `ip monitor address link` event and
 * every {@link FALLBACK_POLL_MS} as a safety net; checks never overlap, and
 * events arriving during a check cause one more check. Shared by the
 * link-local wait and the address flag watch.
 */
export class LinkWatch {
  readonly #check: () => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #monitor: ChildProcess | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running = false;
  #again = false;
  #closed = false;

  constructor(options: IpOptions, check: () => Promise<void>, onError: (error: unknown) => void) {
    this.#check = check;
    this.#onError = onError;
    this.#monitor = spawnIpMonitor(
      ["address", "link"],
      options,
      () => this.trigger(),
      () => {
        // The monitor died (or was killed): keep going on the poll alone.
        this.#monitor = undefined;
      },
    );
    this.#timer = setInterval(() => this.trigger(), FALLBACK_POLL_MS);
    this.#timer.unref?.();
    this.trigger();
  }

  /** Schedules a check (coalesced with one already running). */
  trigger(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    void this.#run();
  }

  async #run(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#check();
      } catch (error) {
        if (!this.#closed) this.#onError(error);
      }
    } while (this.#again && !this.#closed);
    this.#running = false;
  }

  /** Stops the monitor and the poll; harmless twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#monitor?.kill("SIGTERM");
    this.#monitor = undefined;
  }
}
