// A DHCPv6 lease's life against a real dnsmasq: renewal at T1, and losing
// the server (Renew and Rebind unanswered, the address gone at the end of
// its valid lifetime, recovery when the server returns). dnsmasq's shortest
// lease is 2 minutes, with T1 at half of it (less a little fuzz) and T2 at
// 7/8, so the two tests run concurrently, each in its own namespaces:
// about 2 minutes in all.
import { describe, expect, it } from "vitest";
import { captureDhcpv6, createTestNetwork, dhcpAddresses, forknet, skipReason, stateDir } from "./dhcpv6-support.js";

const reason = skipReason();

/** A network with a 2-minute lease and a state dir, both removed when the test finishes. */
async function shortLeaseNetwork(onTestFinished: (fn: () => Promise<void>) => void) {
  const net = await createTestNetwork({ v4: false, leaseTime: "2m" });
  const state = await stateDir();
  onTestFinished(async () => {
    await net.destroy();
    await state.remove();
  });
  return { net, state: state.dir };
}

describe.skipIf(reason !== undefined)(`DHCPv6 lease life against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, { concurrent: true }, () => {
  it("renews at T1 with the server and refreshes the address lifetimes in the kernel", { timeout: 90_000 }, async ({ onTestFinished }) => {
    const { net, state } = await shortLeaseNetwork(onTestFinished);
    const run = forknet(net, ["--no-ipv4", "--state-dir", state]);
    onTestFinished(async () => void (await run.stop()));
    const bound = await run.waitForEvent((e) => e.kind === "bound");
    const address = bound.lease!.addresses[0]!;
    expect(address.validLifetime).toBe(120);

    const renewed = await run.waitForEvent((e) => e.kind === "renewed", 75_000);
    const elapsed = (renewed.at - bound.at) / 1000;
    // T1 is 60 s less dnsmasq's fuzz (at most 1/16 of the lease).
    expect(elapsed).toBeGreaterThan(50);
    expect(elapsed).toBeLessThan(62);
    expect(renewed.lease!.addresses[0]!.address).toBe(address.address);
    expect(net.dnsmasq.log()).toMatch(/DHCPRENEW/i);

    const [kernel] = await dhcpAddresses(net);
    expect(kernel).toMatchObject({ local: address.address, prefixlen: 128 });
    // Refreshed: close to the full 120 s again, not the ~60 s left of the first lease.
    expect(kernel!.valid_life_time).toBeGreaterThan(100);
    expect(await run.stop()).toBe(0);
    // Stopped without --release: the address stays, counting down.
    expect((await dhcpAddresses(net)).map((a) => a.local)).toEqual([address.address]);
  });

  it("renews, rebinds, drops the address when its lifetime ends, and recovers when the server returns", { timeout: 180_000 }, async ({ onTestFinished }) => {
    const { net, state } = await shortLeaseNetwork(onTestFinished);
    const capture = await captureDhcpv6(net);
    const run = forknet(net, ["--no-ipv4", "--state-dir", state]);
    onTestFinished(async () => void (await run.stop()));
    const bound = await run.waitForEvent((e) => e.kind === "bound");
    const address = bound.lease!.addresses[0]!.address;
    const boundAt = Date.now() / 1000;
    await net.dnsmasq.stop();

    const first = (type: string) => capture.messages().find((m) => m.type === type);
    await net.waitFor(() => first("renew"), { timeoutMs: 70_000, message: "No Renew at T1" });
    expect(first("renew")!.at - boundAt).toBeGreaterThan(45);
    await net.waitFor(() => first("rebind"), { timeoutMs: 60_000, message: "No Rebind at T2" });
    // T2 is 7/8 of the lease, less fuzz: after T1, before the lease ends.
    expect(first("rebind")!.at - boundAt).toBeGreaterThan(90);
    expect(first("rebind")!.at - boundAt).toBeLessThan(110);
    expect((await dhcpAddresses(net)).map((a) => a.local)).toEqual([address]);

    const expired = await run.waitForEvent((e) => e.kind === "expired", 30_000);
    expect(expired.lease?.addresses[0]?.address).toBe(address);
    expect(expired.at - bound.at).toBeGreaterThanOrEqual(119_000);
    // Gone from the kernel too (the runtime removed it; its valid lifetime had also run out).
    expect(await dhcpAddresses(net)).toEqual([]);

    const solicitsBefore = capture.messages().filter((m) => m.type === "solicit").length;
    const eventsBefore = run.events.length;
    await net.dnsmasq.start();
    const again = await run.waitForEvent((e) => e.kind === "bound", 30_000, eventsBefore);
    // tcpdump's output can trail the client's event: wait for the capture to show the new Solicit.
    await net.waitFor(() => capture.messages().filter((m) => m.type === "solicit").length > solicitsBefore, {
      timeoutMs: 10_000,
      message: "No new Solicit captured after the server came back",
    });
    expect(again.lease!.addresses[0]!.address).toBe(address);
    await net.waitFor(async () => (await dhcpAddresses(net)).some((a) => a.local === address), { message: "Address not back" });
    expect(await run.stop()).toBe(0);
  });
});
