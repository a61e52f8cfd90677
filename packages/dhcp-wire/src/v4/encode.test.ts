import { describe, expect, it } from "vitest";
import { decodeDhcpv4 } from "./decode.js";
import { encodeDhcpv4 } from "./encode.js";
import type { Dhcpv4Message, Dhcpv4Option } from "./message.js";
import { Dhcpv4MessageType } from "./message.js";
import { bytes, hex, opt, padded } from "./test-packets.test.js";

const discover: Dhcpv4Message = {
  op: 1,
  htype: 1,
  hlen: 6,
  hops: 0,
  xid: 0x01020304,
  secs: 0,
  broadcast: false,
  reservedFlags: 0,
  ciaddr: "0.0.0.0",
  yiaddr: "0.0.0.0",
  siaddr: "0.0.0.0",
  giaddr: "0.0.0.0",
  chaddr: bytes(0, 0x16, 0x3e, 0, 0, 1),
  sname: "",
  file: "",
  options: [{ code: 53, value: Dhcpv4MessageType.Discover }],
};

const withOptions = (...options: Dhcpv4Option[]): Dhcpv4Message => ({ ...discover, options });

describe("encodeDhcpv4", () => {
  it("writes header, cookie, options, END and pads to 300 bytes", () => {
    expect(hex(encodeDhcpv4(discover))).toBe(hex(padded(opt(53, 1))));
  });

  it("sets the broadcast flag", () => {
    const out = encodeDhcpv4({ ...discover, broadcast: true });
    expect([out[10], out[11]]).toEqual([0x80, 0]);
  });

  it("splits a value over 255 bytes into consecutive instances (RFC 3396)", () => {
    const servers = Array.from({ length: 70 }, (_, i) => `10.0.${i}.1`);
    const out = encodeDhcpv4(withOptions({ code: 53, value: 5 }, { code: 6, value: servers }));
    expect([out[243], out[244]]).toEqual([6, 255]);
    expect([out[243 + 257], out[244 + 257]]).toEqual([6, 25]);
    expect(decodeDhcpv4(out).options).toEqual([
      { code: 53, value: 5 },
      { code: 6, value: servers },
    ]);
  });

  it("writes raw options, including known codes given as raw bytes", () => {
    const out = encodeDhcpv4(withOptions({ code: 224, data: bytes(1, 2) }, { code: 51, data: bytes(0, 0, 1, 0) }));
    expect(hex(out)).toBe(hex(padded(opt(224, 1, 2), opt(51, 0, 0, 1, 0))));
  });

  it("writes option 52 with END in the overloaded fields when there is no layout", () => {
    const out = encodeDhcpv4(withOptions({ code: 52, value: 3 }, { code: 53, value: 5 }));
    expect([out[44], out[108]]).toEqual([255, 255]);
    expect(decodeDhcpv4(out).options).toEqual([
      { code: 52, value: 3 },
      { code: 53, value: 5 },
    ]);
  });

  it("lays options out afresh once the layout no longer describes them", () => {
    const received = padded(0, opt(53, 5), opt(51, 0, 0, 1, 0));
    const m = decodeDhcpv4(received);
    expect(m.layout).toBeDefined();
    const same = encodeDhcpv4({ ...m, options: [m.options[0]!, { code: 51, value: 512 }] });
    expect(hex(same)).toBe(hex(padded(0, opt(53, 5), opt(51, 0, 0, 2, 0)))); // same length: layout kept
    const longer = encodeDhcpv4({ ...m, options: [...m.options, { code: 12, value: "c1" }] });
    expect(hex(longer)).toBe(hex(padded(opt(53, 5), opt(51, 0, 0, 1, 0), opt(12, "c1"))));
  });

  it.each<[string, Partial<Dhcpv4Message>, string]>([
    ["an address that is not dotted-quad", { ciaddr: "192.0.2" }, 'Message ciaddr "192.0.2" is not an IPv4 address (like "192.0.2.1")'],
    ["a leading zero", { yiaddr: "192.0.2.01" }, 'Message yiaddr "192.0.2.01" is not an IPv4 address (like "192.0.2.1")'],
    ["an xid over 32 bits", { xid: 2 ** 32 }, 'Message xid "4294967296" is not an integer between 0 and 4294967295'],
    ["a chaddr not matching hlen", { hlen: 4 }, "Message chaddr must hold min(hlen, 16) = 4 bytes, not 6"],
    ["a long sname", { sname: "x".repeat(65) }, `Message sname "${"x".repeat(65)}" is longer than 64 bytes`],
  ])("rejects %s", (_, change, message) => {
    expect(() => encodeDhcpv4({ ...discover, ...change })).toThrow(message);
  });

  it.each<[string, Dhcpv4Option[], string]>([
    ["a repeated code", [{ code: 53, value: 1 }, { code: 53, value: 3 }], "option 53 (DHCP message type) appears twice"],
    ["PAD as an option", [{ code: 0, data: bytes() }], 'Option code "0" is not between 1 and 254'],
    ["a lease time over 32 bits", [{ code: 51, value: -1 }], 'option 51 (lease time) "-1" is not an integer between 0 and 4294967295'],
    ["an empty router list", [{ code: 3, value: [] }], "option 3 (routers) needs at least one address"],
    ["a bad router", [{ code: 3, value: ["192.0.2.1", "gw"] }], 'option 3 (routers) "gw" is not an IPv4 address'],
    ["a non-Latin-1 host name", [{ code: 12, value: "caf\u20ac" }], "has a character over U+00FF"],
    ["a route with bits past its prefix", [{ code: 121, value: [{ destination: "10.0.0.1", prefixLength: 8, router: "192.0.2.1" }] }], 'destination "10.0.0.1" has bits set beyond its /8 octets'],
    ["a bad search name", [{ code: 119, value: ["a..b."] }], 'Domain name "a..b." has an empty label'],
    ["a hardware client id with type 0", [{ code: 61, value: { form: "hardware", hardwareType: 0, address: bytes(1) } }], 'hardware type "0" is reserved'],
  ])("rejects %s", (_, options, message) => {
    expect(() => encodeDhcpv4(withOptions(...options))).toThrow(message);
  });

  it("throws TypeError for an option with neither a typed value nor data", () => {
    expect(() => encodeDhcpv4(withOptions({ code: 224 } as unknown as Dhcpv4Option))).toThrow(TypeError);
  });

  it("encodes an RFC 4361 client identifier and an FQDN that decode back", () => {
    const options: Dhcpv4Option[] = [
      { code: 61, value: { form: "duid", iaid: 9, duid: { type: "uuid", uuid: "00010203-0405-0607-0809-0a0b0c0d0e0f" } } },
      {
        code: 81,
        value: {
          serverUpdate: true,
          serverOverride: false,
          canonicalEncoding: true,
          noServerUpdate: false,
          reservedFlags: 0,
          rcode1: 0,
          rcode2: 0,
          name: "c1.example.test.",
        },
      },
    ];
    expect(decodeDhcpv4(encodeDhcpv4(withOptions(...options))).options).toEqual(options);
  });
});
