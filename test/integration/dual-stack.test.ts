// Both runners of `incusx forknet dhcp` side by side against a real dnsmasq
// (root only): the exit statuses of --exit-when-configured on dual-stack,
// IPv4-only and IPv6-only networks, and each family configured as fast
// with the other's server silent as alone. "As fast" is shown without
// wall-clock ratios: the configured family's event comes before the silent
// family's first retransmission (DHCPv4 waits at least 3 s, DHCPv6 at least
// 0.9 s), and within a generous margin of the single-family time.
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import type { IpFamily, LeaseEvent } from "@incusx/sdk";
import {
  captureDhcpv4,
  captureDhcpv6,
  dhcpAddresses,
  dhcpv4Addresses,
  forknet,
  perTestResources,
  skipReason,
  type ForknetRun,
  type TestNetwork,
} from "./dhcp-support.js";

const reason = skipReason();
const { network, state } = perTestResources();

const bound = (family: IpFamily) => (e: LeaseEvent) => e.kind === "bound" && e.family === family;
const families = (run: ForknetRun) => [...new Set(run.events.filter((e) => e.kind === "bound").map((e) => e.family))].sort();

/** Waits until the container's link-local address has finished DAD, so every run starts from the same point. */
async function linkLocalReady(net: TestNetwork): Promise<void> {
  await net.waitFor(
    async () => (await net.addresses("container", net.iface)).some((a) => a.family === "inet6" && a.scope === "link" && a.tentative !== true),
    { timeoutMs: 10_000, message: "The link-local address did not finish DAD" },
  );
}

/** Runs `incusx forknet dhcp` with `args` until `family` is bound; milliseconds from spawn to the event, and the event. */
async function timeToBound(net: TestNetwork, family: IpFamily, args: readonly string[]): Promise<{ ms: number; event: LeaseEvent; run: ForknetRun }> {
  const start = performance.now();
  const run = forknet(net, [...args, "--state-dir", await state()]);
  const event = await run.waitForEvent(bound(family));
  return { ms: performance.now() - start, event, run };
}

describe.skipIf(reason !== undefined)(`incusx forknet dhcp, dual stack, against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("configures both families on a dual-stack network and exits 0", async () => {
    const net = await network({});
    const run = forknet(net, ["--exit-when-configured", "--timeout", "20", "--state-dir", await state()]);
    expect(await run.exited(), run.stderr()).toBe(0);
    expect(families(run)).toEqual(["ipv4", "ipv6"]);
    const v4 = run.events.find(bound("ipv4"))!.lease!.addresses[0]!.address;
    const v6 = run.events.find(bound("ipv6"))!.lease!.addresses[0]!.address;
    expect((await dhcpv4Addresses(net)).map((a) => a.local)).toEqual([v4]);
    expect((await dhcpAddresses(net)).map((a) => a.local)).toEqual([v6]);
  });

  it.each([
    { network: "IPv4-only", options: { v6: false }, configured: "ipv4" },
    { network: "IPv6-only", options: { v4: false }, configured: "ipv6" },
  ] as const)("exits 3 at --timeout on an $network network, with $configured configured", async ({ options, configured }) => {
    const net = await network(options);
    const run = forknet(net, ["--exit-when-configured", "--timeout", "4", "--state-dir", await state()]);
    expect(await run.exited(), run.stderr()).toBe(3);
    expect(families(run)).toEqual([configured]);
  });

  it.each([
    { network: "IPv4-only", options: { v6: false }, flag: "--no-ipv6" },
    { network: "IPv6-only", options: { v4: false }, flag: "--no-ipv4" },
  ] as const)("exits 0 on an $network network with $flag", async ({ options, flag }) => {
    const net = await network(options);
    const run = forknet(net, [flag, "--exit-when-configured", "--timeout", "20", "--state-dir", await state()]);
    expect(await run.exited(), run.stderr()).toBe(0);
  });

  it("exits 4 at --timeout when no server answers either family", async () => {
    const net = await network({ startDnsmasq: false });
    const run = forknet(net, ["--exit-when-configured", "--timeout", "2", "--state-dir", await state()]);
    expect(await run.exited(), run.stderr()).toBe(4);
    expect(run.events.filter((e) => e.kind === "bound")).toEqual([]);
  });

  it("configures IPv6 as fast with the DHCPv4 server silent as alone", async () => {
    const net = await network({ v4: false });
    await linkLocalReady(net);
    const alone = await timeToBound(net, "ipv6", ["--no-ipv4"]);
    await alone.run.stop();
    await net.exec("container", ["ip", "-6", "addr", "flush", "dev", "eth0", "scope", "global"]);

    const capture = await captureDhcpv4(net);
    const dual = await timeToBound(net, "ipv6", []);
    // DHCPv4 retransmits its DISCOVER after 4 s +-1 s: IPv6 came long before.
    await net.waitFor(() => capture.fromClient("Discover").length >= 2, { timeoutMs: 10_000, message: "No second DISCOVER" });
    const [first, second] = capture.fromClient("Discover");
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(3);
    expect(dual.event.at / 1000, `ipv6 bound at ${dual.event.at}, DISCOVERs at ${first!.at}, ${second!.at}`).toBeLessThan(second!.at);
    expect(dual.ms, `alone ${alone.ms.toFixed(0)} ms, dual ${dual.ms.toFixed(0)} ms`).toBeLessThan(alone.ms + 2_000);
    expect(dual.run.events.filter((e) => e.family === "ipv4")).toEqual([]);
    expect(await dhcpv4Addresses(net)).toEqual([]);
  });

  it("configures IPv4 as fast with the DHCPv6 server silent as alone", async () => {
    const net = await network({ v6: false });
    await linkLocalReady(net);
    const alone = await timeToBound(net, "ipv4", ["--no-ipv6"]);
    await alone.run.stop();
    await net.exec("container", ["ip", "-4", "addr", "flush", "dev", "eth0"]);

    const capture = await captureDhcpv6(net);
    const dual = await timeToBound(net, "ipv4", []);
    // DHCPv6 retransmits its Solicit after 1 s +-10%: IPv4 came before.
    const solicits = () => capture.messages().filter((m) => m.type === "solicit");
    await net.waitFor(() => solicits().length >= 2, { timeoutMs: 10_000, message: "No second Solicit" });
    const [first, second] = solicits();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(0.85);
    expect(dual.event.at / 1000, `ipv4 bound at ${dual.event.at}, Solicits at ${first!.at}, ${second!.at}`).toBeLessThan(second!.at);
    expect(dual.ms, `alone ${alone.ms.toFixed(0)} ms, dual ${dual.ms.toFixed(0)} ms`).toBeLessThan(alone.ms + 2_000);
    expect(dual.run.events.filter((e) => e.family === "ipv6")).toEqual([]);
    expect(await dhcpAddresses(net)).toEqual([]);
  });
});
