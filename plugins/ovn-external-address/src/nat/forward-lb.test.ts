import type { NatRule } from "@incusx/sdk";
import { ovsMap, ovsSet, uuid } from "@incusx/ovsdb";
import { describe, expect, it } from "vitest";
import { forwardLbError, forwardVipsOf, parseVipKey, screenForwardLbs, snatPortRange, type LoadBalancerTables } from "./forward-lb.js";

const TCP = "aaaaaaaa-0000-0000-0000-000000000001";
const UDP = "aaaaaaaa-0000-0000-0000-000000000002";
const PORTS = "aaaaaaaa-0000-0000-0000-000000000003";
const V6 = "aaaaaaaa-0000-0000-0000-000000000004";
const GROUP = "bbbbbbbb-0000-0000-0000-000000000001";

function lb(id: string, name: string, vips: Record<string, string>): Record<string, unknown> {
  return { _uuid: uuid(id), name, vips: ovsMap(vips) };
}

function rule(externalIp: string, family: "ipv4" | "ipv6" = "ipv4"): NatRule {
  return { owner: { instance: "c1", device: "eth0" }, network: "ovn0", family, logicalIp: family === "ipv4" ? "10.0.0.5" : "fd00::5", externalIp };
}

const tables: LoadBalancerTables = {
  routers: [
    { name: "lr0", load_balancer: ovsSet([uuid(TCP), uuid(UDP), uuid(PORTS)]), load_balancer_group: ovsSet([]) },
    { name: "lr1", load_balancer: ovsSet([]), load_balancer_group: uuid(GROUP) },
    { name: "lr2", load_balancer: ovsSet([]), load_balancer_group: ovsSet([]) },
  ],
  loadBalancers: [
    // A forward's default target as Incus wrote it before lxc/incus#3596: one portless VIP per protocol.
    lb(TCP, "incus-net1-lb-198.51.100.9-tcp", { "198.51.100.9": "10.0.0.5" }),
    lb(UDP, "incus-net1-lb-198.51.100.9-udp", { "198.51.100.9": "10.0.0.5" }),
    // Port maps: VIPs with ports.
    lb(PORTS, "incus-net1-lb-198.51.100.10-tcp", { "198.51.100.10:443": "10.0.0.6:443", "[2001:db8::10]:443": "[fd00::6]:443" }),
    lb(V6, "incus-net2-lb-2001:db8::9-tcp", { "[2001:DB8:0::9]": "fd00::5" }),
  ],
  groups: [{ _uuid: uuid(GROUP), load_balancer: uuid(V6) }],
};

describe("parseVipKey", () => {
  it("tells VIPs with a port from VIPs without, in every spelling OVN takes", () => {
    expect(parseVipKey("198.51.100.9")).toEqual({ address: "198.51.100.9", port: undefined });
    expect(parseVipKey("198.51.100.9:443")).toEqual({ address: "198.51.100.9", port: 443 });
    expect(parseVipKey("[2001:DB8::9]")).toEqual({ address: "2001:db8::9", port: undefined });
    expect(parseVipKey("[2001:db8::9]:53")).toEqual({ address: "2001:db8::9", port: 53 });
    expect(parseVipKey("2001:db8::9")).toEqual({ address: "2001:db8::9", port: undefined });
  });

  it("returns undefined for a key that is no address", () => {
    expect(parseVipKey("not-an-ip")).toBeUndefined();
    expect(parseVipKey("[2001:db8::9")).toBeUndefined();
    expect(parseVipKey("198.51.100.9:http")).toBeUndefined();
    expect(parseVipKey("198.51.100.9:70000")).toBeUndefined();
    expect(parseVipKey("[2001:db8::9]x443")).toBeUndefined();
    expect(parseVipKey("")).toBeUndefined();
  });
});

describe("forwardVipsOf", () => {
  const vips = forwardVipsOf(tables);

  it("collects the portless VIPs of a router's load balancers, both protocols, by canonical address", () => {
    expect(vips.portless.get("lr0")?.get("198.51.100.9")?.map((v) => v.loadBalancer)).toEqual([
      "incus-net1-lb-198.51.100.9-tcp",
      "incus-net1-lb-198.51.100.9-udp",
    ]);
  });

  it("keeps VIPs with a port apart, as ports: northd skips un-SNAT only for that port", () => {
    expect(vips.portless.get("lr0")?.has("198.51.100.10")).toBe(false);
    expect(vips.ports.get("lr0")?.get("198.51.100.10")).toEqual(new Set([443]));
    expect(vips.ports.get("lr0")?.get("2001:db8::10")).toEqual(new Set([443]));
  });

  it("follows load balancer groups and compares IPv6 as addresses", () => {
    expect(vips.portless.get("lr1")?.get("2001:db8::9")?.map((v) => v.vip)).toEqual(["[2001:DB8:0::9]"]);
  });

  it("has nothing for a router without load balancers", () => {
    expect(vips.portless.has("lr2")).toBe(false);
    expect(vips.ports.has("lr2")).toBe(false);
  });
});

describe("screenForwardLbs", () => {
  const vips = forwardVipsOf(tables);

  it("refuses a rule whose external address is a portless VIP on its own router", () => {
    const { allowed, blocked } = screenForwardLbs([{ rule: rule("198.51.100.9"), router: "lr0" }], vips);
    expect(allowed).toEqual([]);
    expect(blocked.map((b) => b.vips.length)).toEqual([2]);
  });

  it("allows the same address on another router and an unrelated address as they are", () => {
    const placed = [
      { rule: rule("198.51.100.9"), router: "lr2" },
      { rule: rule("198.51.100.11"), router: "lr0" },
    ];
    expect(screenForwardLbs(placed, vips)).toEqual({ allowed: placed, blocked: [] });
  });

  it("gives a port-mapped forward's address a port range without the VIP ports", () => {
    const { allowed } = screenForwardLbs([{ rule: rule("198.51.100.10"), router: "lr0" }], vips);
    expect(allowed).toEqual([{ rule: rule("198.51.100.10"), router: "lr0", portRange: "444-65535" }]);
  });

  it("refuses an IPv6 rule on a group's portless VIP", () => {
    expect(screenForwardLbs([{ rule: rule("2001:db8::9", "ipv6"), router: "lr1" }], vips).blocked).toHaveLength(1);
  });

  it("names the NIC, the address, the router and the load balancers in the error", () => {
    const [block] = screenForwardLbs([{ rule: rule("198.51.100.9"), router: "lr0" }], vips).blocked;
    const error = forwardLbError(block!);
    expect(error.reason).toBe("forward-lb-conflict");
    expect(error.code).toBe("NAT_CONFLICT");
    expect(error.message).toContain('External address "198.51.100.9" of NIC "c1/eth0"');
    expect(error.message).toContain('router "lr0"');
    expect(error.message).toContain(`"incus-net1-lb-198.51.100.9-udp" (_uuid ${UDP})`);
  });
});

describe("snatPortRange", () => {
  it("needs no range without VIP ports", () => {
    expect(snatPortRange([])).toBeUndefined();
  });

  it("takes the widest range holding none of the ports, ties to the higher one", () => {
    expect(snatPortRange([443])).toBe("444-65535");
    expect(snatPortRange([53, 123, 5353])).toBe("5354-65535");
    expect(snatPortRange([40000])).toBe("1-39999");
    expect(snatPortRange([32768])).toBe("32769-65535");
    expect(snatPortRange([1, 65535])).toBe("2-65534");
    expect(snatPortRange([443, 443, 70000, 0])).toBe("444-65535");
  });
});
