import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DhcpDecodeError } from "./decode-error.js";
import { DHCP_MAX_INVALID_OPTIONS, invalidDhcpv4Options, invalidDhcpv6Options, isDhcpInvalidOption } from "./invalid-option.js";
import { MAX_DATAGRAM } from "./testing/hostile.js";
import { systemdDhcp6Reply } from "./testing/third-party.js";
import { fastestMs } from "./timing.test-support.js";
import { decodeDhcpv4 } from "./v4/decode.js";
import { encodeDhcpv4 } from "./v4/encode.js";
import { dhcpv4OptionValue, findDhcpv4Option } from "./v4/message.js";
import { decodeDhcpv6 } from "./v6/decode.js";
import { encodeDhcpv6 } from "./v6/encode.js";
import { findDhcpv6Option, findDhcpv6Options, type Dhcpv6Message } from "./v6/message.js";

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");

/**
 * systemd's test DHCPv6 Reply, `msg_reply` in
 * src/libsystemd-network/test-dhcp6-client.c of github.com/systemd/systemd
 * (the hex and its origin are in src/testing/third-party.ts, shared with
 * the DHCPv6 plugin's tests). It carries Rapid Commit (option 14) with a
 * 1-byte value where RFC 8415 wants none; systemd and insomniacslk/dhcp
 * accept it.
 */
const SYSTEMD_MSG_REPLY = toHex(systemdDhcp6Reply());

/**
 * Hand-built from the issue: systemd's Client and Server IDs, then a domain
 * list (option 24) of `lab.intra.` and `example` whose terminating zero
 * label is missing.
 */
const V6_UNTERMINATED_DOMAIN_LIST =
  "070fb4e5 0001000e 00020000ab11617740de1342c3a2 0002000e 0001000119405c53782bcbb36d53" +
  "00180013 036c616205696e74726100 076578616d706c65";

/**
 * dnsmasq 2.90's ACK to dhcpcd 9.4.1 (src/fixtures/v4/dhcpcd-09-ack.json)
 * with a 1-byte client identifier (option 61, `3d 01 01`) put before END:
 * RFC 2132 wants at least 2 bytes.
 */
const V4_SHORT_CLIENT_ID =
  "02010600838ca0bf0000000000000000c0000296c00002010000000000005e005321" +
  "00".repeat(202) +
  "638253633501053604c00002013304000000783a040000003c3b04000000690104ffffff001c04c00002ff0c0e69" +
  "6e637573782d66697874757265511205ffff0e696e637573782d666978747572652a04c000027b1a0205dc790d" +
  "18c63364c000020100c00002017713076578616d706c6503636f6d0003656e67c0000f0b6578616d706c652e63" +
  "6f6d0304c00002010604c0000235" +
  "3d0101ff";

describe("one malformed option does not discard the message", () => {
  it("keeps systemd's Reply, marking its non-empty Rapid Commit invalid", () => {
    const bytes = hex(SYSTEMD_MSG_REPLY);
    const reply = decodeDhcpv6(bytes) as Dhcpv6Message & { transactionId: number };
    expect(reply.transactionId).toBe(0x0fb4e5);
    const invalid = invalidDhcpv6Options(reply);
    expect(invalid).toEqual([
      { code: 14, data: hex("00"), invalid: { problem: "length", offset: 40, reason: "option 14 must be empty but has 1 bytes" } },
    ]);
    expect(findDhcpv6Option(reply, 14)).toBeUndefined();
    expect(findDhcpv6Option(reply, 3)?.options.map((o) => o.code)).toEqual([5, 5, 13]);
    expect(findDhcpv6Option(reply, 24)?.domains).toEqual(["lab.intra."]);
    expect(toHex(encodeDhcpv6(reply))).toBe(toHex(bytes));
  });

  it("keeps the complete names of a domain list whose last name is unterminated", () => {
    const bytes = hex(V6_UNTERMINATED_DOMAIN_LIST);
    const reply = decodeDhcpv6(bytes);
    const [list] = invalidDhcpv6Options(reply);
    expect(list).toMatchObject({
      code: 24,
      invalid: { problem: "name", names: ["lab.intra."], reason: "domain name runs past the end of its option" },
    });
    expect(toHex(list!.data)).toBe("036c616205696e74726100076578616d706c65");
    expect(findDhcpv6Option(reply, 2)).toBeDefined();
    expect(toHex(encodeDhcpv6(reply))).toBe(toHex(bytes));
  });

  it("keeps a DHCPv4 message whose client identifier is 1 byte", () => {
    const bytes = hex(V4_SHORT_CLIENT_ID);
    const ack = decodeDhcpv4(bytes);
    expect(invalidDhcpv4Options(ack)).toEqual([
      {
        code: 61,
        data: hex("01"),
        invalid: { problem: "length", offset: bytes.length - 2, reason: "option 61 (client identifier) has length 1, expected at least 2" },
      },
    ]);
    expect(findDhcpv4Option(ack, 61)).toBeUndefined();
    expect(dhcpv4OptionValue(ack, 61)).toBeUndefined();
    expect(dhcpv4OptionValue(ack, 54)).toBe("192.0.2.1");
    expect(toHex(encodeDhcpv4(ack))).toBe(toHex(bytes));
  });

  it("marks an invalid option inside IA_NA and keeps the IA", () => {
    // IA_NA holding a Status Code of 1 byte (at least 2).
    const bytes = hex("07010203 0003 0011 00000001 00000000 00000000 000d 0001 00");
    const reply = decodeDhcpv6(bytes);
    const ia = findDhcpv6Option(reply, 3)!;
    expect(ia.options).toHaveLength(1);
    expect(isDhcpInvalidOption(ia.options[0]!)).toBe(true);
    expect(findDhcpv6Options(ia, 13)).toEqual([]);
    expect(invalidDhcpv6Options(reply).map((o) => [o.code, o.invalid.problem, o.invalid.offset])).toEqual([[13, "length", 20]]);
    expect(toHex(encodeDhcpv6(reply))).toBe(toHex(bytes));
  });

  it("still rejects structural errors", () => {
    // An option running past the message, an IAADDR running past its IA_NA, a truncated header.
    for (const bad of ["07010203 0008 0004 0000", "07010203 0003 0010 00000001 00000000 00000000 0005 0018", "0701"]) {
      expect(() => decodeDhcpv6(hex(bad))).toThrow(DhcpDecodeError);
    }
  });
});

describe("invalid options are bounded", () => {
  const v6Many = (n: number) => hex("07010203" + "00070000".repeat(n));
  const v4Many = (n: number) => {
    // Option codes 1..n with a value one byte too short or long for them all to be invalid.
    const codes = [1, 3, 6, 12, 15, 26, 28, 42, 50, 51, 53, 54, 55, 57, 58, 59, 61, 81, 119, 121];
    const body = codes.slice(0, n).flatMap((code) => [code, 0]);
    return Uint8Array.from([...hex("0201060001020304" + "00".repeat(228) + "63825363"), ...body, 255]);
  };

  it(`decodes ${DHCP_MAX_INVALID_OPTIONS} invalid options and rejects one more`, () => {
    expect(invalidDhcpv6Options(decodeDhcpv6(v6Many(DHCP_MAX_INVALID_OPTIONS)))).toHaveLength(DHCP_MAX_INVALID_OPTIONS);
    expect(() => decodeDhcpv6(v6Many(DHCP_MAX_INVALID_OPTIONS + 1))).toThrow(`more than ${DHCP_MAX_INVALID_OPTIONS} invalid options`);
    // DHCPv4 holds each code once, so at most 20 typed codes can be invalid: under the bound.
    expect(invalidDhcpv4Options(decodeDhcpv4(v4Many(20)))).toHaveLength(20);
  });

  it("refuses a datagram of bad options fast, and decodes the tolerated fixtures in well under a millisecond", () => {
    const flood = v6Many(Math.floor((MAX_DATAGRAM - 4) / 4));
    expect(() => decodeDhcpv6(flood)).toThrow(DhcpDecodeError);
    expect(fastestMs(() => expect(() => decodeDhcpv6(flood)).toThrow(), 20)).toBeLessThan(1);
    const reply = hex(SYSTEMD_MSG_REPLY);
    expect(fastestMs(() => decodeDhcpv6(reply), 50)).toBeLessThan(0.2);
    const ack = hex(V4_SHORT_CLIENT_ID);
    expect(fastestMs(() => decodeDhcpv4(ack), 50)).toBeLessThan(0.2);
  });
});

// The property: for every option of every captured message, new bytes in
// its value (its length and any nested option headers unchanged) never make
// decode throw, and the decoded message re-encodes to those bytes.

interface Span {
  readonly code: number;
  readonly from: number;
  readonly to: number;
}

const fixtures = (family: "v4" | "v6"): [string, Uint8Array][] => {
  const dir = new URL(`./fixtures/${family}/`, import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, hex((JSON.parse(readFileSync(new URL(f, dir), "utf8")) as { hex: string }).hex)]);
};

/** DHCPv6: the value bytes of each option that are not nested option headers. */
function v6Spans(bytes: Uint8Array, start: number, end: number, spans: Span[]): Span[] {
  let at = start;
  while (at < end) {
    const code = (bytes[at]! << 8) | bytes[at + 1]!;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const from = at + 4;
    const to = from + length;
    // Containers: their fixed fields are their value; nested options get their own spans.
    const fixed = { 3: 12, 25: 12, 4: 4, 5: 24, 26: 25 }[code];
    if (fixed !== undefined) {
      if (length > 0) spans.push({ code, from, to: Math.min(to, from + fixed) });
      if (length > fixed) v6Spans(bytes, from + fixed, to, spans);
    } else if (code !== 9 && length > 0) {
      spans.push({ code, from, to });
    }
    at = to;
  }
  return spans;
}

/** DHCPv4: the value bytes of each option instance in the options field (52 decides the layout: not a value). */
function v4Spans(bytes: Uint8Array): Span[] {
  const spans: Span[] = [];
  let at = 240;
  while (at < bytes.length && bytes[at] !== 255) {
    const code = bytes[at]!;
    if (code === 0) {
      at++;
      continue;
    }
    const length = bytes[at + 1]!;
    if (code !== 52 && length > 0) spans.push({ code, from: at + 2, to: at + 2 + length });
    at += 2 + length;
  }
  return spans;
}

const corrupt = (bytes: Uint8Array, span: Span, values: number[]): Uint8Array => {
  const out = bytes.slice();
  for (let i = span.from, k = 0; i < span.to; i++, k++) out[i] = values[k % values.length]!;
  return out;
};

describe.each([
  ["v6", (b: Uint8Array) => v6Spans(b, 4, b.length, []), (b: Uint8Array) => encodeDhcpv6(decodeDhcpv6(b))],
  ["v4", v4Spans, (b: Uint8Array) => encodeDhcpv4(decodeDhcpv4(b))],
] as const)("corrupting one option value of a %s capture", (family, spansOf, roundTrip) => {
  const cases: [string, Uint8Array, Span][] = [];
  for (const [name, bytes] of fixtures(family)) for (const span of spansOf(bytes)) cases.push([name, bytes, span]);

  it(`covers every option (${family})`, () => {
    expect(cases.length).toBeGreaterThan(family === "v4" ? 300 : 150);
  });

  it("never makes decode throw, and re-encodes the corrupted bytes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
        ([, bytes, span], values) => {
          const corrupted = corrupt(bytes, span, values);
          expect(toHex(roundTrip(corrupted))).toBe(toHex(corrupted));
        },
      ),
      { seed: 18, numRuns: 3000 },
    );
  });

  it("holds for every option with all-zero and all-0xff values", () => {
    for (const [name, bytes, span] of cases) {
      for (const fill of [0x00, 0xff, 0xc0]) {
        const corrupted = corrupt(bytes, span, [fill]);
        expect(toHex(roundTrip(corrupted)), `${name} option ${span.code} filled with ${fill}`).toBe(toHex(corrupted));
      }
    }
  });
});
