import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DhcpDecodeError } from "../decode-error.js";
import { decodeDhcpv6 } from "./decode.js";
import { encodeDhcpv6 } from "./encode.js";
import { hex, toHex } from "./test-bytes.test.js";

// Real captures (dnsmasq with dhclient and dhcpcd, from
// scripts/capture-fixtures.sh) live in src/fixtures/v6; hand-built packets
// after RFC 8415 in __fixtures__/handmade cover what the captures lack
// (relays, IA_PD, NTP server, DUID-UUID). Each decodes to a reviewed
// snapshot and re-encodes byte for byte.

interface Fixture {
  readonly description: string;
  readonly client: string;
  readonly server: string;
  readonly direction: string;
  readonly hex: string;
}

const here = fileURLToPath(new URL(".", import.meta.url));
const sources = [
  { dir: join(here, "../fixtures/v6"), prefix: "" },
  { dir: join(here, "__fixtures__/handmade"), prefix: "handmade-" },
];
const fixtures = sources.flatMap(({ dir, prefix }) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => ({ name: prefix + f.slice(0, -".json".length), fixture: JSON.parse(readFileSync(join(dir, f), "utf8")) as Fixture }))
    : [],
);

/** The decoded form as JSON: byte arrays as hex text. */
const toPlainJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v), 2) + "\n";

describe("DHCPv6 fixtures", () => {
  it("has fixtures to check", () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  describe.each(fixtures)("$name", ({ name, fixture }) => {
    const bytes = hex(fixture.hex);

    it("decodes to the reviewed form", async () => {
      await expect(toPlainJson(decodeDhcpv6(bytes))).toMatchFileSnapshot(`./__fixtures__/${name}.decoded.json`);
    });

    it("re-encodes byte for byte", () => {
      expect(toHex(encodeDhcpv6(decodeDhcpv6(bytes)))).toBe(fixture.hex.toLowerCase());
    });
  });

  it("truncated and mutated fixtures only ever decode (and re-encode identically) or throw DhcpDecodeError", () => {
    const packets = fixtures.map(({ fixture }) => hex(fixture.hex));
    const check = (bytes: Uint8Array) => {
      try {
        expect(encodeDhcpv6(decodeDhcpv6(bytes))).toEqual(bytes);
      } catch (e) {
        if (!(e instanceof DhcpDecodeError)) throw e;
      }
    };
    fc.assert(
      fc.property(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (which, edits, cut) => {
        const bytes = packets[which % packets.length]!.slice();
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        check(bytes);
        check(bytes.subarray(0, cut % (bytes.length + 1)));
      }),
      { numRuns: 3000 },
    );
  });
});
