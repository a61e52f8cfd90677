import { describe, expect, it } from "vitest";
import { DhcpDecodeError } from "../decode-error.js";
import { DHCP_MAX_DOMAIN_LIST_CHARS, DHCP_MAX_DOMAIN_LIST_NAMES } from "../domain-name.js";
import { dhcpv4PointerBomb } from "../testing/hostile.js";
import { fastestMs } from "../timing.test-support.js";
import { decodeDhcpv4, peekDhcpv4Header } from "./decode.js";
import { encodeDhcpv4 } from "./encode.js";
import { dhcpv4OptionValue, dhcpv4MessageTypeName, Dhcpv4MessageType, findDhcpv4Option } from "./message.js";
import { bytes, decodeError, header, hex, opt, optionFault, packet, padded } from "./test-packets.test.js";

const reEncodes = (p: Uint8Array) => expect(hex(encodeDhcpv4(decodeDhcpv4(p)))).toBe(hex(p));

describe("BOOTP header", () => {
  it("reads every fixed field", () => {
    const p = padded(opt(53, 5));
    p.set([2, 1, 6, 1, 0xde, 0xad, 0xbe, 0xef, 0, 9, 0x80, 0], 0);
    p.set([10, 0, 0, 1, 192, 0, 2, 150, 192, 0, 2, 1, 198, 51, 100, 1], 12);
    p.set(bytes("tftp.example"), 44);
    p.set(bytes("pxelinux.0"), 108);
    const m = decodeDhcpv4(p);
    expect(m).toEqual({
      op: 2,
      htype: 1,
      hlen: 6,
      hops: 1,
      xid: 0xdeadbeef,
      secs: 9,
      broadcast: true,
      reservedFlags: 0,
      ciaddr: "10.0.0.1",
      yiaddr: "192.0.2.150",
      siaddr: "192.0.2.1",
      giaddr: "198.51.100.1",
      chaddr: bytes(0, 0x16, 0x3e, 0, 0, 1),
      sname: "tftp.example",
      file: "pxelinux.0",
      options: [{ code: 53, value: 5 }],
    });
    reEncodes(p);
  });

  it("keeps reserved flag bits and chaddr bytes past hlen", () => {
    const p = padded(opt(53, 1));
    p[11] = 0x01;
    p[40] = 0xaa;
    const m = decodeDhcpv4(p);
    expect(m.broadcast).toBe(false);
    expect(m.reservedFlags).toBe(1);
    expect(m.chaddrPadding).toEqual(bytes(0, 0, 0, 0, 0, 0, 0xaa, 0, 0, 0));
    reEncodes(p);
  });

  it("caps chaddr at 16 bytes when hlen claims more", () => {
    const p = padded(opt(53, 1));
    p[2] = 20;
    const m = decodeDhcpv4(p);
    expect(m.hlen).toBe(20);
    expect(m.chaddr).toHaveLength(16);
    reEncodes(p);
  });

  it("keeps sname and file bytes after their NUL", () => {
    const p = padded(opt(53, 1));
    p.set(bytes("srv", 0, "junk"), 44);
    p.set(bytes("boot", 0, 1), 108);
    const m = decodeDhcpv4(p);
    expect([m.sname, m.file]).toEqual(["srv", "boot"]);
    expect(m.snameBytes).toHaveLength(64);
    expect(m.fileBytes).toHaveLength(128);
    reEncodes(p);
  });

  it("reads a bare 236-byte BOOTP header as a message with no options", () => {
    const m = decodeDhcpv4(header());
    expect(m.options).toEqual([]);
    expect(m.layout).toEqual({ cookie: false, options: { instances: [], end: false, trailing: bytes() } });
    reEncodes(header());
  });
});

describe("message types", () => {
  it("names every RFC message type and falls back to the number", () => {
    expect(dhcpv4MessageTypeName(Dhcpv4MessageType.Discover)).toBe("DHCPDISCOVER");
    expect(dhcpv4MessageTypeName(Dhcpv4MessageType.Inform)).toBe("DHCPINFORM");
    expect(dhcpv4MessageTypeName(Dhcpv4MessageType.LeaseQueryDone)).toBe("DHCPLEASEQUERYDONE");
    expect(dhcpv4MessageTypeName(Dhcpv4MessageType.Tls)).toBe("DHCPTLS");
    expect(dhcpv4MessageTypeName(77)).toBe("message type 77");
  });

  it("finds typed options without a switch", () => {
    const m = decodeDhcpv4(padded(opt(53, 5), opt(51, 0, 0, 0x0e, 0x10), opt(3, 192, 0, 2, 1)));
    expect(dhcpv4OptionValue(m, 53)).toBe(Dhcpv4MessageType.Ack);
    expect(dhcpv4OptionValue(m, 51)).toBe(3600);
    expect(findDhcpv4Option(m, 3)?.value).toEqual(["192.0.2.1"]);
    expect(dhcpv4OptionValue(m, 6)).toBeUndefined();
  });
});

describe("hostile input", () => {
  it("rejects a truncated header", () => {
    const e = decodeError(() => decodeDhcpv4(header().subarray(0, 100)));
    expect([e.offset, e.reason]).toEqual([100, "truncated BOOTP header: 100 bytes, need at least 240"]);
  });

  it("rejects a truncated magic cookie", () => {
    const e = decodeError(() => decodeDhcpv4(bytes(header(), 99, 130)));
    expect([e.offset, e.reason]).toEqual([236, "truncated magic cookie: 238 bytes, need 240"]);
  });

  it("rejects a wrong magic cookie", () => {
    const e = decodeError(() => decodeDhcpv4(bytes(header(), 99, 130, 83, 98, 255)));
    expect([e.offset, e.reason]).toEqual([236, "wrong magic cookie 0x63825362, expected 0x63825363"]);
  });

  it("rejects an option whose length runs past the end of the packet", () => {
    const e = decodeError(() => decodeDhcpv4(packet(opt(53, 1), 51, 4, 0, 0)));
    expect([e.offset, e.reason]).toEqual([243, "option 51 (lease time) of length 4 runs past the end of the options field"]);
  });

  it("rejects an option code with no length byte", () => {
    const e = decodeError(() => decodeDhcpv4(packet(opt(53, 1), 224)));
    expect([e.offset, e.reason]).toEqual([243, "option 224 has no length byte before the end of the options field"]);
  });

  it("rejects an overloaded option running past the end of the file field", () => {
    const p = padded(opt(52, 1));
    p.set([224, 200], 108);
    const e = decodeError(() => decodeDhcpv4(p));
    expect([e.offset, e.reason]).toEqual([108, "option 224 of length 200 runs past the end of the file field"]);
  });

  it.each([
    [1, "option 1 (subnet mask) is empty; it needs a value"],
    [51, "option 51 (lease time) is empty; it needs a value"],
    [53, "option 53 (DHCP message type) is empty; it needs a value"],
    [54, "option 54 (server identifier) is empty; it needs a value"],
  ])("marks a zero-length option %i invalid", (code, reason) => {
    expect(optionFault(padded(opt(code))).reason).toBe(reason);
  });

  it("marks a DUID too short in an RFC 4361 client identifier invalid", () => {
    expect(optionFault(padded(opt(61, 255, 0, 0, 0, 1, 0))).reason).toBe(
      "option 61 (client identifier) of 6 bytes is too short for an RFC 4361 IAID and DUID (at least 7)",
    );
  });

  it("marks a domain search label loop invalid", () => {
    expect(optionFault(padded(opt(119, 3, "com", 0, 0xc0, 5)))).toEqual({
      problem: "name",
      offset: 247,
      reason: "option 119 (domain search): domain name compression pointer does not point backwards",
      names: ["com."],
    });
  });

  it("decodes a packet of 10 000 tiny options into one concatenated option, in linear space", () => {
    const parts: number[] = [];
    for (let i = 0; i < 10_000; i++) parts.push(224, 1, i & 0xff, 0);
    const p = padded(parts);
    const m = decodeDhcpv4(p);
    // RFC 3396: one option of 10 000 bytes; the PADs between instances go in the layout
    expect(m.options).toHaveLength(1);
    expect((m.options[0] as { data: Uint8Array }).data).toHaveLength(10_000);
    expect(m.layout?.options.instances).toHaveLength(4 * 10_000);
    reEncodes(p);
  });

  it("decodes 10 000 empty option instances without a quadratic blow-up", () => {
    const p = padded(Array.from({ length: 20_000 }, (_, i) => (i % 2 === 0 ? 224 : 0)));
    const start = performance.now();
    const m = decodeDhcpv4(p);
    expect(performance.now() - start).toBeLessThan(500);
    expect(m.options).toEqual([{ code: 224, data: bytes() }]);
  });

  it(`decodes a domain search of ${DHCP_MAX_DOMAIN_LIST_NAMES} distinct names and refuses thousands without decoding them`, () => {
    const search = (count: number) => {
      const names: number[] = [];
      for (let i = 0; i < count; i++) names.push(2, 97 + (i % 26), 97 + ((i / 26) % 26 | 0), 1, 97 + ((i / 676) % 26 | 0), 0);
      const instances: Uint8Array[] = [];
      for (let at = 0; at < names.length; at += 255) instances.push(opt(119, names.slice(at, at + 255)));
      return padded(...instances);
    };
    expect((dhcpv4OptionValue(decodeDhcpv4(search(DHCP_MAX_DOMAIN_LIST_NAMES)), 119) ?? []).length).toBe(DHCP_MAX_DOMAIN_LIST_NAMES);
    const start = performance.now();
    const e = decodeError(() => decodeDhcpv4(search(6000)));
    expect(performance.now() - start).toBeLessThan(1000);
    expect(e.reason).toBe(`option 119 (domain search): domain name list of more than ${DHCP_MAX_DOMAIN_LIST_NAMES} names`);
  });

  it("refuses the option 119 pointer bomb of a whole datagram in well under a millisecond per name", () => {
    // One 253-octet name and ~32k pointers to it: unbounded, ~32k names and 8 M characters.
    const bomb = dhcpv4PointerBomb(0x01020304);
    expect(bomb.length).toBeGreaterThan(65_000);
    const e = decodeError(() => decodeDhcpv4(bomb));
    const elapsedMs = fastestMs(() => decodeError(() => decodeDhcpv4(bomb)));
    expect(e.reason).toBe(`option 119 (domain search): domain name list longer than ${DHCP_MAX_DOMAIN_LIST_CHARS} characters`);
    // The 17th name passes the bound: its offset in the packet, not past it.
    expect(e.offset).toBeLessThan(240 + 2 * 257);
    expect(elapsedMs).toBeLessThan(50);
  });

  it("throws only DhcpDecodeError for non-Uint8Array input", () => {
    expect(() => decodeDhcpv4("nope" as unknown as Uint8Array)).toThrow(DhcpDecodeError);
  });
});

describe("RFC 3396 long options and option 52 overload", () => {
  it("concatenates split instances of a code in order, wherever they are", () => {
    const m = decodeDhcpv4(padded(opt(6, 192, 0, 2, 1), opt(53, 5), opt(6, 192, 0, 2, 2)));
    expect(m.options).toEqual([
      { code: 6, value: ["192.0.2.1", "192.0.2.2"] },
      { code: 53, value: 5 },
    ]);
    expect(m.layout?.options.instances).toEqual([6, 4, 53, 1, 6, 4]);
    reEncodes(padded(opt(6, 192, 0, 2, 1), opt(53, 5), opt(6, 192, 0, 2, 2)));
  });

  it("types a value only after concatenation (an address split over two instances)", () => {
    const m = decodeDhcpv4(padded(opt(54, 192, 0), opt(54, 2, 1)));
    expect(m.options).toEqual([{ code: 54, value: "192.0.2.1" }]);
  });

  it("reads options from the options field, then file, then sname when option 52 says both", () => {
    const p = padded(opt(52, 3), opt(3, 192, 0, 2, 1));
    p.set(bytes(opt(3, 192, 0, 2, 3), 255), 44); // sname
    p.set(bytes(opt(3, 192, 0, 2, 2), opt(15, "example.test"), 255), 108); // file
    const m = decodeDhcpv4(p);
    expect(m.options).toEqual([
      { code: 52, value: 3 },
      { code: 3, value: ["192.0.2.1", "192.0.2.2", "192.0.2.3"] },
      { code: 15, value: "example.test" },
    ]);
    expect([m.sname, m.file]).toEqual(["", ""]);
    expect(m.layout?.file?.instances).toEqual([3, 4, 15, 12]);
    reEncodes(p);
  });

  it("leaves sname as text when option 52 overloads only file", () => {
    const p = padded(opt(52, 1));
    p.set(bytes("server"), 44);
    p.set(bytes(opt(42, 192, 0, 2, 123), 255), 108);
    const m = decodeDhcpv4(p);
    expect(m.sname).toBe("server");
    expect(dhcpv4OptionValue(m, 42)).toEqual(["192.0.2.123"]);
    expect(m.layout?.file?.instances).toEqual([42, 4]);
    expect(m.layout?.sname).toBeUndefined();
    reEncodes(p);
  });

  it("rejects option 52 repeated inside an overloaded field", () => {
    const p = padded(opt(52, 1));
    p.set(bytes(opt(52, 1), 255), 108);
    expect(decodeError(() => decodeDhcpv4(p)).reason).toBe("option 52 (option overload) has length 2, expected 1");
  });

  it("records PAD, a missing END and trailing bytes so the packet re-encodes", () => {
    reEncodes(packet(0, 0, opt(53, 1), 0)); // no END
    reEncodes(packet(opt(53, 1), 255, 1, 2, 3)); // garbage after END
    reEncodes(packet(opt(53, 1), 255)); // no padding to 300
    const m = decodeDhcpv4(packet(0, 0, opt(53, 1), 0));
    expect(m.layout?.options).toEqual({ instances: [0, 2, 53, 1, 0, 1], end: false, trailing: bytes() });
  });

  it("reads a value over 255 bytes split in 255-byte instances without a layout", () => {
    const value = Array.from({ length: 300 }, (_, i) => i & 0xff);
    const p = padded(opt(224, value.slice(0, 255)), opt(224, value.slice(255)));
    const m = decodeDhcpv4(p);
    expect(m.options).toEqual([{ code: 224, data: Uint8Array.from(value) }]);
    expect(m.layout).toBeUndefined();
    reEncodes(p);
  });
});

describe("peekDhcpv4Header", () => {
  it("reads op, xid, hlen and chaddr as decodeDhcpv4 does, without reading the options", () => {
    const p = padded(opt(53, 2));
    const { op, xid, hlen, chaddr } = decodeDhcpv4(p);
    expect(peekDhcpv4Header(p)).toEqual({ op, xid, hlen, chaddr });
    // Options that do not decode do not matter.
    const bomb = dhcpv4PointerBomb(0xfeedf00d, bytes(0, 0x16, 0x3e, 0, 0, 1));
    expect(peekDhcpv4Header(bomb)).toEqual({ op: 2, xid: 0xfeedf00d, hlen: 6, chaddr: bytes(0, 0x16, 0x3e, 0, 0, 1) });
  });

  it("caps chaddr at 16 bytes and gives undefined for less than a header", () => {
    const p = padded();
    p[2] = 200;
    expect(peekDhcpv4Header(p)?.chaddr.length).toBe(16);
    expect(peekDhcpv4Header(p.subarray(0, 235))).toBeUndefined();
    expect(peekDhcpv4Header("x" as unknown as Uint8Array)).toBeUndefined();
  });
});
