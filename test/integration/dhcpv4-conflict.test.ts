// RFC 5227 address conflict detection against a real dnsmasq (root only):
// two container namespaces on one bridge. In the first test the second
// container already holds the address dnsmasq gives the first (a
// dhcp-host entry): the client probes, hears the holder's ARP reply,
// sends a DHCPDECLINE and ends up with another address. In the second a
// peer claims the bound address by ARP: the client defends it once, and
// gives it up (expired, DHCPDECLINE, a new address) at a second claim
// within 10 s. The runtime runs in this process with
// `addressConflictDetection` on; dnsmasq has `--no-ping`, so only our
// probe can find the conflict.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { Host, LeaseEventBus } from "@incusx/host";
import { openArpSocket, openNetns, readLinkInfo } from "@incusx/linux-net";
import dhcpv4 from "@incusx/plugin-dhcpv4";
import type { LeaseEvent } from "@incusx/sdk";
import { createBridgedNetwork, type BridgedNetwork } from "@incusx/testkit/netns";
import { skipReason, stateDir } from "./dhcp-support.js";

const reason = skipReason();
const require = createRequire(import.meta.url);
const manifest = (require("@incusx/plugin-dhcpv4/package.json") as { incusx: unknown }).incusx;

/** The first container's MAC, set before the client starts so dnsmasq's dhcp-host entry matches it. */
const CLIENT_MAC = "02:00:00:00:ac:d0";
/** The address dnsmasq gives CLIENT_MAC, which the second container already holds. */
const TAKEN = "192.0.2.150";

/** An ARP packet (28 bytes, no Ethernet header). */
function arpPacket(operation: 1 | 2, senderMac: string, senderIp: string, targetIp: string): Uint8Array {
  const bytes = Buffer.alloc(28);
  bytes.writeUInt16BE(1, 0);
  bytes.writeUInt16BE(0x0800, 2);
  bytes[4] = 6;
  bytes[5] = 4;
  bytes.writeUInt16BE(operation, 6);
  Buffer.from(senderMac.replaceAll(":", ""), "hex").copy(bytes, 8);
  Buffer.from(senderIp.split(".").map(Number)).copy(bytes, 14);
  Buffer.from(targetIp.split(".").map(Number)).copy(bytes, 24);
  return new Uint8Array(bytes);
}

const ipAt = (bytes: Uint8Array, offset: number): string => [...bytes.subarray(offset, offset + 4)].join(".");
const macAt = (bytes: Uint8Array, offset: number): string => [...bytes.subarray(offset, offset + 6)].map((b) => b.toString(16).padStart(2, "0")).join(":");

/** A host running only the DHCPv4 plugin with conflict detection, its runtime, and every lease event and log record. */
async function startHost(dir: string) {
  const events: LeaseEvent[] = [];
  const logs: { level: string; message: string }[] = [];
  const bus = new LeaseEventBus();
  bus.subscribe((event) => events.push(event));
  const host = new Host({
    stateDir: dir,
    defaults: { onFailure: "abort" },
    plugins: [{ plugin: dhcpv4, manifest, config: { addressConflictDetection: true } }],
    services: { leaseEvents: bus, logSink: (record) => logs.push({ level: record.level, message: record.message }) },
  });
  const report = await host.start();
  expect(report.ok, JSON.stringify(report.plugins)).toBe(true);
  return { host, runtime: host.networkRuntime(), events, logs };
}

async function v4Addresses(net: BridgedNetwork, ns: string): Promise<string[]> {
  return (await net.addresses(ns, "eth0")).filter((a) => a.family === "inet").map((a) => a.local);
}

describe.skipIf(reason !== undefined)(`DHCPv4 address conflict detection against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("declines the address a second namespace on the bridge already holds, and ends up with another one", { timeout: 120_000 }, async ({ onTestFinished }) => {
    const net = await createBridgedNetwork({ containers: 2, v6: false, dnsmasqArgs: [`--dhcp-host=${CLIENT_MAC},${TAKEN}`] });
    const state = await stateDir();
    onTestFinished(async () => {
      await net.destroy();
      await state.remove();
    });
    const [client, holder] = net.containers as [BridgedNetwork["containers"][0], BridgedNetwork["containers"][0]];
    for (const [ns, argv] of [
      [client.ns, ["ip", "link", "set", "eth0", "address", CLIENT_MAC]],
      [holder.ns, ["ip", "addr", "add", `${TAKEN}/24`, "dev", "eth0"]],
    ] as const) {
      const done = await net.exec(ns, argv);
      expect(done.code, done.stderr).toBe(0);
    }
    const holderMac = (await readLinkInfo("eth0", { netns: holder.nsPath })).mac;

    const { host, runtime, events, logs } = await startHost(state.dir);
    onTestFinished(() => host.stop());
    await runtime.attach({ instance: "c0", device: "eth0", interface: "eth0", netns: client.nsPath });

    const bound = await net.waitFor(() => events.find((e) => e.kind === "bound"), {
      timeoutMs: 60_000,
      message: `Not bound: ${JSON.stringify(events)}; ${JSON.stringify(logs.filter((l) => l.level !== "debug"))}`,
    });
    const address = bound.lease!.addresses[0]!.address;
    expect(address).not.toBe(TAKEN);
    expect(address).toMatch(/^192\.0\.2\.\d+$/);
    // The server offered TAKEN first, and was told it is in use.
    expect(net.dnsmasq.log()).toMatch(new RegExp(`DHCPACK\\(br0\\) ${TAKEN.replaceAll(".", "\\.")} ${CLIENT_MAC}`));
    expect(net.dnsmasq.log()).toMatch(new RegExp(`DHCPDECLINE\\(br0\\) ${TAKEN.replaceAll(".", "\\.")} ${CLIENT_MAC}`));
    expect(logs.map((l) => l.message)).toContain(`The address "${TAKEN}" from DHCPv4 server "192.0.2.1" is in use by another host (${holderMac}): declining it`);
    // TAKEN was never reported, so never put on the client's link; the new address is there.
    expect(events.filter((e) => e.lease?.addresses.some((a) => a.address === TAKEN))).toEqual([]);
    await net.waitFor(async () => (await v4Addresses(net, client.ns)).includes(address), { timeoutMs: 10_000, message: `${address} not on the link` });
    expect(await v4Addresses(net, client.ns)).toEqual([address]);
    expect(await v4Addresses(net, holder.ns)).toEqual([TAKEN]);
    await runtime.detach({ instance: "c0", device: "eth0" }, { release: true });
  });

  it("defends its bound address against a peer's claim once, and gives it up for another at a second claim within 10 s", { timeout: 120_000 }, async ({ onTestFinished }) => {
    const net = await createBridgedNetwork({ containers: 2, v6: false });
    const state = await stateDir();
    onTestFinished(async () => {
      await net.destroy();
      await state.remove();
    });
    const [client, peer] = net.containers as [BridgedNetwork["containers"][0], BridgedNetwork["containers"][0]];
    const clientMac = (await readLinkInfo("eth0", { netns: client.nsPath })).mac;
    const peerMac = (await readLinkInfo("eth0", { netns: peer.nsPath })).mac;

    // The peer: an ARP socket in the second container, hearing everything the client sends.
    const peerNs = openNetns(peer.nsPath);
    onTestFinished(() => peerNs.close());
    const arp = await openArpSocket({ iface: "eth0", netns: peerNs });
    onTestFinished(() => arp.close());
    const heard: { at: number; packet: Uint8Array }[] = [];
    arp.onPacket((packet) => heard.push({ at: performance.now(), packet }));

    const { host, runtime, events, logs } = await startHost(state.dir);
    onTestFinished(() => host.stop());
    await runtime.attach({ instance: "c0", device: "eth0", interface: "eth0", netns: client.nsPath });
    const bound = await net.waitFor(() => events.find((e) => e.kind === "bound"), { timeoutMs: 60_000, message: `Not bound: ${JSON.stringify(events)}` });
    const address = bound.lease!.addresses[0]!.address;
    await net.waitFor(async () => (await v4Addresses(net, client.ns)).includes(address), { timeoutMs: 10_000, message: `${address} not on the link` });
    const isAnnouncement = (h: { packet: Uint8Array }): boolean =>
      h.packet[7] === 1 && macAt(h.packet, 8) === clientMac && ipAt(h.packet, 14) === address && ipAt(h.packet, 24) === address;
    // Three probes before the address was used; both announcements (2 s apart) out before the claim.
    expect(heard.filter((h) => h.packet[7] === 1 && macAt(h.packet, 8) === clientMac && ipAt(h.packet, 14) === "0.0.0.0" && ipAt(h.packet, 24) === address)).toHaveLength(3);
    await net.waitFor(() => heard.filter(isAnnouncement).length >= 2, { timeoutMs: 10_000, message: "The client did not announce its address twice" });
    const announcement = (after: number) => heard.find((h) => h.at > after && isAnnouncement(h));

    const firstClaim = performance.now();
    await arp.send(arpPacket(1, peerMac, address, address));
    const defended = await net.waitFor(() => announcement(firstClaim), { timeoutMs: 5_000, message: "The client did not defend its address" });
    expect(defended.at - firstClaim).toBeLessThan(3_000);
    expect(logs.map((l) => l.message)).toContain(`Another host (${peerMac}) claims the address "${address}": defending it`);
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
    expect(await v4Addresses(net, client.ns)).toEqual([address]);

    // A second claim within DEFEND_INTERVAL: the address is given up, and the peer now really holds it.
    await arp.send(arpPacket(2, peerMac, address, "0.0.0.0"));
    const done = await net.exec(peer.ns, ["ip", "addr", "add", `${address}/24`, "dev", "eth0"]);
    expect(done.code, done.stderr).toBe(0);
    const expired = await net.waitFor(() => events.find((e) => e.kind === "expired"), { timeoutMs: 10_000, message: `No expiry: ${JSON.stringify(events)}` });
    expect(expired.lease!.addresses[0]!.address).toBe(address);
    await net.waitFor(async () => !(await v4Addresses(net, client.ns)).includes(address), { timeoutMs: 10_000, message: `${address} still on the link` });
    await net.waitFor(() => net.dnsmasq.log().includes(`DHCPDECLINE(br0) ${address} ${clientMac}`), { timeoutMs: 10_000, message: `No DHCPDECLINE: ${net.dnsmasq.log()}` });

    // After the 10 s wait, a new DISCOVER and (after probing) another address.
    const rebound = await net.waitFor(() => events.find((e) => e.kind === "bound" && e.lease!.addresses[0]!.address !== address), {
      timeoutMs: 60_000,
      message: `No new address: ${JSON.stringify(events.map((e) => [e.kind, e.lease?.addresses[0]?.address]))}`,
    });
    expect(rebound.at - expired.at).toBeGreaterThanOrEqual(10_000);
    const other = rebound.lease!.addresses[0]!.address;
    await net.waitFor(async () => (await v4Addresses(net, client.ns)).includes(other), { timeoutMs: 10_000, message: `${other} not on the link` });
    expect(await v4Addresses(net, client.ns)).toEqual([other]);
    await runtime.detach({ instance: "c0", device: "eth0" }, { release: true });
  });
});
