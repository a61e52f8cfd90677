import { encodeDuid } from "@incusx/dhcp-wire";
import { describe, expect, it } from "vitest";
import { MAX_IA_ADDRESSES, duidHex, type Binding } from "./lease.js";
import { bindingFromSaved, savedBindingOf } from "./saved-binding.js";
import { IAID, SERVER_A } from "./fake-server.test-support.js";

const NOW = 1_767_225_600_000;
const binding: Binding = {
  serverId: SERVER_A,
  server: duidHex(SERVER_A),
  unicast: "2001:db8:1::1",
  obtainedAt: NOW - 1_000_000,
  addresses: [{ address: "2001:db8:1::100", preferredLifetime: 3600, validLifetime: 7200 }],
  t1: 1800,
  t2: 2880,
  dns: { servers: ["2001:db8:1::53"], search: ["example.org"] },
};
const stored = () => JSON.parse(JSON.stringify(savedBindingOf(binding, IAID))) as Record<string, unknown>;
const read = (value: unknown) => bindingFromSaved(value, { iaid: IAID, now: NOW });

describe("savedBindingOf and bindingFromSaved", () => {
  it("round-trip a binding through JSON", () => {
    expect(read(stored())).toEqual({ kind: "binding", binding });
  });

  it("round-trip infinite lifetimes and T1/T2", () => {
    const forever: Binding = { ...binding, t1: Infinity, t2: Infinity, addresses: [{ address: "2001:db8:1::100", preferredLifetime: 0xffffffff, validLifetime: 0xffffffff }] };
    expect(read(JSON.parse(JSON.stringify(savedBindingOf(forever, IAID))))).toEqual({ kind: "binding", binding: forever });
  });

  it("say expired once every valid lifetime is over", () => {
    expect(bindingFromSaved(stored(), { iaid: IAID, now: NOW - 1_000_000 + 7_200_000 })).toEqual({ kind: "expired" });
  });
});

describe("bindingFromSaved on hostile or broken saved data", () => {
  const cases: [string, (s: Record<string, unknown>) => unknown][] = [
    ["not an object", () => "2001:db8:1::100"],
    ["null", () => null],
    ["an array", () => []],
    ["another IAID", (s) => ({ ...s, iaid: IAID + 1 })],
    ["a server DUID that is not hex", (s) => ({ ...s, server: "zz" })],
    ["a server DUID that does not decode", (s) => ({ ...s, server: "0001" })],
    ["no obtainedAt", (s) => ({ ...s, obtainedAt: undefined })],
    ["an obtainedAt in the future", (s) => ({ ...s, obtainedAt: NOW + 1 })],
    ["a fractional obtainedAt", (s) => ({ ...s, obtainedAt: 1.5 })],
    ["a unicast that is not IPv6", (s) => ({ ...s, unicast: "192.0.2.1" })],
    ["no addresses", (s) => ({ ...s, addresses: [] })],
    ["too many addresses", (s) => ({ ...s, addresses: Array.from({ length: MAX_IA_ADDRESSES + 1 }, () => (s["addresses"] as unknown[])[0]) })],
    ["an address that is not IPv6", (s) => ({ ...s, addresses: [{ address: "192.0.2.9", preferredUntil: null, validUntil: null }] })],
    ["a v4-mapped address", (s) => ({ ...s, addresses: [{ address: "::ffff:192.0.2.9", preferredUntil: null, validUntil: null }] })],
    ["a multicast address", (s) => ({ ...s, addresses: [{ address: "ff02::1", preferredUntil: null, validUntil: null }] })],
    ["an address with a zone", (s) => ({ ...s, addresses: [{ address: "fe80::1%eth0", preferredUntil: null, validUntil: null }] })],
    ["an address entry that is not an object", (s) => ({ ...s, addresses: [7] })],
    ["a lifetime that is a string", (s) => ({ ...s, addresses: [{ address: "2001:db8::1", preferredUntil: "never", validUntil: null }] })],
    ["a lifetime ending before it began", (s) => ({ ...s, addresses: [{ address: "2001:db8::1", preferredUntil: 0, validUntil: 0 }] })],
    ["a lifetime past what DHCPv6 can grant", (s) => ({ ...s, addresses: [{ address: "2001:db8::1", preferredUntil: null, validUntil: (s["obtainedAt"] as number) + 0xffffffff * 1000 }] })],
    ["a preferred lifetime over the valid one", (s) => ({ ...s, addresses: [{ address: "2001:db8::1", preferredUntil: null, validUntil: NOW + 1000 }] })],
    ["T1 after T2", (s) => ({ ...s, renewAt: s["rebindAt"], rebindAt: s["renewAt"] })],
    ["a T2 that is not a number", (s) => ({ ...s, rebindAt: "soon" })],
    ["no DNS", (s) => ({ ...s, dns: undefined })],
    ["DNS servers that are not addresses", (s) => ({ ...s, dns: { servers: ["dns.example.org"], search: [] } })],
    ["a huge search list", (s) => ({ ...s, dns: { servers: [], search: Array.from({ length: 33 }, (_, i) => `d${i}.example.org`) } })],
    ["a search domain with a newline", (s) => ({ ...s, dns: { servers: [], search: ["example.org\nnameserver 203.0.113.1"] } })],
  ];
  it.each(cases)("ignores %s, saying why", (_name, edit) => {
    const verdict = read(edit(stored()));
    expect(verdict.kind).toBe("unreadable");
    expect(verdict.kind === "unreadable" && verdict.reason.length > 0).toBe(true);
  });

  it("canonicalises the addresses it keeps", () => {
    const s = { ...stored(), addresses: [{ address: "2001:DB8:1:0::100", preferredUntil: null, validUntil: null }] };
    const verdict = read(s);
    expect(verdict.kind === "binding" && verdict.binding.addresses[0]!.address).toBe("2001:db8:1::100");
  });

  it("takes the server DUID only in the lower-case hex the client writes", () => {
    const verdict = read({ ...stored(), server: Buffer.from(encodeDuid(SERVER_A)).toString("hex").toUpperCase() });
    expect(verdict.kind).toBe("unreadable");
  });
});
