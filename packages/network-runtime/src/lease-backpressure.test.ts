import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import type { DhcpRunOptions, DhcpRunner, IpFamily, Lease, LeaseEvent, LinkAddress, LinkRoute } from "@incusx/sdk";
import { FakeClock, MemoryLeaseEventStream, MemoryLogSink, RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { NetworkRuntime } from "./network-runtime.js";
import { RuntimeRun, addressesOf } from "./runtime-run.test-support.js";

const START = Date.UTC(2026, 0, 1);
const BURST = 10_000;

/** A runner that only hands its options to the test, which emits into them. */
class PuppetRunner implements DhcpRunner {
  options: DhcpRunOptions | undefined;
  constructor(readonly family: IpFamily) {}
  run(options: DhcpRunOptions): Promise<void> {
    this.options = options;
    return new Promise((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
  }
  emit(kind: LeaseEvent["kind"], lease: Lease, at: number): void {
    this.options!.emit({ kind, family: this.family, interface: "eth0", at, lease });
  }
}

/** A recording link whose changes can be held back, to keep an application in flight. */
class GatedLink extends RecordingLinkConfigurator {
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  /** Link changes started (recorded or waiting at the gate). */
  started = 0;
  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }
  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }
  override async addAddress(iface: string, address: LinkAddress): Promise<void> {
    this.started++;
    await this.#gate;
    return super.addAddress(iface, address);
  }
  override async addRoute(iface: string, route: LinkRoute): Promise<void> {
    this.started++;
    await this.#gate;
    return super.addRoute(iface, route);
  }
}

/** Lease number `n` of `family`: its own address and `routes` routes of its own (fresh objects each time). */
function leaseNumber(family: IpFamily, n: number, at: number, routes = 4): Lease {
  const v4 = family === "ipv4";
  const address = v4 ? `198.51.100.${(n % 250) + 1}` : `2001:db8:1::${(n + 1).toString(16)}`;
  return {
    family,
    interface: "eth0",
    server: v4 ? "192.0.2.1" : "000100011234",
    obtainedAt: at,
    addresses: [{ address, prefixLength: v4 ? 24 : 128, preferredLifetime: 3600, validLifetime: 3600 }],
    routes: Array.from({ length: routes }, (_, i) =>
      v4 ? { destination: `203.0.${i}.${n % 256}/32`, gateway: "198.51.100.254" } : { destination: `2001:db8:${i.toString(16)}:${n.toString(16)}::/64`, gateway: "fe80::1" },
    ),
    dns: { servers: [], search: [] },
  };
}

const run = new RuntimeRun(afterEach);

function setup() {
  const clock = new FakeClock(START);
  const link = new GatedLink();
  const events = new MemoryLeaseEventStream();
  const logs = new MemoryLogSink();
  const runners = [new PuppetRunner("ipv4"), new PuppetRunner("ipv6")];
  const runtime = new NetworkRuntime({ runners, link, events, clock, logger: logs.logger(undefined, clock) });
  void run.start(runtime, { releaseOnStop: true });
  return { clock, link, events, logs, runners, runtime };
}

const routesOf = async (link: RecordingLinkConfigurator, family: IpFamily) =>
  (await link.snapshot("eth0")).routes
    .filter((r) => r.family === family)
    .map((r) => r.destination)
    .sort();

/** The garbage collector, reached without `--expose-gc` on the command line. */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

describe("lease application under a storm of lease events", () => {
  it(`applies a burst of ${BURST} events per family at most twice per family, ending with the last lease`, async () => {
    const t = setup();
    await t.clock.flush();
    t.link.hold();
    const last: Record<IpFamily, Lease | undefined> = { ipv4: undefined, ipv6: undefined };
    for (let n = 0; n < BURST; n++) {
      for (const runner of t.runners) {
        const lease = leaseNumber(runner.family, n, t.clock.now());
        runner.emit(n === 0 ? "bound" : "renewed", lease, t.clock.now());
        last[runner.family] = lease;
      }
    }
    t.link.release();
    for (const family of ["ipv4", "ipv6"] as const) {
      const address = last[family]!.addresses[0]!.address;
      await t.events.waitFor((e) => e.lease?.addresses[0]?.address === address, { timeoutMs: 20_000 });
    }
    await t.clock.flush();
    const applied = t.link.calls.filter((c) => c.op === "addAddress");
    for (const family of ["ipv4", "ipv6"] as const) {
      const ofFamily = applied.filter((c) => c.op === "addAddress" && c.address.address.includes(family === "ipv4" ? "." : ":"));
      expect(ofFamily.length).toBeGreaterThanOrEqual(1);
      expect(ofFamily.length).toBeLessThanOrEqual(2);
      const published = t.events.events.filter((e) => e.family === family);
      expect(published.length).toBeLessThanOrEqual(2);
      expect(published.at(-1)?.lease).toEqual(last[family]);
    }
    expect(await addressesOf(t.link)).toEqual([`${last.ipv4!.addresses[0]!.address}/24`, `${last.ipv6!.addresses[0]!.address}/128`].sort());
  });

  it("ends with the link carrying exactly the last lease of the burst", async () => {
    const t = setup();
    await t.clock.flush();
    t.link.hold();
    for (let n = 0; n < BURST; n++) t.runners[0]!.emit(n === 0 ? "bound" : "renewed", leaseNumber("ipv4", n, t.clock.now()), t.clock.now());
    t.link.release();
    const final = leaseNumber("ipv4", BURST - 1, t.clock.now());
    await t.events.waitFor((e) => e.lease?.addresses[0]?.address === final.addresses[0]!.address);
    expect(await addressesOf(t.link)).toEqual([`${final.addresses[0]!.address}/24`]);
    expect(await routesOf(t.link, "ipv4")).toEqual(final.routes.map((r) => r.destination).sort());
    // The lease in flight when the burst began, then the last one.
    expect(t.events.events.map((e) => e.kind)).toEqual(["bound", "renewed"]);
    expect(t.link.started).toBeLessThanOrEqual(2 * (1 + final.routes.length));
  });

  it("keeps memory flat however many events are waiting", async () => {
    const gc = collector();
    const t = setup();
    await t.clock.flush();
    t.link.hold();
    t.runners[0]!.emit("bound", leaseNumber("ipv4", 0, t.clock.now(), 16), t.clock.now());
    gc();
    const before = process.memoryUsage().heapUsed;
    // Each event brings a lease with 16 routes of its own: about 3 KB, so ~30 MB if they were all kept.
    for (let n = 1; n <= BURST; n++) t.runners[0]!.emit("renewed", leaseNumber("ipv4", n, t.clock.now(), 16), t.clock.now());
    await Promise.resolve();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(4 * 1024 * 1024);
    t.link.release();
  });

  it("lets an end supersede waiting leases, and removes what every ended lease named", async () => {
    const t = setup();
    await t.clock.flush();
    const runner = t.runners[0]!;
    // Left on the link by an earlier run: only the expiry of the saved lease names it.
    const saved: Lease = { ...leaseNumber("ipv4", 200, t.clock.now(), 0) };
    await t.link.addAddress("eth0", { address: saved.addresses[0]!.address, prefixLength: 24 });
    t.link.hold();
    runner.emit("bound", leaseNumber("ipv4", 1, t.clock.now()), t.clock.now());
    runner.emit("expired", saved, t.clock.now());
    runner.emit("renewed", leaseNumber("ipv4", 2, t.clock.now()), t.clock.now());
    runner.emit("expired", leaseNumber("ipv4", 2, t.clock.now()), t.clock.now());
    t.link.release();
    await t.events.waitFor((e) => e.kind === "expired");
    await t.clock.flush();
    expect(await addressesOf(t.link)).toEqual([]);
    expect(await routesOf(t.link, "ipv4")).toEqual([]);
    expect(t.events.events.map((e) => e.kind)).toEqual(["bound", "expired"]);
    // A new lease waiting behind one in flight, then renewed before it was applied: still news, so "bound".
    t.link.hold();
    runner.emit("bound", leaseNumber("ipv4", 3, t.clock.now()), t.clock.now());
    runner.emit("expired", leaseNumber("ipv4", 3, t.clock.now()), t.clock.now());
    runner.emit("bound", leaseNumber("ipv4", 4, t.clock.now()), t.clock.now());
    runner.emit("renewed", leaseNumber("ipv4", 5, t.clock.now()), t.clock.now());
    t.link.release();
    await t.events.waitFor((e) => e.lease?.addresses[0]?.address === "198.51.100.6");
    expect(t.events.events.map((e) => e.kind)).toEqual(["bound", "expired", "bound", "expired", "bound"]);
    expect(await addressesOf(t.link)).toEqual(["198.51.100.6/24"]);
  });

  it("stops without working off a backlog: the lease in flight is abandoned, the release still removes what it put on", async () => {
    const t = setup();
    await t.clock.flush();
    const runner = t.runners[0]!;
    // Each link change takes 10 ms; a lease with 1000 routes would take 10 s.
    const slow = t.link;
    const addRoute = slow.addRoute.bind(slow);
    slow.addRoute = async (iface, route) => {
      await t.clock.sleep(10);
      return addRoute(iface, route);
    };
    runner.options!.signal.addEventListener("abort", () => runner.emit("released", leaseNumber("ipv4", 0, t.clock.now(), 0), t.clock.now()));
    runner.emit("bound", leaseNumber("ipv4", 0, t.clock.now(), 1000), t.clock.now());
    for (let n = 1; n < 100; n++) runner.emit("renewed", leaseNumber("ipv4", n, t.clock.now(), 1000), t.clock.now());
    await t.clock.advance(50);
    const stoppedAt = t.clock.now();
    run.stop.abort();
    let done = false;
    void run.running!.then(() => (done = true));
    for (let i = 0; i < 10_000 && !done; i++) await t.clock.advance(10);
    expect(done).toBe(true);
    expect(t.clock.now() - stoppedAt).toBeLessThanOrEqual(20);
    expect(await addressesOf(t.link)).toEqual([]);
    expect(await routesOf(t.link, "ipv4")).toEqual([]);
    expect(t.events.events.map((e) => e.kind)).toEqual(["released"]);
  });
});
