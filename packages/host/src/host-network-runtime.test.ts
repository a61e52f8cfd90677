import { describe, expect, it } from "vitest";
import { DhcpRunnerExtension, definePlugin, isIncusxError, type DhcpRunner, type DhcpRunOptions, type LeaseEvent } from "@incusx/sdk";
import * as runtimeApi from "@incusx/network-runtime";
import { FakeClock, MemoryLeaseEventStream, MemoryStateStore, RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { Host } from "./host.js";
import * as hostApi from "./index.js";

function runnerPlugin(id: string, runner: DhcpRunner) {
  return {
    plugin: definePlugin({ id, register: (r) => r.contribute(DhcpRunnerExtension, { useValue: runner }) }),
    manifest: { id, apiVersions: ["1"], provides: ["dhcp-runner"] },
  };
}

describe("Host.networkRuntime", () => {
  it("runs the DHCP runners the started plugins contributed, with the host's link and event stream", async () => {
    const clock = new FakeClock(1_000_000);
    const link = new RecordingLinkConfigurator();
    const events = new MemoryLeaseEventStream();
    const v6: DhcpRunner = {
      family: "ipv6",
      run: async (options) => {
        const event: LeaseEvent = {
          kind: "bound",
          family: "ipv6",
          interface: options.interface,
          at: clock.now(),
          lease: {
            family: "ipv6",
            interface: options.interface,
            server: "0001",
            obtainedAt: clock.now(),
            addresses: [{ address: "2001:db8:1::10", prefixLength: 128, preferredLifetime: 60, validLifetime: 120 }],
            routes: [],
            dns: { servers: [], search: [] },
          },
        };
        options.emit(event);
        await new Promise((resolve) => options.signal.addEventListener("abort", resolve, { once: true }));
      },
    };
    const host = new Host({
      plugins: [runnerPlugin("test.v6", v6)],
      services: { clock, linkConfigurator: link, leaseEvents: events, logSink: () => {}, stateStore: () => new MemoryStateStore() },
    });
    expect((await host.start()).ok).toBe(true);
    const runtime = host.networkRuntime();
    expect(runtime.families).toEqual(["ipv6"]);
    const stop = new AbortController();
    const done = runtime.run({ interface: "eth0", signal: stop.signal });
    await events.waitFor((e) => e.kind === "bound");
    expect((await link.snapshot("eth0")).addresses).toEqual([
      { address: "2001:db8:1::10", prefixLength: 128, preferredLifetime: 60, validLifetime: 120, family: "ipv6" },
    ]);
    stop.abort();
    await done;
    await host.stop();
  });

  it("keeps the runtime's attached set in the host's state store, so a new host on the same state restores every NIC", async () => {
    const stores = new Map<string, MemoryStateStore>();
    const stateStore = (id: string): MemoryStateStore => {
      if (!stores.has(id)) stores.set(id, new MemoryStateStore());
      return stores.get(id)!;
    };
    const runs: string[] = [];
    const v4: DhcpRunner = {
      family: "ipv4",
      run: async (options) => {
        runs.push(`${options.interface} ${options.leaseKey}`);
        await new Promise((resolve) => options.signal.addEventListener("abort", resolve, { once: true }));
      },
    };
    const hostOn = () =>
      new Host({ plugins: [runnerPlugin("test.v4", v4)], services: { clock: new FakeClock(1_000_000), linkConfigurator: new RecordingLinkConfigurator(), logSink: () => {}, stateStore } });
    const first = hostOn();
    expect((await first.start()).ok).toBe(true);
    const crashed = first.networkRuntime();
    await crashed.attach({ instance: "c1", device: "eth0", interface: "eth0", families: ["ipv4"] });
    // The first host is gone without detaching (a crash).
    const second = hostOn();
    expect((await second.start()).ok).toBe(true);
    const runtime = second.networkRuntime();
    expect((await runtime.restore()).restored).toEqual([{ instance: "c1", device: "eth0" }]);
    expect(runs).toEqual(["eth0 nic.i.c1.eth0", "eth0 nic.i.c1.eth0"]);
    await runtime.detach({ instance: "c1", device: "eth0" }, { forget: false });
    await crashed.detach({ instance: "c1", device: "eth0" }, { forget: false });
    await second.stop();
    await first.stop();
  });

  it("builds a NetworkRuntime of @incusx/network-runtime, which the host barrel still re-exports (deprecated)", () => {
    const host = new Host({ plugins: [], services: { logSink: () => {}, stateStore: () => new MemoryStateStore() } });
    expect(host.networkRuntime()).toBeInstanceOf(runtimeApi.NetworkRuntime);
    expect(hostApi.NetworkRuntime).toBe(runtimeApi.NetworkRuntime);
    expect(hostApi.LINK_FAILED).toBe(runtimeApi.LINK_FAILED);
    expect(hostApi.CLIENT_DUID_KEY).toBe(runtimeApi.CLIENT_DUID_KEY);
  });
});

/** A runner that records what it was asked to run and waits to be stopped. */
function idleRunner(seen: DhcpRunOptions[]): DhcpRunner {
  return {
    family: "ipv4",
    run: async (options) => {
      seen.push(options);
      await new Promise((resolve) => options.signal.addEventListener("abort", resolve, { once: true }));
    },
  };
}

describe("Host.networkRuntime with NICs in other namespaces", () => {
  it("rejects attach with NOT_FOUND when the NIC's namespace does not exist, and attaches nothing", async () => {
    const seen: DhcpRunOptions[] = [];
    const host = new Host({ plugins: [runnerPlugin("test.v4", idleRunner(seen))], services: { logSink: () => {}, stateStore: () => new MemoryStateStore() } });
    expect((await host.start()).ok).toBe(true);
    const runtime = host.networkRuntime();
    const error = await runtime.attach({ instance: "c1", device: "eth0", interface: "eth0", netns: `/run/netns/incusx-none-${process.pid}` }).catch((e: unknown) => e);
    expect(isIncusxError(error) && error.code).toBe("NOT_FOUND");
    // A bare name is one under /run/netns, as `forknet dhcp --netns NAME` takes it.
    const byName = await runtime.attach({ instance: "c1", device: "eth0", interface: "eth0", netns: `incusx-none-${process.pid}` }).catch((e: unknown) => e);
    expect(isIncusxError(byName) && [byName.code, byName.message]).toEqual(["NOT_FOUND", expect.stringContaining(`"/run/netns/incusx-none-${process.pid}"`)]);
    const invalid = await runtime.attach({ instance: "c1", device: "eth0", interface: "eth0", netns: "a/b" }).catch((e: unknown) => e);
    expect(isIncusxError(invalid) && invalid.code).toBe("INVALID_CONFIG");
    expect(runtime.list()).toEqual([]);
    expect(seen).toEqual([]);
    await host.stop();
  });
});
