import { describe, expect, it } from "vitest";
import { decodeDhcpv6, peekDhcpv6Header } from "./decode.js";
import { encodeDhcpv6 } from "./encode.js";
import { Dhcpv6MessageType, dhcpv6StatusCodeName, findDhcpv6Option, findDhcpv6Options, isDhcpv6RelayMessage } from "./message.js";
import { decodeError, hex, msg, opt, optionFault, toHex } from "./test-bytes.test.js";

const ADDR = "20010db8000100000000000000000100"; // 2001:db8:1::100
const LL = "fe800000000000000000000000000001"; // fe80::1

/** Decodes a Reply holding one option and returns that option, after checking re-encode. */
const one = (code: number, value: string) => {
  const bytes = msg(7, opt(code, value));
  const message = decodeDhcpv6(bytes);
  expect(toHex(encodeDhcpv6(message))).toBe(toHex(bytes));
  expect(message.options).toHaveLength(1);
  return message.options[0];
};
// A bad value marks its option invalid; the message still decodes.
const reasonOf = (code: number, value: string) => optionFault(msg(7, opt(code, value))).reason;

describe("DHCPv6 message headers", () => {
  it("decodes a client/server header with its 24-bit transaction id", () => {
    expect(decodeDhcpv6(hex("01 abcdef"))).toEqual({ messageType: 1, transactionId: 0xabcdef, options: [] });
  });

  it.each(Object.entries(Dhcpv6MessageType).filter(([, t]) => t !== 12 && t !== 13))("decodes %s as a client/server message", (_, type) => {
    const bytes = msg(type, opt(8, "0000"));
    const message = decodeDhcpv6(bytes);
    expect(message.messageType).toBe(type);
    expect(isDhcpv6RelayMessage(message)).toBe(false);
    expect(encodeDhcpv6(message)).toEqual(bytes);
  });

  it("decodes a Relay-Forward with the client's Solicit inside", () => {
    const inner = toHex(msg(1, opt(8, "0000")));
    const bytes = hex("0c 01" + ADDR + LL + opt(18, "657468") + opt(9, inner));
    const message = decodeDhcpv6(bytes);
    expect(message).toEqual({
      messageType: 12,
      hopCount: 1,
      linkAddress: "2001:db8:1::100",
      peerAddress: "fe80::1",
      options: [
        { code: 18, data: hex("657468") },
        { code: 9, message: { messageType: 1, transactionId: 0x010203, options: [{ code: 8, elapsedTime: 0 }] } },
      ],
    });
    expect(isDhcpv6RelayMessage(message)).toBe(true);
    expect(encodeDhcpv6(message)).toEqual(bytes);
  });

  it("decodes a Relay-Reply", () => {
    const bytes = hex("0d 00" + ADDR + LL + opt(9, toHex(msg(7))));
    expect(decodeDhcpv6(bytes)).toMatchObject({ messageType: 13, hopCount: 0, options: [{ code: 9, message: { messageType: 7 } }] });
  });

  it("rejects truncated headers", () => {
    expect(decodeError(() => decodeDhcpv6(hex(""))).reason).toBe("empty DHCPv6 message");
    expect(decodeError(() => decodeDhcpv6(hex("010203"))).reason).toBe("message of 3 bytes is shorter than its 4-byte header");
    expect(decodeError(() => decodeDhcpv6(hex("0c00" + ADDR))).reason).toBe("relay message of 18 bytes is shorter than its 34-byte header");
  });

  it("turns a non-Uint8Array input into a DhcpDecodeError", () => {
    expect(decodeError(() => decodeDhcpv6("01020304" as unknown as Uint8Array)).reason).toBe("input is not a Uint8Array");
  });
});

describe("DHCPv6 options", () => {
  it("Client and Server Identifier hold typed DUIDs", () => {
    expect(one(1, "00030001525400abcdef")).toEqual({
      code: 1,
      duid: { type: "ll", hardwareType: 1, linkLayerAddress: hex("525400abcdef") },
    });
    expect(one(2, "0002000007e6aabb")).toEqual({ code: 2, duid: { type: "en", enterpriseNumber: 2022, identifier: hex("aabb") } });
    expect(reasonOf(1, "")).toBe("DUID of 0 bytes is too short (at least 2)");
    expect(reasonOf(2, "000100")).toBe("DUID-LLT of 3 bytes is too short (at least 8)");
  });

  it("IA_NA holds IAID, T1, T2 and nested IAADDR with a status code", () => {
    const iaaddr = opt(5, ADDR + "00000e10 00001c20" + opt(13, "0000" + Buffer.from("ok").toString("hex")));
    expect(one(3, "0000000a 00000708 00000b40" + iaaddr)).toEqual({
      code: 3,
      iaid: 10,
      t1: 1800,
      t2: 2880,
      options: [
        {
          code: 5,
          address: "2001:db8:1::100",
          preferredLifetime: 3600,
          validLifetime: 7200,
          options: [{ code: 13, statusCode: 0, message: "ok" }],
        },
      ],
    });
    expect(reasonOf(3, "0000000a 00000708 000000")).toBe("option 3 of 11 bytes is too short (at least 12)");
    expect(reasonOf(5, ADDR + "00000e10 000000")).toBe("option 5 of 23 bytes is too short (at least 24)");
  });

  it("IA_TA holds an IAID and options", () => {
    expect(one(4, "ffffffff")).toEqual({ code: 4, iaid: 0xffffffff, options: [] });
    expect(reasonOf(4, "000000")).toBe("option 4 of 3 bytes is too short (at least 4)");
  });

  it("IA_PD holds IAPREFIX with prefix length and prefix", () => {
    const prefix = opt(26, "00000e10 00001c20 38 20010db8ff0000000000000000000000");
    expect(one(25, "00000001 00000000 00000000" + prefix)).toEqual({
      code: 25,
      iaid: 1,
      t1: 0,
      t2: 0,
      options: [{ code: 26, preferredLifetime: 3600, validLifetime: 7200, prefixLength: 56, prefix: "2001:db8:ff00::", options: [] }],
    });
    expect(reasonOf(26, "00000e10 00001c20 38")).toBe("option 26 of 9 bytes is too short (at least 25)");
    expect(reasonOf(26, "00000e10 00001c20 81 20010db8ff0000000000000000000000")).toBe("IA prefix length 129 is over 128");
  });

  it("Option Request lists codes in order and rejects an odd length", () => {
    expect(one(6, "0017 0018 0038")).toEqual({ code: 6, codes: [23, 24, 56] });
    expect(one(6, "")).toEqual({ code: 6, codes: [] });
    expect(reasonOf(6, "001700")).toBe("option request option of odd length 3");
  });

  it("Preference, Elapsed Time and Reconfigure Message have fixed sizes", () => {
    expect(one(7, "ff")).toEqual({ code: 7, preference: 255 });
    expect(one(8, "ffff")).toEqual({ code: 8, elapsedTime: 0xffff });
    expect(one(19, "05")).toEqual({ code: 19, messageType: 5 });
    expect(reasonOf(7, "")).toBe("option 7 has 0 bytes, want 1");
    expect(reasonOf(8, "00")).toBe("option 8 has 1 bytes, want 2");
    expect(reasonOf(19, "0505")).toBe("option 19 has 2 bytes, want 1");
  });

  it("Server Unicast holds one address", () => {
    expect(one(12, ADDR)).toEqual({ code: 12, address: "2001:db8:1::100" });
    expect(reasonOf(12, "20010db8")).toBe("option 12 has 4 bytes, want 16");
  });

  it("Status Code holds a code and UTF-8 text, with registry names", () => {
    const text = Buffer.from("Adresse indisponible: été").toString("hex");
    expect(one(13, "0002" + text)).toEqual({ code: 13, statusCode: 2, message: "Adresse indisponible: été" });
    expect(one(13, "0006")).toEqual({ code: 13, statusCode: 6, message: "" });
    expect(dhcpv6StatusCodeName(2)).toBe("NoAddrsAvail");
    expect(dhcpv6StatusCodeName(22)).toBe("ExcessiveTimeSkew");
    expect(dhcpv6StatusCodeName(999)).toBeUndefined();
    expect(reasonOf(13, "00")).toBe("option 13 of 1 bytes is too short (at least 2)");
    expect(reasonOf(13, "0001 ff")).toBe("status message is not valid UTF-8");
  });

  it("Rapid Commit and Reconfigure Accept must be empty", () => {
    expect(one(14, "")).toEqual({ code: 14 });
    expect(one(20, "")).toEqual({ code: 20 });
    expect(reasonOf(14, "00")).toBe("option 14 must be empty but has 1 bytes");
    expect(reasonOf(20, "0000")).toBe("option 20 must be empty but has 2 bytes");
  });

  it("DNS servers are a non-empty list of addresses", () => {
    expect(one(23, ADDR + LL)).toEqual({ code: 23, servers: ["2001:db8:1::100", "fe80::1"] });
    expect(reasonOf(23, "")).toBe("option 23 of 0 bytes is not a non-empty list of 16-byte addresses");
    expect(reasonOf(23, ADDR + "00")).toBe("option 23 of 17 bytes is not a non-empty list of 16-byte addresses");
  });

  it("Domain list holds uncompressed, fully qualified names", () => {
    expect(one(24, "076578616d706c6503636f6d00 036c616e00")).toEqual({ code: 24, domains: ["example.com.", "lan."] });
    expect(reasonOf(24, "")).toBe("option 24 of 0 bytes is too short (at least 1)");
    expect(reasonOf(24, "036c616e00 c000")).toBe("compression pointer in a domain name where none is allowed");
    expect(reasonOf(24, "036c616e")).toBe("domain name runs past the end of its option");
  });

  it("Information Refresh Time, SOL_MAX_RT and INF_MAX_RT are seconds", () => {
    expect(one(32, "00015180")).toEqual({ code: 32, seconds: 86400 });
    expect(one(82, "00000e10")).toEqual({ code: 82, seconds: 3600 });
    expect(one(83, "ffffffff")).toEqual({ code: 83, seconds: 0xffffffff });
    expect(reasonOf(32, "000151")).toBe("option 32 has 3 bytes, want 4");
    expect(reasonOf(82, "")).toBe("option 82 has 0 bytes, want 4");
  });

  it("Client FQDN keeps flags and a full, partial or empty name", () => {
    expect(one(39, "01 04686f7374076578616d706c6500")).toEqual({ code: 39, flags: 1, name: "host.example." });
    expect(one(39, "00 04686f7374")).toEqual({ code: 39, flags: 0, name: "host" });
    expect(one(39, "04")).toEqual({ code: 39, flags: 4, name: "" });
    expect(reasonOf(39, "")).toBe("option 39 of 0 bytes is too short (at least 1)");
    expect(reasonOf(39, "01 016100 016200")).toBe("client FQDN option holds 2 names, want one");
  });

  it("NTP server holds address, multicast and FQDN sub-options", () => {
    const sub = (code: number, v: string) => opt(code, v);
    expect(one(56, sub(1, ADDR) + sub(2, "ff020000000000000000000000000101") + sub(3, "036e7470036f726700") + sub(9, "aa"))).toEqual({
      code: 56,
      suboptions: [
        { code: 1, address: "2001:db8:1::100" },
        { code: 2, address: "ff02::101" },
        { code: 3, name: "ntp.org." },
        { code: 9, data: hex("aa") },
      ],
    });
    expect(reasonOf(56, "")).toBe("option 56 of 0 bytes is too short (at least 1)");
    expect(reasonOf(56, sub(1, "20010db8"))).toBe("NTP sub-option 1 has 4 bytes, want 16");
    expect(reasonOf(56, sub(3, ""))).toBe("NTP server FQDN sub-option holds 0 names, want one");
    expect(reasonOf(56, "0001 0010 20")).toBe("NTP sub-option 1 of 16 bytes runs past the end of option 56");
    expect(reasonOf(56, "0001")).toBe("NTP sub-option header of 2 bytes runs past the end of option 56");
  });

  it("keeps unknown options as raw bytes and writes them back", () => {
    expect(one(0xfffe, "0102")).toEqual({ code: 0xfffe, data: hex("0102") });
    expect(one(16, "")).toEqual({ code: 16, data: hex("") });
  });

  it("reports the offset of the option at fault", () => {
    const bytes = msg(7, opt(8, "0000"), opt(7, ""));
    expect(optionFault(bytes).offset).toBe(10);
  });
});

describe("option accessors", () => {
  const reply = decodeDhcpv6(
    msg(7, opt(3, "00000001 00000000 00000000" + opt(5, ADDR + "00000e10 00001c20")), opt(3, "00000002 00000000 00000000"), opt(23, ADDR)),
  );

  it("finds the first option of a code, typed", () => {
    const ia = findDhcpv6Option(reply, 3);
    expect(ia?.iaid).toBe(1);
    expect(ia && findDhcpv6Option(ia, 5)?.address).toBe("2001:db8:1::100");
    expect(findDhcpv6Option(reply, 23)?.servers).toEqual(["2001:db8:1::100"]);
    expect(findDhcpv6Option(reply, 2)).toBeUndefined();
  });

  it("finds every option of a code in order", () => {
    expect(findDhcpv6Options(reply, 3).map((ia) => ia.iaid)).toEqual([1, 2]);
  });
});

describe("peekDhcpv6Header", () => {
  it("reads the message type and transaction id without reading the options", () => {
    expect(peekDhcpv6Header(msg(7, opt(24, "ff")))).toEqual({ messageType: 7, transactionId: 0x010203 });
    expect(peekDhcpv6Header(hex("02ffeedd"))).toEqual({ messageType: 2, transactionId: 0xffeedd });
    expect(peekDhcpv6Header(hex("020102"))).toBeUndefined();
  });
});
