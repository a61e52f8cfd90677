import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeDhcpv4, Dhcpv4MessageType, findDhcpv4Option } from "@incusx/dhcp-wire";
import { dhcpDiscover } from "./fixtures/dhcp-discover.js";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { LinkError } from "./errors.js";
import { IpRoute2LinkConfigurator } from "./link-configurator.js";
import { openNetns, type NetnsHandle } from "./netns.js";
import { DHCPV4_CLIENT_PORT, DHCPV4_SERVER_PORT, IPV4_BROADCAST, openUdp4DeviceSocket } from "./udp4-device-socket.js";

/** The namespace of this process and of the calling thread, as "dev:ino" pairs. */
function where(): string {
  return ["/proc/self/ns/net", "/proc/thread-self/ns/net"].map((file) => `${statSync(file).dev}:${statSync(file).ino}`).join(" ");
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

const xid = 0x2b5d1c07;
const discover = dhcpDiscover(xid, 0x0b);

describe.runIf(process.platform === "linux")("openNetns refusals (the process never moves)", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("throws typed LinkErrors for a missing file, a plain file, a FIFO and a namespace of another kind, leaking no fd", () => {
    const home = where();
    const fds = openFds();
    dir = mkdtempSync(join(tmpdir(), "incusx-netns-handle-"));
    const plain = join(dir, "plain");
    writeFileSync(plain, "");
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(() => openNetns("/run/netns/incusx-no-such-namespace")).toThrow(
      expect.objectContaining({ code: "ENOENT", message: expect.stringMatching(/^Cannot open network namespace "\/run\/netns\/incusx-no-such-namespace": Failed to open/) }),
    );
    for (const file of [plain, fifo, "/dev/null"]) {
      expect(() => openNetns(file)).toThrow(LinkError);
      expect(() => openNetns(file)).toThrow(expect.objectContaining({ code: "EINVAL", message: expect.stringContaining("not a namespace file") }));
    }
    expect(() => openNetns("/proc/self/ns/uts")).toThrow(
      expect.objectContaining({ code: "EINVAL", message: expect.stringContaining("is a UTS namespace, not a network namespace") }),
    );
    expect(openFds()).toBe(fds);
    expect(where()).toBe(home);
  });

  it("holds its own namespace by fd until closed, then refuses its fd", async () => {
    const fds = openFds();
    const netns = openNetns("/proc/self/ns/net");
    expect(openFds()).toBe(fds + 1);
    expect(netns.closed).toBe(false);
    netns.close();
    netns.close();
    expect(netns.closed).toBe(true);
    expect(openFds()).toBe(fds);
    expect(() => netns.fd).toThrow(expect.objectContaining({ code: "EINVAL", message: 'The network namespace handle of "/proc/self/ns/net" is closed' }));
    await expect(openUdp4DeviceSocket({ iface: "lo", port: 0, netns })).rejects.toMatchObject({ code: "EINVAL" });
  });
});

describe.skipIf(!rootAvailable())("openUdp4DeviceSocket in another namespace without moving the process (root)", () => {
  let net: TestNetwork | undefined;
  let netns: NetnsHandle | undefined;
  beforeEach(async () => {
    net = await createTestNetwork({ v6: false });
  });
  afterEach(async () => {
    netns?.close();
    netns = undefined;
    await net?.destroy();
    net = undefined;
  });

  it("opens the DHCPv4 socket on the container's eth0 from the host namespace and gets dnsmasq's DHCPOFFER", async () => {
    const home = where();
    netns = openNetns(net!.containerNsPath);
    expect(where()).toBe(home);
    const socket = await openUdp4DeviceSocket({ iface: "eth0", port: DHCPV4_CLIENT_PORT, netns });
    expect(where()).toBe(home);
    try {
      expect(socket.localPort).toBe(DHCPV4_CLIENT_PORT);
      const offer = new Promise<{ yiaddr: string; from: { address: string; port: number } }>((resolve) => {
        socket.onMessage((bytes, from) => {
          const message = decodeDhcpv4(bytes);
          if (message.xid === xid && findDhcpv4Option(message, 53)?.value === Dhcpv4MessageType.Offer) resolve({ yiaddr: message.yiaddr, from });
        });
      });
      // Sent from the host namespace, out of the container's eth0.
      await socket.send(discover, IPV4_BROADCAST, DHCPV4_SERVER_PORT);
      const received = await offer;
      expect(received.from).toEqual({ address: "192.0.2.1", port: 67 });
      expect(received.yiaddr).toMatch(/^192\.0\.2\.(1\d\d|200)$/);
      expect(net!.dnsmasq.log()).toMatch(/DHCPDISCOVER\(veth-srv\) 02:00:00:00:05:0b/);
      expect(where()).toBe(home);
    } finally {
      await socket.close();
    }
  });

  it("comes back to the host namespace after every failing call", async () => {
    const home = where();
    const fds = openFds();
    netns = openNetns(net!.containerNsPath);
    // eth0 is the container's: the host has none of that name.
    await expect(openUdp4DeviceSocket({ iface: "incusx-none0", port: 0, netns })).rejects.toMatchObject({ code: "ENODEV", syscall: "setsockopt" });
    expect(where()).toBe(home);
    await expect(openUdp4DeviceSocket({ iface: "a-name-far-too-long", port: 0, netns })).rejects.toMatchObject({ code: "EINVAL" });
    expect(where()).toBe(home);
    netns.close();
    expect(openFds()).toBe(fds);
  });

  it("keeps working on a namespace whose name was deleted until closed, and closing frees the fd", async () => {
    const home = where();
    netns = openNetns(net!.containerNsPath);
    await net!.destroy();
    net = undefined;
    // Counted after the test network let go of its own fds (dnsmasq's pipes).
    const withHandle = openFds();
    // The namespace lives on through the fd: its eth0 went with its veth peer, lo stays.
    const socket = await openUdp4DeviceSocket({ iface: "lo", port: DHCPV4_CLIENT_PORT, netns });
    expect(socket.localPort).toBe(DHCPV4_CLIENT_PORT);
    await expect(openUdp4DeviceSocket({ iface: "eth0", port: 0, netns })).rejects.toMatchObject({ code: "ENODEV" });
    expect(where()).toBe(home);
    await socket.close();
    netns.close();
    expect(openFds()).toBe(withHandle - 1);
  });
});

describe.skipIf(!rootAvailable())("IpRoute2LinkConfigurator with a namespace handle (root)", () => {
  let net: TestNetwork | undefined;
  let netns: NetnsHandle | undefined;
  beforeEach(async () => {
    net = await createTestNetwork({ v6: false, startDnsmasq: false });
  });
  afterEach(async () => {
    netns?.close();
    netns = undefined;
    await net?.destroy();
    net = undefined;
  });

  it("configures addresses, routes and MTU of the container's eth0 over rtnetlink and reads them back, from the host namespace", async () => {
    const home = where();
    netns = openNetns(net!.containerNsPath);
    const link = new IpRoute2LinkConfigurator({ netnsHandle: netns });
    await link.addAddress("eth0", { address: "192.0.2.50", prefixLength: 24, validLifetime: 3600, preferredLifetime: 1800 });
    await link.addRoute("eth0", { destination: "0.0.0.0/0", gateway: "192.0.2.1", metric: 100 });
    await link.addRoute("eth0", { destination: "203.0.113.0/24", gateway: "192.0.2.1" });
    await link.setMtu("eth0", 1400);
    expect(where()).toBe(home);
    const snapshot = await link.snapshot("eth0");
    expect(snapshot.interface).toBe("eth0");
    expect(snapshot.mtu).toBe(1400);
    expect(snapshot.addresses).toContainEqual(expect.objectContaining({ family: "ipv4", address: "192.0.2.50", prefixLength: 24 }));
    expect(snapshot.routes).toEqual(
      expect.arrayContaining([
        { family: "ipv4", destination: "0.0.0.0/0", gateway: "192.0.2.1", metric: 100 },
        { family: "ipv4", destination: "203.0.113.0/24", gateway: "192.0.2.1" },
      ]),
    );
    // What ip sees in the container namespace.
    expect((await net!.addresses("container", "eth0")).map((a) => `${a.local}/${a.prefixlen}`)).toContain("192.0.2.50/24");
    expect((await net!.routes("container", "eth0")).map((r) => r.dst)).toEqual(expect.arrayContaining(["default", "203.0.113.0/24"]));
    await link.removeRoute("eth0", { destination: "203.0.113.0/24", gateway: "192.0.2.1" });
    await link.removeAddress("eth0", { address: "192.0.2.50", prefixLength: 24 });
    expect((await net!.addresses("container", "eth0")).map((a) => a.local)).not.toContain("192.0.2.50");
    expect(where()).toBe(home);
  });

  it("fails with typed errors and comes back: a missing interface, a closed handle, options that would run ip", async () => {
    const home = where();
    netns = openNetns(net!.containerNsPath);
    const link = new IpRoute2LinkConfigurator({ netnsHandle: netns });
    await expect(link.snapshot("incusx-none0")).rejects.toMatchObject({ code: "ENODEV" });
    await expect(link.setMtu("incusx-none0", 1400)).rejects.toMatchObject({ code: "ENODEV" });
    await expect(link.addRoute("eth0", { destination: "203.0.113.0/24", gateway: "198.51.100.1" })).rejects.toBeInstanceOf(LinkError);
    expect(where()).toBe(home);
    expect(() => new IpRoute2LinkConfigurator({ netnsHandle: netns, netns: "ctr" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    netns.close();
    await expect(link.snapshot("eth0")).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("is closed") });
    expect(where()).toBe(home);
  });
});
