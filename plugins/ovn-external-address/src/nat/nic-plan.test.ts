import type { NicDevice } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { parseDynamicAddresses, type SwitchPortAddresses } from "./dynamic-addresses.js";
import { planNicNat } from "./nic-plan.js";

function nic(config: Record<string, string>, type = "ovn"): NicDevice {
  return { instance: "c1", device: "eth0", type, config: { network: "ovn0", ...config } };
}

function reader(addresses: SwitchPortAddresses | undefined) {
  const calls: string[] = [];
  return { calls, read: async (network: string) => (calls.push(network), addresses) };
}

describe("planNicNat", () => {
  it("asks nothing of a NIC that sets no external address, or is not ovn", async () => {
    const r = reader(undefined);
    expect(await planNicNat(nic({ "ipv4.address": "10.0.0.5" }), r.read)).toEqual({ rules: [], skipped: [] });
    expect(await planNicNat(nic({ "ipv4.address.external": "198.51.100.9" }, "bridged"), r.read)).toEqual({ rules: [], skipped: [] });
    expect(r.calls).toEqual([]);
  });

  it("uses the static address without reading the NB", async () => {
    const r = reader(undefined);
    const plan = await planNicNat(nic({ "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9" }), r.read);
    expect(plan.rules).toEqual([
      { owner: { instance: "c1", device: "eth0" }, network: "ovn0", family: "ipv4", logicalIp: "10.0.0.5", externalIp: "198.51.100.9" },
    ]);
    expect(r.calls).toEqual([]);
  });

  it("takes the address part of a static address in CIDR form, as Incus's nicAddressIP", async () => {
    const r = reader(undefined);
    const plan = await planNicNat(nic({ "ipv4.address": "10.0.0.5/24", "ipv4.address.external": "198.51.100.9" }), r.read);
    expect(plan.rules.map((x) => x.logicalIp)).toEqual(["10.0.0.5"]);
    expect(r.calls).toEqual([]);
  });

  it("reads the dynamic addresses once for both families and canonicalises them", async () => {
    const r = reader(parseDynamicAddresses("0A:00:00:00:00:05 10.0.0.50 FD00:0::50"));
    const plan = await planNicNat(nic({ "ipv4.address.external": "198.51.100.9", "ipv6.address.external": "2001:DB8::9" }), r.read);
    expect(plan.rules.map((x) => [x.family, x.logicalIp, x.externalIp])).toEqual([
      ["ipv4", "10.0.0.50", "198.51.100.9"],
      ["ipv6", "fd00::50", "2001:db8::9"],
    ]);
    expect(r.calls).toEqual(["ovn0"]);
  });

  it("says which family has no address: none assigned yet, or set to none", async () => {
    const plan = await planNicNat(
      nic({ "ipv4.address.external": "198.51.100.9", "ipv6.address": "none", "ipv6.address.external": "2001:db8::9" }),
      reader(undefined).read,
    );
    expect(plan.rules).toEqual([]);
    expect(plan.skipped).toEqual([
      { family: "ipv4", reason: 'NIC "c1/eth0" has no IPv4 address' },
      { family: "ipv6", reason: 'NIC "c1/eth0" has ipv6.address "none"' },
    ]);
  });
});

describe("parseDynamicAddresses", () => {
  it("reads MAC, IPv4 and IPv6 in any presence", () => {
    expect(parseDynamicAddresses("0a:00:00:00:00:05 10.0.0.5")).toEqual({ mac: "0a:00:00:00:00:05", ipv4: "10.0.0.5", ipv6: undefined });
    expect(parseDynamicAddresses("0a:00:00:00:00:05 fd00::5")).toEqual({ mac: "0a:00:00:00:00:05", ipv4: undefined, ipv6: "fd00::5" });
    expect(parseDynamicAddresses("")).toEqual({ mac: undefined, ipv4: undefined, ipv6: undefined });
  });
});
