import { describe, expect, it } from "vitest";
import { DhcpRunnerExtension, definePlugin, type DhcpRunner } from "@incusx/sdk";
import type { LogRecord } from "@incusx/sdk/host";
import { FakeClock, MemoryLeaseEventStream, MemoryStateStore, RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { Host } from "./host.js";

describe("Host.networkRuntime with optimistic DAD", () => {
  it("gives the runtime linux-net's setIpv6Sysctls, so a NIC may ask for optimistic DAD", async () => {
    const clock = new FakeClock(1_000_000);
    const records: LogRecord[] = [];
    const started: string[] = [];
    const v6: DhcpRunner = {
      family: "ipv6",
      run: async (options) => {
        started.push(options.interface);
        await new Promise((resolve) => options.signal.addEventListener("abort", resolve, { once: true }));
      },
    };
    const host = new Host({
      plugins: [
        {
          plugin: definePlugin({ id: "test.v6", register: (r) => r.contribute(DhcpRunnerExtension, { useValue: v6 }) }),
          manifest: { id: "test.v6", apiVersions: ["1"], provides: ["dhcp-runner"] },
        },
      ],
      services: {
        clock,
        linkConfigurator: new RecordingLinkConfigurator(),
        leaseEvents: new MemoryLeaseEventStream(),
        logSink: (record) => records.push(record),
        stateStore: () => new MemoryStateStore(),
      },
    });
    expect((await host.start()).ok).toBe(true);
    const runtime = host.networkRuntime();
    // An interface no host has, in the process's own namespace: the setting is tried
    // (no INVALID_CONFIG for a missing setIpv6Sysctls) and fails with ENODEV, changing nothing.
    const nic = { instance: "c1", device: "eth0", interface: "ixoptdadnone0" };
    await runtime.attach({ ...nic, optimisticDad: true });
    expect(started).toEqual(["ixoptdadnone0"]);
    const warning = records.find((r) => r.level === "warn" && r.message.includes("optimistic DAD"));
    expect(warning?.message).toMatch(/Could not turn on optimistic DAD on "ixoptdadnone0": .*(ENODEV|native addon)/);
    await runtime.detach(nic);
    await host.stop();
  });
});
