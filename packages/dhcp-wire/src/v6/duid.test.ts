import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DhcpDecodeError } from "../decode-error.js";
import { decodeDuid, duidSize, encodeDuid, type Duid } from "./duid.js";

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16));
const decodeAll = (b: Uint8Array) => decodeDuid(b, 0, b.length);
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof DhcpDecodeError) return e.reason;
    throw e;
  }
  throw new Error("did not throw");
};

describe("DUIDs", () => {
  it("decodes a DUID-LLT as dhclient writes it", () => {
    expect(decodeAll(hex("0001 0001 2e8c6f1a 525400123456"))).toEqual({
      type: "llt",
      hardwareType: 1,
      time: 0x2e8c6f1a,
      linkLayerAddress: hex("525400123456"),
    });
  });

  it("decodes a DUID-EN with a full 32-bit enterprise number", () => {
    expect(decodeAll(hex("0002 ffffffff 0102"))).toEqual({ type: "en", enterpriseNumber: 0xffffffff, identifier: hex("0102") });
  });

  it("decodes a DUID-LL as dnsmasq and systemd write it", () => {
    expect(decodeAll(hex("0003 0001 525400abcdef"))).toEqual({
      type: "ll",
      hardwareType: 1,
      linkLayerAddress: hex("525400abcdef"),
    });
  });

  it("decodes a DUID-UUID to lower-case text", () => {
    expect(decodeAll(hex("0004 0123456789ABCDEF0123456789abcdef"))).toEqual({
      type: "uuid",
      uuid: "01234567-89ab-cdef-0123-456789abcdef",
    });
  });

  it("keeps an unknown DUID type as raw bytes", () => {
    expect(decodeAll(hex("0005 aabb"))).toEqual({ type: "raw", typeCode: 5, data: hex("aabb") });
    expect(encodeDuid({ type: "raw", typeCode: 5, data: hex("aabb") })).toEqual(hex("0005aabb"));
  });

  it("rejects DUIDs too short for their type, with the offset of the DUID", () => {
    expect(reason(() => decodeAll(hex("")))).toBe("DUID of 0 bytes is too short (at least 2)");
    expect(reason(() => decodeAll(hex("00")))).toBe("DUID of 1 bytes is too short (at least 2)");
    expect(reason(() => decodeAll(hex("0001 0001 0000 00")))).toBe("DUID-LLT of 7 bytes is too short (at least 8)");
    expect(reason(() => decodeAll(hex("0002 0000 00")))).toBe("DUID-EN of 5 bytes is too short (at least 6)");
    expect(reason(() => decodeAll(hex("0003 00")))).toBe("DUID-LL of 3 bytes is too short (at least 4)");
    expect(reason(() => decodeAll(hex("0004 00")))).toBe("DUID-UUID of 3 bytes, want 18");
    const data = hex("ff ff 0003 00");
    expect(() => decodeDuid(data, 2, 5)).toThrow(expect.objectContaining({ offset: 2 }));
  });

  it("accepts a DUID over the 128-octet cap, since DUIDs are opaque", () => {
    const long = new Uint8Array(2 + 200);
    long[1] = 3;
    expect(encodeDuid(decodeAll(long))).toEqual(long);
  });

  it("refuses to encode out-of-range fields", () => {
    expect(() => encodeDuid({ type: "ll", hardwareType: 70000, linkLayerAddress: hex("") })).toThrow(RangeError);
    expect(() => encodeDuid({ type: "uuid", uuid: "not-a-uuid" })).toThrow(RangeError);
    expect(() => encodeDuid({ type: "raw", typeCode: 3, data: hex("") })).toThrow(/typed form/);
  });

  it("decode(encode(duid)) gives the same DUID back", () => {
    fc.assert(
      fc.property(duidArbitrary, (duid) => {
        const bytes = encodeDuid(duid);
        expect(bytes.length).toBe(duidSize(duid));
        expect(decodeAll(bytes)).toEqual(duid);
      }),
    );
  });
});

/** Generated DUIDs of every type. */
const duidArbitrary: fc.Arbitrary<Duid> = fc.oneof(
  fc.record({ type: fc.constant("llt" as const), hardwareType: fc.integer({ min: 0, max: 0xffff }), time: fc.nat({ max: 0xffffffff }), linkLayerAddress: fc.uint8Array({ maxLength: 20 }) }),
  fc.record({ type: fc.constant("en" as const), enterpriseNumber: fc.nat({ max: 0xffffffff }), identifier: fc.uint8Array({ maxLength: 20 }) }),
  fc.record({ type: fc.constant("ll" as const), hardwareType: fc.integer({ min: 0, max: 0xffff }), linkLayerAddress: fc.uint8Array({ maxLength: 20 }) }),
  fc.record({ type: fc.constant("uuid" as const), uuid: fc.uuid() }),
  fc.record({ type: fc.constant("raw" as const), typeCode: fc.oneof(fc.constant(0), fc.integer({ min: 5, max: 0xffff })), data: fc.uint8Array({ maxLength: 20 }) }),
);
