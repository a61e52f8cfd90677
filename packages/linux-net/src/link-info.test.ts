import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { readLinkInfo, type LinkInfo } from "./link-info.js";
import { nativeAddon } from "./native-addon.js";
import { openNetns } from "./netns.js";

// ip shows no carrier counters: the rest must match.
function withoutCounts(link: LinkInfo): Omit<LinkInfo, "carrierUpCount" | "carrierDownCount"> {
  const { carrierUpCount: _up, carrierDownCount: _down, ...rest } = link;
  return rest;
}

describe.runIf(process.platform === "linux")("readLinkInfo in-process (native addon)", () => {
  it("reads what ip reads", async () => {
    expect(typeof nativeAddon().addon?.linkInfo).toBe("function");
    // ipCommand makes it run `ip`; without options it reads with rtnetlink.
    const native = await readLinkInfo("lo");
    expect(withoutCounts(native)).toEqual(await readLinkInfo("lo", { ipCommand: "ip" }));
    expect(native).toMatchObject({ carrierUpCount: expect.any(Number), carrierDownCount: expect.any(Number) });
  });

  it("fails with ENODEV for a missing interface", async () => {
    await expect(readLinkInfo("nosuch0")).rejects.toMatchObject({ code: "ENODEV", message: 'Failed to read link "nosuch0": Device "nosuch0" does not exist' });
  });
});

const linkScript = fileURLToPath(new URL("./fixtures/link-info.ts", import.meta.url));

describe.skipIf(!rootAvailable())("readLinkInfo on a real link (network namespace, root)", () => {
  let net: TestNetwork;
  beforeEach(async () => {
    net = await createTestNetwork({ startDnsmasq: false, containerLinkUp: false });
  });
  afterEach(() => net.destroy());

  it("reads index, MAC, MTU and up/carrier state", async () => {
    const down = await readLinkInfo("eth0", { netns: net.containerNs });
    expect(down).toMatchObject({ name: "eth0", mtu: 1500, up: false, carrier: false });
    expect(down.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(down.index).toBeGreaterThan(1);
    await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
    expect(await readLinkInfo("eth0", { netns: net.containerNs })).toMatchObject({ up: true, carrier: true, mac: down.mac });
  });

  it("counts the carrier's losses and returns in-process (IFLA_CARRIER_DOWN_COUNT, IFLA_CARRIER_UP_COUNT), as they happen; ip shows none", async () => {
    await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
    const handle = openNetns(net.containerNsPath);
    try {
      const before = await readLinkInfo("eth0", { netns: handle });
      expect(before).toMatchObject({ carrier: true, carrierUpCount: expect.any(Number), carrierDownCount: expect.any(Number) });
      // Counted when the carrier changes, before any link notice: read at once, both are there.
      await net.exec("server", ["ip", "-batch", "-"], { input: "link set veth-srv down\nlink set veth-srv up\n" });
      const after = await readLinkInfo("eth0", { netns: handle });
      expect(after).toMatchObject({ carrier: true, carrierUpCount: before.carrierUpCount! + 1, carrierDownCount: before.carrierDownCount! + 1 });
      const shown = await readLinkInfo("eth0", { netns: net.containerNs });
      expect(shown.carrierDownCount).toBeUndefined();
    } finally {
      handle.close();
    }
  });

  it("fails with ENODEV for a missing interface", async () => {
    await expect(readLinkInfo("nosuch0", { netns: net.containerNs })).rejects.toMatchObject({ code: "ENODEV" });
  });

  it("reads the same in-process as with ip, down and up (inside the namespace)", async () => {
    const read = async () => {
      const both = JSON.parse((await net.runNode("container", linkScript, ["eth0"])).stdout) as { native: LinkInfo; ip: LinkInfo };
      return { native: withoutCounts(both.native), ip: both.ip };
    };
    const down = await read();
    expect(down.native).toEqual(down.ip);
    expect(down.native).toMatchObject({ up: false, carrier: false });
    await net.exec("container", ["ip", "link", "set", "eth0", "up"]);
    const up = await read();
    expect(up.native).toEqual(up.ip);
    expect(up.native).toMatchObject({ up: true, carrier: true });
  });
});

const concurrentScript = fileURLToPath(new URL("./fixtures/concurrent-link-info.ts", import.meta.url));

describe.skipIf(!rootAvailable())("the addon's rtnetlink reads from several worker threads at once (network namespace, root)", () => {
  let net: TestNetwork;
  beforeEach(async () => {
    net = await createTestNetwork({ startDnsmasq: false, v6: false });
  });
  afterEach(() => net.destroy());

  it("gives every thread its own link: no shared reply buffer", async () => {
    const names = ["ncc-a0", "ncc-a1", "ncc-b0", "ncc-b1"];
    for (const [a, b] of [["ncc-a0", "ncc-a1"], ["ncc-b0", "ncc-b1"]] as const) {
      const add = await net.exec("container", ["ip", "link", "add", a!, "type", "veth", "peer", "name", b!]);
      expect(add.code, add.stderr).toBe(0);
    }
    for (const [i, name] of names.entries()) await net.exec("container", ["ip", "link", "set", name, "mtu", String(1280 + i)]);
    const run = await net.runNode("container", concurrentScript, ["4000", ...names], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(names.map((name, i) => ({ name, mtu: 1280 + i, wrong: 0, failed: 0 })));
  });
});
