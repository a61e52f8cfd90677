import { Dhcpv6MessageType as T, decodeDhcpv6, type Dhcpv6ClientServerMessage, type Dhcpv6Option } from "@incusx/dhcp-wire";
import { describe, expect, it } from "vitest";
import { MAX_IA_ADDRESSES, MIN_RENEWAL_TIME, MIN_VALID_LIFETIME, bindingFromReply, dnsOf, findIaNa, informationRefreshTime, renewalTimes } from "./lease.js";

const a = (preferredLifetime: number, validLifetime: number, address = "2001:db8::1") => ({ address, preferredLifetime, validLifetime });
const msg = (options: Dhcpv6Option[]): Dhcpv6ClientServerMessage => ({ messageType: T.REPLY, transactionId: 1, options });
const iaaddr = (address: string, preferredLifetime: number, validLifetime: number): Dhcpv6Option => ({
  code: 5,
  address,
  preferredLifetime,
  validLifetime,
  options: [],
});

describe("renewalTimes (RFC 8415 sections 14.2 and 21.4)", () => {
  it("uses the server's T1 and T2", () => {
    expect(renewalTimes(100, 200, [a(1000, 2000)])).toEqual({ t1: 100, t2: 200 });
  });
  it("defaults 0 to 0.5 and 0.8 of the shortest preferred lifetime", () => {
    expect(renewalTimes(0, 0, [a(1000, 2000), a(500, 600, "2001:db8::2")])).toEqual({ t1: 250, t2: 400 });
    expect(renewalTimes(0, 300, [a(1000, 2000)])).toEqual({ t1: 300, t2: 300 });
  });
  it("treats 0xffffffff as never", () => {
    expect(renewalTimes(0xffffffff, 0xffffffff, [a(100, 200)])).toEqual({ t1: Infinity, t2: Infinity });
    expect(renewalTimes(0, 0, [a(0xffffffff, 0xffffffff)])).toEqual({ t1: Infinity, t2: Infinity });
  });
});

describe("renewalTimes from a hostile server", () => {
  it("schedules by at least 60 s of lifetime when T1 and T2 are left to the client", () => {
    expect(MIN_VALID_LIFETIME).toBe(60);
    expect(renewalTimes(0, 0, [a(0, 60)])).toEqual({ t1: 30, t2: 48 });
    expect(renewalTimes(0, 0, [a(1, 60)])).toEqual({ t1: 30, t2: 48 });
  });
  it("raises a T1 or T2 under 10 s to 10 s", () => {
    expect(MIN_RENEWAL_TIME).toBe(10);
    expect(renewalTimes(1, 2, [a(1000, 2000)])).toEqual({ t1: 10, t2: 10 });
    expect(renewalTimes(1, 0, [a(0, 60)])).toEqual({ t1: 10, t2: 48 });
    expect(renewalTimes(9, 19, [a(1000, 2000)])).toEqual({ t1: 10, t2: 19 });
    expect(renewalTimes(10, 20, [a(1000, 2000)])).toEqual({ t1: 10, t2: 20 });
  });
});

describe("findIaNa", () => {
  it(`keeps the first ${16} addresses of an IA_NA and ignores the rest`, () => {
    expect(MAX_IA_ADDRESSES).toBe(16);
    // About what one datagram holds: each address is link work on every renewal.
    const many = Array.from({ length: 2000 }, (_, i) => iaaddr(`2001:db8::${(i + 1).toString(16)}`, 3600, 7200));
    const grant = findIaNa(msg([{ code: 3, iaid: 9, t1: 0, t2: 0, options: many }]), 9)!;
    expect(grant.addresses).toHaveLength(MAX_IA_ADDRESSES);
    expect(grant.addresses.at(-1)!.address).toBe("2001:db8::10");
  });

  it("holds an address with a valid lifetime under 60 s for 60 s", () => {
    const reply = msg([{ code: 3, iaid: 9, t1: 0, t2: 0, options: [iaaddr("2001:db8::1", 0, 1), iaaddr("2001:db8::2", 5, 30)] }]);
    expect(findIaNa(reply, 9)?.addresses).toEqual([a(0, 60), a(5, 60, "2001:db8::2")]);
  });

  it("keeps usable addresses, notes withdrawn ones and drops preferred > valid", () => {
    const reply = msg([{ code: 3, iaid: 9, t1: 10, t2: 20, options: [iaaddr("2001:db8::1", 10, 20), iaaddr("2001:db8::2", 0, 0), iaaddr("2001:db8::3", 30, 20)] }]);
    expect(findIaNa(reply, 9)).toEqual({ t1: 10, t2: 20, addresses: [a(10, 60)], withdrawn: ["2001:db8::2"] });
  });
  it("ignores other IAIDs and an IA with T1 > T2", () => {
    expect(findIaNa(msg([{ code: 3, iaid: 8, t1: 0, t2: 0, options: [] }]), 9)).toBeUndefined();
    expect(findIaNa(msg([{ code: 3, iaid: 9, t1: 30, t2: 20, options: [iaaddr("2001:db8::1", 10, 20)] }]), 9)).toBeUndefined();
  });
  it("reports the IA's status code", () => {
    const reply = msg([{ code: 3, iaid: 9, t1: 0, t2: 0, options: [{ code: 13, statusCode: 3, message: "no binding" }] }]);
    expect(findIaNa(reply, 9)?.status).toEqual({ code: 3, message: "no binding" });
  });
});

describe("informationRefreshTime (RFC 8415 section 21.23)", () => {
  it("is 86400 s when absent, at least 600 s, and infinite for 0xffffffff", () => {
    expect(informationRefreshTime(msg([]))).toBe(86_400);
    expect(informationRefreshTime(msg([{ code: 32, seconds: 10 }]))).toBe(600);
    expect(informationRefreshTime(msg([{ code: 32, seconds: 7200 }]))).toBe(7200);
    expect(informationRefreshTime(msg([{ code: 32, seconds: 0xffffffff }]))).toBe(Infinity);
  });
});

describe("dnsOf", () => {
  it("takes servers from option 23 and the search list from option 24 without trailing dots", () => {
    expect(dnsOf(msg([{ code: 23, servers: ["2001:db8::53"] }, { code: 24, domains: ["example.org.", "."] }]))).toEqual({
      servers: ["2001:db8::53"],
      search: ["example.org"],
    });
    expect(dnsOf(msg([]))).toEqual({ servers: [], search: [] });
  });

  it("reads OVN's one-label dotted search domain (0b \"ovn.example\" 00 on the wire) as the name OVN means", () => {
    // A Reply as OVN 23.03 writes option 24 from Incus's dns.search: one 11-octet label, then the root.
    const wire = Uint8Array.from([
      7, 0, 0, 1, // Reply, transaction 1
      0, 24, 0, 13, 11, ...Buffer.from("ovn.example"), 0,
    ]);
    const reply = decodeDhcpv6(wire) as Dhcpv6ClientServerMessage;
    expect(dnsOf(reply).search).toEqual(["ovn.example"]);
  });
});

describe("bindingFromReply", () => {
  const serverId = { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0, 0, 0, 0, 0xa) } as const;
  it(`carries addresses left out of a Reply over, but keeps at most ${16} with the granted ones first`, () => {
    const held = Array.from({ length: MAX_IA_ADDRESSES }, (_, i) => a(3600, 7200, `2001:db8::${(i + 1).toString(16)}`));
    const previous = bindingFromReply(msg([]), { serverId, grant: { t1: 0, t2: 0, addresses: held, withdrawn: [] }, now: 0 });
    const grant = { t1: 0, t2: 0, addresses: [a(3600, 7200, "2001:db8::100")], withdrawn: [] };
    const binding = bindingFromReply(msg([]), { serverId, grant, now: 10_000, previous });
    expect(binding.addresses.map((x) => x.address)).toEqual(["2001:db8::100", ...held.slice(0, MAX_IA_ADDRESSES - 1).map((x) => x.address)]);
    expect(binding.addresses[1]).toEqual(a(3590, 7190));
  });
});
