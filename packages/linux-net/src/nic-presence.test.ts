import { readdirSync, statSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork, type TestProcess } from "@incusx/testkit/netns";
import { LinkError } from "./errors.js";
import { nativeAddon } from "./native-addon.js";
import { NETNS_POLL_MS, netnsPathWatchCounts, watchNetnsPath } from "./netns-presence.js";
import { openNetns, type NetnsHandle } from "./netns.js";
import { parseLinkNotices, watchNicPresence, type NicGone } from "./nic-presence.js";

// One RTM_*LINK message as the kernel sends it (little-endian), with an IFLA_IFNAME when `name` is given.
function linkMessage(type: number, index: number, name?: string): Buffer {
  const nameAttribute = name === undefined ? Buffer.alloc(0) : Buffer.alloc((4 + name.length + 1 + 3) & ~3);
  if (name !== undefined) {
    nameAttribute.writeUInt16LE(4 + name.length + 1, 0);
    nameAttribute.writeUInt16LE(3, 2);
    nameAttribute.write(name, 4, "utf8");
  }
  // An IFLA_MTU first, so the name is not the first attribute.
  const mtu = Buffer.alloc(8);
  mtu.writeUInt16LE(8, 0);
  mtu.writeUInt16LE(4, 2);
  mtu.writeUInt32LE(1500, 4);
  const header = Buffer.alloc(32);
  const length = 32 + mtu.length + nameAttribute.length;
  header.writeUInt32LE(length, 0);
  header.writeUInt16LE(type, 4);
  header.writeInt32LE(index, 20);
  return Buffer.concat([header, mtu, nameAttribute]);
}

describe("parseLinkNotices", () => {
  it("reads every link message of a datagram, skipping others and stopping at a truncated one", () => {
    const address = Buffer.alloc(24);
    address.writeUInt32LE(24, 0);
    address.writeUInt16LE(20, 4); // RTM_NEWADDR
    const bytes = Buffer.concat([linkMessage(16, 7, "eth0"), address, linkMessage(17, 7), linkMessage(16, 9, "abc")]);
    expect(parseLinkNotices(bytes, true)).toEqual([
      { kind: "new", index: 7, name: "eth0" },
      { kind: "del", index: 7 },
      { kind: "new", index: 9, name: "abc" },
    ]);
    expect(parseLinkNotices(bytes.subarray(0, bytes.length - 2), true)).toHaveLength(2);
    expect(parseLinkNotices(Buffer.alloc(0), true)).toEqual([]);
    const garbage = Buffer.alloc(40, 0xff);
    expect(parseLinkNotices(garbage, true)).toEqual([]);
  });
});

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

describe.runIf(process.platform === "linux")("watchNicPresence refusals", () => {
  it("throws EINVAL for a bad interface name or a closed handle", () => {
    expect(() => watchNicPresence({ iface: "a/b", netns: { path: "/proc/self/ns/net", fd: 0 } }, () => {})).toThrow(LinkError);
    const closed = {
      path: "/run/netns/none",
      get fd(): number {
        throw new Error("closed");
      },
    };
    let caught: unknown;
    try {
      watchNicPresence({ iface: "eth0", netns: closed }, () => {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LinkError);
    expect((caught as LinkError).code).toBe("EINVAL");
  });
});

describe.runIf(process.platform === "linux")("the addon's watchPidExit", () => {
  it("refuses pid 0, a negative, fractional or huge pid and a missing callback with typed errors, and a process that does not exist with ESRCH", () => {
    const addon = nativeAddon().addon!;
    expect(typeof addon.watchPidExit).toBe("function");
    const watchPidExit = addon.watchPidExit!;
    for (const pid of [0, -1, 1.5, 2 ** 31, Number.NaN]) {
      expect(() => watchPidExit(pid, () => {}), String(pid)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_VALUE" }));
    }
    expect(() => watchPidExit("1" as unknown as number, () => {})).toThrow(TypeError);
    expect(() => watchPidExit(process.pid, undefined as unknown as () => void)).toThrow(TypeError);
    // pid_max is at most 2^22: this one never exists.
    expect(() => watchPidExit(2 ** 31 - 1, () => {})).toThrow(expect.objectContaining({ code: "ESRCH", syscall: "pidfd_open" }));
  });
});

describe.skipIf(!rootAvailable())("watchNicPresence in a test namespace (needs root)", () => {
  let net: TestNetwork | undefined;
  let netns: NetnsHandle | undefined;
  let watch: { close(): void } | undefined;
  afterEach(async () => {
    watch?.close();
    watch = undefined;
    netns?.close();
    netns = undefined;
    await net?.destroy();
    net = undefined;
  });

  // Starts watching eth0 of a fresh test network's container; resolves with the report and when it came.
  async function watchContainer(iface = "eth0", path?: string): Promise<{ gone: Promise<{ gone: NicGone; at: number }> }> {
    net ??= await createTestNetwork({ startDnsmasq: false });
    netns = openNetns(path ?? net.containerNsPath);
    let report!: (value: { gone: NicGone; at: number }) => void;
    const gone = new Promise<{ gone: NicGone; at: number }>((resolve) => (report = resolve));
    watch = watchNicPresence({ iface, netns }, (why) => report({ gone: why, at: performance.now() }));
    return { gone };
  }

  async function ip(args: string[]): Promise<void> {
    const { execFile } = await import("node:child_process");
    await new Promise<void>((resolve, reject) => execFile("ip", args, (error) => (error === null ? resolve() : reject(error))));
  }

  it("reports namespace-gone within 1 s of `ip netns del` of a namespace it holds", async () => {
    const { gone } = await watchContainer();
    expect(netnsPathWatchCounts().inotifyPaths).toBeGreaterThanOrEqual(1);
    await ip(["netns", "del", net!.containerNs]);
    const deleted = performance.now();
    const report = await gone;
    expect(report.gone.reason).toBe("namespace-gone");
    expect(report.gone.message).toContain(net!.containerNsPath);
    expect(report.at - deleted).toBeLessThan(1_000);
  });

  it("reports interface-removed when the interface is deleted, and nothing else", async () => {
    const { gone } = await watchContainer();
    let reports = 0;
    void gone.then(() => reports++);
    await net!.exec("container", ["ip", "link", "del", "eth0"]);
    const deleted = performance.now();
    const report = await gone;
    expect(report.gone.reason).toBe("interface-removed");
    expect(report.at - deleted).toBeLessThan(1_000);
    // Deleting the namespace afterwards reports nothing more: the watch ended.
    await ip(["netns", "del", net!.containerNs]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reports).toBe(1);
    expect(netnsPathWatchCounts()).toMatchObject({ inotifyPaths: 0, pidfdPaths: 0, polledPaths: 0 });
  });

  it("reports interface-renamed with the new name", async () => {
    const { gone } = await watchContainer();
    await net!.exec("container", ["ip", "link", "set", "eth0", "down"]);
    await net!.exec("container", ["ip", "link", "set", "eth0", "name", "eth9"]);
    const report = await gone;
    expect(report.gone).toMatchObject({ reason: "interface-renamed", newName: "eth9" });
  });

  it("waits for an interface missing at the start and reports its removal once it was seen", async () => {
    const { gone } = await watchContainer("late7");
    let reported = false;
    void gone.then(() => (reported = true));
    const exec = async (argv: string[]): Promise<void> => expect((await net!.exec("container", argv)).code).toBe(0);
    // Other links coming and going do not count.
    await exec(["ip", "link", "add", "other1", "type", "veth", "peer", "name", "other2"]);
    await exec(["ip", "link", "del", "other1"]);
    await exec(["ip", "link", "add", "late7", "type", "veth", "peer", "name", "late8"]);
    await exec(["ip", "link", "set", "late7", "up"]);
    expect(reported).toBe(false);
    // Deleting the peer takes late7 with it.
    await exec(["ip", "link", "del", "late8"]);
    expect((await gone).gone.reason).toBe("interface-removed");
  });

  it("reports namespace-gone within 1 s when the process of /proc/PID/ns/net is killed", async () => {
    net = await createTestNetwork({ startDnsmasq: false });
    const sleeper: TestProcess = net.spawn("container", ["sleep", "1000"]);
    const pid = sleeper.child.pid!;
    const path = `/proc/${pid}/ns/net`;
    const target = statSync(net.containerNsPath);
    // `ip netns exec` enters the namespace before it execs sleep.
    await net.waitFor(() => {
      const now = statSync(path);
      return now.ino === target.ino && now.dev === target.dev;
    });
    const { gone } = await watchContainer("eth0", path);
    // A pidfd, not the timer: no wake-up before the exit.
    expect(netnsPathWatchCounts()).toMatchObject({ pidfdPaths: 1, polledPaths: 0 });
    sleeper.child.kill("SIGKILL");
    await sleeper.exited();
    const killed = performance.now();
    const report = await gone;
    expect(report.gone.reason).toBe("namespace-gone");
    expect(report.gone.message).toContain(path);
    expect(report.gone.message).toContain(`process ${pid} exited`);
    expect(report.at - killed).toBeLessThan(1_000);
  });

  it("falls back on the shared timer for a /proc path without a pidfd, noticing the exit within 1 s", async () => {
    net = await createTestNetwork({ startDnsmasq: false });
    const sleeper: TestProcess = net.spawn("container", ["sleep", "1000"]);
    const pid = sleeper.child.pid!;
    // The task's link names the same namespace, but only /proc/PID/ns/net gets a pidfd.
    const path = `/proc/${pid}/task/${pid}/ns/net`;
    const target = statSync(net.containerNsPath);
    await net.waitFor(() => statSync(path).ino === target.ino);
    netns = openNetns(path);
    let report!: (why: string) => void;
    const gone = new Promise<string>((resolve) => (report = resolve));
    const stop = watchNetnsPath(path, netns.fd, report);
    try {
      expect(netnsPathWatchCounts()).toMatchObject({ polledPaths: 1, pidfdPaths: 0 });
      sleeper.child.kill("SIGKILL");
      await sleeper.exited();
      const killed = performance.now();
      expect(await gone).toContain("no longer exists");
      expect(performance.now() - killed).toBeLessThan(NETNS_POLL_MS + 500);
      expect(netnsPathWatchCounts().polledPaths).toBe(0);
    } finally {
      stop();
    }
  });

  it("leaves no fd and no watch behind once closed", async () => {
    net = await createTestNetwork({ startDnsmasq: false });
    netns = openNetns(net.containerNsPath);
    const before = openFds();
    const counts = netnsPathWatchCounts();
    const watches = Array.from({ length: 5 }, () => watchNicPresence({ iface: "eth0", netns: netns! }, () => {}));
    expect(openFds()).toBeGreaterThan(before);
    for (const one of watches) one.close();
    // The addon closes its sockets on the next loop turn.
    await net.waitFor(() => openFds() === before);
    expect(netnsPathWatchCounts()).toEqual(counts);
  });
});
