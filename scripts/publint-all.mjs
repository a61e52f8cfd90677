#!/usr/bin/env node
// Lints every published workspace package (not "private", under packages/
// and plugins/) with publint in strict mode: warnings count as errors.
// Packages are packed with pnpm, as a release would, so "files" and the
// built dist/ are what get checked: run `pnpm build` first.
//
// Usage: node scripts/publint-all.mjs   (exit 1 when any package has a problem)
// test/workspace/publint.test.ts runs the same checks under vitest.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

/** The repository root. */
export const root = fileURLToPath(new URL("..", import.meta.url));

/** Folders whose subfolders are workspace packages that may be published. */
const PUBLISHED_FOLDERS = ["packages", "plugins"];

/**
 * Every workspace package under packages/ and plugins/ whose package.json is
 * not private, as `{ name, dir }`, sorted by folder.
 */
export function publishedPackages() {
  const found = [];
  for (const folder of PUBLISHED_FOLDERS) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true })) {
      const dir = join(base, entry.name);
      const file = join(dir, "package.json");
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, "utf8"));
      if (pkg.private !== true) found.push({ name: pkg.name, dir });
    }
  }
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

/**
 * Lints the package in `dir`; resolves to its problems (errors and, since
 * strict mode raises them, warnings) as readable lines. Suggestions are
 * left out. A package with no dist/ gets one problem saying to build.
 */
export async function lintPackage(dir) {
  if (!existsSync(join(dir, "dist"))) {
    return [`${relative(root, dir)}/dist is missing: run pnpm build first`];
  }
  const { messages, pkg } = await publint({ pkgDir: dir, strict: true, level: "warning", pack: "pnpm" });
  return messages
    .filter((m) => m.type === "error" || m.type === "warning")
    .map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`);
}

async function run() {
  const packages = publishedPackages();
  let failed = 0;
  for (const { name, dir } of packages) {
    const problems = await lintPackage(dir);
    if (problems.length === 0) {
      console.log(`ok    ${name}`);
      continue;
    }
    failed++;
    console.log(`FAIL  ${name} (${relative(root, dir)})`);
    for (const problem of problems) console.log(`      ${problem}`);
  }
  console.log(`${packages.length - failed} of ${packages.length} published packages pass publint --strict`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
