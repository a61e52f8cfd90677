import type { ChildProcess } from "node:child_process";
import { spawnIpMonitor, type IpOptions } from "./ip-command.js";

/** How often state is re-read anyway, covering events missed while `ip monitor` was still subscribing. */
export const FALLBACK_POLL_MS = 2_000;

/**
 * When state is re-read once more after the start: `ip monitor` needs a few
 * milliseconds (more on a loaded host) to subscribe, and a change that lands
 * between the first read and the subscription would otherwise wait for the
 * {@link FALLBACK_POLL_MS} poll (DAD finishing just as a runner starts).
 */
export const SUBSCRIBE_RECHECK_MS = 150;

/**
 * Re-runs `check` once now, once more after {@link SUBSCRIBE_RECHECK_MS},
 * on every `ip monitor address link` event and every
 * {@link FALLBACK_POLL_MS} as a safety net; checks never overlap, and events
 * arriving during a check cause one more check. `onLine`, when given, sees
 * each monitor line first, so a caller can act on what the event itself
 * says without waiting for the re-read. Shared by the link-local wait and
 * the address flag watch.
 */
export class LinkWatch {
  readonly #check: () => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #monitor: ChildProcess | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #recheck: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #again = false;
  #closed = false;

  constructor(
    options: IpOptions,
    check: () => Promise<void>,
    onError: (error: unknown) => void,
    onLine?: (line: string) => void,
  ) {
    this.#check = check;
    this.#onError = onError;
    this.#monitor = spawnIpMonitor(
      ["address", "link"],
      options,
      (line) => {
        if (this.#closed) return;
        onLine?.(line);
        this.trigger();
      },
      () => {
        // The monitor died (or was killed): keep going on the poll alone.
        this.#monitor = undefined;
      },
    );
    this.#timer = setInterval(() => this.trigger(), FALLBACK_POLL_MS);
    this.#timer.unref?.();
    this.#recheck = setTimeout(() => this.trigger(), SUBSCRIBE_RECHECK_MS);
    this.#recheck.unref?.();
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
    if (this.#recheck !== undefined) clearTimeout(this.#recheck);
    this.#monitor?.kill("SIGTERM");
    this.#monitor = undefined;
  }
}
