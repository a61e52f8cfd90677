import fc from "fast-check";
import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { formatIpv6, writeIpv6 } from "./address-text.js";

const parse = (text: string) => {
  const out = new Uint8Array(16);
  writeIpv6(text, out, 0, "Address");
  return Array.from(out);
};

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
