// DHCPv6 Confirm (RFC 8415 section 18.2.3) against a real dnsmasq: when the
// container's link flaps (carrier lost and back, or the interface set down
// and up inside the container) while the binding is valid, the client sends
// a Confirm, dnsmasq answers Success, and the address stays without a new
// Solicit. Also when the flap is so short that the kernel sends no down
// notice at all: the carrier-down counter of its one notice tells.
import { describe, expect, it } from "vitest";
import { foldedCarrierFlap } from "@incusx/testkit/netns";
import { containerLink } from "./dhcp-support.js";
import { captureDhcpv6, createTestNetwork, dhcpAddresses, forknet, skipReason, stateDir } from "./dhcpv6-support.js";

const reason = skipReason();

async function boundRun(onTestFinished: (fn: () => Promise<void>) => void) {
  const net = await createTestNetwork({ v4: false });
  const state = await stateDir();
  onTestFinished(async () => {
    await net.destroy();
    await state.remove();
  });
  const run = forknet(net, ["--no-ipv4", "--state-dir", state.dir]);
  onTestFinished(async () => void (await run.stop()));
  const bound = await run.waitForEvent((e) => e.kind === "bound");
  const address = bound.lease!.addresses[0]!.address;
  return { net, run, address };
}

describe.skipIf(reason !== undefined)(`DHCPv6 Confirm after a link flap, against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, { concurrent: true }, () => {
  it("confirms after the carrier drops and returns, and keeps the address without a Solicit", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const { net, run, address } = await boundRun(onTestFinished);
    // The server's end goes down and up, so the container's eth0 loses carrier
    // and gets it back (its own addresses stay). The server keeps its address
    // across that; tcpdump would quit with the interface, so dnsmasq's log
    // (--log-dhcp) is the witness here.
    await net.exec("server", ["sysctl", "-qw", `net.ipv6.conf.${net.serverIface}.keep_addr_on_down=1`]);
    const solicits = (): number => (net.dnsmasq.log().match(/DHCPSOLICIT/g) ?? []).length;
    const before = solicits();
    const events = run.events.length;
    await net.exec("server", ["ip", "link", "set", net.serverIface, "down"]);
    // Up only once the container has seen the loss: the kernel folds a shorter flap into no notice at all.
    await net.waitFor(async () => (await containerLink(net)).operstate === "LOWERLAYERDOWN" || (await containerLink(net)).operstate === "DOWN", { message: "carrier loss not seen" });
    await net.exec("server", ["ip", "link", "set", net.serverIface, "up"]);
    await net.waitFor(() => /DHCPCONFIRM/i.test(net.dnsmasq.log()), { timeoutMs: 20_000, message: "dnsmasq saw no Confirm" });
    const renewed = await run.waitForEvent((e) => e.kind === "renewed", 15_000, events);
    expect(renewed.lease!.addresses[0]!.address).toBe(address);
    expect((await dhcpAddresses(net)).map((a) => a.local)).toEqual([address]);
    expect(solicits()).toBe(before);
    expect(run.events.slice(events).map((e) => e.kind)).not.toContain("expired");
  });

  it("confirms after a carrier flap the kernel announces with no down notice (within its link watch's hold-off)", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const { net, run, address } = await boundRun(onTestFinished);
    await net.exec("server", ["sysctl", "-qw", `net.ipv6.conf.${net.serverIface}.keep_addr_on_down=1`]);
    const count = (what: RegExp): number => (net.dnsmasq.log().match(what) ?? []).length;
    const solicits = count(/DHCPSOLICIT/g);
    expect(count(/DHCPCONFIRM/g)).toBe(0);
    const events = run.events.length;
    await foldedCarrierFlap(net);
    await net.waitFor(() => count(/DHCPCONFIRM/g) > 0, { timeoutMs: 20_000, message: "dnsmasq saw no Confirm" });
    const renewed = await run.waitForEvent((e) => e.kind === "renewed", 15_000, events);
    expect(renewed.lease!.addresses[0]!.address).toBe(address);
    expect((await dhcpAddresses(net)).map((a) => a.local)).toEqual([address]);
    expect(count(/DHCPSOLICIT/g)).toBe(solicits);
    expect(run.events.slice(events).map((e) => e.kind)).not.toContain("expired");
  });

  it("confirms after `ip link set down/up` inside the container and puts the address back", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const { net, run, address } = await boundRun(onTestFinished);
    const capture = await captureDhcpv6(net);
    const solicits = capture.messages().filter((m) => m.type === "solicit").length;
    const events = run.events.length;
    await net.exec("container", ["ip", "link", "set", net.iface, "down"]);
    await net.exec("container", ["ip", "link", "set", net.iface, "up"]);
    await net.waitFor(() => capture.messages().some((m) => m.type === "confirm"), { timeoutMs: 20_000, message: "No Confirm on the wire" });
    const renewed = await run.waitForEvent((e) => e.kind === "renewed", 20_000, events);
    expect(renewed.lease!.addresses[0]!.address).toBe(address);
    await net.waitFor(async () => (await dhcpAddresses(net)).some((a) => a.local === address), { timeoutMs: 10_000, message: "address not back" });
    expect(capture.messages().filter((m) => m.type === "solicit")).toHaveLength(solicits);
    expect(run.events.slice(events).map((e) => e.kind)).not.toContain("expired");
  });
});
