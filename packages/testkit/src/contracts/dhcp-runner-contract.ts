import type { DhcpRunOptions, DhcpRunner, LeaseEvent, LeaseEventKind } from "@incusx/sdk";
import type { FakeClock } from "@incusx/sdk/testing";
import { realDelay, timedOut, within } from "../internal/real-time.js";
import {
  ContractViolation,
  describeContract,
  show,
  type Contract,
  type ContractCheck,
  type DisposableFixture,
} from "./contract.js";

/** What the DhcpRunner contract checks: a runner and the environment it runs in. */
export interface DhcpRunnerFixture extends DisposableFixture {
  /** The runner, wired to its environment (fake clock, fake transport, or a real server). */
  readonly runner: DhcpRunner;
  /** Interface to run on. */
  readonly interface: string;
  /**
   * The clock the runner takes time from, when it is a {@link FakeClock}:
   * the contract advances it while the runner runs so timers fire. Leave
   * out for a runner on real time; the contract then lets it run for
   * `runForMs` real milliseconds.
   */
  readonly clock?: FakeClock;
  /** How long to let the runner work before stopping it: fake ms with `clock`, else real ms. Default 60 000 with a clock, 50 without. */
  readonly runForMs?: number;
  /** Real milliseconds "promptly" means: the most `run` may take to resolve after an abort. Default 1000. */
  readonly stopWithinMs?: number;
  /** Extra run options (hostname, fqdn, releaseOnStop). */
  readonly runOptions?: Partial<Pick<DhcpRunOptions, "hostname" | "fqdn" | "releaseOnStop">>;
}

const KINDS: readonly LeaseEventKind[] = ["bound", "renewed", "rebound", "expired", "released", "failed"];
const WITH_LEASE: readonly LeaseEventKind[] = ["bound", "renewed", "rebound"];

interface Session {
  readonly events: LeaseEvent[];
  /** Events emitted after `run` settled. */
  readonly lateEvents: LeaseEvent[];
}

/**
 * Runs the runner once: with `abortFirst` the signal is aborted before the
 * call, otherwise it runs for a while and is aborted then. Throws a
 * violation when `run` is not prompt or rejects.
 */
async function session(fixture: DhcpRunnerFixture, abortFirst: boolean): Promise<Session> {
  const events: LeaseEvent[] = [];
  const lateEvents: LeaseEvent[] = [];
  let settled = false;
  const controller = new AbortController();
  if (abortFirst) controller.abort(new Error("contract: aborted before run"));
  const limit = fixture.stopWithinMs ?? 1_000;

  let running: Promise<void>;
  try {
    running = Promise.resolve(
      fixture.runner.run({
        ...fixture.runOptions,
        interface: fixture.interface,
        signal: controller.signal,
        emit: (event) => (settled ? lateEvents : events).push(event),
      }),
    );
  } catch (error) {
    throw new ContractViolation(`run() threw synchronously: ${String(error)}`);
  }
  const outcome = running.then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void outcome.then(() => (settled = true));

  if (!abortFirst) {
    if (fixture.clock !== undefined) await fixture.clock.advance(fixture.runForMs ?? 60_000);
    else await realDelay(fixture.runForMs ?? 50);
    const early = await within(outcome, 0);
    if (!timedOut(early)) {
      throw new ContractViolation(
        early.ok
          ? "run() resolved before its signal was aborted; it must run until stopped"
          : `run() rejected while running: ${String(early.error)}`,
      );
    }
    controller.abort(new Error("contract: stop"));
  }

  // The clock is deliberately not advanced here: a runner must stop on the
  // abort itself, not when its next timer happens to fire.
  const result = await within(outcome, limit);
  if (timedOut(result)) {
    throw new ContractViolation(
      `run() did not return within ${limit} ms of ${abortFirst ? "being called with an aborted signal" : "its signal aborting"}`,
    );
  }
  if (!result.ok) throw new ContractViolation(`run() rejected when stopped: ${String(result.error)}`);
  settled = true;
  return { events, lateEvents };
}

function checkEvents(fixture: DhcpRunnerFixture, events: readonly LeaseEvent[]): void {
  const { family } = fixture.runner;
  for (const event of events) {
    const where = `Event ${show(event)}`;
    if (!KINDS.includes(event.kind)) throw new ContractViolation(`${where} has unknown kind "${event.kind}"`);
    if (event.family !== family) throw new ContractViolation(`${where} is for family "${event.family}", runner serves "${family}"`);
    if (event.interface !== fixture.interface) {
      throw new ContractViolation(`${where} is for interface "${event.interface}", runner runs on "${fixture.interface}"`);
    }
    if (typeof event.at !== "number" || !Number.isFinite(event.at)) throw new ContractViolation(`${where} has no valid "at" time`);
    if (WITH_LEASE.includes(event.kind) && event.lease === undefined) {
      throw new ContractViolation(`${where} carries no lease; "${event.kind}" must carry the lease now in force`);
    }
    if (event.lease !== undefined && (event.lease.family !== family || event.lease.interface !== fixture.interface)) {
      throw new ContractViolation(`${where} carries a lease for another family or interface`);
    }
    if (event.kind === "failed" && (typeof event.error?.code !== "string" || typeof event.error.message !== "string")) {
      throw new ContractViolation(`${where} is "failed" without an error { code, message }`);
    }
  }
}

const servesOneFamily: ContractCheck<DhcpRunnerFixture> = {
  name: "serves the ipv4 or the ipv6 family",
  async run({ runner }) {
    if (runner.family !== "ipv4" && runner.family !== "ipv6") {
      throw new ContractViolation(`"family" is ${show(runner.family)}, not "ipv4" or "ipv6"`);
    }
  },
};

const returnsWhenAlreadyAborted: ContractCheck<DhcpRunnerFixture> = {
  name: "returns promptly when the signal is already aborted",
  async run(fixture) {
    await session(fixture, true);
  },
};

const stopsWhenAborted: ContractCheck<DhcpRunnerFixture> = {
  name: "runs until aborted, then returns promptly",
  async run(fixture) {
    await session(fixture, false);
  },
};

const ownFamilyAndInterface: ContractCheck<DhcpRunnerFixture> = {
  name: "emits well-formed events only for its own family and interface",
  async run(fixture) {
    checkEvents(fixture, (await session(fixture, true)).events);
    checkEvents(fixture, (await session(fixture, false)).events);
  },
};

const silentAfterReturn: ContractCheck<DhcpRunnerFixture> = {
  name: "emits nothing after run returns",
  async run(fixture) {
    const { lateEvents } = await session(fixture, false);
    // Fire what the runner left behind (bounded: a periodic timer re-arms forever).
    if (fixture.clock !== undefined) for (let i = 0; i < 1_000 && (await fixture.clock.next()); i++);
    await realDelay(20);
    if (lateEvents.length > 0) throw new ContractViolation(`Events emitted after run() returned: ${show(lateEvents)}`);
  },
};

/** The rules every {@link DhcpRunner} keeps. */
export const dhcpRunnerContract: Contract<DhcpRunnerFixture> = Object.freeze({
  name: "DhcpRunner",
  checks: Object.freeze([servesOneFamily, returnsWhenAlreadyAborted, stopsWhenAborted, ownFamilyAndInterface, silentAfterReturn]),
});

/**
 * Registers the {@link dhcpRunnerContract} as vitest tests. `factory` is
 * called once per check and returns the runner plus its environment:
 * keep the environment fake (a `FakeClock`, a scripted transport) where you
 * can, so the contract runs in milliseconds.
 *
 * @example
 * describeDhcpRunnerContract("Dhcpv4Runner", () => {
 *   const clock = new FakeClock();
 *   return { runner: new Dhcpv4Runner(clock, new ScriptedTransport()), interface: "eth0", clock };
 * });
 */
export function describeDhcpRunnerContract(
  name: string,
  factory: () => DhcpRunnerFixture | Promise<DhcpRunnerFixture>,
): void {
  describeContract(dhcpRunnerContract, name, factory);
}
