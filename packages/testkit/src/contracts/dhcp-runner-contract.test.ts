import type { DhcpRunOptions, DhcpRunner, IpFamily, Lease, LeaseEvent } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { FakeClock } from "@incusx/sdk/testing";
import { runContract } from "./contract.js";
import { describeDhcpRunnerContract, dhcpRunnerContract, type DhcpRunnerFixture } from "./dhcp-runner-contract.js";

function lease(clock: FakeClock, iface: string, family: IpFamily = "ipv4"): Lease {
  return {
    family,
    interface: iface,
    server: "192.0.2.1",
    obtainedAt: clock.now(),
    addresses: [{ address: "192.0.2.10", prefixLength: 24, preferredLifetime: 60, validLifetime: 60 }],
    routes: [],
    dns: { servers: [], search: [] },
  };
}

// A well-behaved runner: binds at once, renews every 30 s, stops on abort.
class ScriptedRunner implements DhcpRunner {
  readonly family: IpFamily = "ipv4";
  constructor(protected readonly clock: FakeClock) {}

  async run(options: DhcpRunOptions): Promise<void> {
    const { signal, emit } = options;
    if (signal.aborted) return;
    emit(this.event("bound", options.interface));
    try {
      for (;;) {
        await this.clock.sleep(30_000, signal);
        emit(this.event("renewed", options.interface));
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    }
  }

  protected event(kind: LeaseEvent["kind"], iface: string): LeaseEvent {
    return { kind, family: this.family, interface: iface, at: this.clock.now(), lease: lease(this.clock, iface) };
  }
}

function fixture(make: (clock: FakeClock) => DhcpRunner): () => DhcpRunnerFixture {
  return () => {
    const clock = new FakeClock(Date.UTC(2025, 0, 1));
    return { runner: make(clock), interface: "eth0", clock, stopWithinMs: 100 };
  };
}

async function failedChecks(factory: () => DhcpRunnerFixture): Promise<string[]> {
  return (await runContract(dhcpRunnerContract, factory)).map((f) => f.check);
}

describe("dhcpRunnerContract", () => {
  it("passes a well-behaved runner", async () => {
    expect(await runContract(dhcpRunnerContract, fixture((c) => new ScriptedRunner(c)))).toEqual([]);
  });

  it("fails a runner of an unknown family", async () => {
    const failures = await failedChecks(
      fixture((c) => Object.assign(new ScriptedRunner(c), { family: "ipv5" as IpFamily })),
    );
    expect(failures).toContain("serves the ipv4 or the ipv6 family");
  });

  it("fails a runner that sleeps without its signal and so cannot stop", async () => {
    class Deaf extends ScriptedRunner {
      override async run(options: DhcpRunOptions): Promise<void> {
        while (!options.signal.aborted) await this.clock.sleep(30_000);
      }
    }
    const failures = await failedChecks(fixture((c) => new Deaf(c)));
    expect(failures).toEqual(expect.arrayContaining(["runs until aborted, then returns promptly"]));
    expect(failures).not.toContain("returns promptly when the signal is already aborted");
  });

  it("fails a runner that ignores an already aborted signal", async () => {
    class Eager extends ScriptedRunner {
      override async run(options: DhcpRunOptions): Promise<void> {
        await this.clock.sleep(1_000);
        return super.run(options);
      }
    }
    expect(await failedChecks(fixture((c) => new Eager(c)))).toContain(
      "returns promptly when the signal is already aborted",
    );
  });

  it("fails a runner that returns before it is stopped", async () => {
    class Quitter extends ScriptedRunner {
      override async run(): Promise<void> {}
    }
    expect(await failedChecks(fixture((c) => new Quitter(c)))).toContain("runs until aborted, then returns promptly");
  });

  it("fails a runner that rejects when stopped", async () => {
    class Sore extends ScriptedRunner {
      override async run(options: DhcpRunOptions): Promise<void> {
        await this.clock.sleep(1e9, options.signal);
      }
    }
    const failures = await runContract(dhcpRunnerContract, fixture((c) => new Sore(c)));
    expect(failures.map((f) => f.check)).toContain("runs until aborted, then returns promptly");
    expect(String(failures.find((f) => f.check === "runs until aborted, then returns promptly")?.error)).toMatch(
      /rejected when stopped/,
    );
  });

  it("fails a runner that emits events of the other family", async () => {
    class Crossed extends ScriptedRunner {
      protected override event(kind: LeaseEvent["kind"], iface: string): LeaseEvent {
        return { ...super.event(kind, iface), family: "ipv6" };
      }
    }
    expect(await failedChecks(fixture((c) => new Crossed(c)))).toEqual([
      "emits well-formed events only for its own family and interface",
    ]);
  });

  it("fails a runner that emits events for another interface", async () => {
    class Wanderer extends ScriptedRunner {
      protected override event(kind: LeaseEvent["kind"]): LeaseEvent {
        return super.event(kind, "eth1");
      }
    }
    expect(await failedChecks(fixture((c) => new Wanderer(c)))).toEqual([
      "emits well-formed events only for its own family and interface",
    ]);
  });

  it("fails a runner whose bound event carries no lease", async () => {
    class Empty extends ScriptedRunner {
      protected override event(kind: LeaseEvent["kind"], iface: string): LeaseEvent {
        return { kind, family: this.family, interface: iface, at: this.clock.now() };
      }
    }
    expect(await failedChecks(fixture((c) => new Empty(c)))).toEqual([
      "emits well-formed events only for its own family and interface",
    ]);
  });

  it("fails a runner that leaves a timer emitting after it returned", async () => {
    class Leaky extends ScriptedRunner {
      override async run(options: DhcpRunOptions): Promise<void> {
        this.clock.setTimer(1e9, () => options.emit(this.event("expired", options.interface)));
        return super.run(options);
      }
    }
    expect(await failedChecks(fixture((c) => new Leaky(c)))).toEqual(["emits nothing after run returns"]);
  });

  it("works with a runner on real time when no fake clock is given", async () => {
    class RealTime implements DhcpRunner {
      readonly family: IpFamily = "ipv6";
      async run({ signal }: DhcpRunOptions): Promise<void> {
        if (signal.aborted) return;
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      }
    }
    expect(await runContract(dhcpRunnerContract, () => ({ runner: new RealTime(), interface: "eth0", runForMs: 5 }))).toEqual(
      [],
    );
  });
});

describeDhcpRunnerContract("ScriptedRunner", fixture((c) => new ScriptedRunner(c)));
