import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "../../testkit/src/netns/index.js";
import { readLinkInfo } from "./link-info.js";

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

  it("fails with ENODEV for a missing interface", async () => {
    await expect(readLinkInfo("nosuch0", { netns: net.containerNs })).rejects.toMatchObject({ code: "ENODEV" });
  });
});
