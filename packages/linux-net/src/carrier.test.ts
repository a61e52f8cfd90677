import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestNetwork, foldedCarrierFlap, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { CarrierTracker, linkStatesFromNetlink, usableFromMonitorLine, watchCarrier } from "./carrier.js";
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

  it("reports a flap the kernel announces with one notice showing the link up (shorter than its link watch's hold-off) as down, then up", async () => {
    // Over rtnetlink in the namespace (a handle): `ip monitor` shows no counters.
    const handle = openNetns(net.containerNsPath);
    try {
      const reports: boolean[] = [];
      watch = watchCarrier("eth0", (up) => reports.push(up), { netns: handle });
      await net.waitFor(() => reports.at(-1) === true, { message: "link never reported up" });
      await foldedCarrierFlap(net);
      await net.waitFor(() => reports.length >= 3, { message: "the folded flap was not reported" });
      expect(reports).toEqual([true, false, true]);
      // Twice: the count it compares with moved on.
      await foldedCarrierFlap(net);
      await net.waitFor(() => reports.length >= 5, { message: "the second folded flap was not reported" });
      expect(reports).toEqual([true, false, true, false, true]);
    } finally {
      watch?.close();
      watch = undefined;
      handle.close();
    }
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

  // One RTM_NEWLINK/RTM_DELLINK message as the kernel lays it out: nlmsghdr, ifinfomsg, then attributes.
  const link = (type: number, flags: number, name: string, more: { index?: number; upCount?: number; downCount?: number; extra?: Buffer } = {}): Buffer => {
    const attribute = (kind: number, payload: Buffer): Buffer => {
      const bytes = Buffer.alloc(4 + ((payload.length + 3) & ~3));
      bytes.writeUInt16LE(4 + payload.length, 0);
      bytes.writeUInt16LE(kind, 2);
      payload.copy(bytes, 4);
      return bytes;
    };
    const u32 = (value: number): Buffer => {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32LE(value, 0);
      return bytes;
    };
    const attributes = [attribute(3, Buffer.from(`${name}\0`))];
    if (more.upCount !== undefined) attributes.push(attribute(47, u32(more.upCount)));
    if (more.downCount !== undefined) attributes.push(attribute(48, u32(more.downCount)));
    if (more.extra !== undefined) attributes.push(more.extra);
    const body = Buffer.concat(attributes);
    const message = Buffer.alloc(32 + body.length);
    message.writeUInt32LE(message.length, 0);
    message.writeUInt16LE(type, 4);
    message.writeInt32LE(more.index ?? 2, 20);
    message.writeUInt32LE(flags, 24);
    body.copy(message, 32);
    return message;
  };
  const usable = 0x1 | 0x40 | 0x10000;

  it("reads RTM_NEWLINK/RTM_DELLINK flags for the named link and skips others and garbage", () => {
    const bytes = Buffer.concat([link(16, usable, "eth0"), link(16, 0x1, "eth0"), link(16, usable, "eth1"), link(17, usable, "eth0")]);
    expect(linkStatesFromNetlink(bytes, "eth0").map((s) => s.usable)).toEqual([true, false, false]);
    expect(linkStatesFromNetlink(Buffer.from([1, 2, 3]), "eth0")).toEqual([]);
    expect(linkStatesFromNetlink(Buffer.concat([link(16, usable, "eth0")]).subarray(0, 20), "eth0")).toEqual([]);
  });

  it("reads the link's index and carrier-down count (IFLA_CARRIER_DOWN_COUNT), absent on kernels before 4.16", () => {
    const bytes = Buffer.concat([
      link(16, usable, "eth0", { index: 7, upCount: 3, downCount: 2 }),
      link(16, usable, "eth1", { index: 8, downCount: 9 }),
      link(16, 0x1, "eth0", { index: 7 }),
    ]);
    expect(linkStatesFromNetlink(bytes, "eth0")).toEqual([
      { usable: true, index: 7, carrierDownCount: 2 },
      { usable: false, index: 7 },
    ]);
  });

  it("ignores a carrier-down count too short to hold one, and stops at an attribute running past its message", () => {
    const short = Buffer.from([6, 0, 48, 0, 1, 0, 0, 0]);
    expect(linkStatesFromNetlink(link(16, usable, "eth0", { extra: short }), "eth0")).toEqual([{ usable: true, index: 2 }]);
    // An attribute claiming 64 bytes in a message that holds 8 more: the count after it is not read, the name before it is.
    const overrun = Buffer.from([64, 0, 48, 0, 5, 0, 0, 0]);
    expect(linkStatesFromNetlink(link(16, usable, "eth0", { extra: overrun }), "eth0")).toEqual([{ usable: true, index: 2 }]);
    // A name running past its message: no name, so not this link.
    const longName = link(16, usable, "eth0", { downCount: 4 });
    longName.writeUInt16LE(200, 32);
    expect(linkStatesFromNetlink(longName, "eth0")).toEqual([]);
  });
});

describe("carrier tracking", () => {
  it("reports a carrier loss the link watch folded into one notice (down count grown, link usable) as down, then up, once", () => {
    const tracker = new CarrierTracker();
    expect(tracker.observe({ usable: true, index: 2, carrierDownCount: 3 })).toEqual([true]);
    // The notice of the batched flap, then the read it triggers: same count, one flap.
    expect(tracker.observe({ usable: true, index: 2, carrierDownCount: 4 })).toEqual([false, true]);
    expect(tracker.observe({ usable: true, index: 2, carrierDownCount: 4 })).toEqual([]);
    // A read ahead of a notice still queued: the older notice is not a second flap.
    expect(tracker.observe({ usable: true, index: 2, carrierDownCount: 6 })).toEqual([false, true]);
    expect(tracker.observe({ usable: true, index: 2, carrierDownCount: 5 })).toEqual([]);
    expect(tracker.observe({ usable: true, index: 2, carrierDownCount: 6 })).toEqual([]);
  });

  it("reports a loss it saw happen once, and says nothing more without counts or for a new link", () => {
    const tracker = new CarrierTracker();
    expect(tracker.observe({ usable: true, index: 2, carrierDownCount: 0 })).toEqual([true]);
    expect(tracker.observe({ usable: false, index: 2, carrierDownCount: 1 })).toEqual([false]);
    expect(tracker.observe({ usable: true, index: 2, carrierDownCount: 1 })).toEqual([true]);
    // Older kernels (or ip): the state only.
    expect(tracker.observe({ usable: true })).toEqual([]);
    expect(tracker.observe({ usable: false })).toEqual([false]);
    expect(tracker.observe({ usable: true })).toEqual([true]);
    // The interface was made again (another index): its counts start afresh, no flap.
    expect(tracker.observe({ usable: true, index: 9, carrierDownCount: 0 })).toEqual([]);
    expect(tracker.observe({ usable: true, index: 9, carrierDownCount: 1 })).toEqual([false, true]);
    // The count wraps at 2^32.
    const wrapping = new CarrierTracker();
    wrapping.observe({ usable: true, index: 2, carrierDownCount: 0xffffffff });
    expect(wrapping.observe({ usable: true, index: 2, carrierDownCount: 0 })).toEqual([false, true]);
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
