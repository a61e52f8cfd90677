import { statSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { openArpSocket, type ArpSocket } from "./arp-socket.js";
import { readLinkInfo } from "./link-info.js";
import { NETNS_RUN_DIR, openNetns, type NetnsHandle } from "./netns.js";

/** An ARP probe (RFC 5227) from `mac` for `address`, without the Ethernet header. */
function probe(mac: string, address: string): Uint8Array {
  const bytes = Buffer.alloc(28);
  bytes.writeUInt16BE(1, 0);
  bytes.writeUInt16BE(0x0800, 2);
  bytes[4] = 6;
  bytes[5] = 4;
  bytes.writeUInt16BE(1, 6);
  Buffer.from(mac.replaceAll(":", ""), "hex").copy(bytes, 8);
  Buffer.from(address.split(".").map(Number)).copy(bytes, 24);
  return new Uint8Array(bytes);
}

function threadNetns(): number {
  return statSync("/proc/thread-self/ns/net").ino;
}

describe("openArpSocket without the native addon", () => {
  afterEach(() => {
    vi.doUnmock("./native-addon.js");
    vi.resetModules();
  });

  it("rejects with a LinkError ADDON_UNAVAILABLE that says why", async () => {
    vi.resetModules();
    vi.doMock("./native-addon.js", () => ({ nativeAddon: () => ({ reason: "The native addon of @incusx/linux-net is not built" }) }));
    const { openArpSocket: open } = await import("./arp-socket.js");
    await expect(open({ iface: "eth0" })).rejects.toMatchObject({
      code: "ADDON_UNAVAILABLE",
      message: 'Cannot open an ARP socket on interface "eth0": The native addon of @incusx/linux-net is not built',
    });
  });
});

describe.skipIf(!rootAvailable())("openArpSocket in test namespaces (root)", () => {
  let net: TestNetwork;
  const handles: NetnsHandle[] = [];
  const sockets: ArpSocket[] = [];
  beforeEach(async () => {
    net = await createTestNetwork({ v6: false, startDnsmasq: false });
  });
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.close()));
    for (const h of handles.splice(0)) h.close();
    await net.destroy();
  });

  const open = async (ns: string, iface: string): Promise<ArpSocket> => {
    const handle = openNetns(`${NETNS_RUN_DIR}/${ns}`);
    handles.push(handle);
    const socket = await openArpSocket({ iface, netns: handle });
    sockets.push(socket);
    return socket;
  };

  it("broadcasts ARP from the container's eth0 to the peer, never hears its own, hears the peer's, and leaves the thread where it was", async () => {
    const home = threadNetns();
    const container = await open(net.containerNs, net.iface);
    const server = await open(net.serverNs, net.serverIface);
    expect(threadNetns()).toBe(home);
    const containerMac = (await readLinkInfo(net.iface, { netns: `${NETNS_RUN_DIR}/${net.containerNs}` })).mac;
    const serverMac = (await readLinkInfo(net.serverIface, { netns: `${NETNS_RUN_DIR}/${net.serverNs}` })).mac;
    const own: Uint8Array[] = [];
    container.onPacket((packet) => own.push(packet));
    const heard = new Promise<{ packet: Uint8Array; mac: string }>((resolve) => server.onPacket((packet, from) => resolve({ packet, mac: from.mac })));
    const sent = probe(containerMac, "192.0.2.77");
    await container.send(sent);
    const { packet, mac } = await heard;
    expect(mac).toBe(containerMac);
    expect([...packet.subarray(0, 28)]).toEqual([...sent]);

    // Anything a peer sends arrives as it is (28 bytes or more): parsing it is the caller's job.
    const back = new Promise<{ packet: Uint8Array; mac: string }>((resolve) => container.onPacket((p, from) => resolve({ packet: p, mac: from.mac })));
    const junk = Uint8Array.from({ length: 60 }, (_, i) => (i * 37) & 0xff);
    await server.send(junk);
    const reply = await back;
    expect(reply.mac).toBe(serverMac);
    expect([...reply.packet]).toEqual([...junk]);
    // The container's own probe never came back to it.
    expect(own.filter((p) => p.length === sent.length && p.every((b, i) => b === sent[i]))).toEqual([]);
    expect(threadNetns()).toBe(home);
  });

  it("refuses an unknown interface (ENODEV), packets of 0 or over 1500 bytes, and sends after close", async () => {
    const handle = openNetns(`${NETNS_RUN_DIR}/${net.containerNs}`);
    handles.push(handle);
    await expect(openArpSocket({ iface: "nosuch0", netns: handle })).rejects.toMatchObject({ code: "ENODEV" });
    await expect(openArpSocket({ iface: "bad/name", netns: handle })).rejects.toMatchObject({ code: "EINVAL" });
    const socket = await open(net.containerNs, net.iface);
    await expect(socket.send(new Uint8Array(0))).rejects.toThrow("The ARP packet must have 1 to 1500 bytes");
    await expect(socket.send(new Uint8Array(1501))).rejects.toThrow("The ARP packet must have 1 to 1500 bytes");
    await socket.close();
    await socket.close();
    await expect(socket.send(new Uint8Array(28))).rejects.toThrow('The ARP socket on interface "eth0" is closed');
  });
});
