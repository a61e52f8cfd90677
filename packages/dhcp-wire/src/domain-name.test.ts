import { describe, expect, it } from "vitest";
import { DhcpDecodeError } from "./decode-error.js";
import {
  DHCP_MAX_DOMAIN_LIST_CHARS,
  DHCP_MAX_DOMAIN_LIST_NAMES,
  DHCP_MAX_NAME_POINTERS,
  decodeDomainNames,
  dottedLabelName,
  encodeDomainNames,
} from "./domain-name.js";
import { longName, pointerBombList } from "./testing/hostile.js";
import { fastestMs } from "./timing.test-support.js";
import { decodeError } from "./v4/test-packets.test.js";

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

  it(`decodes ${DHCP_MAX_DOMAIN_LIST_NAMES} names and refuses one more`, () => {
    const list = (n: number) => bytes(...Array.from({ length: n }, () => [1, "a", 0]).flat());
    expect(decodeDomainNames(list(DHCP_MAX_DOMAIN_LIST_NAMES), 0, 3 * DHCP_MAX_DOMAIN_LIST_NAMES, plain)).toHaveLength(DHCP_MAX_DOMAIN_LIST_NAMES);
    const e = decodeError(() => decodeDomainNames(list(DHCP_MAX_DOMAIN_LIST_NAMES + 1), 0, 3 * DHCP_MAX_DOMAIN_LIST_NAMES + 3, plain));
    expect([e.offset, e.reason]).toEqual([3 * DHCP_MAX_DOMAIN_LIST_NAMES, `domain name list of more than ${DHCP_MAX_DOMAIN_LIST_NAMES} names`]);
  });

  it(`decodes ${DHCP_MAX_DOMAIN_LIST_CHARS} characters of names and refuses one more`, () => {
    // 16 names of 254 characters (4064), then one label and the root: "x" * n and ".".
    const list = (last: number) => bytes(...Array.from({ length: 16 }, longName).flat(), last, "x".repeat(last), 0);
    const exact = DHCP_MAX_DOMAIN_LIST_CHARS - 16 * 254 - 1;
    const fits = list(exact);
    const names = decodeDomainNames(fits, 0, fits.length, plain);
    expect(names.reduce((n, name) => n + name.length, 0)).toBe(DHCP_MAX_DOMAIN_LIST_CHARS);
    const over = list(exact + 1);
    const e = decodeError(() => decodeDomainNames(over, 0, over.length, plain));
    expect([e.offset, e.reason]).toEqual([16 * 255, `domain name list longer than ${DHCP_MAX_DOMAIN_LIST_CHARS} characters`]);
  });

  it("stops a compression-pointer bomb as soon as the list passes its bound", () => {
    const bomb = pointerBombList(65_000);
    const e = decodeError(() => decodeDomainNames(bomb, 0, bomb.length, compressed));
    const elapsedMs = fastestMs(() => decodeError(() => decodeDomainNames(bomb, 0, bomb.length, compressed)));
    // 254 characters per name: the 17th name passes 4096, two bytes after the 16th pointer.
    expect([e.offset, e.reason]).toEqual([255 + 15 * 2, `domain name list longer than ${DHCP_MAX_DOMAIN_LIST_CHARS} characters`]);
    expect(elapsedMs).toBeLessThan(50);
  });

  it(`follows at most ${DHCP_MAX_NAME_POINTERS} compression pointers for one name`, () => {
    // "a." then pointers, each to the one before: the name at the end walks the whole chain.
    const chain = (pointers: number) => {
      const b = [1, 0x61, 0, 0xc0, 0];
      for (let i = 1; i < pointers; i++) b.push(0xc0, b.length - 2);
      return Uint8Array.from(b);
    };
    // Each pointer is also a name of its own: the last name follows them all.
    const ok = chain(DHCP_MAX_NAME_POINTERS);
    expect(decodeDomainNames(ok, 0, ok.length, compressed)).toEqual(Array(DHCP_MAX_NAME_POINTERS + 1).fill("a."));
    const long = chain(DHCP_MAX_NAME_POINTERS + 1);
    const e = decodeError(() => decodeDomainNames(long, 0, long.length, compressed));
    expect(e.offset).toBe(long.length - 2);
    expect(e.reason).toBe(`domain name follows more than ${DHCP_MAX_NAME_POINTERS} compression pointers`);
  });
});


describe("dottedLabelName (OVN's one-label domain search list)", () => {
  it("reads a label holding dots, 0b \"ovn.example\" 00 on the wire as OVN 23.03 sends it, as the dotted name", () => {
    const [name] = decodeDomainNames(bytes(11, "ovn.example", 0), 0, 13, plain);
    expect(name).toBe("ovn\\.example.");
    expect(dottedLabelName(name!)).toBe("ovn.example.");
    expect(dottedLabelName("a\\.b.c\\.d")).toBe("a.b.c.d");
  });

  it("leaves every other name as decoded: plain names, and dotted labels whose dotted reading is not a valid name", () => {
    for (const name of ["example.org.", ".", "ovn\\.\\.example.", "\\.example.", "ovn\\..", "a\\032b\\.c.", "a\\\\.b\\.c.", `${"a".repeat(64)}\\.b.`, "-a\\.b."]) {
      expect(dottedLabelName(name), name).toBe(name);
    }
  });
});
