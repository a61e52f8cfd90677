// Tests import other workspace packages as packages ("@incusx/sdk/testing",
// "@incusx/testkit/netns"), never by a path into their sources: a path
// import hides a dependency the package.json should declare and breaks when
// the other package moves a file (issue 13).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

// Path imports that stay, each with its reason.
const ALLOWED = new Set([
  // The lease mapping of each DHCP plugin is internal to it, and this test feeds it raw wire bytes.
  "test/integration/dns-wire.test.ts -> plugins/dhcpv4",
  "test/integration/dns-wire.test.ts -> plugins/dhcpv6",
]);

// Repo test helpers under test/ that several packages' tests share (the
// workspace build lock, bundle fixtures): private test code, never published.
const SHARED_TEST_HELPERS = ["test/support/", "test/journeys/build-lock.js"];

/** The workspace package a repo path belongs to ("packages/sdk", "plugins/dns", "test"), or undefined for scripts/, docs/, schemas/. */
function packageOf(path: string): string | undefined {
  const parts = path.split(sep);
  if ((parts[0] === "packages" || parts[0] === "plugins" || (parts[0] === "docs" && parts[1] === "examples")) && parts.length > 2) {
    return parts.slice(0, parts[0] === "docs" ? 3 : 2).join("/");
  }
  return parts[0] === "test" ? "test" : undefined;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(m?ts|mjs)$/.test(name) ? [path] : [];
  });
}

const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']|\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

describe("test code", () => {
  it("imports no other workspace package by relative path", () => {
    const found: string[] = [];
    for (const top of ["packages", "plugins", "test", "docs/examples"]) {
      for (const file of sources(join(root, top))) {
        const from = relative(root, file);
        const own = packageOf(from);
        for (const match of readFileSync(file, "utf8").matchAll(SPECIFIER)) {
          const target = relative(root, resolve(dirname(file), match[1] ?? match[2]!));
          const other = packageOf(target);
          if (other === undefined || other === own) continue;
          if (SHARED_TEST_HELPERS.some((helper) => target.split(sep).join("/").startsWith(helper))) continue;
          const entry = `${from.split(sep).join("/")} -> ${other}`;
          if (!ALLOWED.has(entry)) found.push(`${entry} (${match[1] ?? match[2]})`);
        }
      }
    }
    expect(found).toEqual([]);
  });
});
