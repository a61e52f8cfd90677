import { describe, expect, it } from "vitest";
import { decodeDhcpv6 } from "./decode.js";
import { encodeDhcpv6 } from "./encode.js";
import type { Dhcpv6Message, Dhcpv6Option } from "./message.js";
import { toHex } from "./test-bytes.test.js";

const reply = (...options: Dhcpv6Option[]): Dhcpv6Message => ({ messageType: 7, transactionId: 0x010203, options });
const bad = (option: unknown) => () => encodeDhcpv6(reply(option as Dhcpv6Option));

describe("encoding DHCPv6", () => {
  it("writes a Solicit a client builds by hand", () => {
    const bytes = encodeDhcpv6({
      messageType: 1,
      transactionId: 0xabcdef,
      options: [
        { code: 1, duid: { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0, 0, 0, 0, 1) } },
        { code: 6, codes: [23, 24] },
        { code: 8, elapsedTime: 0 },
        { code: 3, iaid: 1, t1: 0, t2: 0, options: [] },
      ],
    });
    expect(toHex(bytes)).toBe("01abcdef" + "0001000a00030001020000000001" + "0006000400170018" + "000800020000" + "0003000c000000010000000000000000");
  });

  it("writes names with escapes and partial FQDNs through the domain-name codec", () => {
    const m = reply({ code: 24, domains: ["a\\.b.example.", "x"] }, { code: 39, flags: 0, name: "host" });
    expect(toHex(encodeDhcpv6(m))).toBe("07010203" + "00180010" + "03612e62076578616d706c6500" + "017800" + "0027000600" + "04686f7374");
  });

  it("accepts any IPv6 text form and decodes it back canonical", () => {
    const bytes = encodeDhcpv6(reply({ code: 23, servers: ["2001:DB8:0:0:0:0:0:53", "::ffff:192.0.2.1"] }));
    expect(decodeDhcpv6(bytes).options).toEqual([{ code: 23, servers: ["2001:db8::53", "::ffff:c000:201"] }]);
  });

  it("writes a raw option for a known code unchanged (escape hatch)", () => {
    expect(toHex(encodeDhcpv6(reply({ code: 7, data: Uint8Array.of(9) })))).toBe("07010203000700010" + "9");
  });

  it("returns independent outputs even when they share a slab", () => {
    const a = encodeDhcpv6(reply({ code: 7, preference: 1 }));
    const b = encodeDhcpv6(reply({ code: 7, preference: 2 }));
    expect([a[8], b[8]]).toEqual([1, 2]);
    expect(a.length).toBe(9);
  });

  it("rejects header fields out of range", () => {
    expect(() => encodeDhcpv6({ messageType: 1, transactionId: 0x1000000, options: [] })).toThrow(RangeError);
    expect(() => encodeDhcpv6({ messageType: 256, transactionId: 0, options: [] })).toThrow(RangeError);
    expect(() => encodeDhcpv6({ messageType: 12, hopCount: 256, linkAddress: "::", peerAddress: "::", options: [] })).toThrow(RangeError);
    expect(() => encodeDhcpv6({ messageType: 12, hopCount: 0, linkAddress: "10.0.0.1", peerAddress: "::", options: [] })).toThrow(
      'Relay link address "10.0.0.1" is not an IPv6 address',
    );
    expect(() => encodeDhcpv6({ messageType: 1, transactionId: 0 } as unknown as Dhcpv6Message)).toThrow(TypeError);
  });

  it("rejects option values it cannot write or that would not decode back", () => {
    expect(bad({ code: 7, preference: 256 })).toThrow('Option 7 preference "256" is not an integer between 0 and 255');
    expect(bad({ code: 3, iaid: -1, t1: 0, t2: 0, options: [] })).toThrow(RangeError);
    expect(bad({ code: 3, iaid: 1, t1: 0, t2: 0 })).toThrow('Option 3 has no "options" array');
    expect(bad({ code: 5, address: "fe80::1%eth0", preferredLifetime: 0, validLifetime: 0, options: [] })).toThrow(RangeError);
    expect(bad({ code: 23, servers: [] })).toThrow('Option 23 needs a non-empty "servers" array');
    expect(bad({ code: 24, domains: [] })).toThrow(RangeError);
    expect(bad({ code: 24, domains: ["a..b."] })).toThrow("empty label");
    expect(bad({ code: 26, preferredLifetime: 0, validLifetime: 0, prefixLength: 129, prefix: "::", options: [] })).toThrow(RangeError);
    expect(bad({ code: 56, suboptions: [] })).toThrow(RangeError);
    expect(bad({ code: 13, statusCode: 0 })).toThrow(TypeError);
    expect(bad({ code: 1000 })).toThrow('Option 1000 is not a typed option and has no "data"');
    expect(bad({ code: 70000, data: new Uint8Array() })).toThrow(RangeError);
    expect(bad({ code: 1000, data: new Uint8Array(65536) })).toThrow("Option 1000 value of 65536 bytes is over 65535");
    expect(bad({ code: 1, duid: { type: "uuid", uuid: "0123" } })).toThrow(RangeError);
  });

  it("writes non-ASCII status text as UTF-8", () => {
    const bytes = encodeDhcpv6(reply({ code: 13, statusCode: 1, message: "ünavailable ✓" }));
    expect(decodeDhcpv6(bytes).options[0]).toEqual({ code: 13, statusCode: 1, message: "ünavailable ✓" });
  });
});
