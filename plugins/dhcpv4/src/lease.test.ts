import type { Dhcpv4Message, Dhcpv4Option } from "@incusx/dhcp-wire";
import { describe, expect, it } from "vitest";
import { INFINITE_LEASE, bindingFromAck, prefixLengthOf, renewalTimes, routesOf } from "./lease.js";

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
    expect(renewalTimes(3600, 2000, 1000)).toEqual({ t1: 1000, t2: 1000 });
    expect(renewalTimes(3600, undefined, 4000)).toEqual({ t1: 1800, t2: 3150 });
    expect(renewalTimes(3600, 3500)).toEqual({ t1: 1800, t2: 3150 });
    expect(renewalTimes(INFINITE_LEASE, 10, 20)).toEqual({ t1: Infinity, t2: Infinity });
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
