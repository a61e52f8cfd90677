import { execFile } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { LinkError } from "./errors.js";
import { usableLinkLocalFromMonitorLine, waitForLinkLocal } from "./link-local.js";

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

/** Pids of the `ip -n NS -o monitor` processes watching namespace `ns`. */
function pidsOfMonitor(ns: string): Promise<string[]> {
  return new Promise((resolve) => {
    execFile("pgrep", ["-f", `^ip -n ${ns} -o monitor`], (_error, stdout) => resolve(stdout.split("\n").filter(Boolean)));
  });
}
