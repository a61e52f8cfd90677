import { execFile } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { LinkError } from "./errors.js";
import { setIpv6Sysctls } from "./ipv6-sysctl.js";
import { usableLinkLocalFromMonitorLine, waitForLinkLocal } from "./link-local.js";
import { openNetns, type NetnsHandle } from "./netns.js";
import { DHCPV6_CLIENT_PORT, openUdp6Socket } from "./udp6-socket.js";

describe("waitForLinkLocal", () => {
  it("rejects at once with the reason of an already aborted signal", async () => {
    const reason = new Error("stopped");
    await expect(waitForLinkLocal("eth0", AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it("rejects a name that is no interface name", async () => {
    expect(() => waitForLinkLocal("a b", new AbortController().signal)).toThrow(LinkError);
  });
});

describe("usableLinkLocalFromMonitorLine", () => {
  const done = "2: eth0    inet6 fe80::440b:fbff:fe01:a315/64 scope link \\       valid_lft forever preferred_lft forever";

  it("takes the address from the kernel's notice that DAD finished", () => {
    expect(usableLinkLocalFromMonitorLine(done, "eth0")).toBe("fe80::440b:fbff:fe01:a315");
  });

  it("takes an optimistic address (RFC 4429) while its DAD still runs, never a failed one", () => {
    const optimistic = done.replace("scope link", "scope link optimistic tentative");
    expect(usableLinkLocalFromMonitorLine(optimistic, "eth0")).toBe("fe80::440b:fbff:fe01:a315");
    expect(usableLinkLocalFromMonitorLine(done.replace("scope link", "scope link optimistic dadfailed tentative"), "eth0")).toBeUndefined();
  });

  it("ignores tentative and dadfailed addresses, deletions, other interfaces and global addresses", () => {
    expect(usableLinkLocalFromMonitorLine(done.replace("scope link", "scope link tentative"), "eth0")).toBeUndefined();
    expect(usableLinkLocalFromMonitorLine(done.replace("scope link", "scope link dadfailed tentative"), "eth0")).toBeUndefined();
    expect(usableLinkLocalFromMonitorLine(`Deleted ${done}`, "eth0")).toBeUndefined();
    expect(usableLinkLocalFromMonitorLine(done, "eth1")).toBeUndefined();
    expect(usableLinkLocalFromMonitorLine(done.replace("eth0", "eth00"), "eth0")).toBeUndefined();
    expect(usableLinkLocalFromMonitorLine("2: eth0    inet6 2001:db8:1::1a5/128 scope global dynamic \\ valid_lft 3599sec", "eth0")).toBeUndefined();
    expect(usableLinkLocalFromMonitorLine("2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP", "eth0")).toBeUndefined();
  });
});

describe.skipIf(!rootAvailable())("waitForLinkLocal on a real link (network namespace, root)", () => {
  let net: TestNetwork;
  beforeEach(async () => {
    net = await createTestNetwork({ startDnsmasq: false, containerLinkUp: false });
  });
  afterEach(() => net.destroy());

  it("waits while the link is down and resolves once it is up and DAD has finished", async () => {
    const started = Date.now();
    const waiting = waitForLinkLocal("eth0", AbortSignal.timeout(15_000), { netns: net.containerNs });
    let settled = false;
    void waiting.finally(() => (settled = true));
    // The link is down: nothing to resolve with yet.
    await net.waitFor(async () => (await net.exec("container", ["ip", "-o", "link", "show", "eth0"])).stdout.includes("state DOWN"));
    expect(settled).toBe(false);
    await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
    const address = await waiting;
    expect(address).toMatch(/^fe80::/);
    const kernel = await net.addresses("container", "eth0");
    expect(kernel).toContainEqual(expect.objectContaining({ local: address, scope: "link" }));
    expect(kernel.find((a) => a.local === address)?.tentative).toBeUndefined();
    // Event-driven: well inside the fallback poll plus the kernel's ~1 s DAD.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("resolves when the interface only appears after the wait started", async () => {
    await net.exec("container", ["ip", "link", "set", "eth0", "name", "later0"]);
    const waiting = waitForLinkLocal("eth0", AbortSignal.timeout(15_000), { netns: net.containerNsPath });
    await net.exec("container", ["ip", "link", "set", "later0", "name", "eth0"]);
    await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
    await expect(waiting).resolves.toMatch(/^fe80::/);
  });

  it("rejects with the abort reason and leaves no ip monitor behind", async () => {
    const controller = new AbortController();
    const waiting = waitForLinkLocal("eth0", controller.signal, { netns: net.containerNs });
    await net.waitFor(async () => (await pidsOfMonitor(net.containerNs)).length > 0);
    const reason = new Error("runner stopped");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await net.waitFor(async () => (await pidsOfMonitor(net.containerNs)).length === 0);
  });
});

describe.skipIf(!rootAvailable())("waitForLinkLocal with optimistic DAD (RFC 4429; network namespace, root)", () => {
  let net: TestNetwork;
  let netns: NetnsHandle;
  beforeEach(async () => {
    net = await createTestNetwork({ startDnsmasq: false, containerLinkUp: false });
    netns = openNetns(net.containerNsPath);
    // DAD of the link-local address then lasts at least 20 s: anything sooner is before it ended.
    const slow = await net.exec("container", ["sysctl", "-qw", "net.ipv6.neigh.eth0.retrans_time_ms=20000"]);
    if (slow.code !== 0) throw new Error(slow.stderr);
  });
  afterEach(async () => {
    netns.close();
    await net.destroy();
  });

  const linkLocal = async () => (await net.addresses("container", "eth0")).find((a) => a.family === "inet6" && a.scope === "link");

  for (const mode of ["ip", "handle"] as const) {
    it(`resolves with the optimistic address while DAD still runs, and a socket binds to it (${mode})`, async () => {
      setIpv6Sysctls("eth0", { optimistic_dad: 1, use_optimistic: 1 }, { netns });
      const options = mode === "ip" ? { netns: net.containerNs } : { netns };
      const waiting = waitForLinkLocal("eth0", AbortSignal.timeout(15_000), options);
      await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
      const address = await waiting;
      // What the kernel says right then: optimistic, so still tentative (DAD runs on).
      expect(await linkLocal()).toMatchObject({ local: address, optimistic: true, tentative: true });
      const socket = await openUdp6Socket({ iface: "eth0", localAddress: address, port: DHCPV6_CLIENT_PORT, netns });
      await socket.close();
      expect(await linkLocal()).toMatchObject({ local: address, tentative: true });
    });
  }

  it("without optimistic DAD waits out the tentative address, to which no socket can bind", async () => {
    let settled = false;
    const controller = new AbortController();
    const waiting = waitForLinkLocal("eth0", controller.signal, { netns });
    void waiting.catch(() => undefined).finally(() => (settled = true));
    await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
    const tentative = await net.waitFor(async () => {
      const address = await linkLocal();
      return address?.tentative === true ? address : undefined;
    });
    expect(tentative.optimistic).toBeUndefined();
    await expect(openUdp6Socket({ iface: "eth0", localAddress: tentative.local, port: DHCPV6_CLIENT_PORT, netns })).rejects.toMatchObject({ code: "EADDRNOTAVAIL" });
    expect(settled).toBe(false);
    controller.abort(new Error("done"));
    await expect(waiting).rejects.toThrow("done");
  });
});

/** Pids of the `ip -n NS -o monitor` processes watching namespace `ns`. */
function pidsOfMonitor(ns: string): Promise<string[]> {
  return new Promise((resolve) => {
    execFile("pgrep", ["-f", `^ip -n ${ns} -o monitor`], (_error, stdout) => resolve(stdout.split("\n").filter(Boolean)));
  });
}
