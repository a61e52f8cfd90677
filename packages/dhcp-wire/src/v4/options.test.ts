import { describe, expect, it } from "vitest";
import { decodeDhcpv4 } from "./decode.js";
import { encodeDhcpv4 } from "./encode.js";
import type { Dhcpv4Option } from "./message.js";
import { bytes, decodeError, hex, opt, optionFault, padded } from "./test-packets.test.js";

/** The only option of a padded packet holding `instance`. */
const decodeOne = (instance: Uint8Array): Dhcpv4Option => {
  const options = decodeDhcpv4(padded(instance)).options;
  expect(options).toHaveLength(1);
  return options[0]!;
};

/** Decodes, checks the typed value, and checks it encodes back to the same instance. */
const roundTrips = (instance: Uint8Array, expected: unknown) => {
  const packet = padded(instance);
  const message = decodeDhcpv4(packet);
  expect(message.options).toEqual([expected]);
  expect(hex(encodeDhcpv4(message))).toBe(hex(packet));
  expect(message.layout).toBeUndefined();
};

/**
 * Why a packet holding `instance` has it marked invalid (offset checked
 * against `offset` when given): a bad value spoils its option, not the packet.
 */
const reason = (instance: Uint8Array, offset?: number): string => {
  const fault = optionFault(padded(instance));
  if (offset !== undefined) expect(fault.offset).toBe(offset);
  return fault.reason;
};

/** Reason of the error rejecting a packet holding `instance`. */
const rejection = (instance: Uint8Array): string => decodeError(() => decodeDhcpv4(padded(instance))).reason;

describe("address options (1, 28, 50, 54)", () => {
  it.each([1, 28, 50, 54])("reads option %i as dotted-quad text", (code) => {
    roundTrips(opt(code, 255, 255, 255, 0), { code, value: "255.255.255.0" });
  });

  it("names the option when its address is empty", () => {
    expect(reason(opt(1), 242)).toBe("option 1 (subnet mask) is empty; it needs a value");
  });

  it("rejects an address of the wrong length", () => {
    expect(reason(opt(54, 192, 0, 2))).toBe("option 54 (server identifier) has length 3, expected 4");
  });
});

describe("address list options (3, 6, 42)", () => {
  it.each([3, 6, 42])("reads option %i as a list in wire order", (code) => {
    roundTrips(opt(code, 192, 0, 2, 1, 198, 51, 100, 53), { code, value: ["192.0.2.1", "198.51.100.53"] });
  });

  it("rejects a list that is not whole addresses", () => {
    expect(reason(opt(6, 192, 0, 2, 1, 9))).toBe("option 6 (domain name servers) has length 5, not a multiple of 4");
  });

  it("rejects an empty router list", () => {
    expect(reason(opt(3))).toBe("option 3 (routers) is empty; it needs a value");
  });
});

describe("text options (12, 15)", () => {
  it("reads a host name", () => {
    roundTrips(opt(12, "c1"), { code: 12, value: "c1" });
  });

  it("keeps bytes that are not ASCII (a trailing NUL, Latin-1) so they re-encode", () => {
    roundTrips(opt(15, "example.test", 0, 0xe9), { code: 15, value: "example.test\u0000\u00e9" });
  });

  it("rejects an empty domain name", () => {
    expect(reason(opt(15))).toBe("option 15 (domain name) is empty; it needs a value");
  });
});

describe("integer options (26, 51, 57, 58, 59)", () => {
  it.each([
    [26, [5, 0xdc], 1500],
    [57, [5, 0xc0], 1472],
    [51, [0, 0, 0x0e, 0x10], 3600],
    [58, [0, 0, 7, 8], 1800],
    [59, [0xff, 0xff, 0xff, 0xff], 0xffffffff],
  ])("reads option %i", (code, data, value) => {
    roundTrips(opt(code, data), { code, value });
  });

  it("names the lease time when it is empty", () => {
    expect(reason(opt(51), 242)).toBe("option 51 (lease time) is empty; it needs a value");
  });

  it("rejects an MTU of the wrong length", () => {
    expect(reason(opt(26, 1, 2, 3))).toBe("option 26 (interface MTU) has length 3, expected 2");
  });
});

describe("message type (53)", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 18, 200])("reads type %i", (type) => {
    roundTrips(opt(53, type), { code: 53, value: type });
  });

  it("names the message type when it is empty", () => {
    expect(reason(opt(53), 242)).toBe("option 53 (DHCP message type) is empty; it needs a value");
  });

  it("rejects a two-byte message type", () => {
    expect(reason(opt(53, 1, 1))).toBe("option 53 (DHCP message type) has length 2, expected 1");
  });
});

describe("parameter request list (55)", () => {
  it("keeps the order the client asked in", () => {
    roundTrips(opt(55, 1, 121, 3, 6, 15, 119), { code: 55, value: [1, 121, 3, 6, 15, 119] });
  });

  it("rejects an empty list", () => {
    expect(reason(opt(55))).toBe("option 55 (parameter request list) is empty; it needs a value");
  });
});

describe("client identifier (61)", () => {
  it("reads a hardware type and address", () => {
    roundTrips(opt(61, 1, 0, 0x16, 0x3e, 0, 0, 1), {
      code: 61,
      value: { form: "hardware", hardwareType: 1, address: bytes(0, 0x16, 0x3e, 0, 0, 1) },
    });
  });

  it("reads type 0 as an identifier that is not a hardware address", () => {
    roundTrips(opt(61, 0, "myclient"), { code: 61, value: { form: "other", identifier: bytes("myclient") } });
  });

  it("reads the RFC 4361 form: IAID and DUID-LL", () => {
    roundTrips(opt(61, 255, 0, 0, 0, 7, 0, 3, 0, 1, 2, 0, 0, 0, 0, 1), {
      code: 61,
      value: {
        form: "duid",
        iaid: 7,
        duid: { type: "ll", hardwareType: 1, linkLayerAddress: bytes(2, 0, 0, 0, 0, 1) },
      },
    });
  });

  it("reads RFC 4361 DUID-EN and DUID-UUID", () => {
    roundTrips(opt(61, 255, 1, 2, 3, 4, 0, 2, 0, 0, 0x7e, 0xd9, 0xaa), {
      code: 61,
      value: { form: "duid", iaid: 0x01020304, duid: { type: "en", enterpriseNumber: 32473, identifier: bytes(0xaa) } },
    });
    const uuid = [...Array(16).keys()];
    roundTrips(opt(61, 255, 0, 0, 0, 1, 0, 4, uuid), {
      code: 61,
      value: { form: "duid", iaid: 1, duid: { type: "uuid", uuid: "00010203-0405-0607-0809-0a0b0c0d0e0f" } },
    });
  });

  it("keeps a DUID of an unknown type as raw bytes", () => {
    roundTrips(opt(61, 255, 0, 0, 0, 1, 0, 9, 1, 2), {
      code: 61,
      value: { form: "duid", iaid: 1, duid: { type: "raw", typeCode: 9, data: bytes(1, 2) } },
    });
  });

  it("rejects a DUID-LLT too short for its time", () => {
    // value starts at 242; the DUID after type 255 and the IAID at 247
    expect(reason(opt(61, 255, 0, 0, 0, 1, 0, 1, 0, 1, 0), 247)).toBe(
      "option 61 (client identifier): DUID-LLT of 5 bytes is too short (at least 8)",
    );
  });

  it("rejects an RFC 4361 identifier with no room for IAID and DUID", () => {
    expect(reason(opt(61, 255, 0, 0, 1))).toBe(
      "option 61 (client identifier) of 4 bytes is too short for an RFC 4361 IAID and DUID (at least 7)",
    );
  });

  it("rejects a type byte with no identifier", () => {
    expect(reason(opt(61, 1))).toBe("option 61 (client identifier) has length 1, expected at least 2");
  });
});

describe("client FQDN (81)", () => {
  it("reads flags and a fully qualified name in wire format (E set)", () => {
    roundTrips(opt(81, 0x05, 0, 0, 2, "c1", 7, "example", 4, "test", 0), {
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
    });
  });

  it("reads a partial name without the root label", () => {
    const option = decodeOne(opt(81, 0x04, 0, 0, 2, "c1"));
    expect(option).toMatchObject({ value: { name: "c1", canonicalEncoding: true } });
    expect(hex(encodeDhcpv4(decodeDhcpv4(padded(opt(81, 0x04, 0, 0, 2, "c1")))))).toBe(
      hex(padded(opt(81, 0x04, 0, 0, 2, "c1"))),
    );
  });

  it("reads the deprecated ASCII form when E is clear, with server flags and rcodes", () => {
    roundTrips(opt(81, 0x0b, 255, 255, "c1.example.test"), {
      code: 81,
      value: {
        serverUpdate: true,
        serverOverride: true,
        canonicalEncoding: false,
        noServerUpdate: true,
        reservedFlags: 0,
        rcode1: 255,
        rcode2: 255,
        name: "c1.example.test",
      },
    });
  });

  it("reads an empty name (the client asks the server to choose) and keeps reserved flag bits", () => {
    roundTrips(opt(81, 0x14, 0, 0), {
      code: 81,
      value: {
        serverUpdate: false,
        serverOverride: false,
        canonicalEncoding: true,
        noServerUpdate: false,
        reservedFlags: 0x10,
        rcode1: 0,
        rcode2: 0,
        name: "",
      },
    });
  });

  it("rejects an option too short for its flags and rcodes", () => {
    expect(reason(opt(81, 0x04, 0))).toBe("option 81 (client FQDN) has length 2, expected at least 3");
  });

  it("rejects a compression pointer in the name", () => {
    expect(reason(opt(81, 0x04, 0, 0, 2, "c1", 0xc0, 0))).toBe(
      "option 81 (client FQDN): compression pointer in a domain name where none is allowed",
    );
  });
});

describe("domain search (119)", () => {
  const example = bytes(3, "eng", 5, "apple", 3, "com", 0, 9, "marketing", 0xc0, 4);

  it("reads the RFC 3397 example with a compression pointer", () => {
    roundTrips(opt(119, example), { code: 119, value: ["eng.apple.com.", "marketing.apple.com."] });
  });

  it("keeps an uncompressed list as received, and re-encodes it unchanged", () => {
    const plain = bytes(3, "eng", 5, "apple", 3, "com", 0, 9, "marketing", 5, "apple", 3, "com", 0);
    const option = decodeOne(opt(119, plain));
    expect(option).toEqual({ code: 119, value: ["eng.apple.com.", "marketing.apple.com."], wire: plain });
    const packet = padded(opt(119, plain));
    expect(hex(encodeDhcpv4(decodeDhcpv4(packet)))).toBe(hex(packet));
  });

  it("drops the received bytes once the names change", () => {
    const plain = bytes(3, "eng", 5, "apple", 3, "com", 0);
    const message = decodeDhcpv4(padded(opt(119, plain, 3, "com", 0)));
    const changed = { ...message, options: [{ code: 119 as const, value: ["a.com.", "b.com."], wire: plain }] };
    expect(decodeDhcpv4(encodeDhcpv4(changed)).options).toEqual([{ code: 119, value: ["a.com.", "b.com."] }]);
  });

  it("rejects a pointer loop", () => {
    expect(reason(opt(119, 0xc0, 0), 242)).toBe(
      "option 119 (domain search): domain name compression pointer does not point backwards",
    );
  });

  it("rejects a pointer forward into a later name", () => {
    expect(reason(opt(119, 0xc0, 2, 3, "com", 0))).toBe(
      "option 119 (domain search): domain name compression pointer does not point backwards",
    );
  });

  it("marks a name longer than 255 octets invalid, pointing into the instance that holds it", () => {
    const label = bytes(63, "a".repeat(63));
    const ok = bytes(label, label, label, 0); // 193 bytes, fine
    const long = bytes(label, label, label, label, 0); // its 4th label takes it past 255
    const value = bytes(ok, long);
    const e = optionFault(padded(opt(119, value.subarray(0, 255)), opt(119, value.subarray(255))));
    expect(e.reason).toBe("option 119 (domain search): domain name longer than 255 octets");
    // value byte 193 + 192 = 385 is byte 130 of the second instance's value
    expect(e.offset).toBe(240 + 2 + 255 + 2 + 130);
    expect(e.names).toEqual([`${"a".repeat(63)}.${"a".repeat(63)}.${"a".repeat(63)}.`]);
  });

  it("rejects a name cut short by the end of the option", () => {
    expect(reason(opt(119, 3, "com"))).toBe("option 119 (domain search): domain name runs past the end of its option");
  });

  it("rejects an empty search list", () => {
    expect(reason(opt(119))).toBe("option 119 (domain search) is empty; it needs a value");
  });
});

describe("classless static routes (121)", () => {
  it("reads routes with significant-octet destinations and an on-link route", () => {
    roundTrips(
      opt(121, 0, 192, 0, 2, 1, 24, 198, 51, 100, 192, 0, 2, 2, 32, 203, 0, 113, 7, 0, 0, 0, 0, 9, 10, 128, 192, 0, 2, 3),
      {
        code: 121,
        value: [
          { destination: "0.0.0.0", prefixLength: 0, router: "192.0.2.1" },
          { destination: "198.51.100.0", prefixLength: 24, router: "192.0.2.2" },
          { destination: "203.0.113.7", prefixLength: 32, router: "0.0.0.0" },
          { destination: "10.128.0.0", prefixLength: 9, router: "192.0.2.3" },
        ],
      },
    );
  });

  it("keeps host bits inside the last significant octet as sent", () => {
    roundTrips(opt(121, 9, 10, 129, 192, 0, 2, 1), {
      code: 121,
      value: [{ destination: "10.129.0.0", prefixLength: 9, router: "192.0.2.1" }],
    });
  });

  it("rejects a prefix length over 32", () => {
    expect(reason(opt(121, 33, 1, 2, 3, 4, 5, 192, 0, 2, 1), 242)).toBe(
      "option 121 (classless static routes) has a destination prefix length of 33, over 32",
    );
  });

  it("rejects a route cut short", () => {
    expect(reason(opt(121, 24, 10, 0, 0, 192, 0, 2), 242)).toBe(
      "option 121 (classless static routes) has a route running past the end of the option",
    );
  });

  it("rejects an empty route list", () => {
    expect(reason(opt(121))).toBe("option 121 (classless static routes) is empty; it needs a value");
  });
});

describe("option overload (52)", () => {
  it("rejects the packet for a value other than 1, 2 or 3 (it says where options are)", () => {
    expect(rejection(opt(52, 4))).toBe("option 52 (option overload) has value 4, expected 1 (file), 2 (sname) or 3 (both)");
  });

  it("names the overload option when it is empty", () => {
    expect(rejection(opt(52))).toBe("option 52 (option overload) is empty; it needs a value");
  });
});

describe("unknown options", () => {
  it("keeps the raw bytes, including an empty value", () => {
    roundTrips(opt(224, 1, 2, 3), { code: 224, data: bytes(1, 2, 3) });
    roundTrips(opt(80), { code: 80, data: bytes() });
  });
});
