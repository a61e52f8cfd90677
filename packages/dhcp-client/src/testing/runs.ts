import type { DhcpRunOptions, DhcpRunner, LeaseEvent } from "@incusx/sdk";

/** A client state machine as tests run it: `run` resolves after the signal aborts. */
export interface RunnableClient {
  run(signal: AbortSignal): Promise<void>;
}

/** A client started by {@link runClient}. */
export interface ClientRun {
  /** Aborts the run. */
  readonly controller: AbortController;
  /** The promise of `client.run`. */
  readonly running: Promise<void>;
  /** Aborts and waits for `run` to resolve (rejects when it rejects). */
  stop(): Promise<void>;
}

/**
 * Starts `client.run` with a fresh abort signal.
 *
 * @example
 * const run = runClient(client);
 * await clock.flush();
 * await run.stop();
 */
export function runClient(client: RunnableClient): ClientRun {
  const controller = new AbortController();
  const running = client.run(controller.signal);
  return {
    controller,
    running,
    async stop() {
      controller.abort(new Error("stop"));
      await running;
    },
  };
}

/** What {@link stoppedAfterEach} gives: a start function and the last thing it started. */
export interface StartedPerTest<A extends unknown[], T> {
  /** Starts one (`start` of {@link stoppedAfterEach}) and keeps it to stop after the test. */
  start(...args: A): Promise<T>;
  /** The last one started in the current test; throws when none was. */
  latest(): T;
}

/**
 * Wraps `start` so that whatever it started in a test is stopped after that
 * test (so a failing test leaves no client running). `afterEach` is the test
 * runner's hook; this package does not depend on one.
 *
 * @example
 * const { start, latest } = stoppedAfterEach(afterEach, startClient);
 * const h = await start({ hostname: "c1" });
 * expect(latest()).toBe(h);
 */
export function stoppedAfterEach<A extends unknown[], T extends { stop(): Promise<void> }>(
  afterEach: (hook: () => Promise<void>) => void,
  start: (...args: A) => Promise<T>,
): StartedPerTest<A, T> {
  const started: T[] = [];
  afterEach(async () => {
    for (const t of started.splice(0)) await t.stop();
  });
  return {
    async start(...args) {
      const t = await start(...args);
      started.push(t);
      return t;
    },
    latest() {
      const t = started.at(-1);
      if (t === undefined) throw new Error("Nothing started in this test");
      return t;
    },
  };
}

/** A runner started by {@link RunnerRuns.start}. */
export interface RunnerRun {
  /** Every event the runner emitted, in order. */
  readonly events: LeaseEvent[];
  /** The promise of `runner.run`. */
  readonly done: Promise<void>;
  /** Aborts and waits for `run` to end (rejects when it rejects). */
  stop(): Promise<void>;
  /**
   * Asks for a release only now, then stops as {@link RunnerRun.stop}: a
   * runner that reads `releaseOnStop` when it stops (as a runtime's
   * `detach` needs) releases; one that read it at start does not.
   */
  stopReleasing(): Promise<void>;
}

/**
 * Runs {@link DhcpRunner}s in tests, collecting their events, and stops
 * every one still running when {@link RunnerRuns.stopAll} is called (from
 * the test runner's `afterEach`).
 *
 * @example
 * const runs = new RunnerRuns();
 * afterEach(() => runs.stopAll());
 * const r = runs.start(runner, { interface: "eth0", hostname: "c1" });
 */
export class RunnerRuns {
  readonly #running: { controller: AbortController; done: Promise<void> }[] = [];

  /** Starts `runner.run` with `options`, a fresh signal and an event list. */
  start(runner: DhcpRunner, options: Omit<DhcpRunOptions, "signal" | "emit">): RunnerRun {
    const events: LeaseEvent[] = [];
    const controller = new AbortController();
    let release = options.releaseOnStop;
    const runOptions = { ...options, signal: controller.signal, emit: (e: LeaseEvent) => void events.push(e) };
    // A getter, as the runtime gives it: the runner may read it at any time.
    Object.defineProperty(runOptions, "releaseOnStop", { get: () => release, enumerable: true });
    const done = runner.run(runOptions);
    this.#running.push({ controller, done });
    const stop = async (): Promise<void> => {
      controller.abort(new Error("stop"));
      await done;
    };
    return {
      events,
      done,
      stop,
      stopReleasing() {
        release = true;
        return stop();
      },
    };
  }

  /** Aborts every run started since the last call and waits for each to end, ignoring how. */
  async stopAll(): Promise<void> {
    for (const r of this.#running.splice(0)) {
      r.controller.abort(new Error("test over"));
      await r.done.catch(() => {});
    }
  }
}
