import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { watchCarrier } from "./carrier.js";

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
