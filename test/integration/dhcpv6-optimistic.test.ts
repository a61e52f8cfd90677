// Optimistic DAD (RFC 4429) end to end: a NetworkRuntime in this process
// attaches a NIC of a test namespace with the real DHCPv6 runner against
// a real dnsmasq, and the kernel's address flags show when the exchange
// happened relative to DAD of the link-local address.
import { IpRoute2LinkConfigurator, openNetns, setIpv6Sysctls } from "@incusx/linux-net";
import { NetworkRuntime } from "@incusx/network-runtime";
import { Dhcpv6Runner } from "@incusx/plugin-dhcpv6";
import type { Clock, Timer } from "@incusx/sdk";
import { sleepOnTimer } from "@incusx/sdk/host";
import { MemoryLeaseEventStream, MemoryLogSink, MemoryStateStore } from "@incusx/sdk/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";

const clock: Clock = {
  now: () => Date.now(),
  setTimer(ms, callback): Timer {
    const handle = setTimeout(callback, ms);
    return { cancel: () => clearTimeout(handle) };
  },
  sleep(ms, signal) {
    return sleepOnTimer(this, ms, signal);
  },
};

let net: TestNetwork | undefined;
let runtime: NetworkRuntime | undefined;
afterEach(async () => {
  for (const nic of runtime?.list() ?? []) await runtime!.detach(nic);
  runtime = undefined;
  await net?.destroy();
  net = undefined;
});

async function setUp(): Promise<{ net: TestNetwork; runtime: NetworkRuntime; events: MemoryLeaseEventStream }> {
  net = await createTestNetwork({ v4: false, containerLinkUp: false });
  const events = new MemoryLeaseEventStream();
  const logs = new MemoryLogSink();
  runtime = new NetworkRuntime({
    runners: [new Dhcpv6Runner(clock, new MemoryStateStore(), logs.logger("incusx.dhcpv6", clock), {})],
    link: new IpRoute2LinkConfigurator(),
    linkFor: (_nic, netns) => new IpRoute2LinkConfigurator({ netns: netns! }),
    openNetns,
    setIpv6Sysctls,
    events,
    clock,
    logger: logs.logger(undefined, clock),
  });
  return { net, runtime, events };
}

async function sysctl(net: TestNetwork, name: string): Promise<string> {
  return (await net.exec("container", ["cat", `/proc/sys/net/ipv6/conf/eth0/${name}`])).stdout.trim();
}

async function flagsNow(net: TestNetwork) {
  const addresses = await net.addresses("container", "eth0");
  return {
    linkLocal: addresses.find((a) => a.family === "inet6" && a.scope === "link"),
    leased: addresses.find((a) => a.family === "inet6" && a.local.startsWith("2001:db8:1::")),
  };
}

describe.skipIf(!rootAvailable())("DHCPv6 with optimistic DAD, runtime in this process, real dnsmasq (needs root)", () => {
  it("with the option, the exchange is done while DAD of the link-local address still runs (it is optimistic and tentative)", async () => {
    const { net, runtime, events } = await setUp();
    // DAD of the link-local address then lasts at least 20 s: a lease before that came from an optimistic Solicit.
    await net.exec("container", ["sysctl", "-qw", "net.ipv6.neigh.eth0.retrans_time_ms=20000"]);
    await runtime.attach({ instance: "c1", device: "eth0", interface: "eth0", netns: net.containerNsPath, families: ["ipv6"], optimisticDad: true });
    expect([await sysctl(net, "optimistic_dad"), await sysctl(net, "use_optimistic")]).toEqual(["1", "1"]);

    await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
    const bound = await events.waitFor((e) => e.kind === "bound" && e.family === "ipv6", { timeoutMs: 15_000 });
    const now = await flagsNow(net);
    expect(now.leased?.local).toBe(bound.lease?.addresses[0]?.address);
    expect(now.linkLocal).toMatchObject({ optimistic: true, tentative: true });
  });

  it("without it (the default), the runner waits for DAD: the link-local address is no longer tentative when the lease comes", async () => {
    const { net, runtime, events } = await setUp();
    await runtime.attach({ instance: "c1", device: "eth0", interface: "eth0", netns: net.containerNsPath, families: ["ipv6"] });
    expect([await sysctl(net, "optimistic_dad"), await sysctl(net, "use_optimistic")]).toEqual(["0", "0"]);

    await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
    const bound = await events.waitFor((e) => e.kind === "bound" && e.family === "ipv6", { timeoutMs: 15_000 });
    const now = await flagsNow(net);
    expect(now.leased?.local).toBe(bound.lease?.addresses[0]?.address);
    expect(now.linkLocal).toBeDefined();
    expect(now.linkLocal?.tentative).toBeUndefined();
    expect(now.linkLocal?.optimistic).toBeUndefined();
  });
});
