// What the OVN benches share: built packages loaded from their dist, integer
// settings from the environment, and the NICs' logical addresses.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Imports each built entry (paths relative to the root); exits 1 naming the first missing one (run `pnpm run build`). */
export async function importDists(entries) {
  const files = Object.fromEntries(Object.entries(entries).map(([name, path]) => [name, join(root, path)]));
  for (const file of Object.values(files)) {
    if (!existsSync(file)) {
      console.error(`${file} is missing: run "pnpm run build" first.`);
      process.exit(1);
    }
  }
  const modules = {};
  for (const [name, file] of Object.entries(files)) modules[name] = await import(pathToFileURL(file).href);
  return modules;
}

/** The positive integer in environment variable `name`, or `fallback`. */
export function positiveInt(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** NIC i's logical address in 10.0.0.0/8 (unique up to 16 M NICs). */
export function logicalIp(i) {
  const n = i + 2;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}
