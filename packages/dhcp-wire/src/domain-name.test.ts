import { describe, expect, it } from "vitest";
import { DhcpDecodeError } from "./decode-error.js";
import { decodeDomainNames, encodeDomainNames } from "./domain-name.js";

const bytes = (...b: (number | string)[]) =>
  Uint8Array.from(b.flatMap((x) => (typeof x === "string" ? [...x].map((c) => c.charCodeAt(0)) : [x])));

const compressed = { compression: true } as const;
const plain = { compression: false } as const;

describe("domain names", () => {
  it("decodes the RFC 3397 example with a compression pointer", () => {
    // eng.apple.com. and marketing.apple.com. (pointer to offset 4: apple.com.)
    const data = bytes(3, "eng", 5, "apple", 3, "com", 0, 9, "marketing", 0xc0, 4);
    expect(decodeDomainNames(data, 0, data.length, compressed)).toEqual(["eng.apple.com.", "marketing.apple.com."]);
  });

  it("encodes with compression to the same bytes it decodes", () => {
    const data = bytes(3, "eng", 5, "apple", 3, "com", 0, 9, "marketing", 0xc0, 4);
    expect(encodeDomainNames(["eng.apple.com.", "marketing.apple.com."], compressed)).toEqual(data);
  });

  it("round-trips hostile label bytes through escapes", () => {
    const data = bytes(4, "a.b\n", 0);
    const [name] = decodeDomainNames(data, 0, data.length, plain);
    expect(name).toBe("a\\.b\\010.");
    expect(encodeDomainNames([name!], plain)).toEqual(data);
  });

  it("rejects a pointer that loops back on itself", () => {
    const data = bytes(0xc0, 0);
    expect(() => decodeDomainNames(data, 0, data.length, compressed)).toThrow(DhcpDecodeError);
  });

  it("rejects two pointers that point at each other", () => {
    const data = bytes(1, "a", 0xc0, 4, 0xc0, 0);
    expect(() => decodeDomainNames(data, 0, data.length, compressed)).toThrow(/does not point backwards/);
  });

  it("rejects pointers where the protocol forbids them", () => {
    const data = bytes(1, "a", 0, 0xc0, 0);
    expect(() => decodeDomainNames(data, 0, data.length, plain)).toThrow(/compression pointer/);
  });

  it("rejects names over 255 octets, even when built from pointers", () => {
    const labels: (number | string)[] = [];
    for (let i = 0; i < 5; i++) labels.push(63, "x".repeat(63));
    labels.push(0);
    const data = bytes(...labels);
    expect(() => decodeDomainNames(data, 0, data.length, plain)).toThrow(/longer than 255/);
  });

  it("rejects a label that runs past the end and reserved label types", () => {
    expect(() => decodeDomainNames(bytes(5, "ab"), 0, 3, plain)).toThrow(/runs past the end/);
    expect(() => decodeDomainNames(bytes(0x40, 0), 0, 2, plain)).toThrow(/reserved/);
  });

  it("reports offsets relative to the whole packet", () => {
    const data = bytes(9, 9, 9, 5, "ab");
    try {
      decodeDomainNames(data, 3, data.length, plain);
      expect.unreachable();
    } catch (e) {
      expect((e as DhcpDecodeError).offset).toBe(3);
    }
  });

  it("accepts a partial name (no root label) where FQDN options allow it", () => {
    const data = bytes(4, "host");
    expect(decodeDomainNames(data, 0, data.length, { compression: false, allowPartial: true })).toEqual(["host"]);
    expect(encodeDomainNames(["host"], { compression: false, allowPartial: true })).toEqual(data);
    expect(() => decodeDomainNames(data, 0, data.length, plain)).toThrow(DhcpDecodeError);
  });

  it("refuses to encode over-long labels and empty labels", () => {
    expect(() => encodeDomainNames(["x".repeat(64) + "."], plain)).toThrow(RangeError);
    expect(() => encodeDomainNames(["a..b."], plain)).toThrow(/empty label/);
  });
});
