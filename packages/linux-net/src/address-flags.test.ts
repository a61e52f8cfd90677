import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { watchAddressFlags } from "./address-flags.js";
import type { AddressFlags } from "./ip-json.js";

describe.skipIf(!rootAvailable())("watchAddressFlags on a real link (network namespace, root)", () => {
  let net: TestNetwork;
  let watch: { close(): void } | undefined;
  beforeEach(async () => {
    net = await createTestNetwork({ startDnsmasq: false });
  });
  afterEach(async () => {
    watch?.close();
    await net.destroy();
  });

  it("reports dadfailed on an address another host on the link already has", async () => {
    // The server side holds 2001:db8:1::77 (no DAD there); the container adds
    // it with DAD on, as a DHCPv6 client would, and the kernel's DAD fails.
    await net.exec("server", ["ip", "addr", "add", "2001:db8:1::77/64", "dev", "veth-srv", "nodad"]);
    await net.exec("container", ["sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=1"]);
    const reports: AddressFlags[][] = [];
    watch = watchAddressFlags("eth0", (addresses) => reports.push(addresses), { netns: net.containerNs });
    await net.exec("container", ["ip", "addr", "add", "2001:db8:1::77/128", "dev", "eth0"]);
    const failed = await net.waitFor(
      () => reports.at(-1)?.find((a) => a.address === "2001:db8:1::77" && a.flags.includes("dadfailed")),
      { timeoutMs: 10_000, message: "DAD failure not reported" },
    );
    expect(failed).toEqual({ address: "2001:db8:1::77", prefixLength: 128, flags: ["dadfailed", "tentative"] });
  });

  it("reports an address that finishes DAD without tentative, and only on change", async () => {
    const reports: AddressFlags[][] = [];
    watch = watchAddressFlags("eth0", (addresses) => reports.push(addresses), { netns: net.containerNs });
    await net.exec("container", ["ip", "addr", "add", "2001:db8:1::88/128", "dev", "eth0"]);
    await net.waitFor(() => reports.at(-1)?.find((a) => a.address === "2001:db8:1::88" && !a.flags.includes("tentative")), {
      message: "address never left tentative",
    });
    const seen = reports.map((r) => JSON.stringify(r));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("reports an empty list for a missing interface and stops calling after close", async () => {
    const reports: AddressFlags[][] = [];
    watch = watchAddressFlags("nosuch0", (addresses) => reports.push(addresses), { netns: net.containerNs });
    await net.waitFor(() => reports.length > 0);
    expect(reports[0]).toEqual([]);
    watch.close();
    const count = reports.length;
    await net.exec("container", ["ip", "link", "add", "nosuch0", "type", "veth", "peer", "name", "nosuch1"]);
    await net.exec("container", ["ip", "addr", "add", "2001:db8:1::99/128", "dev", "nosuch0"]);
    await net.waitFor(async () => (await net.addresses("container", "nosuch0")).length > 0);
    expect(reports.length).toBe(count);
  });
});
