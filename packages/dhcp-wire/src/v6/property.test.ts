import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DhcpDecodeError } from "../decode-error.js";
import { decodeDhcpv6 } from "./decode.js";
import type { Duid } from "./duid.js";
import { encodeDhcpv6 } from "./encode.js";
import { formatIpv6 } from "../address-text.js";
import type { Dhcpv6Message, Dhcpv6NtpSuboption, Dhcpv6Option } from "./message.js";

const KNOWN = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 19, 20, 23, 24, 25, 26, 32, 39, 56, 82, 83]);
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const address = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIpv6(b, 0));
const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,9}$/);
const fqdn = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join(".") + ".");
const partialName = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join("."));

const duid: fc.Arbitrary<Duid> = fc.oneof(
  fc.record({ type: fc.constant("llt" as const), hardwareType: u16, time: u32, linkLayerAddress: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ type: fc.constant("en" as const), enterpriseNumber: u32, identifier: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ type: fc.constant("ll" as const), hardwareType: u16, linkLayerAddress: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ type: fc.constant("uuid" as const), uuid: fc.uuid() }),
  fc.record({ type: fc.constant("raw" as const), typeCode: fc.integer({ min: 5, max: 0xffff }), data: fc.uint8Array({ maxLength: 16 }) }),
);

const ntpSuboption: fc.Arbitrary<Dhcpv6NtpSuboption> = fc.oneof(
  // A union of codes in one record is not narrowed per code by TypeScript.
  fc.record({ code: fc.constantFrom(1 as const, 2 as const), address }) as fc.Arbitrary<Dhcpv6NtpSuboption>,
  fc.record({ code: fc.constant(3 as const), name: fqdn }),
  fc.record({ code: fc.integer({ min: 4, max: 0xffff }), data: fc.uint8Array({ maxLength: 8 }) }),
);

/** Options at `level` (1 = a message's own), within the decoder's nesting bounds. */
const options = (level: number, relays: number): fc.Arbitrary<Dhcpv6Option[]> => {
  const nested = level < 4 ? fc.constant(null).chain(() => options(level + 1, relays)) : fc.constant([]);
  const leaf: fc.Arbitrary<Dhcpv6Option>[] = [
    fc.record({ code: fc.constantFrom(1 as const, 2 as const), duid }) as fc.Arbitrary<Dhcpv6Option>,
    fc.record({ code: fc.constant(6 as const), codes: fc.array(u16, { maxLength: 6 }) }),
    fc.record({ code: fc.constant(7 as const), preference: u8 }),
    fc.record({ code: fc.constant(8 as const), elapsedTime: u16 }),
    fc.record({ code: fc.constant(12 as const), address }),
    fc.record({ code: fc.constant(13 as const), statusCode: u16, message: fc.string({ unit: "grapheme", maxLength: 12 }) }),
    fc.record({ code: fc.constantFrom(14 as const, 20 as const) }) as fc.Arbitrary<Dhcpv6Option>,
    fc.record({ code: fc.constant(19 as const), messageType: u8 }),
    fc.record({ code: fc.constant(23 as const), servers: fc.array(address, { minLength: 1, maxLength: 3 }) }),
    fc.record({ code: fc.constant(24 as const), domains: fc.array(fqdn, { minLength: 1, maxLength: 3 }) }),
    fc.record({ code: fc.constantFrom(32 as const, 82 as const, 83 as const), seconds: u32 }) as fc.Arbitrary<Dhcpv6Option>,
    fc.record({ code: fc.constant(39 as const), flags: u8, name: fc.oneof(fqdn, partialName, fc.constant("")) }),
    fc.record({ code: fc.constant(56 as const), suboptions: fc.array(ntpSuboption, { minLength: 1, maxLength: 3 }) }),
    fc.record({ code: u16.filter((c) => !KNOWN.has(c)), data: fc.uint8Array({ maxLength: 12 }) }),
    fc.record({ code: fc.constantFrom(3 as const, 25 as const), iaid: u32, t1: u32, t2: u32, options: nested }) as fc.Arbitrary<Dhcpv6Option>,
    fc.record({ code: fc.constant(4 as const), iaid: u32, options: nested }),
    fc.record({ code: fc.constant(5 as const), address, preferredLifetime: u32, validLifetime: u32, options: nested }),
    fc.record({ code: fc.constant(26 as const), preferredLifetime: u32, validLifetime: u32, prefixLength: fc.integer({ min: 0, max: 128 }), prefix: address, options: nested }),
  ];
  if (relays < 3) leaf.push(fc.record({ code: fc.constant(9 as const), message: fc.constant(null).chain(() => message(relays + 1)) }));
  return fc.array(fc.oneof(...leaf), { maxLength: level === 1 ? 6 : 2 });
};

const message = (relays: number): fc.Arbitrary<Dhcpv6Message> =>
  fc.oneof(
    fc.record({ messageType: u8.filter((t) => t !== 12 && t !== 13), transactionId: fc.integer({ min: 0, max: 0xffffff }), options: options(1, relays) }),
    fc.record({ messageType: fc.constantFrom(12 as const, 13 as const), hopCount: u8, linkAddress: address, peerAddress: address, options: options(1, relays) }),
  );

/** Decodes or throws DhcpDecodeError; whatever decodes must re-encode to the same bytes. */
const decodesOrRejects = (bytes: Uint8Array) => {
  let m: Dhcpv6Message;
  try {
    m = decodeDhcpv6(bytes);
  } catch (e) {
    if (!(e instanceof DhcpDecodeError)) throw e;
    return;
  }
  expect(encodeDhcpv6(m)).toEqual(bytes);
};

describe("DHCPv6 properties", () => {
  it("decode(encode(m)) equals m for generated messages", () => {
    fc.assert(
      fc.property(message(0), (m) => {
        const bytes = encodeDhcpv6(m);
        expect(decodeDhcpv6(bytes)).toEqual(m);
        expect(encodeDhcpv6(decodeDhcpv6(bytes))).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it("random bytes only ever decode (and re-encode identically) or throw DhcpDecodeError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), decodesOrRejects), { numRuns: 5000 });
  });

  it("truncated and mutated encodings only ever decode (and re-encode identically) or throw DhcpDecodeError", () => {
    fc.assert(
      fc.property(message(0), fc.array(fc.tuple(fc.nat(), u8), { maxLength: 4 }), fc.nat(), (m, edits, cut) => {
        const bytes = encodeDhcpv6(m);
        for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
        decodesOrRejects(bytes);
        decodesOrRejects(bytes.subarray(0, cut % (bytes.length + 1)));
      }),
      { numRuns: 3000 },
    );
  });
});
