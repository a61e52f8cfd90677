// Losing the DHCPv6 server, against a real dnsmasq: Renew at T1 and Rebind
// at T2 go unanswered, the address goes at the end of its valid lifetime,
// and once the server is back the client solicits again. Uses dnsmasq's
// shortest lease (2 minutes), so this one test takes about 2 minutes.
import { afterEach, describe, expect, it } from "vitest";
import {
  captureDhcpv6,
  createTestNetwork,
  dhcpAddresses,
  forknet,
  skipReason,
  stateDir,
  stopAll,
  type TestNetwork,
} from "./dhcpv6-support.js";

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

describe.skipIf(reason !== undefined)(`DHCPv6 server loss against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("renews, rebinds, drops the address when its lifetime ends, and recovers when the server returns", { timeout: 180_000 }, async () => {
    net = await createTestNetwork({ v4: false, leaseTime: "2m" });
    state = await stateDir();
    const capture = await captureDhcpv6(net);
    const run = forknet(net, ["--no-ipv4", "--state-dir", state.dir]);
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
    expect(capture.messages().filter((m) => m.type === "solicit").length).toBeGreaterThan(solicitsBefore);
    expect(again.lease!.addresses[0]!.address).toBe(address);
    await net.waitFor(async () => (await dhcpAddresses(net!)).some((a) => a.local === address), { message: "Address not back" });
    expect(await run.stop()).toBe(0);
  });
});
