// Shared by the runtime's tests: the run a test started, stopped after
// each test, and what the recording link carries.
import type { DhcpRunOptions, DhcpRunner, IpFamily, Lease } from "@incusx/sdk";
import type { RecordingLinkConfigurator } from "@incusx/sdk/testing";
import type { NetworkRunOptions, NetworkRuntime } from "./network-runtime.js";

/**
 * The runtime run the current test started on `eth0`. `afterEach` (the
 * test framework's) aborts and awaits it after every test, so no run
 * outlives its test; a test stops it earlier with `stop.abort()`.
 *
 * @example
 * const run = new RuntimeRun(afterEach);
 * void run.start(runtime, { releaseOnStop: true });
 * run.stop.abort();
 */
export class RuntimeRun {
  stop = new AbortController();
  running: Promise<void> | undefined;

  constructor(afterEach: (fn: () => Promise<void>) => void) {
    afterEach(async () => {
      this.stop.abort();
      await this.running;
      this.running = undefined;
    });
  }

  /** Runs `runtime` on `eth0` until `stop` (a new one) aborts. */
  start(runtime: NetworkRuntime, options: Partial<NetworkRunOptions> = {}): Promise<void> {
    this.stop = new AbortController();
    this.running = runtime.run({ interface: "eth0", signal: this.stop.signal, ...options });
    return this.running;
  }
}

/** The addresses on `eth0` of `link`, as `address/prefix`, sorted. */
export async function addressesOf(link: RecordingLinkConfigurator): Promise<string[]> {
  return (await link.snapshot("eth0")).addresses.map((a) => `${a.address}/${a.prefixLength}`).sort();
}

/** A runner that records each run and binds when told to, as a plugin's runner serving every NIC does. */
export class RecordingRunner implements DhcpRunner {
  readonly runs: DhcpRunOptions[] = [];
  constructor(readonly family: IpFamily) {}

  run(options: DhcpRunOptions): Promise<void> {
    this.runs.push(options);
    return new Promise((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
  }

  /** Emits `bound` with `lease` on the last run announcing `hostname`. */
  bind(hostname: string, lease: Lease, at: number): void {
    const run = this.runs.filter((r) => r.hostname === hostname).at(-1)!;
    run.emit({ kind: "bound", family: this.family, interface: run.interface, at, lease });
  }
}
