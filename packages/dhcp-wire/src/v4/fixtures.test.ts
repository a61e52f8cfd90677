import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeDhcpv4 } from "./decode.js";
import { encodeDhcpv4 } from "./encode.js";

// Real captures (dnsmasq against dhclient/dhcpcd/udhcpc) land in
// ../fixtures/v4 from the capture helper. Until they exist, the hand-built
// packets in __fixtures__/handmade (RFC-shaped, in the style of those
// peers) stand in; both are checked the same way.
const here = fileURLToPath(new URL(".", import.meta.url));
const sources = [
  { dir: join(here, "../fixtures/v4"), prefix: "" },
  { dir: join(here, "__fixtures__/handmade"), prefix: "handmade-" },
];

interface Fixture {
  description: string;
  hex: string;
}

/** JSON-friendly form of a decoded message: byte arrays become hex strings. */
function toPlainJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlainJson(v)]));
  }
  return value;
}

const fixtures = sources.flatMap(({ dir, prefix }) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => ({ name: prefix + basename(f, ".json"), fixture: JSON.parse(readFileSync(join(dir, f), "utf8")) as Fixture }))
    : [],
);

describe("DHCPv4 fixtures", () => {
  it("has at least one fixture to check", () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  for (const { name, fixture } of fixtures) {
    describe(`${name}: ${fixture.description}`, () => {
      const bytes = Uint8Array.from(Buffer.from(fixture.hex, "hex"));

      it("decodes to the reviewed form", async () => {
        const decoded = decodeDhcpv4(bytes);
        await expect(JSON.stringify(toPlainJson(decoded), null, 2) + "\n").toMatchFileSnapshot(
          `./__fixtures__/${name}.decoded.json`,
        );
      });

      it("re-encodes byte for byte", () => {
        expect(Buffer.from(encodeDhcpv4(decodeDhcpv4(bytes))).toString("hex")).toBe(fixture.hex);
      });

      it("survives every truncation with a message or a DhcpDecodeError", () => {
        for (let n = 0; n < bytes.length; n++) {
          try {
            decodeDhcpv4(bytes.subarray(0, n));
          } catch (e) {
            expect((e as Error).name).toBe("DhcpDecodeError");
          }
        }
      });
    });
  }
});
