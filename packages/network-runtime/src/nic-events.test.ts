import { afterEach, describe, expect, it } from "vitest";
import type { DhcpRunOptions, DhcpRunner, IpFamily, LeaseEvent } from "@incusx/sdk";
import { FakeClock, MemoryLeaseEventStream, MemoryLogSink, RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { NetworkRuntime } from "./network-runtime.js";

const START = Date.UTC(2026, 0, 1);

/** A runner that binds at once with one address, named after the NIC's hostname. */
class BindingRunner implements DhcpRunner {
  constructor(
    readonly family: IpFamily,
    private readonly clock: FakeClock,
  ) {}

  run(options: DhcpRunOptions): Promise<void> {
    const v4 = this.family === "ipv4";
    const address = v4 ? "192.0.2.10" : "2001:db8:1::10";
    options.emit({
      kind: "bound",
      family: this.family,
      interface: options.interface,
      at: this.clock.now(),
      lease: {
        family: this.family,
        interface: options.interface,
        server: v4 ? "192.0.2.1" : "0001",
        obtainedAt: this.clock.now(),
        addresses: [{ address, prefixLength: v4 ? 24 : 128, preferredLifetime: 1800, validLifetime: 3600 }],
        routes: [],
        dns: { servers: [v4 ? "192.0.2.53" : "2001:db8:1::53"], search: [] },
      },
    });
    return new Promise((resolve) =>
      options.signal.addEventListener(
        "abort",
        () => {
          if (options.releaseOnStop === true) options.emit({ kind: "released", family: this.family, interface: options.interface, at: this.clock.now() });
          resolve();
        },
        { once: true },
      ),
    );
  }
}

let runtime: NetworkRuntime | undefined;
afterEach(async () => {
  await Promise.all((runtime?.list() ?? []).map((nic) => runtime!.detach(nic)));
  runtime = undefined;
});

function setup() {
  const clock = new FakeClock(START);
  const events = new MemoryLeaseEventStream();
  runtime = new NetworkRuntime({
    runners: [new BindingRunner("ipv4", clock), new BindingRunner("ipv6", clock)],
    link: new RecordingLinkConfigurator(),
    linkFor: () => new RecordingLinkConfigurator(),
    events,
    clock,
    logger: new MemoryLogSink().logger(undefined, clock),
  });
  return { clock, events, runtime };
}

const brief = (e: LeaseEvent) => `${e.kind} ${e.family} ${e.interface} ${JSON.stringify(e.nic)}`;

describe("NetworkRuntime: the NIC on each event", () => {
  it("stamps an attached NIC's events with the NIC and its resolv.conf target, and says detached per family at detach", async () => {
    const t = setup();
    const resolvConf = { root: "/proc/4242/root" };
    await t.runtime.attach({ instance: "c1", device: "net1", interface: "eth1", families: ["ipv4", "ipv6"], resolvConf });
    await t.events.waitFor((e) => e.kind === "bound" && e.family === "ipv6");
    await t.events.waitFor((e) => e.kind === "bound" && e.family === "ipv4");
    const nic = JSON.stringify({ instance: "c1", device: "net1", resolvConf });
    expect(t.events.events.map(brief).sort()).toEqual([`bound ipv4 eth1 ${nic}`, `bound ipv6 eth1 ${nic}`]);

    await t.runtime.detach({ instance: "c1", device: "net1" });
    expect(t.events.events.slice(2).map(brief)).toEqual([`detached ipv4 eth1 ${nic}`, `detached ipv6 eth1 ${nic}`]);
    expect(t.events.events.at(-1)).toMatchObject({ at: START });
    expect(t.events.events.at(-1)?.lease).toBeUndefined();
  });

  it("says detached after the NIC's release was applied", async () => {
    const t = setup();
    await t.runtime.attach({ instance: "c1", device: "eth0", interface: "eth0", families: ["ipv4"], releaseOnStop: true });
    await t.events.waitFor((e) => e.kind === "bound");
    await t.runtime.detach({ instance: "c1", device: "eth0" });
    expect(t.events.events.map((e) => e.kind)).toEqual(["bound", "released", "detached"]);
  });

  it("stamps a NIC without a target with the NIC alone", async () => {
    const t = setup();
    await t.runtime.attach({ instance: "c2", device: "eth0", interface: "eth0", families: ["ipv4"] });
    await t.events.waitFor((e) => e.kind === "bound");
    expect(t.events.events[0]?.nic).toEqual({ instance: "c2", device: "eth0" });
  });

  it("refuses a resolv.conf target that is not an absolute root and an absolute path without . or .. components", async () => {
    const t = setup();
    for (const resolvConf of [{ root: "proc/1/root" }, { root: "" }, { root: "/r", path: "etc/resolv.conf" }, { root: "/r", path: "/etc/../../etc/resolv.conf" }, { root: "/r", path: "/etc/./resolv.conf" }, { root: "/r", path: "/" }]) {
      const error = await t.runtime.attach({ instance: "c3", device: "eth0", interface: "eth0", resolvConf }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(resolvConf)).toMatchObject({ code: "INVALID_CONFIG", message: expect.stringContaining("resolv.conf target") });
    }
    expect(t.runtime.list()).toEqual([]);
  });

  it("leaves the events of run() as they were: no NIC, no detached", async () => {
    const t = setup();
    const stop = new AbortController();
    const running = t.runtime.run({ interface: "eth0", families: ["ipv4"], signal: stop.signal });
    await t.events.waitFor((e) => e.kind === "bound");
    stop.abort();
    await running;
    expect(t.events.events.map((e) => [e.kind, "nic" in e])).toEqual([["bound", false]]);
  });
});
