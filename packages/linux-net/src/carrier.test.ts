import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { usableFromMonitorLine, usableFromNetlink, watchCarrier } from "./carrier.js";
import { linkLocalBlocker } from "./link-local.js";
import { openNetns } from "./netns.js";

describe.skipIf(!rootAvailable())("watchCarrier on a real link (network namespace, root)", () => {
  let net: TestNetwork;
  let watch: { close(): void } | undefined;
  beforeEach(async () => {
    net = await createTestNetwork({ startDnsmasq: false });
  });
  afterEach(async () => {
    watch?.close();
    await net.destroy();
  });

  it("reports up, then down and up again when the peer's end flaps (carrier only)", async () => {
    const reports: boolean[] = [];
    watch = watchCarrier("eth0", (up) => reports.push(up), { netns: net.containerNs });
    await net.waitFor(() => reports.at(-1) === true, { message: "link never reported up" });
    await net.exec("server", ["ip", "link", "set", "veth-srv", "down"]);
    await net.waitFor(() => reports.at(-1) === false, { message: "carrier loss not reported" });
    await net.exec("server", ["ip", "link", "set", "veth-srv", "up"]);
    await net.waitFor(() => reports.at(-1) === true, { message: "carrier return not reported" });
    expect(reports).toEqual([true, false, true]);
  });

  it("reports an admin down and up of the interface itself, and a missing interface as down", async () => {
    const reports: boolean[] = [];
    watch = watchCarrier("eth0", (up) => reports.push(up), { netns: net.containerNs });
    await net.waitFor(() => reports.at(-1) === true);
    await net.exec("container", ["ip", "link", "set", "eth0", "down"]);
    await net.waitFor(() => reports.at(-1) === false, { message: "admin down not reported" });
    await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
    await net.waitFor(() => reports.at(-1) === true, { message: "admin up not reported" });
    const missing: boolean[] = [];
    const other = watchCarrier("nosuch0", (up) => missing.push(up), { netns: net.containerNs });
    try {
      await net.waitFor(() => missing.length > 0);
      expect(missing).toEqual([false]);
    } finally {
      other.close();
    }
  });
});

describe("link notices", () => {
  it("reads up/carrier from ip monitor link lines", () => {
    expect(usableFromMonitorLine("3: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP", "eth0")).toBe(true);
    expect(usableFromMonitorLine("3: eth0@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 state DOWN", "eth0")).toBe(false);
    expect(usableFromMonitorLine("3: eth0: <BROADCAST,MULTICAST> mtu 1500 state DOWN", "eth0")).toBe(false);
    expect(usableFromMonitorLine("Deleted 3: eth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500", "eth0")).toBe(false);
    expect(usableFromMonitorLine("3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500", "eth0")).toBeUndefined();
    expect(usableFromMonitorLine("2: eth0    inet6 fe80::1/64 scope link", "eth0")).toBeUndefined();
  });

  it("reads RTM_NEWLINK/RTM_DELLINK flags for the named link and skips others and garbage", () => {
    const link = (type: number, flags: number, name: string): Buffer => {
      const nameAttr = Buffer.alloc(4 + ((name.length + 1 + 3) & ~3));
      nameAttr.writeUInt16LE(4 + name.length + 1, 0);
      nameAttr.writeUInt16LE(3, 2);
      nameAttr.write(name, 4);
      const message = Buffer.alloc(32 + nameAttr.length);
      message.writeUInt32LE(message.length, 0);
      message.writeUInt16LE(type, 4);
      message.writeUInt32LE(flags, 24);
      nameAttr.copy(message, 32);
      return message;
    };
    const usable = 0x1 | 0x40 | 0x10000;
    const bytes = Buffer.concat([link(16, usable, "eth0"), link(16, 0x1, "eth0"), link(16, usable, "eth1"), link(17, usable, "eth0")]);
    expect(usableFromNetlink(bytes, "eth0")).toEqual([true, false, false]);
    expect(usableFromNetlink(Buffer.from([1, 2, 3]), "eth0")).toEqual([]);
    expect(usableFromNetlink(Buffer.concat([link(16, usable, "eth0")]).subarray(0, 20), "eth0")).toEqual([]);
  });
});

describe.skipIf(!rootAvailable())("linkLocalBlocker on a real link (network namespace, root)", () => {
  let net: TestNetwork;
  beforeEach(async () => {
    net = await createTestNetwork({ startDnsmasq: false });
  });
  afterEach(async () => {
    await net.destroy();
  });

  it("says nothing with a link-local address, addr-gen-mode-none once it is off and flushed, ipv6-disabled with IPv6 off, in the named namespace or a handle", async () => {
    const handle = openNetns(net.containerNsPath);
    try {
      await net.waitFor(async () => (await net.addresses("container", "eth0")).some((a) => a.local.startsWith("fe80:")));
      expect(linkLocalBlocker("eth0", { netns: net.containerNs })).toBeUndefined();
      await net.exec("container", ["ip", "link", "set", "dev", "eth0", "addrgenmode", "none"]);
      // Off, but the address made before is still there: it can be used.
      expect(linkLocalBlocker("eth0", { netns: handle })).toBeUndefined();
      await net.exec("container", ["ip", "-6", "addr", "flush", "dev", "eth0", "scope", "link"]);
      expect(linkLocalBlocker("eth0", { netns: net.containerNs })).toBe("addr-gen-mode-none");
      expect(linkLocalBlocker("eth0", { netns: handle })).toBe("addr-gen-mode-none");
      await net.exec("container", ["sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=1"]);
      expect(linkLocalBlocker("eth0", { netns: handle })).toBe("ipv6-disabled");
      // A missing interface may still come: nothing to say.
      expect(linkLocalBlocker("nosuch0", { netns: handle })).toBeUndefined();
    } finally {
      handle.close();
    }
  });
});
