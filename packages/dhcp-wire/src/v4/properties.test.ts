import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DhcpDecodeError } from "../decode-error.js";
import type { Duid } from "../v6/duid.js";
import { decodeDhcpv4 } from "./decode.js";
import { encodeDhcpv4 } from "./encode.js";
import type { Dhcpv4ClientIdentifier, Dhcpv4Message, Dhcpv4Option } from "./message.js";
import { hex } from "./test-packets.test.js";

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ipv4 = fc.ipV4();
const blob = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const latin1 = (min: number, max: number, noNul = false) =>
  fc
    .array(fc.integer({ min: noNul ? 1 : 0, max: 255 }), { minLength: min, maxLength: max })
    .map((codes) => String.fromCharCode(...codes));
const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,14}$/);
const fqdn = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join(".") + ".");

const duid: fc.Arbitrary<Duid> = fc.oneof(
  fc.record({ type: fc.constant("llt" as const), hardwareType: u16, time: u32, linkLayerAddress: blob(0, 16) }),
  fc.record({ type: fc.constant("en" as const), enterpriseNumber: u32, identifier: blob(0, 16) }),
  fc.record({ type: fc.constant("ll" as const), hardwareType: u16, linkLayerAddress: blob(0, 16) }),
  fc.uuid().map((uuid) => ({ type: "uuid" as const, uuid })),
  fc.record({ type: fc.constant("raw" as const), typeCode: fc.integer({ min: 5, max: 0xffff }), data: blob(0, 16) }),
);

const clientId: fc.Arbitrary<Dhcpv4ClientIdentifier> = fc.oneof(
  fc.record({ form: fc.constant("duid" as const), iaid: u32, duid }),
  fc.record({ form: fc.constant("hardware" as const), hardwareType: fc.integer({ min: 1, max: 254 }), address: blob(1, 20) }),
  fc.record({ form: fc.constant("other" as const), identifier: blob(1, 20) }),
);

const route = fc.integer({ min: 0, max: 32 }).chain((prefixLength) =>
  fc.tuple(blob(4, 4), ipv4).map(([d, router]) => {
    const significant = (prefixLength + 7) >> 3;
    const dest = [0, 1, 2, 3].map((i) => (i < significant ? d[i]! : 0));
    return { destination: dest.join("."), prefixLength, router };
  }),
);

const KNOWN = new Set([1, 3, 6, 12, 15, 26, 28, 42, 50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 81, 119, 121]);

const option: fc.Arbitrary<Dhcpv4Option> = fc.oneof(
  fc.constantFrom(1, 28, 50, 54).chain((code) => ipv4.map((value) => ({ code, value }) as Dhcpv4Option)),
  fc.constantFrom(3, 6, 42).chain((code) => fc.array(ipv4, { minLength: 1, maxLength: 80 }).map((value) => ({ code, value }) as Dhcpv4Option)),
  fc.constantFrom(12, 15).chain((code) => latin1(1, 300).map((value) => ({ code, value }) as Dhcpv4Option)),
  fc.constantFrom(26, 57).chain((code) => u16.map((value) => ({ code, value }) as Dhcpv4Option)),
  fc.constantFrom(51, 58, 59).chain((code) => u32.map((value) => ({ code, value }) as Dhcpv4Option)),
  u8.map((value) => ({ code: 53, value }) as Dhcpv4Option),
  fc.array(u8, { minLength: 1, maxLength: 300 }).map((value) => ({ code: 55, value }) as Dhcpv4Option),
  clientId.map((value) => ({ code: 61, value }) as Dhcpv4Option),
  fc
    .record({
      serverUpdate: fc.boolean(),
      serverOverride: fc.boolean(),
      canonicalEncoding: fc.boolean(),
      noServerUpdate: fc.boolean(),
      reservedFlags: fc.constantFrom(0, 0x10, 0xf0),
      rcode1: u8,
      rcode2: u8,
      partial: fc.boolean(),
      name: fc.oneof(fqdn, fc.constant("")),
    })
    .map(({ partial, ...v }) => {
      const name = v.canonicalEncoding && partial && v.name !== "" ? v.name.slice(0, -1) : v.name;
      return { code: 81, value: { ...v, name } } as Dhcpv4Option;
    }),
  fc.array(fqdn, { minLength: 1, maxLength: 20 }).map((value) => ({ code: 119, value }) as Dhcpv4Option),
  fc.array(route, { minLength: 1, maxLength: 40 }).map((value) => ({ code: 121, value }) as Dhcpv4Option),
  fc
    .tuple(fc.integer({ min: 1, max: 254 }).filter((c) => !KNOWN.has(c)), blob(0, 300))
    .map(([code, data]) => ({ code, data })),
);

const message: fc.Arbitrary<Dhcpv4Message> = fc
  .record({
    op: u8,
    htype: u8,
    hlen: u8,
    hops: u8,
    xid: u32,
    secs: u16,
    broadcast: fc.boolean(),
    reservedFlags: fc.integer({ min: 0, max: 0x7fff }),
    ciaddr: ipv4,
    yiaddr: ipv4,
    siaddr: ipv4,
    giaddr: ipv4,
    chaddr16: blob(16, 16),
    sname: latin1(0, 64, true),
    file: latin1(0, 128, true),
    overload: fc.constantFrom(0, 0, 1, 2, 3),
    options: fc.uniqueArray(option, { selector: (o) => o.code, maxLength: 12 }),
  })
  .map(({ chaddr16, overload, options, ...m }) => ({
    ...m,
    chaddr: chaddr16.subarray(0, Math.min(16, m.hlen)),
    sname: overload & 2 ? "" : m.sname,
    file: overload & 1 ? "" : m.file,
    options: overload === 0 ? options.filter((o) => o.code !== 52) : [{ code: 52, value: overload }, ...options.filter((o) => o.code !== 52)],
  }));

const here = fileURLToPath(new URL(".", import.meta.url));
const seeds = [join(here, "../fixtures/v4"), join(here, "__fixtures__/handmade")].flatMap((dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => Uint8Array.from(Buffer.from((JSON.parse(readFileSync(join(dir, f), "utf8")) as { hex: string }).hex, "hex")))
    : [],
);

/** Decodes `bytes`; whenever it decodes, it must re-encode to exactly `bytes`. */
function decodesSafely(bytes: Uint8Array): void {
  let decoded: Dhcpv4Message;
  try {
    decoded = decodeDhcpv4(bytes);
  } catch (e) {
    if (!(e instanceof DhcpDecodeError)) throw e;
    return;
  }
  expect(hex(encodeDhcpv4(decoded))).toBe(hex(bytes));
}

describe("DHCPv4 properties", () => {
  it("decode(encode(m)) equals m for generated messages", () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeDhcpv4(encodeDhcpv4(m))).toEqual(m);
      }),
      { numRuns: 500 },
    );
  });

  it("random bytes only ever decode or throw DhcpDecodeError", () => {
    fc.assert(fc.property(blob(0, 600), decodesSafely), { numRuns: 2000 });
  });

  it("random options after a valid header decode and re-encode byte for byte, or throw DhcpDecodeError", () => {
    const base = seeds[0]!.subarray(0, 240);
    fc.assert(
      fc.property(blob(0, 400), (tail) => {
        const p = new Uint8Array(240 + tail.length);
        p.set(base);
        p.set(tail, 240);
        decodesSafely(p);
      }),
      { numRuns: 2000 },
    );
  });

  it("mutated and truncated fixtures decode and re-encode byte for byte, or throw DhcpDecodeError", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat()),
        (seed, changes, cut) => {
          const p = seed.slice();
          for (const [at, value] of changes) p[at % p.length] = value;
          decodesSafely(cut === null ? p : p.subarray(0, cut % (p.length + 1)));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
