import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeDhcpv6 } from "./decode.js";
import { encodeDhcpv6 } from "./encode.js";
import { hex, toHex } from "./test-bytes.test.js";

// Real captures land in src/fixtures/v6 (from the capture helper); until
// they do, hand-built packets after RFC 8415 in __fixtures__/handmade stand
// in. Each decodes to a reviewed snapshot and re-encodes byte for byte.

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
});
