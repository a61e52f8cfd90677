import { createSocket } from "node:dgram";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { LinkError } from "./errors.js";
import { DHCPV4_CLIENT_PORT, DHCPV4_SERVER_PORT, IPV4_BROADCAST, openUdp4DeviceSocket } from "./udp4-device-socket.js";

const dhcpScript = fileURLToPath(new URL("./fixtures/udp4-dhcp.ts", import.meta.url));

describe("DHCPv4 constants", () => {
  it("are RFC 2131's ports and the limited broadcast address", () => {
    expect([DHCPV4_CLIENT_PORT, DHCPV4_SERVER_PORT, IPV4_BROADCAST]).toEqual([68, 67, "255.255.255.255"]);
  });
});

describe("openUdp4DeviceSocket without the native addon", () => {
  afterEach(() => {
    vi.doUnmock("./native-addon.js");
    vi.resetModules();
  });

  it("rejects with a LinkError ADDON_UNAVAILABLE that says why", async () => {
    vi.resetModules();
    vi.doMock("./native-addon.js", () => ({ nativeAddon: () => ({ reason: "The native addon of @incusx/linux-net is not built" }) }));
    const { openUdp4DeviceSocket: open } = await import("./udp4-device-socket.js");
    const { LinkError: MockedLinkError } = await import("./errors.js");
    const attempt = open({ iface: "eth0", port: 68 });
    await expect(attempt).rejects.toBeInstanceOf(MockedLinkError);
    await expect(attempt).rejects.toMatchObject({
      code: "ADDON_UNAVAILABLE",
      message: 'Cannot open a UDP/IPv4 socket on interface "eth0": The native addon of @incusx/linux-net is not built',
    });
  });
});

describe.runIf(process.platform === "linux")("openUdp4DeviceSocket on the loopback interface", () => {
  it("exchanges datagrams with a peer and closes idempotently", async () => {
    const peer = await echoPeer();
    const socket = await openUdp4DeviceSocket({ iface: "lo", port: 0 });
    try {
      expect(socket.iface).toBe("lo");
      expect(socket.localPort).toBeGreaterThan(0);
      const received = new Promise<{ bytes: Uint8Array; from: { address: string; port: number } }>((resolve) => {
        socket.onMessage((bytes, from) => resolve({ bytes, from }));
      });
      await socket.send(new Uint8Array([1, 2, 3]), "127.0.0.1", peer.port);
      const { bytes, from } = await received;
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect([...bytes]).toEqual([3, 2, 1]);
      expect(from).toEqual({ address: "127.0.0.1", port: peer.port });
    } finally {
      await socket.close();
      await socket.close();
      peer.close();
    }
  });

  it("stops delivering to a listener once its handle is closed", async () => {
    const peer = await echoPeer();
    const socket = await openUdp4DeviceSocket({ iface: "lo", port: 0 });
    try {
      const closed: Uint8Array[] = [];
      socket.onMessage((bytes) => closed.push(bytes)).close();
      const open = new Promise<Uint8Array>((resolve) => socket.onMessage(resolve));
      await socket.send(new Uint8Array([9]), "127.0.0.1", peer.port);
      expect([...(await open)]).toEqual([9]);
      expect(closed).toEqual([]);
    } finally {
      await socket.close();
      peer.close();
    }
  });

  it("holds its port until closed, then releases it", async () => {
    const socket = await openUdp4DeviceSocket({ iface: "lo", port: 0 });
    const port = socket.localPort;
    expect(await plainBind(port)).toBe("EADDRINUSE");
    await socket.close();
    expect(await plainBind(port)).toBe("ok");
  });

  it("rejects sends once closed, saying so", async () => {
    const socket = await openUdp4DeviceSocket({ iface: "lo", port: 0 });
    await socket.close();
    await expect(socket.send(new Uint8Array([1]), "127.0.0.1", 9)).rejects.toThrow('The UDP/IPv4 socket on interface "lo" is closed');
  });

  it("rejects a destination that is not an IPv4 address", async () => {
    const socket = await openUdp4DeviceSocket({ iface: "lo", port: 0 });
    try {
      await expect(socket.send(new Uint8Array([1]), "::1", 9)).rejects.toThrow('Invalid IPv4 address "::1"');
    } finally {
      await socket.close();
    }
  });

  it("rejects an unknown interface with ENODEV", async () => {
    await expect(openUdp4DeviceSocket({ iface: "incusx-none0", port: 0 })).rejects.toMatchObject({
      code: "ENODEV",
      syscall: "setsockopt",
      message: expect.stringContaining('Failed to bind the socket to interface "incusx-none0"'),
    });
  });

  it("with chaddr, gets only the BOOTP messages for that hardware address: the kernel drops the rest", async () => {
    const mine = Uint8Array.from([0x02, 0x00, 0x5e, 0x10, 0x20, 0x30]);
    const bootp = (chaddr: Uint8Array, mark: number): Uint8Array => {
      const bytes = new Uint8Array(300);
      bytes[0] = 2;
      bytes[1] = mark;
      bytes.set(chaddr, 28);
      return bytes;
    };
    const filtered = await openUdp4DeviceSocket({ iface: "lo", port: 0, chaddr: mine });
    const unfiltered = await openUdp4DeviceSocket({ iface: "lo", port: 0 });
    const sender = createSocket("udp4");
    try {
      const seen = (socket: typeof filtered): { marks: number[]; last: Promise<void> } => {
        const marks: number[] = [];
        let done!: () => void;
        const last = new Promise<void>((resolve) => (done = resolve));
        socket.onMessage((bytes) => {
          marks.push(bytes[1]!);
          if (bytes[1] === 3) done();
        });
        return { marks, last };
      };
      const a = seen(filtered);
      const b = seen(unfiltered);
      const send = (bytes: Uint8Array, port: number): Promise<void> =>
        new Promise((resolve, reject) => sender.send(bytes, port, "127.0.0.1", (error) => (error ? reject(error) : resolve())));
      for (const port of [filtered.localPort, unfiltered.localPort]) {
        // Sent in order on loopback: a foreign one that got through would arrive before the last.
        await send(bootp(Uint8Array.from([0x02, 0x00, 0x5e, 0x10, 0x20, 0x31]), 1), port);
        await send(new Uint8Array([2, 2, 0, 0]), port);
        await send(bootp(mine, 3), port);
      }
      await Promise.all([a.last, b.last]);
      expect(a.marks).toEqual([3]);
      expect(b.marks).toEqual([1, 2, 3]);
    } finally {
      sender.close();
      await filtered.close();
      await unfiltered.close();
    }
  });

  it("refuses a chaddr that is not 6 bytes", async () => {
    await expect(openUdp4DeviceSocket({ iface: "lo", port: 0, chaddr: new Uint8Array(5) })).rejects.toMatchObject({ code: "EINVAL" });
  });

  it("costs little memory while open: no 64 KiB receive buffer per socket (one process holds hundreds)", async () => {
    const count = 300;
    const before = process.memoryUsage().rss;
    const sockets = [];
    try {
      for (let i = 0; i < count; i++) sockets.push(await openUdp4DeviceSocket({ iface: "lo", port: 0 }));
      // A buffer of its own for every socket was 64 KiB each, 19 MiB for 300; the handles themselves are far below 16 KiB.
      expect((process.memoryUsage().rss - before) / count).toBeLessThan(16 * 1024);
    } finally {
      await Promise.all(sockets.map((socket) => socket.close()));
    }
  });

  it("rejects a malformed interface name or port with a LinkError EINVAL", async () => {
    await expect(openUdp4DeviceSocket({ iface: "a-name-far-too-long", port: 0 })).rejects.toEqual(
      new LinkError("EINVAL", 'Invalid interface name "a-name-far-too-long" (19 bytes; at most 15)'),
    );
    await expect(openUdp4DeviceSocket({ iface: "eth0/1", port: 0 })).rejects.toMatchObject({ code: "EINVAL" });
    await expect(openUdp4DeviceSocket({ iface: "lo", port: 65536 })).rejects.toMatchObject({ code: "EINVAL", message: 'Invalid UDP port "65536"' });
  });
});

describe.skipIf(!rootAvailable())("openUdp4DeviceSocket in a container namespace with no IPv4 address or route (network namespace, root)", () => {
  let net: TestNetwork;
  beforeEach(async () => {
    net = await createTestNetwork({ v6: false });
  });
  afterEach(() => net.destroy());

  it("broadcasts a DHCPDISCOVER from port 68 and receives dnsmasq's broadcast DHCPOFFER, beside a socket on lo port 68", async () => {
    expect((await net.addresses("container", "eth0")).filter((a) => a.family === "inet")).toEqual([]);
    expect(await net.routes("container", "eth0", "ipv4")).toEqual([]);
    const result = await net.runNode("container", dhcpScript, ["discover", "eth0"]);
    expect(result.code, `${result.stdout} ${result.stderr} ${net.dnsmasq.log()}`).toBe(0);
    const offer = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
    expect(offer).toMatchObject({
      from: { address: "192.0.2.1", port: 67 },
      op: 2,
      type: 2,
      broadcast: true,
      isUint8Array: true,
      localPorts: [68, 68],
      loopbackReceived: 0,
    });
    expect(offer["yiaddr"]).toMatch(/^192\.0\.2\.(1\d\d|200)$/);
    expect(net.dnsmasq.log()).toMatch(/DHCPDISCOVER\(veth-srv\) 02:00:00:00:05:0a/);
  });

  it("documents the problem: a plain node:dgram socket cannot send the broadcast (ENETUNREACH)", async () => {
    const result = await net.runNode("container", dhcpScript, ["dgram", "eth0"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({ code: "ENETUNREACH" });
  });

  it("holds port 68 while open and releases it on close; a closed socket's send rejects", async () => {
    const result = await net.runNode("container", dhcpScript, ["port", "eth0"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({
      whileOpen: "EADDRINUSE",
      afterClose: "ok",
      sendAfterClose: 'The UDP/IPv4 socket on interface "eth0" is closed',
    });
  });
});

describe.skipIf(!rootAvailable())("openUdp4DeviceSocket when the kernel fails the socket (network namespace, root)", () => {
  let net: TestNetwork;
  beforeEach(async () => {
    net = await createTestNetwork({ v6: false, startDnsmasq: false });
  });
  afterEach(() => net.destroy());

  it("reports a socket error (POLLERR) to its error listeners instead of going silent, and refuses to send after it", async () => {
    const result = await net.runNode("container", dhcpScript, ["abort", "eth0"]);
    expect(result.code, `${result.stdout} ${result.stderr}`).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({
      code: "ECONNABORTED",
      syscall: "poll",
      message: expect.stringMatching(/^The UDP\/IPv4 socket on interface "eth0" failed: .*\(ECONNABORTED\)$/),
      listeners: 1,
      sendAfter: expect.stringMatching(/^The UDP\/IPv4 socket on interface "eth0" failed/),
    });
  });

  it("fails when its interface is deleted under it: the kernel raises nothing, but a send gets ENODEV, and a re-created link would have another index", async () => {
    const add = await net.exec("container", ["ip", "link", "add", "unplug0", "type", "veth", "peer", "name", "unplug1"]);
    expect(add.code, add.stderr).toBe(0);
    const result = await net.runNode("container", dhcpScript, ["unplug", "unplug0"]);
    expect(result.code, `${result.stdout} ${result.stderr}`).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({ send: "ENODEV", error: "ENODEV", sendAgain: "ENODEV" });
  });
});

/** A plain dgram socket on 127.0.0.1 echoing every datagram reversed. */
async function echoPeer(): Promise<{ port: number; close(): void }> {
  const socket = createSocket("udp4");
  socket.on("message", (message, from) => socket.send(Buffer.from(message).reverse(), from.port, from.address));
  await new Promise<void>((resolve) => socket.bind({ address: "127.0.0.1", port: 0 }, resolve));
  return { port: socket.address().port, close: () => socket.close() };
}

/** Binds 0.0.0.0:port without SO_REUSEADDR: "ok", or the error code when another socket holds the port. */
async function plainBind(port: number): Promise<string> {
  const probe = createSocket("udp4");
  return new Promise((resolve) => {
    probe.once("error", (error: NodeJS.ErrnoException) => {
      probe.close();
      resolve(error.code ?? error.message);
    });
    probe.bind(port, () => probe.close(() => resolve("ok")));
  });
}
