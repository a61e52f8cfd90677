// The workspace's packages as the workspace checks see them: read from the
// package.json files on disk, so a package added under packages/ or plugins/
// is picked up with no list to edit. Used by scripts/api-report.mjs and
// scripts/package-graph.mjs.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, with a trailing slash. */
export const root = fileURLToPath(new URL("..", import.meta.url));

/** Folders whose subfolders are the packages that have a public API. */
export const PACKAGE_FOLDERS = ["packages", "plugins"];

/**
 * @typedef {object} WorkspacePackage
 * @property {string} name      package.json "name"
 * @property {string} dir       absolute folder
 * @property {string} folder    folder relative to the root, with "/" ("packages/host")
 * @property {Record<string, any>} manifest  the parsed package.json
 */

/**
 * Every package under packages/ and plugins/ (private ones too), sorted by
 * folder.
 * @returns {WorkspacePackage[]}
 */
export function apiPackages() {
  return packagesIn(PACKAGE_FOLDERS.map((folder) => `${folder}/*`));
}

/**
 * Every workspace package pnpm knows (the globs of pnpm-workspace.yaml),
 * sorted by folder: packages, plugins, examples and the test package.
 * @returns {WorkspacePackage[]}
 */
export function allWorkspacePackages() {
  const yaml = readFileSync(join(root, "pnpm-workspace.yaml"), "utf8");
  const globs = [];
  let inPackages = false;
  for (const line of yaml.split("\n")) {
    if (/^\S/.test(line)) inPackages = line.startsWith("packages:");
    const item = inPackages ? /^\s+-\s+["']?([^"'#]+?)["']?\s*$/.exec(line) : null;
    if (item) globs.push(item[1]);
  }
  return packagesIn(globs);
}

/**
 * The packages matched by `globs`: a folder ("test") or a folder's
 * subfolders ("packages/*"); no other glob forms are used here.
 * @param {string[]} globs
 * @returns {WorkspacePackage[]}
 */
function packagesIn(globs) {
  const dirs = [];
  for (const glob of globs) {
    if (glob.endsWith("/*")) {
      const base = join(root, glob.slice(0, -2));
      if (!existsSync(base)) continue;
      for (const entry of readdirSync(base, { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(join(base, entry.name));
      }
    } else if (!glob.includes("*")) {
      dirs.push(join(root, glob));
    } else {
      throw new Error(`pnpm-workspace.yaml: unsupported glob "${glob}"`);
    }
  }
  const found = [];
  for (const dir of dirs) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, "utf8"));
    found.push({ name: manifest.name, dir, folder: relative(root, dir).split("\\").join("/"), manifest });
  }
  return found.sort((a, b) => a.folder.localeCompare(b.folder));
}
