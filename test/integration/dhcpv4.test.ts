// `incusx forknet dhcp` (DHCPv4) against a real dnsmasq in throwaway network
// namespaces (root only). The lease-life scenario (renew, rebind, expiry,
// recovery) lives in dhcpv4-lease-life.test.ts; dual stack in
// dual-stack.test.ts.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  captureDhcpv4,
  containerLink,
  dhcpv4Addresses,
  forknet,
  perTestResources,
  skipReason,
} from "./dhcp-support.js";

const reason = skipReason();
const { network, state } = perTestResources();

const V4_ONLY = ["--no-ipv6", "--exit-when-configured", "--timeout", "20"];

describe.skipIf(reason !== undefined)(`incusx forknet dhcp, DHCPv4, against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("gets an address, prefix, classless routes (on-link too) and MTU on an interface with no IPv4 at all, and exits 0", async () => {
    const net = await network({
      v6: false,
      dnsmasqArgs: [
        // Option 121 replaces option 3 (RFC 3442): the default route comes from it too.
        "--dhcp-option=121,0.0.0.0/0,192.0.2.1,198.51.100.0/24,192.0.2.1,203.0.113.0/24,0.0.0.0",
        "--dhcp-option=option:mtu,1400",
      ],
    });
    // A fresh container namespace: no IPv4 address, no IPv4 route.
    expect((await net.addresses("container", net.iface)).filter((a) => a.family === "inet")).toEqual([]);
    expect(await net.routes("container", net.iface, "ipv4")).toEqual([]);

    const run = forknet(net, [...V4_ONLY, "--state-dir", await state()]);
    expect(await run.exited(), run.stderr()).toBe(0);
    const bound = run.events.find((e) => e.kind === "bound")!;
    expect(bound).toMatchObject({ family: "ipv4", interface: "eth0" });
    const leased = bound.lease!.addresses[0]!;
    expect(leased).toMatchObject({ prefixLength: 24, validLifetime: 3600 });
    expect(bound.lease!.dns.servers).toEqual(["192.0.2.53"]);
    expect(bound.lease!.mtu).toBe(1400);

    const [address, ...more] = await dhcpv4Addresses(net);
    expect(more).toEqual([]);
    expect(address).toMatchObject({ local: leased.address, prefixlen: 24 });
    expect(address!.valid_life_time).toBeGreaterThan(3600 - 30);
    expect(address!.valid_life_time).toBeLessThanOrEqual(3600);
    expect(net.dnsmasq.leases()).toContain(leased.address);

    const routes = await net.routes("container", net.iface, "ipv4");
    const route = (dst: string) => routes.find((r) => r.dst === dst);
    expect(route("default"), JSON.stringify(routes)).toMatchObject({ gateway: "192.0.2.1" });
    expect(route("198.51.100.0/24"), JSON.stringify(routes)).toMatchObject({ gateway: "192.0.2.1" });
    expect(route("203.0.113.0/24"), JSON.stringify(routes)).toMatchObject({ scope: "link" });
    expect(route("203.0.113.0/24")!.gateway).toBeUndefined();
    expect((await containerLink(net)).mtu).toBe(1400);
  });

  it("takes a default route from option 3 when the server sends no option 121", async () => {
    const net = await network({ v6: false, dnsmasqArgs: ["--dhcp-option=option:router,192.0.2.1"] });
    const run = forknet(net, [...V4_ONLY, "--state-dir", await state()]);
    expect(await run.exited(), run.stderr()).toBe(0);
    const routes = await net.routes("container", net.iface, "ipv4");
    expect(routes.find((r) => r.dst === "default"), JSON.stringify(routes)).toMatchObject({ gateway: "192.0.2.1" });
    expect((await containerLink(net)).mtu).toBe(1500);
  });

  it("asks for its old address after a restart (INIT-REBOOT) and gets it without a DISCOVER", async () => {
    const net = await network({ v6: false });
    const dir = await state();
    const first = forknet(net, [...V4_ONLY, "--state-dir", dir]);
    expect(await first.exited(), first.stderr()).toBe(0);
    const address = first.events.find((e) => e.kind === "bound")!.lease!.addresses[0]!.address;

    await net.exec("container", ["ip", "-4", "addr", "flush", "dev", "eth0"]);
    const capture = await captureDhcpv4(net);
    const second = forknet(net, [...V4_ONLY, "--state-dir", dir]);
    expect(await second.exited(), second.stderr()).toBe(0);
    expect(second.events.find((e) => e.kind === "bound")!.lease!.addresses[0]!.address).toBe(address);
    await net.waitFor(() => capture.fromClient("Request").length > 0, { timeoutMs: 5_000, message: "No REQUEST captured" });
    expect(capture.fromClient("Discover")).toEqual([]);
    expect((await dhcpv4Addresses(net)).map((a) => a.local)).toEqual([address]);
  });

  it("falls back to DISCOVER when INIT-REBOOT is NAKed after the server's range changed", async () => {
    // The network serves no DHCPv4 of its own: the test sets the range, and changes it.
    const range = (from: number, to: number) => [`--dhcp-range=192.0.2.${from},192.0.2.${to},255.255.255.0,1h`, "--dhcp-authoritative"];
    const net = await network({ v4: false, v6: false, dnsmasqArgs: range(100, 120) });
    const dir = await state();
    const first = forknet(net, [...V4_ONLY, "--state-dir", dir]);
    expect(await first.exited(), first.stderr()).toBe(0);
    const old = first.events.find((e) => e.kind === "bound")!.lease!.addresses[0]!.address;
    expect(Number(old.split(".")[3])).toBeLessThanOrEqual(120);

    // The old address stays on the link, as after a container restart: the NAK must remove it.
    expect((await dhcpv4Addresses(net)).map((a) => a.local)).toEqual([old]);
    await net.dnsmasq.restart(range(150, 160));
    const capture = await captureDhcpv4(net);
    const second = forknet(net, [...V4_ONLY, "--state-dir", dir]);
    expect(await second.exited(), second.stderr()).toBe(0);
    const now = second.events.find((e) => e.kind === "bound")!.lease!.addresses[0]!.address;
    expect(Number(now.split(".")[3])).toBeGreaterThanOrEqual(150);
    await net.waitFor(() => capture.messages().some((m) => m.type === "ACK"), { timeoutMs: 5_000, message: "No ACK captured" });
    // REQUEST for the old address, NAK, then the DORA of a fresh start.
    const types = capture.messages().map((m) => m.type);
    expect(types.slice(0, 6), types.join(" ")).toEqual(["Request", "NACK", "Discover", "Offer", "Request", "ACK"]);
    expect(net.dnsmasq.log()).toMatch(new RegExp(`DHCPNAK\\(veth-srv\\) ${old.replace(/\./g, "\\.")}`));
    expect(second.events.slice(0, 2).map((e) => [e.kind, e.lease?.addresses[0]?.address])).toEqual([["expired", old], ["bound", now]]);
    expect((await dhcpv4Addresses(net)).map((a) => a.local)).toEqual([now]);
  });

  it("ignores replies with a wrong xid, chaddr or client identifier and binds only the genuine one", async () => {
    const net = await network({ v4: false, v6: false, startDnsmasq: false });
    // The sender answers each DISCOVER and REQUEST with three forged replies before the genuine one.
    const sender = net.spawnNode("server", join(import.meta.dirname, "dhcpv4-spoofer.ts"), [net.serverIface]);
    await net.waitFor(() => sender.stdout().includes('"listening"'), { timeoutMs: 15_000, message: `The sender did not start: ${sender.stderr()}` });
    const run = forknet(net, [...V4_ONLY, "--state-dir", await state()]);
    expect(await run.exited(), run.stderr()).toBe(0);
    const bound = run.events.filter((e) => e.kind === "bound");
    expect(bound).toHaveLength(1);
    // The genuine answers: 192.0.2.77/24, lease 600 s. The forged ones offer .66-.68 with other values.
    expect(bound[0]!.lease!.addresses[0]).toMatchObject({ address: "192.0.2.77", prefixLength: 24, validLifetime: 600 });
    expect((await dhcpv4Addresses(net)).map((a) => `${a.local}/${a.prefixlen}`)).toEqual(["192.0.2.77/24"]);
    const log = sender.stdout().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { got?: string; requested?: string });
    // One DISCOVER, one REQUEST, for the genuine offer's address: no forged reply moved the client.
    expect(log.filter((l) => l.got !== undefined)).toEqual([{ got: "discover" }, { got: "request", requested: "192.0.2.77" }]);
  });
});
