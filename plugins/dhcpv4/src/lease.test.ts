import type { Dhcpv4Message, Dhcpv4Option } from "@incusx/dhcp-wire";
import { describe, expect, it } from "vitest";
import { INFINITE_LIFETIME } from "@incusx/sdk";
import { INFINITE_LEASE, MAX_CLASSLESS_ROUTES, MIN_LEASE_TIME, MIN_RENEWAL_TIME, bindingFromAck, fuzzedRenewalTimes, prefixLengthOf, renewalTimes, routesOf } from "./lease.js";

const withOptions = (options: Dhcpv4Option[]): Pick<Dhcpv4Message, "options"> => ({ options });
const ackOf = (options: Dhcpv4Option[], yiaddr = "192.0.2.100") => ({ yiaddr, options }) as unknown as Dhcpv4Message;

describe("routes", () => {
  it("use classless static routes (121) and ignore option 3 then; router 0.0.0.0 is on-link", () => {
    const routes = routesOf(
      withOptions([
        { code: 3, value: ["192.0.2.1"] },
        {
          code: 121,
          value: [
            { destination: "198.51.100.0", prefixLength: 24, router: "192.0.2.254" },
            { destination: "192.0.2.0", prefixLength: 24, router: "0.0.0.0" },
            { destination: "0.0.0.0", prefixLength: 0, router: "192.0.2.2" },
          ],
        },
      ]),
    );
    expect(routes).toEqual([
      { destination: "198.51.100.0/24", gateway: "192.0.2.254" },
      { destination: "192.0.2.0/24" },
      { destination: "0.0.0.0/0", gateway: "192.0.2.2" },
    ]);
  });

  it("mask destination bits past the prefix length", () => {
    expect(routesOf(withOptions([{ code: 121, value: [{ destination: "10.255.0.0", prefixLength: 9, router: "192.0.2.1" }] }]))).toEqual([
      { destination: "10.128.0.0/9", gateway: "192.0.2.1" },
    ]);
  });

  it("fall back to a default route through the first router of option 3", () => {
    expect(routesOf(withOptions([{ code: 3, value: ["192.0.2.1", "192.0.2.2"] }]))).toEqual([{ destination: "0.0.0.0/0", gateway: "192.0.2.1" }]);
    expect(routesOf(withOptions([]))).toEqual([]);
  });
});

describe("T1 and T2", () => {
  it("default to 0.5 and 0.875 of the lease time", () => {
    expect(renewalTimes(3600)).toEqual({ t1: 1800, t2: 3150 });
  });

  it("come from options 58 and 59 when consistent, else from the defaults", () => {
    expect(renewalTimes(3600, 600, 1000)).toEqual({ t1: 600, t2: 1000 });
    expect(renewalTimes(3600, 2000, 1000)).toEqual({ t1: 1800, t2: 3150 });
    expect(renewalTimes(3600, undefined, 4000)).toEqual({ t1: 1800, t2: 3150 });
    expect(renewalTimes(3600, 3500)).toEqual({ t1: 1800, t2: 3150 });
    expect(renewalTimes(INFINITE_LIFETIME, 10, 20)).toEqual({ t1: Infinity, t2: Infinity });
    expect(INFINITE_LEASE).toBe(INFINITE_LIFETIME);
  });
});

describe("T1 and T2 from a hostile server (RFC 2131 section 4.4.5, as systemd-networkd repairs them)", () => {
  it("replace a T1 or T2 of 0 by the defaults", () => {
    expect(renewalTimes(3600, 0, 0)).toEqual({ t1: 1800, t2: 3150 });
    expect(renewalTimes(3600, 0, 3000)).toEqual({ t1: 1800, t2: 3000 });
    expect(renewalTimes(3600, 600, 0)).toEqual({ t1: 600, t2: 3150 });
  });

  it("replace T1 at or past T2 and T2 at or past the lease by the defaults", () => {
    expect(renewalTimes(3600, 3000, 2000)).toEqual({ t1: 1800, t2: 2000 });
    expect(renewalTimes(3600, 2000, 2000)).toEqual({ t1: 1800, t2: 2000 });
    expect(renewalTimes(3600, 600, 3600)).toEqual({ t1: 600, t2: 3150 });
    expect(renewalTimes(3600, 5000, 9000)).toEqual({ t1: 1800, t2: 3150 });
    // T2 before the default T1: the default T1 would pass it, so both are the defaults.
    expect(renewalTimes(3600, 0, 1000)).toEqual({ t1: 1800, t2: 3150 });
  });

  it("schedule a lease shorter than 60 s as 60 s and never renew sooner than 10 s after binding", () => {
    // dnsmasq counts T1 and T2 down on a renewal: 10 s and 20 s configured come as 9 and 19.
    expect(renewalTimes(120, 9, 19)).toEqual({ t1: 10, t2: 19 });
    expect(renewalTimes(3600, 1, 3000)).toEqual({ t1: 10, t2: 3000 });
    expect(MIN_LEASE_TIME).toBe(60);
    expect(MIN_RENEWAL_TIME).toBe(10);
    expect(renewalTimes(1, 0, 0)).toEqual({ t1: 30, t2: 52.5 });
    expect(renewalTimes(2, 1, 1)).toEqual({ t1: 30, t2: 52.5 });
    expect(renewalTimes(3600, 1, 2)).toEqual({ t1: 1800, t2: 3150 });
    expect(renewalTimes(3600, 10, 20)).toEqual({ t1: 10, t2: 20 });
  });

  it("hold a tiny lease for 60 s", () => {
    const ack = ackOf([
      { code: 54, value: "192.0.2.1" },
      { code: 51, value: 2 },
      { code: 58, value: 0 },
      { code: 59, value: 0 },
    ]);
    expect(bindingFromAck(ack, { obtainedAt: 0, applyMtu: true })).toMatchObject({ leaseTime: 60, t1: 30, t2: 52.5 });
  });
});

describe("classless static routes from a hostile server", () => {
  const many = (count: number) =>
    Array.from({ length: count }, (_, i) => ({ destination: `198.51.${i >> 8}.${i & 0xff}`, prefixLength: 32, router: "192.0.2.1" }));

  it(`keep the first ${64} and drop the rest with one warning naming how many`, () => {
    expect(MAX_CLASSLESS_ROUTES).toBe(64);
    const warnings: string[] = [];
    const log = { warn: (message: string) => void warnings.push(message) };
    const routes = routesOf(withOptions([{ code: 121, value: many(1000) }]), log);
    expect(routes).toHaveLength(64);
    expect(routes[63]).toEqual({ destination: "198.51.0.63/32", gateway: "192.0.2.1" });
    expect(warnings).toEqual(["Ignoring 936 of the 1000 classless static routes (option 121): at most 64 are applied"]);
  });

  it("keep 64 routes without a warning", () => {
    const warnings: string[] = [];
    expect(routesOf(withOptions([{ code: 121, value: many(64) }]), { warn: (m: string) => void warnings.push(m) })).toHaveLength(64);
    expect(warnings).toEqual([]);
  });

  it("are capped in the binding of an ACK too", () => {
    const ack = ackOf([
      { code: 54, value: "192.0.2.1" },
      { code: 51, value: 600 },
      { code: 121, value: many(300) },
    ]);
    const binding = bindingFromAck(ack, { obtainedAt: 0, applyMtu: true });
    expect("routes" in binding && binding.routes).toHaveLength(64);
  });
});

describe("the lease an ACK grants", () => {
  it("takes the prefix length from the subnet mask, or the address class without one", () => {
    expect(prefixLengthOf("255.255.255.0")).toBe(24);
    expect(prefixLengthOf("255.255.240.0")).toBe(20);
    expect(prefixLengthOf("255.255.255.255")).toBe(32);
    expect(prefixLengthOf("0.0.0.0")).toBe(0);
    expect(prefixLengthOf("255.0.255.0")).toBeUndefined();
    const base: Dhcpv4Option[] = [
      { code: 54, value: "10.0.0.1" },
      { code: 51, value: 60 },
    ];
    const context = { obtainedAt: 5, applyMtu: true };
    expect(bindingFromAck(ackOf(base, "10.1.2.3"), context)).toMatchObject({ prefixLength: 8 });
    expect(bindingFromAck(ackOf(base, "172.16.0.5"), context)).toMatchObject({ prefixLength: 16 });
    expect(bindingFromAck(ackOf([...base, { code: 1, value: "255.255.255.128" }], "192.0.2.5"), context)).toMatchObject({ prefixLength: 25 });
  });

  it("refuses an ACK without address, server identifier or lease time", () => {
    const context = { obtainedAt: 0, applyMtu: true };
    expect(bindingFromAck(ackOf([{ code: 54, value: "192.0.2.1" }, { code: 51, value: 60 }], "0.0.0.0"), context)).toEqual({ invalid: "it grants no address (yiaddr 0.0.0.0)" });
    expect(bindingFromAck(ackOf([{ code: 51, value: 60 }]), context)).toEqual({ invalid: "it has no server identifier (option 54)" });
    expect(bindingFromAck(ackOf([{ code: 54, value: "192.0.2.1" }]), context)).toEqual({ invalid: "it has no lease time (option 51)" });
  });

  it("keeps an MTU of at least 68 and drops a smaller one", () => {
    const base: Dhcpv4Option[] = [
      { code: 54, value: "192.0.2.1" },
      { code: 51, value: 60 },
    ];
    expect(bindingFromAck(ackOf([...base, { code: 26, value: 1280 }]), { obtainedAt: 0, applyMtu: true })).toMatchObject({ mtu: 1280 });
    expect(bindingFromAck(ackOf([...base, { code: 26, value: 67 }]), { obtainedAt: 0, applyMtu: true })).not.toHaveProperty("mtu");
  });
});

describe("fuzzedRenewalTimes", () => {
  it("moves T1 and T2 by at most 5 % either way, one draw each", () => {
    expect(fuzzedRenewalTimes({ leaseTime: 3600, t1: 1800, t2: 3150 }, () => 0.5)).toEqual({ t1: 1800, t2: 3150 });
    expect(fuzzedRenewalTimes({ leaseTime: 3600, t1: 1800, t2: 3150 }, () => 0)).toEqual({ t1: 1710, t2: 2992.5 });
    const draws = [1, 0];
    expect(fuzzedRenewalTimes({ leaseTime: 3600, t1: 1800, t2: 3150 }, () => draws.shift()!)).toEqual({ t1: 1710, t2: 3307.5 });
  });

  it("keeps a time unfuzzed where fuzz would put it out of order, and leaves infinite leases alone", () => {
    // T2 fuzzed up would pass the lease's end; T1 fuzzed up would pass T2.
    expect(fuzzedRenewalTimes({ leaseTime: 102, t1: 100, t2: 101 }, () => 0.999)).toEqual({ t1: 100, t2: 101 });
    // T2 fuzzed down would fall before T1.
    expect(fuzzedRenewalTimes({ leaseTime: 3600, t1: 1000, t2: 1010 }, () => 0)).toEqual({ t1: 950, t2: 1010 });
    // T1 at the 10 s floor is never fuzzed below it.
    expect(fuzzedRenewalTimes({ leaseTime: 3600, t1: MIN_RENEWAL_TIME, t2: 100 }, () => 0).t1).toBe(MIN_RENEWAL_TIME);
    expect(fuzzedRenewalTimes({ leaseTime: INFINITE_LIFETIME, t1: Infinity, t2: Infinity }, () => 0)).toEqual({ t1: Infinity, t2: Infinity });
  });
});
