import { createSocket } from "node:dgram";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { waitForLinkLocal } from "./link-local.js";
import { ALL_DHCP_SERVERS, DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT, openUdp6Socket, withZone } from "./udp6-socket.js";

const exchangeScript = fileURLToPath(new URL("./fixtures/udp6-exchange.ts", import.meta.url));
const echoServerScript = fileURLToPath(new URL("./fixtures/udp6-echo-server.mjs", import.meta.url));

describe("withZone", () => {
  it("sends link-local and multicast addresses without a zone through the socket's interface", () => {
    expect(withZone("ff02::1:2", "eth0")).toBe("ff02::1:2%eth0");
    expect(withZone("fe80::1", "eth0")).toBe("fe80::1%eth0");
    expect(withZone("FE80::1", "eth0")).toBe("FE80::1%eth0");
  });

  it("keeps a zone given by the caller and leaves global and IPv4 addresses alone", () => {
    expect(withZone("fe80::1%eth1", "eth0")).toBe("fe80::1%eth1");
    expect(withZone("2001:db8:1::1", "eth0")).toBe("2001:db8:1::1");
    expect(withZone("192.0.2.1", "eth0")).toBe("192.0.2.1");
  });
});

describe("DHCPv6 constants", () => {
  it("are RFC 8415's ports and server group", () => {
    expect([DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT, ALL_DHCP_SERVERS]).toEqual([546, 547, "ff02::1:2"]);
  });
});

describe("openUdp6Socket", () => {
  it("exchanges datagrams with a peer and closes idempotently", async () => {
    const peer = await echoPeer();
    const socket = await openUdp6Socket({ iface: "lo", localAddress: "::1", port: 0 });
    try {
      const received = new Promise<{ bytes: Uint8Array; from: { address: string; port: number } }>((resolve) => {
        socket.onMessage((bytes, from) => resolve({ bytes, from }));
      });
      await socket.send(new Uint8Array([1, 2, 3]), "::1", peer.port);
      const { bytes, from } = await received;
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect([...bytes]).toEqual([3, 2, 1]);
      expect(from).toEqual({ address: "::1", port: peer.port });
    } finally {
      await socket.close();
      await socket.close();
      peer.close();
    }
    await expect(socket.send(new Uint8Array([1]), "::1", 9)).rejects.toThrow(/closed/);
  });

  it("stops delivering to a listener once its handle is closed", async () => {
    const peer = await echoPeer();
    const socket = await openUdp6Socket({ iface: "lo", localAddress: "::1", port: 0 });
    try {
      const closed: Uint8Array[] = [];
      socket.onMessage((bytes) => closed.push(bytes)).close();
      const open = new Promise<Uint8Array>((resolve) => socket.onMessage(resolve));
      await socket.send(new Uint8Array([9]), "::1", peer.port);
      expect([...(await open)]).toEqual([9]);
      expect(closed).toEqual([]);
    } finally {
      await socket.close();
      peer.close();
    }
  });

  it("rejects when the address cannot be bound", async () => {
    await expect(openUdp6Socket({ iface: "lo", localAddress: "2001:db8:ffff::1", port: 0 })).rejects.toMatchObject({ code: "EADDRNOTAVAIL" });
  });
});

describe.skipIf(!rootAvailable())("openUdp6Socket in a container namespace (network namespace, root)", () => {
  let net: TestNetwork;
  afterEach(() => net.destroy());

  describe("against a UDP responder", () => {
    beforeEach(async () => {
      net = await createTestNetwork({ startDnsmasq: false });
    });

    it("sends to ff02::1:2 port 547 from the link-local address and receives the reply on port 546", async () => {
      const responder = net.spawnNode("server", echoServerScript, ["veth-srv", String(DHCPV6_SERVER_PORT)]);
      await responder.waitForLine((line) => line === "ready");
      const local = await waitForLinkLocal("eth0", AbortSignal.timeout(10_000), { netns: net.containerNs });
      const result = await net.runNode("container", exchangeScript, ["eth0", local, "546", ALL_DHCP_SERVERS, "547", "010203", "5000"]);
      expect(result.code, result.stderr).toBe(0);
      const reply = JSON.parse(result.stdout.trim()) as { hex: string; from: { address: string; port: number }; isUint8Array: boolean };
      const serverLinkLocal = (await net.addresses("server", "veth-srv")).find((a) => a.scope === "link")?.local;
      expect(reply).toEqual({ hex: "030201", from: { address: `${serverLinkLocal}%eth0`, port: 547 }, isUint8Array: true });
    });
  });

  describe("against dnsmasq", () => {
    beforeEach(async () => {
      net = await createTestNetwork({ v4: false });
    });

    it("gets an Advertise for a Solicit", async () => {
      const local = await waitForLinkLocal("eth0", AbortSignal.timeout(10_000), { netns: net.containerNs });
      // Solicit (type 1, xid 123456), client id DUID-LL 02:00:00:00:00:01, IA_NA IAID 1, elapsed time 0.
      const solicit = "01123456" + "0001000a00030001020000000001" + "0003000c000000010000000000000000" + "000800020000";
      const result = await net.runNode("container", exchangeScript, ["eth0", local, "546", ALL_DHCP_SERVERS, "547", solicit, "5000"]);
      expect(result.code, `${result.stdout} ${result.stderr} ${net.dnsmasq.log()}`).toBe(0);
      const reply = JSON.parse(result.stdout.trim()) as { hex: string };
      expect(reply.hex.slice(0, 8)).toBe("02123456");
      expect(net.dnsmasq.log()).toMatch(/DHCPADVERTISE\(veth-srv\) 2001:db8:1::1[0-9a-f]{2}/);
    });
  });
});

/** A plain dgram socket on ::1 echoing every datagram reversed. */
async function echoPeer(): Promise<{ port: number; close(): void }> {
  const socket = createSocket("udp6");
  socket.on("message", (message, from) => socket.send(Buffer.from(message).reverse(), from.port, from.address));
  await new Promise<void>((resolve) => socket.bind({ address: "::1", port: 0 }, resolve));
  return { port: socket.address().port, close: () => socket.close() };
}
