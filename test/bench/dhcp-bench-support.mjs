// Shared by the DHCP codec benches (dhcp-wire.bench.mjs,
// address-parse.bench.mjs): the real captured packets, and the statistics
// and environment knobs both print and read alike.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** packages/dhcp-wire, where the built codec and its fixtures are. */
export const pkgDir = fileURLToPath(new URL("../../packages/dhcp-wire/", import.meta.url));

/**
 * The real packets of `family` (`v4` or `v6`) in
 * packages/dhcp-wire/src/fixtures/<family>/*.json, by file name:
 * `{ name, hex, bytes }`. Empty when the folder is missing.
 */
export function loadFixtures(family) {
  const dir = join(pkgDir, "src", "fixtures", family);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((name) => {
      const { hex } = JSON.parse(readFileSync(join(dir, name), "utf8"));
      return { name, hex, bytes: new Uint8Array(Buffer.from(hex, "hex")) };
    });
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A rate rounded, with thousands separators: `1,234,567`. */
export function fmt(n) {
  return Math.round(n).toLocaleString("en-US");
}

/** The positive integer in environment variable `name`, `fallback` when unset; exits 1 on anything else. */
export function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`${name} must be a positive integer, got "${raw}".`);
    process.exit(1);
  }
  return n;
}
