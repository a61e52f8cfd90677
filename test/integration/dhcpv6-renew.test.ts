// Renewal at T1 against a real dnsmasq. dnsmasq's shortest lease is 2
// minutes and it sets T1 to half the lease (less a little fuzz), so the
// Renew comes after at most 60 s: this test takes about a minute.
import { afterEach, describe, expect, it } from "vitest";
import { createTestNetwork, dhcpAddresses, forknet, skipReason, stateDir, stopAll, type TestNetwork } from "./dhcpv6-support.js";

const reason = skipReason();
let net: TestNetwork | undefined;
let state: Awaited<ReturnType<typeof stateDir>> | undefined;
afterEach(async () => {
  await stopAll();
  await net?.destroy();
  await state?.remove();
  net = undefined;
  state = undefined;
});

describe.skipIf(reason !== undefined)(`DHCPv6 renewal against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("renews at T1 with the server and refreshes the address lifetimes in the kernel", { timeout: 90_000 }, async () => {
    net = await createTestNetwork({ v4: false, leaseTime: "2m" });
    state = await stateDir();
    const run = forknet(net, ["--no-ipv4", "--state-dir", state.dir]);
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
});
