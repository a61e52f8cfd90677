import { describe, expect, it } from "vitest";
import { DHCPV6_MAX_OPTION_NESTING, DHCPV6_MAX_RELAY_NESTING, decodeDhcpv6 } from "./decode.js";
import { encodeDhcpv6 } from "./encode.js";
import { DHCP_MAX_DOMAIN_LIST_NAMES } from "../domain-name.js";
import { dhcpv6ManyNames } from "../testing/hostile.js";
import { fastestMs } from "../timing.test-support.js";
import type { Dhcpv6Message, Dhcpv6Option } from "./message.js";
import { decodeError, hex, msg, opt, optionFault, toHex } from "./test-bytes.test.js";

const RELAY_HEADER = "00".repeat(32);
const relayAround = (inner: string) => "0c00" + RELAY_HEADER + opt(9, inner);

describe("hostile DHCPv6 input", () => {
  it("rejects a truncated header", () => {
    const e = decodeError(() => decodeDhcpv6(hex("07 0102")));
    expect([e.offset, e.reason]).toEqual([0, "message of 3 bytes is shorter than its 4-byte header"]);
  });

  it("rejects an option length past the end of the message", () => {
    const e = decodeError(() => decodeDhcpv6(hex("07010203 0008 0004 0000")));
    expect([e.offset, e.reason]).toEqual([4, "option 8 of 4 bytes runs past the end of the message"]);
  });

  it("rejects an option header cut short", () => {
    const e = decodeError(() => decodeDhcpv6(hex("07010203 000800")));
    expect([e.offset, e.reason]).toEqual([4, "option header of 3 bytes runs past the end of the message"]);
  });

  it("rejects an IA option whose sub-options overrun it", () => {
    // IA_NA of 16 bytes whose IAADDR claims 24 bytes, though the packet has them after the IA.
    const bytes = msg(7, "0003 0010 00000001 00000000 00000000 0005 0018", "00".repeat(24));
    const e = decodeError(() => decodeDhcpv6(bytes));
    expect([e.offset, e.reason]).toEqual([20, "option 5 of 24 bytes runs past the end of its enclosing option 3"]);
  });

  it.each([
    [1, "DUID of 0 bytes is too short (at least 2)"],
    [3, "option 3 of 0 bytes is too short (at least 12)"],
    [5, "option 5 of 0 bytes is too short (at least 24)"],
    [7, "option 7 has 0 bytes, want 1"],
    [9, "empty DHCPv6 message"],
    [12, "option 12 has 0 bytes, want 16"],
    [13, "option 13 of 0 bytes is too short (at least 2)"],
    [23, "option 23 of 0 bytes is not a non-empty list of 16-byte addresses"],
    [24, "option 24 of 0 bytes is too short (at least 1)"],
    [26, "option 26 of 0 bytes is too short (at least 25)"],
    [39, "option 39 of 0 bytes is too short (at least 1)"],
    [56, "option 56 of 0 bytes is too short (at least 1)"],
    [82, "option 82 has 0 bytes, want 4"],
  ])("marks a zero-length option %i that needs a value invalid (a relay message: rejects it)", (code, reason) => {
    // Option 9's value is a message: one with no header is structure, not a value.
    const fault = code === 9 ? decodeError(() => decodeDhcpv6(msg(7, opt(code)))) : optionFault(msg(7, opt(code)));
    expect(fault.reason).toBe(reason);
  });

  it("marks a DUID too short for its type invalid", () => {
    expect(optionFault(msg(1, opt(1, "0003 00"))).reason).toBe("DUID-LL of 3 bytes is too short (at least 4)");
  });

  it(`accepts ${DHCPV6_MAX_RELAY_NESTING} nested relay messages and rejects one more`, () => {
    let inner = toHex(msg(1));
    for (let i = 0; i < DHCPV6_MAX_RELAY_NESTING; i++) inner = relayAround(inner);
    expect(toHex(encodeDhcpv6(decodeDhcpv6(hex(inner))))).toBe(inner);
    const e = decodeError(() => decodeDhcpv6(hex(relayAround(inner))));
    expect(e.reason).toBe("relay messages nested deeper than 9");
    expect(e.offset).toBe(DHCPV6_MAX_RELAY_NESTING * 38 + 34);
  });

  it("rejects deeply nested relays without deep recursion", () => {
    let inner = toHex(msg(1));
    for (let i = 0; i < 1000; i++) inner = relayAround(inner);
    expect(decodeError(() => decodeDhcpv6(hex(inner))).reason).toBe("relay messages nested deeper than 9");
  });

  it(`rejects options nested deeper than ${DHCPV6_MAX_OPTION_NESTING} levels`, () => {
    let ia = opt(4, "00000000");
    for (let level = 1; level < DHCPV6_MAX_OPTION_NESTING; level++) ia = opt(4, "00000000" + ia);
    expect(decodeDhcpv6(msg(7, ia)).options).toHaveLength(1);
    expect(decodeError(() => decodeDhcpv6(msg(7, opt(4, "00000000" + ia)))).reason).toBe("options nested deeper than 4 levels");
  });

  it("refuses to encode nesting it would refuse to decode", () => {
    let message: Dhcpv6Message = { messageType: 1, transactionId: 0, options: [] };
    for (let i = 0; i <= DHCPV6_MAX_RELAY_NESTING; i++) {
      message = { messageType: 12, hopCount: 0, linkAddress: "::", peerAddress: "::", options: [{ code: 9, message }] };
    }
    expect(() => encodeDhcpv6(message)).toThrow(RangeError);
    let ia: Dhcpv6Option = { code: 4, iaid: 0, options: [] };
    for (let i = 0; i < DHCPV6_MAX_OPTION_NESTING; i++) ia = { code: 4, iaid: 0, options: [ia] };
    expect(() => encodeDhcpv6({ messageType: 7, transactionId: 0, options: [ia] })).toThrow("Options nested deeper than 4 levels");
  });

  it("decodes a packet of 10 000 tiny options with one object per option", () => {
    const bytes = new Uint8Array(4 + 4 * 10_000);
    bytes[0] = 7;
    for (let i = 4; i < bytes.length; i += 4) bytes[i + 1] = 0xff; // option 255, empty
    const started = performance.now();
    const message = decodeDhcpv6(bytes);
    const elapsed = performance.now() - started;
    expect(message.options).toHaveLength(10_000);
    // Empty values share one empty array: no allocation beyond the option objects.
    expect(new Set(message.options.map((o) => (o as { data: Uint8Array }).data)).size).toBe(1);
    expect(elapsed).toBeLessThan(200);
    expect(encodeDhcpv6(message)).toEqual(bytes);
  });

  it("never allocates from a length field it has not checked", () => {
    // A 64 KiB option length in a 10-byte packet fails before anything is sized from it.
    expect(decodeError(() => decodeDhcpv6(hex("07010203 fffe ffff 00"))).reason).toBe("option 65534 of 65535 bytes runs past the end of the message");
  });

  it("refuses a datagram-sized domain list (option 24) at the names bound, without decoding the rest", () => {
    const bytes = dhcpv6ManyNames();
    const e = decodeError(() => decodeDhcpv6(bytes));
    expect(fastestMs(() => decodeError(() => decodeDhcpv6(bytes)))).toBeLessThan(50);
    expect([e.offset, e.reason]).toEqual([8 + 3 * DHCP_MAX_DOMAIN_LIST_NAMES, `domain name list of more than ${DHCP_MAX_DOMAIN_LIST_NAMES} names`]);
  });

  it("bounds each domain list of a message, also inside an NTP FQDN sub-option", () => {
    const names = (n: number) => "01 61 00".repeat(n);
    expect(decodeDhcpv6(msg(7, opt(24, names(DHCP_MAX_DOMAIN_LIST_NAMES)))).options).toHaveLength(1);
    expect(decodeError(() => decodeDhcpv6(msg(7, opt(24, names(DHCP_MAX_DOMAIN_LIST_NAMES + 1))))).reason).toMatch(/more than 256 names/);
    expect(decodeError(() => decodeDhcpv6(msg(7, opt(56, opt(3, names(DHCP_MAX_DOMAIN_LIST_NAMES + 1)))))).reason).toMatch(/more than 256 names/);
  });
});
