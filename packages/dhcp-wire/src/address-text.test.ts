import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { formatIpv6, ipv4Text, putIpv4, writeIpv6 } from "./address-text.js";

const parse = (text: string) => {
  const out = new Uint8Array(16);
  writeIpv6(text, out, 0, "Address");
  return Array.from(out);
};

const parseV4 = (text: unknown) => {
  const out = new Uint8Array(4);
  putIpv4(text, out, 0, "Address");
  return Array.from(out);
};

// Texts near the IPv4 syntax: digits, dots, and the odd letter, sign or space.
const nearIpv4 = fc
  .array(fc.constantFrom("0", "1", "2", "5", "9", "25", "255", "256", "00", "01", ".", ".", ".", "x", "-", " ", ":"), { maxLength: 12 })
  .map((parts) => parts.join(""));

// Texts near the IPv6 syntax, dotted tails included (zones are not ours to read: see the rejects below).
const nearIpv6 = fc
  .array(fc.constantFrom("0", "1", "a", "F", "db8", "ffff", "12345", ":", ":", ":", "::", ".", "192.0.2.1", "g"), { maxLength: 14 })
  .map((parts) => parts.join(""));

describe("IPv4 text", () => {
  it("formats like ipaddr.js's text, every time (the cache never answers for another address)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 50 }), (list) => {
        for (const bytes of list) expect(ipv4Text(bytes, 0)).toBe(ipaddr.fromByteArray(Array.from(bytes)).toString());
      }),
      { numRuns: 500 },
    );
  });

  it("accepts exactly what ipaddr.js calls four-part decimal, with its bytes", () => {
    fc.assert(
      fc.property(fc.oneof(nearIpv4, fc.ipV4(), fc.string({ maxLength: 16 })), (text) => {
        if (ipaddr.IPv4.isValidFourPartDecimal(text)) expect(parseV4(text)).toEqual(ipaddr.IPv4.parse(text).octets);
        else expect(() => parseV4(text)).toThrow(RangeError);
      }),
      { numRuns: 5000 },
    );
  });

  it.each(["192.0.2", "192.0.2.01", "0x1.0.0.1", "1.2.3.4.5", "256.0.0.1", " 192.0.2.1", "192.0.2.1/24", "", 42, undefined])(
    "rejects %j",
    (text) => {
      expect(() => parseV4(text)).toThrow(RangeError);
    },
  );
});

describe("IPv6 text", () => {
  it("formats like ipaddr.js's canonical text", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
          // Bias towards zero groups, where compression choices are made.
          for (let i = 0; i < 16; i += 2) if (b[i]! < 128) b[i] = b[i + 1] = 0;
          return b;
        }),
        (bytes) => {
          expect(formatIpv6(bytes, 0)).toBe(ipaddr.fromByteArray(Array.from(bytes)).toString());
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("compresses the longest zero run, the first on a tie, never a single group", () => {
    expect(formatIpv6(Uint8Array.from(parse("2001:db8:0:0:1:0:0:1")), 0)).toBe("2001:db8::1:0:0:1");
    expect(formatIpv6(Uint8Array.from(parse("2001:db8:0:1:1:1:1:1")), 0)).toBe("2001:db8:0:1:1:1:1:1");
    expect(formatIpv6(new Uint8Array(16), 0)).toBe("::");
  });

  it("parses every RFC 4291 text form", () => {
    expect(parse("::")).toEqual(new Array(16).fill(0));
    expect(parse("::1")).toEqual([...new Array(15).fill(0), 1]);
    expect(parse("FE80::A:b")).toEqual([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0x0b]);
    expect(parse("::192.0.2.1")).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]);
    expect(parse("::ffff:192.0.2.1").slice(10)).toEqual([0xff, 0xff, 192, 0, 2, 1]);
    expect(parse("1:2:3:4:5:6:7:8")).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    expect(parse("1::")).toEqual([0, 1, ...new Array(14).fill(0)]);
  });

  it("reads text without a dotted tail as ipaddr.js does, and rejects what it rejects", () => {
    fc.assert(
      fc.property(fc.oneof(nearIpv6, fc.ipV6()), (text) => {
        fc.pre(!text.includes("."));
        if (ipaddr.IPv6.isValid(text)) expect(parse(text)).toEqual(ipaddr.IPv6.parse(text).toByteArray());
        else expect(() => parse(text)).toThrow(RangeError);
      }),
      { numRuns: 5000 },
    );
  });

  it("round-trips every address through text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(parse(formatIpv6(bytes, 0))).toEqual(Array.from(bytes));
      }),
    );
  });

  it.each(["", ":", "1", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "fe80::1%eth0", "192.0.2.1", "::1:", ":1::", "g::", "::1.2.3", "::256.0.0.1", "::01.2.3.4", "1:2:3:4:5:6:7::1.2.3.4"])(
    "rejects %j",
    (text) => {
      expect(() => parse(text)).toThrow(RangeError);
    },
  );
});
