import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeDhcpv4, Dhcpv4MessageType, findDhcpv4Option } from "@incusx/dhcp-wire";
import { dhcpDiscover } from "./fixtures/dhcp-discover.js";
import { createTestNetwork, rootAvailable, waitFor, type TestNetwork } from "@incusx/testkit/netns";
import { LinkError } from "./errors.js";
import { NATIVE_ADDON_PATH, nativeAddon } from "./native-addon.js";
import { fileURLToPath } from "node:url";
import { watchAddressFlags } from "./address-flags.js";
import { addressFlagsFromJson, type AddressFlags, type IpLinkJson } from "./ip-json.js";
import { IpRoute2LinkConfigurator } from "./link-configurator.js";
import { readLinkInfo } from "./link-info.js";
import { waitForLinkLocal } from "./link-local.js";
import { ALL_DHCP_SERVERS, DHCPV6_CLIENT_PORT, DHCPV6_SERVER_PORT, openUdp6Socket } from "./udp6-socket.js";
import { openNetns, type NetnsHandle } from "./netns.js";
import { DHCPV4_CLIENT_PORT, DHCPV4_SERVER_PORT, IPV4_BROADCAST, openUdp4DeviceSocket } from "./udp4-device-socket.js";

const echoServerScript = fileURLToPath(new URL("./fixtures/udp6-echo-server.mjs", import.meta.url));

/** The namespace of this process and of the calling thread, as "dev:ino" pairs. */
function where(): string {
  return ["/proc/self/ns/net", "/proc/thread-self/ns/net"].map((file) => `${statSync(file).dev}:${statSync(file).ino}`).join(" ");
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

// The test network and namespace handle of the running test, released after each.
let net: TestNetwork | undefined;
let netns: NetnsHandle | undefined;
afterEach(async () => {
  netns?.close();
  netns = undefined;
  await net?.destroy();
  net = undefined;
});

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
    const own = openNetns("/proc/self/ns/net");
    expect(openFds()).toBe(fds + 1);
    expect(own.closed).toBe(false);
    own.close();
    own.close();
    expect(own.closed).toBe(true);
    expect(openFds()).toBe(fds);
    expect(() => own.fd).toThrow(expect.objectContaining({ code: "EINVAL", message: 'The network namespace handle of "/proc/self/ns/net" is closed' }));
    await expect(openUdp4DeviceSocket({ iface: "lo", port: 0, netns: own })).rejects.toMatchObject({ code: "EINVAL" });
  });
});

describe.skipIf(!rootAvailable())("openUdp4DeviceSocket in another namespace without moving the process (root)", () => {
  beforeEach(async () => {
    net = await createTestNetwork({ v6: false });
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

  it("opens the socket in a namespace named by a string (name or path) and holds no fd for it afterwards", async () => {
    const home = where();
    const fds = openFds();
    for (const name of [net!.containerNs, net!.containerNsPath]) {
      const socket = await openUdp4DeviceSocket({ iface: "eth0", port: 0, netns: name });
      expect(where()).toBe(home);
      expect(openFds()).toBe(fds + 1); // the socket, not the namespace
      await socket.close();
    }
    await expect(openUdp4DeviceSocket({ iface: "eth0", port: 0, netns: "incusx-no-such-ns" })).rejects.toMatchObject({ code: "ENOENT" });
    expect(openFds()).toBe(fds);
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
  beforeEach(async () => {
    net = await createTestNetwork({ v6: false, startDnsmasq: false });
  });

  it("configures addresses, routes and MTU of the container's eth0 over rtnetlink and reads them back, from the host namespace", async () => {
    const home = where();
    netns = openNetns(net!.containerNsPath);
    const link = new IpRoute2LinkConfigurator({ netns });
    await link.addAddress("eth0", { address: "192.0.2.50", prefixLength: 24, validLifetime: 3600, preferredLifetime: 1800 });
    await link.addRoute("eth0", { destination: "0.0.0.0/0", gateway: "192.0.2.1", metric: 100 });
    await link.addRoute("eth0", { destination: "203.0.113.0/24", gateway: "192.0.2.1" });
    await link.setMtu("eth0", 1400);
    expect(where()).toBe(home);
    // Link state read in the namespace, compared with what ip says there.
    const info = await readLinkInfo("eth0", { netns });
    const shown = JSON.parse((await net!.exec("container", ["ip", "-j", "link", "show", "dev", "eth0"])).stdout) as { ifindex: number; address: string; mtu: number }[];
    expect(info).toMatchObject({ name: "eth0", index: shown[0]?.ifindex, mac: shown[0]?.address, mtu: 1400 });
    await expect(readLinkInfo("incusx-none0", { netns })).rejects.toMatchObject({ code: "ENODEV" });
    // Any { path, fd } names the namespace (the SDK's NetworkNamespace is one): no class needed.
    const plain = { path: netns.path, fd: netns.fd };
    expect(await readLinkInfo("eth0", { netns: plain })).toEqual(info);
    expect((await new IpRoute2LinkConfigurator({ netns: plain }).snapshot("eth0")).mtu).toBe(1400);
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

  it("keeps one netlink socket in the namespace for all its exchanges, and closes it at close()", async () => {
    netns = openNetns(net!.containerNsPath);
    const fds = openFds();
    const link = new IpRoute2LinkConfigurator({ netns });
    expect(link.keepsSocket).toBe(false);
    await link.addAddress("eth0", { address: "192.0.2.51", prefixLength: 24, validLifetime: 3600, preferredLifetime: 1800 });
    expect(link.keepsSocket).toBe(true);
    expect(openFds()).toBe(fds + 1);
    await link.addRoute("eth0", { destination: "203.0.113.0/24", gateway: "192.0.2.1" });
    await link.setMtu("eth0", 1450);
    const snapshot = await link.snapshot("eth0");
    expect(snapshot).toMatchObject({ interface: "eth0", mtu: 1450 });
    expect(snapshot.addresses).toContainEqual(expect.objectContaining({ address: "192.0.2.51", prefixLength: 24 }));
    // The addresses alone, as the snapshot shows them (lifetimes count down by whole seconds).
    expect((await link.addresses("eth0")).map((a) => `${a.family} ${a.address}/${a.prefixLength}`)).toEqual(snapshot.addresses.map((a) => `${a.family} ${a.address}/${a.prefixLength}`));
    await expect(link.addresses("incusx-none0")).rejects.toMatchObject({ code: "ENODEV" });
    await expect(link.setMtu("incusx-none0", 1400)).rejects.toMatchObject({ code: "ENODEV" });
    expect(openFds()).toBe(fds + 1);
    link.close();
    link.close();
    expect(link.keepsSocket).toBe(false);
    expect(openFds()).toBe(fds);
    // Still works after close, each call with a socket of its own, and keeps none.
    await link.removeAddress("eth0", { address: "192.0.2.51", prefixLength: 24 });
    expect((await net!.addresses("container", "eth0")).map((a) => a.local)).not.toContain("192.0.2.51");
    expect(openFds()).toBe(fds);
  });

  it("refuses a socket argument that is not an rtnetlink socket", () => {
    const addon = nativeAddon().addon!;
    netns = openNetns(net!.containerNsPath);
    // The namespace fd is a file, not a socket.
    expect(() => addon.linkInfo!("eth0", netns!.fd, netns!.fd)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    const socket = addon.openRtnetlink!(netns.fd);
    try {
      expect(addon.linkInfo!("eth0", undefined, socket)).toMatchObject({ name: "eth0" });
    } finally {
      closeSync(socket);
    }
  });

  it("fails with typed errors and comes back: a missing interface, a closed handle, options that would run ip", async () => {
    const home = where();
    netns = openNetns(net!.containerNsPath);
    const link = new IpRoute2LinkConfigurator({ netns });
    await expect(link.snapshot("incusx-none0")).rejects.toMatchObject({ code: "ENODEV" });
    await expect(link.setMtu("incusx-none0", 1400)).rejects.toMatchObject({ code: "ENODEV" });
    await expect(link.addRoute("eth0", { destination: "203.0.113.0/24", gateway: "198.51.100.1" })).rejects.toBeInstanceOf(LinkError);
    expect(where()).toBe(home);
    expect(() => new IpRoute2LinkConfigurator({ netns, ipCommand: "ip" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    await expect(readLinkInfo("eth0", { netns, ipCommand: "ip" })).rejects.toMatchObject({ code: "EINVAL" });
    netns.close();
    await expect(link.snapshot("eth0")).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("is closed") });
    await expect(readLinkInfo("eth0", { netns })).rejects.toMatchObject({ code: "EINVAL", message: expect.stringContaining("is closed") });
    expect(where()).toBe(home);
  });
});

describe.skipIf(!rootAvailable())("openUdp6Socket in another namespace without moving the process (root)", () => {

  it("sends to ff02::1:2 out of the container's eth0 from its link-local address and gets the reply, zone included", async () => {
    net = await createTestNetwork({ startDnsmasq: false });
    const responder = net.spawnNode("server", echoServerScript, ["veth-srv", String(DHCPV6_SERVER_PORT)]);
    await responder.waitForLine((line) => line === "ready");
    const local = await waitForLinkLocal("eth0", AbortSignal.timeout(10_000), { netns: net.containerNs });
    const home = where();
    netns = openNetns(net.containerNsPath);
    const socket = await openUdp6Socket({ iface: "eth0", localAddress: local, port: DHCPV6_CLIENT_PORT, netns });
    expect(where()).toBe(home);
    try {
      const reply = new Promise<{ bytes: number[]; from: { address: string; port: number } }>((resolve) => {
        socket.onMessage((bytes, from) => resolve({ bytes: [...bytes], from }));
      });
      await socket.send(Uint8Array.of(1, 2, 3), ALL_DHCP_SERVERS, DHCPV6_SERVER_PORT);
      const serverLinkLocal = (await net.addresses("server", "veth-srv")).find((a) => a.scope === "link")?.local;
      expect(await reply).toEqual({ bytes: [3, 2, 1], from: { address: `${serverLinkLocal}%eth0`, port: 547 } });
      await expect(socket.send(Uint8Array.of(1), `${ALL_DHCP_SERVERS}%eth1`, DHCPV6_SERVER_PORT)).rejects.toBeInstanceOf(TypeError);
    } finally {
      await socket.close();
    }
    expect(where()).toBe(home);
  });

  it("gets dnsmasq's Advertise for a Solicit, and fails with typed errors, coming back every time", async () => {
    net = await createTestNetwork({ v4: false });
    const local = await waitForLinkLocal("eth0", AbortSignal.timeout(10_000), { netns: net.containerNs });
    const home = where();
    netns = openNetns(net.containerNsPath);
    await expect(openUdp6Socket({ iface: "incusx-none0", localAddress: local, port: 0, netns })).rejects.toMatchObject({ code: "ENODEV", syscall: "if_nametoindex" });
    await expect(openUdp6Socket({ iface: "eth0", localAddress: "2001:db8:ffff::1", port: 0, netns })).rejects.toMatchObject({ code: "EADDRNOTAVAIL", syscall: "bind" });
    await expect(openUdp6Socket({ iface: "eth0", localAddress: "192.0.2.1", port: 0, netns })).rejects.toMatchObject({ code: "EINVAL" });
    expect(where()).toBe(home);
    const socket = await openUdp6Socket({ iface: "eth0", localAddress: local, port: DHCPV6_CLIENT_PORT, netns });
    try {
      const advertise = new Promise<string>((resolve) => socket.onMessage((bytes) => resolve(Buffer.from(bytes).toString("hex"))));
      // Solicit (type 1, xid 123456), client id DUID-LL 02:00:00:00:00:01, IA_NA IAID 1, elapsed time 0.
      const solicit = "01123456" + "0001000a00030001020000000001" + "0003000c000000010000000000000000" + "000800020000";
      await socket.send(Buffer.from(solicit, "hex"), ALL_DHCP_SERVERS, DHCPV6_SERVER_PORT);
      expect((await advertise).slice(0, 8)).toBe("02123456");
      expect(net.dnsmasq.log()).toMatch(/DHCPADVERTISE\(veth-srv\) 2001:db8:1::1[0-9a-f]{2}/);
    } finally {
      await socket.close();
    }
    expect(where()).toBe(home);
  });
});

const compiler = process.env["CC"] ?? "cc";
const canCompile = process.platform === "linux" && spawnSync(compiler, ["--version"], { stdio: "ignore" }).status === 0;

describe.runIf(canCompile)("the way back out of a namespace", () => {
  it("aborts the process with a clear message when it fails, rather than go on in the wrong namespace (child process, setns shim)", () => {
    const dir = mkdtempSync(join(tmpdir(), "incusx-setns-shim-"));
    try {
      const shim = join(dir, "setns_fails_back.so");
      const source = fileURLToPath(new URL("../native/test/setns_fails_back.c", import.meta.url));
      const build = spawnSync(compiler, ["-shared", "-fPIC", "-Wall", "-Werror", source, "-o", shim, "-ldl"], { encoding: "utf8" });
      expect(build.status, build.stderr).toBe(0);
      // The child's own namespace as the target: entering works, the shim fails the way back.
      const script = [
        `const addon = require(${JSON.stringify(NATIVE_ADDON_PATH)});`,
        `const fd = addon.openNetns("/proc/self/ns/net");`,
        `addon.open("lo", 0, () => {}, undefined, fd);`,
        `console.log("still running");`,
      ].join("\n");
      const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 20_000, env: { ...process.env, LD_PRELOAD: shim } });
      expect(run.signal).toBe("SIGABRT");
      expect(run.stdout).not.toContain("still running");
      expect(run.stderr).toContain("@incusx/linux-net: FATAL: could not return the thread to its own network namespace");
      expect(run.stderr).toContain("Operation not permitted");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!rootAvailable())("waitForLinkLocal in another namespace, woken by netlink made there (root)", () => {

  it("waits while the container's eth0 is down and resolves once it is up and DAD is done, as ip sees it", async () => {
    net = await createTestNetwork({ v6: false, startDnsmasq: false });
    const down = await net.exec("container", ["ip", "link", "set", "eth0", "down"]);
    expect(down.code, down.stderr).toBe(0);
    const home = where();
    netns = openNetns(net.containerNsPath);
    let resolved = false;
    const waiting = waitForLinkLocal("eth0", AbortSignal.timeout(15_000), { netns }).then((address) => {
      resolved = true;
      return address;
    });
    // Nothing usable while down: the first read (made at once) found none.
    await new Promise((resolve) => setImmediate(resolve));
    expect(resolved).toBe(false);
    const up = await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
    expect(up.code, up.stderr).toBe(0);
    const address = await waiting;
    const shown = (await net.addresses("container", "eth0")).find((a) => a.family === "inet6" && a.scope === "link");
    expect(address).toBe(shown?.local);
    expect(where()).toBe(home);
  });

  it("rejects with the abort reason for an interface that never comes, and frees its netlink socket", async () => {
    net = await createTestNetwork({ v6: false, startDnsmasq: false });
    netns = openNetns(net.containerNsPath);
    const fds = openFds();
    const controller = new AbortController();
    const waiting = waitForLinkLocal("incusx-none0", controller.signal, { netns });
    expect(openFds()).toBe(fds + 1);
    controller.abort(new Error("gave up"));
    await expect(waiting).rejects.toThrow("gave up");
    await waitFor(() => openFds() === fds || undefined, { timeoutMs: 10_000, message: "the netlink socket was not closed" });
    netns.close();
    await expect(waitForLinkLocal("eth0", AbortSignal.timeout(1000), { netns })).rejects.toMatchObject({ code: "EINVAL" });
  });
});

describe.skipIf(!rootAvailable())("watchAddressFlags in another namespace, woken by netlink made there (root)", () => {
  it("reports the addresses with the flags ip -json shows, and each change, from the host namespace", async () => {
    net = await createTestNetwork({ startDnsmasq: false });
    const local = await waitForLinkLocal("eth0", AbortSignal.timeout(10_000), { netns: net.containerNs });
    for (const args of [
      ["-4", "addr", "add", "192.0.2.50/24", "dev", "eth0"],
      ["-4", "addr", "add", "192.0.2.51/24", "dev", "eth0"],
      ["-6", "addr", "add", "2001:db8:1::5/64", "dev", "eth0", "nodad", "valid_lft", "100", "preferred_lft", "50"],
      ["-6", "addr", "add", "2001:db8:1::6/64", "dev", "eth0", "nodad", "noprefixroute"],
      ["-6", "addr", "add", "2001:db8:1::8/64", "dev", "eth0", "nodad", "preferred_lft", "0"],
    ]) {
      const added = await net.exec("container", ["ip", ...args]);
      expect(added.code, added.stderr).toBe(0);
    }
    const home = where();
    netns = openNetns(net.containerNsPath);
    const seen: AddressFlags[][] = [];
    const errors: unknown[] = [];
    const watch = watchAddressFlags("eth0", (addresses) => seen.push(addresses), { netns, onError: (error) => errors.push(error) });
    try {
      const first = await waitFor(() => seen[0], { timeoutMs: 10_000 });
      const shown = addressFlagsFromJson(JSON.parse((await net.exec("container", ["ip", "-j", "addr", "show", "dev", "eth0"])).stdout) as IpLinkJson[]);
      const byAddress = (list: AddressFlags[]): AddressFlags[] => [...list].sort((a, b) => a.address.localeCompare(b.address));
      expect(byAddress(first)).toEqual(byAddress(shown));
      expect(first.map((a) => a.address)).toEqual(expect.arrayContaining([local, "192.0.2.50", "192.0.2.51", "2001:db8:1::5"]));
      const added = await net.exec("container", ["ip", "-6", "addr", "add", "2001:db8:1::7/64", "dev", "eth0", "nodad"]);
      expect(added.code, added.stderr).toBe(0);
      const next = await waitFor(() => seen.find((list) => list.some((a) => a.address === "2001:db8:1::7")), { timeoutMs: 10_000 });
      expect(next.find((a) => a.address === "2001:db8:1::7")?.flags).toEqual(["nodad"]);
      expect(errors).toEqual([]);
      expect(where()).toBe(home);
    } finally {
      watch.close();
    }
    expect(() => watchAddressFlags("eth0", () => {}, { netns, ipCommand: "ip" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });
});
