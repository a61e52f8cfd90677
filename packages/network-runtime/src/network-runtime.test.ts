import { afterEach, describe, expect, it } from "vitest";
import type { DhcpRunOptions, DhcpRunner, IpFamily, Lease, LeaseEvent } from "@incusx/sdk";
import {
  FakeClock,
  MemoryLeaseEventStream,
  MemoryLogSink,
  MemoryStateStore,
  RecordingLinkConfigurator,
} from "@incusx/sdk/testing";
import { NetworkRuntime, type NetworkRunOptions } from "./network-runtime.js";
import { RuntimeRun, addressesOf } from "./runtime-run.test-support.js";

const START = Date.UTC(2026, 0, 1);

/** A runner the test drives: each `run` call is one session the test can emit into, fail or finish. */
class ScriptedRunner implements DhcpRunner {
  readonly sessions: { options: DhcpRunOptions; fail(error: Error): void; startedAt: number }[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    readonly family: IpFamily,
    private readonly clock: FakeClock,
    private readonly onStart?: (options: DhcpRunOptions, session: number) => void,
  ) {}

  run(options: DhcpRunOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => resolve();
      options.signal.addEventListener("abort", onAbort, { once: true });
      const fail = (error: Error): void => {
        options.signal.removeEventListener("abort", onAbort);
        reject(error);
      };
      this.sessions.push({ options, fail, startedAt: this.clock.now() });
      for (const w of this.waiters.splice(0)) w();
      this.onStart?.(options, this.sessions.length - 1);
    });
  }

  get current(): DhcpRunOptions {
    return this.sessions.at(-1)!.options;
  }

  emit(kind: LeaseEvent["kind"], lease?: Lease): void {
    this.current.emit({ kind, family: this.family, interface: this.current.interface, at: this.clock.now(), ...(lease ? { lease } : {}) });
  }
}

function v6Lease(clock: FakeClock, address = "2001:db8:1::10", extra: Partial<Lease> = {}): Lease {
  return {
    family: "ipv6",
    interface: "eth0",
    server: "00010001aabbccdd",
    obtainedAt: clock.now(),
    addresses: [{ address, prefixLength: 128, preferredLifetime: 1800, validLifetime: 3600 }],
    routes: [],
    dns: { servers: ["2001:db8:1::53"], search: [] },
    ...extra,
  };
}

function v4Lease(clock: FakeClock, address = "192.0.2.100"): Lease {
  return {
    family: "ipv4",
    interface: "eth0",
    server: "192.0.2.1",
    obtainedAt: clock.now(),
    addresses: [{ address, prefixLength: 24, preferredLifetime: 3600, validLifetime: 3600 }],
    routes: [{ destination: "0.0.0.0/0", gateway: "192.0.2.1" }],
    dns: { servers: ["192.0.2.53"], search: [] },
    mtu: 1400,
  };
}

const run = new RuntimeRun(afterEach);

function setup(runners: (clock: FakeClock) => ScriptedRunner[], identity?: MemoryStateStore) {
  const clock = new FakeClock(START);
  const link = new RecordingLinkConfigurator();
  const events = new MemoryLeaseEventStream();
  const logs = new MemoryLogSink();
  const list = runners(clock);
  const runtime = new NetworkRuntime({
    runners: list,
    link,
    events,
    clock,
    logger: logs.logger(undefined, clock),
    ...(identity === undefined ? {} : { identity }),
  });
  const start = (options: Partial<NetworkRunOptions> = {}) => run.start(runtime, options);
  return { clock, link, events, logs, runners: list, runtime, start };
}

describe("NetworkRuntime", () => {
  it("gives every family one client DUID (RFC 4361) and keeps it across restarts", async () => {
    const identity = new MemoryStateStore();
    const t = setup((clock) => [new ScriptedRunner("ipv4", clock), new ScriptedRunner("ipv6", clock)], identity);
    void t.start();
    await t.clock.flush();
    const [v4, v6] = t.runners.map((r) => r.current.duid);
    expect(v4).toBeDefined();
    expect(Buffer.from(v4!).toString("hex")).toMatch(/^0004[0-9a-f]{32}$/);
    expect(v6).toEqual(v4);
    run.stop.abort();
    await run.running;

    const again = setup((clock) => [new ScriptedRunner("ipv6", clock)], identity);
    void again.start();
    await again.clock.flush();
    expect(again.runners[0]!.current.duid).toEqual(v4);
  });

  it("leaves the DUID to each runner when it keeps no state", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv6", clock)]);
    void t.start();
    await t.clock.flush();
    expect(t.runners[0]!.current.duid).toBeUndefined();
  });

  it("passes each family's attempt failures to run()'s attemptFailed", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv4", clock), new ScriptedRunner("ipv6", clock)]);
    const seen: [string, string][] = [];
    void t.start({ attemptFailed: (family, failure) => void seen.push([family, failure.code]) });
    await t.clock.flush();
    t.runners[1]!.current.attemptFailed?.({ code: "NO_LINK_LOCAL", message: "no link-local address" });
    t.runners[0]!.current.attemptFailed?.({ code: "NO_REPLY", message: "no reply after 3 Discovers", attempts: 3 });
    expect(seen).toEqual([
      ["ipv6", "NO_LINK_LOCAL"],
      ["ipv4", "NO_REPLY"],
    ]);
  });

  it("puts a bound lease on the link at once, with its lifetimes, and publishes the event", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv6", clock)]);
    void t.start();
    await t.clock.flush();
    t.runners[0]!.emit("bound", v6Lease(t.clock));
    await t.events.waitFor((e) => e.kind === "bound");
    expect(t.link.calls).toEqual([
      { op: "addAddress", interface: "eth0", address: { address: "2001:db8:1::10", prefixLength: 128, preferredLifetime: 1800, validLifetime: 3600 } },
    ]);
    expect(t.events.events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it("sets the lifetimes still left when the lease was obtained earlier than it is applied", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv6", clock)]);
    void t.start();
    await t.clock.flush();
    const lease = v6Lease(t.clock);
    await t.clock.advance(100_500);
    t.runners[0]!.emit("bound", lease);
    await t.events.waitFor((e) => e.kind === "bound");
    expect(t.link.calls[0]).toMatchObject({ address: { preferredLifetime: 1699, validLifetime: 3499 } });
  });

  it("applies routes and the MTU of a lease", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv4", clock)]);
    void t.start();
    await t.clock.flush();
    t.runners[0]!.emit("bound", v4Lease(t.clock));
    await t.events.waitFor((e) => e.kind === "bound");
    const snapshot = await t.link.snapshot("eth0");
    expect(snapshot.mtu).toBe(1400);
    expect(snapshot.routes).toEqual([{ destination: "0.0.0.0/0", gateway: "192.0.2.1", family: "ipv4" }]);
    expect(await addressesOf(t.link)).toEqual(["192.0.2.100/24"]);
  });

  it("removes the old address when a renewal grants a different one, and refreshes lifetimes otherwise", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv6", clock)]);
    void t.start();
    await t.clock.flush();
    const runner = t.runners[0]!;
    runner.emit("bound", v6Lease(t.clock, "2001:db8:1::10"));
    await t.clock.advance(1_800_000);
    runner.emit("renewed", v6Lease(t.clock, "2001:db8:1::10"));
    await t.events.waitFor((e) => e.kind === "renewed");
    expect(t.link.calls.at(-1)).toMatchObject({ op: "addAddress", address: { validLifetime: 3600 } });
    runner.emit("renewed", v6Lease(t.clock, "2001:db8:1::20"));
    await t.clock.flush();
    expect(await addressesOf(t.link)).toEqual(["2001:db8:1::20/128"]);
    expect(t.link.calls.filter((c) => c.op === "removeAddress")).toEqual([
      { op: "removeAddress", interface: "eth0", address: { address: "2001:db8:1::10", prefixLength: 128, preferredLifetime: 1800, validLifetime: 3600 } },
    ]);
  });

  it.each(["expired", "released"] as const)("removes addresses and routes when the lease is %s", async (kind) => {
    const t = setup((clock) => [new ScriptedRunner("ipv4", clock)]);
    void t.start();
    await t.clock.flush();
    const lease = v4Lease(t.clock);
    t.runners[0]!.emit("bound", lease);
    t.runners[0]!.emit(kind, lease);
    await t.events.waitFor((e) => e.kind === kind);
    const snapshot = await t.link.snapshot("eth0");
    expect(snapshot.addresses).toEqual([]);
    expect(snapshot.routes).toEqual([]);
    expect(t.events.events.map((e) => e.kind)).toEqual(["bound", kind]);
  });

  it("does not put an address whose valid lifetime is already over on the link", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv6", clock)]);
    void t.start();
    await t.clock.flush();
    const lease = v6Lease(t.clock);
    await t.clock.advance(3_600_000);
    t.runners[0]!.emit("rebound", lease);
    await t.events.waitFor((e) => e.kind === "rebound");
    expect(t.link.calls).toEqual([]);
  });

  it("keeps an infinite lifetime infinite", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv6", clock)]);
    void t.start();
    await t.clock.flush();
    const lease = v6Lease(t.clock, "2001:db8:1::10", {
      addresses: [{ address: "2001:db8:1::10", prefixLength: 128, preferredLifetime: 0xffffffff, validLifetime: 0xffffffff }],
    });
    await t.clock.advance(10_000);
    t.runners[0]!.emit("bound", lease);
    await t.events.waitFor((e) => e.kind === "bound");
    expect(t.link.calls[0]).toEqual({ op: "addAddress", interface: "eth0", address: { address: "2001:db8:1::10", prefixLength: 128 } });
  });

  it("restarts a runner that rejects after 1 s, doubling the delay to at most 60 s, and publishes each failure", async () => {
    const t = setup((clock) => [
      new ScriptedRunner("ipv6", clock, (options) => {
        void Promise.resolve().then(() => t.runners[0]!.sessions.at(-1)!.fail(Object.assign(new Error("No link-local address"), { code: "ENODEV" })));
      }),
    ]);
    void t.start();
    await t.clock.advance(200_000);
    const starts = t.runners[0]!.sessions.map((s) => s.startedAt - START);
    expect(starts.slice(0, 9)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 63_000, 123_000, 183_000]);
    const failures = t.events.events.filter((e) => e.kind === "failed");
    expect(failures.length).toBe(starts.length);
    expect(failures[0]).toMatchObject({ family: "ipv6", interface: "eth0", error: { code: "ENODEV", message: "No link-local address" } });
    expect(t.logs.find({ level: "warn", message: /restarting in 60000 ms/ })).not.toEqual([]);
  });

  it("restarts a runner that returns without being stopped", async () => {
    let calls = 0;
    const runner: DhcpRunner = { family: "ipv6", run: async () => void calls++ };
    const clock = new FakeClock(START);
    const events = new MemoryLeaseEventStream();
    const runtime = new NetworkRuntime({ runners: [runner], link: new RecordingLinkConfigurator(), events, clock, logger: new MemoryLogSink().logger() });
    void run.start(runtime);
    await clock.advance(3_000);
    expect(calls).toBe(3);
    expect(events.events[0]).toMatchObject({ kind: "failed", error: { code: "PLUGIN_FAILED" } });
  });

  it("starts the backoff again at 1 s after the runner bound a lease", async () => {
    const t = setup((clock) => [
      new ScriptedRunner("ipv6", clock, (_options, session) => {
        if (session === 3) t.runners[0]!.emit("bound", v6Lease(clock));
        void t.clock.sleep(session === 3 ? 5_000 : 0).then(() => t.runners[0]!.sessions[session]!.fail(new Error("Socket closed")));
      }),
    ]);
    void t.start();
    await t.clock.advance(20_000);
    const starts = t.runners[0]!.sessions.map((s) => s.startedAt - START);
    // 0, +1 s, +2 s, +4 s; session 3 bound and failed 5 s later; restart after 1 s again.
    expect(starts.slice(0, 6)).toEqual([0, 1_000, 3_000, 7_000, 13_000, 15_000]);
  });

  const leaseOf = (family: IpFamily, clock: FakeClock): Lease => (family === "ipv4" ? v4Lease(clock) : v6Lease(clock));
  const otherFamily = (family: IpFamily): IpFamily => (family === "ipv4" ? "ipv6" : "ipv4");
  const runnerOrder = (family: IpFamily) => (family === "ipv4" ? [0, 1] : [1, 0]);

  it.each([["ipv4"], ["ipv6"]] as const)(
    "keeps %s configured, its runner untouched, while the other family's runner crashes and is restarted with backoff",
    async (healthy) => {
      const crashing = otherFamily(healthy);
      const [h, c] = runnerOrder(healthy);
      const t = setup((clock) => {
        const list: ScriptedRunner[] = [];
        list[c!] = new ScriptedRunner(crashing, clock, () => void Promise.resolve().then(() => t.runners[c!]!.sessions.at(-1)!.fail(new Error("Crashed"))));
        list[h!] = new ScriptedRunner(healthy, clock);
        return list;
      });
      void t.start();
      await t.clock.flush();
      t.runners[h!]!.emit("bound", leaseOf(healthy, t.clock));
      await t.events.waitFor((e) => e.kind === "bound");
      const configured = await addressesOf(t.link);
      await t.clock.advance(300_000);
      expect(t.runners[h!]!.sessions.length).toBe(1);
      expect(await addressesOf(t.link)).toEqual(configured);
      const failures = t.events.events.filter((e) => e.kind === "failed");
      expect(failures.every((e) => e.family === crashing)).toBe(true);
      // 0, 1, 3, 7, 15, 31, 63, 123, 183, 243 s: doubling from 1 s up to 60 s.
      const starts = t.runners[c!]!.sessions.map((s) => s.startedAt - START);
      expect(starts.slice(0, 10)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 63_000, 123_000, 183_000, 243_000]);
      expect(failures.length).toBe(starts.length);
    },
  );

  it.each([["ipv4"], ["ipv6"]] as const)("binds %s at once although the other family never answers", async (family) => {
    const [h, s] = runnerOrder(family);
    const t = setup((clock) => {
      const list: ScriptedRunner[] = [];
      list[s!] = new ScriptedRunner(otherFamily(family), clock);
      list[h!] = new ScriptedRunner(family, clock, (options) =>
        options.emit({ kind: "bound", family, interface: "eth0", at: clock.now(), lease: leaseOf(family, clock) }),
      );
      return list;
    });
    void t.start();
    const bound = await t.events.waitFor((e) => e.kind === "bound");
    expect(bound.family).toBe(family);
    expect(t.clock.now()).toBe(START);
    expect((await t.link.snapshot("eth0")).addresses.map((a) => a.family)).toEqual([family]);
  });

  it.each([["ipv4"], ["ipv6"]] as const)("works with only an %s runner", async (family) => {
    const t = setup((clock) => [new ScriptedRunner(family, clock)]);
    expect(t.runtime.families).toEqual([family]);
    void t.start();
    await t.clock.flush();
    t.runners[0]!.emit("bound", family === "ipv4" ? v4Lease(t.clock) : v6Lease(t.clock));
    await t.events.waitFor((e) => e.kind === "bound");
    expect((await t.link.snapshot("eth0")).addresses.map((a) => a.family)).toEqual([family]);
    expect(t.logs.find({ level: "warn", message: /No DHCP runner serves/ })).toHaveLength(1);
  });

  it("runs only the families asked for", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv4", clock), new ScriptedRunner("ipv6", clock)]);
    void t.start({ families: ["ipv6"] });
    await t.clock.flush();
    expect(t.runners[0]!.sessions).toHaveLength(0);
    expect(t.runners[1]!.sessions).toHaveLength(1);
  });

  it("passes hostname and release-on-stop to the runners", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv6", clock)]);
    void t.start({ hostname: "c1", releaseOnStop: true });
    await t.clock.flush();
    expect(t.runners[0]!.current).toMatchObject({ interface: "eth0", hostname: "c1", releaseOnStop: true });
  });

  it("reports a link failure as a failed event and keeps the runner and the other family going", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv4", clock), new ScriptedRunner("ipv6", clock)]);
    void t.start();
    await t.clock.flush();
    t.link.failNext("addRoute", new Error("RTNETLINK answers: Network is unreachable"));
    t.runners[0]!.emit("bound", v4Lease(t.clock));
    t.runners[1]!.emit("bound", v6Lease(t.clock));
    const failed = await t.events.waitFor((e) => e.kind === "failed");
    expect(failed).toMatchObject({
      family: "ipv4",
      error: { code: "LINK_FAILED", message: expect.stringContaining("add route 0.0.0.0/0: RTNETLINK answers: Network is unreachable") },
    });
    await t.events.waitFor((e) => e.kind === "bound" && e.family === "ipv6");
    // The address went on although the route did not; the runner was not restarted.
    expect(await addressesOf(t.link)).toEqual(["192.0.2.100/24", "2001:db8:1::10/128"]);
    expect(t.runners[0]!.sessions).toHaveLength(1);
    expect(t.logs.find({ level: "error", message: /applied only in part/ })).toHaveLength(1);
    // A later renewal retries the route.
    t.runners[0]!.emit("renewed", v4Lease(t.clock));
    await t.events.waitFor((e) => e.kind === "renewed");
    expect((await t.link.snapshot("eth0")).routes).toHaveLength(1);
  });

  it("reports an address the kernel does not show after adding it", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv6", clock)]);
    const snapshot = t.link.snapshot.bind(t.link);
    t.link.snapshot = async (iface) => ({ ...(await snapshot(iface)), addresses: [] });
    void t.start();
    await t.clock.flush();
    t.runners[0]!.emit("bound", v6Lease(t.clock));
    const failed = await t.events.waitFor((e) => e.kind === "failed");
    expect(failed.error?.message).toContain('Address "2001:db8:1::10/128" is not on "eth0"');
  });

  it("resolves once stopped, after the runners' last events are applied", async () => {
    const t = setup((clock) => [
      new ScriptedRunner("ipv6", clock, (options) => {
        options.signal.addEventListener("abort", () => {
          options.emit({ kind: "released", family: "ipv6", interface: "eth0", at: clock.now(), lease: v6Lease(clock) });
        });
      }),
    ]);
    const done = t.start({ releaseOnStop: true });
    await t.clock.flush();
    t.runners[0]!.emit("bound", v6Lease(t.clock));
    await t.events.waitFor((e) => e.kind === "bound");
    run.stop.abort();
    await done;
    expect(await addressesOf(t.link)).toEqual([]);
    expect(t.events.events.map((e) => e.kind)).toEqual(["bound", "released"]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it("stops waiting out a restart delay as soon as it is stopped", async () => {
    const t = setup((clock) => [new ScriptedRunner("ipv6", clock, () => void Promise.resolve().then(() => t.runners[0]!.sessions.at(-1)!.fail(new Error("x"))))]);
    const done = t.start();
    await t.clock.advance(10);
    expect(t.clock.pendingTimers).toBe(1);
    run.stop.abort();
    await done;
    expect(t.clock.pendingTimers).toBe(0);
  });
});
