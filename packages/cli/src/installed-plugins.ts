import { readFile, readdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/**
 * Directories of every installed plugin package visible from `fromDir`: the
 * packages in `node_modules` (and `node_modules/@scope/`) of `fromDir` and
 * each parent directory whose package.json has an `incusx` field. As in
 * Node's lookup, a package in a nearer `node_modules` hides one of the same
 * name further up. Only package.json files are read; no plugin code runs.
 * Sorted by package name.
 *
 * @example
 * await findInstalledPlugins("/srv/host"); // ["/srv/host/node_modules/@incusx/plugin-dns", ...]
 */
export async function findInstalledPlugins(fromDir: string): Promise<string[]> {
  const found = new Map<string, string>();
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    for (const [name, packageDir] of await packagesIn(join(dir, "node_modules"))) {
      if (!found.has(name)) found.set(name, packageDir);
    }
    if (dirname(dir) === dir) break;
  }
  const names = [...found.keys()].sort();
  const plugins = await Promise.all(names.map(async (name) => ((await isPlugin(found.get(name)!)) ? found.get(name)! : undefined)));
  return plugins.filter((dir): dir is string => dir !== undefined);
}

// Package name -> directory for each package directly in `nodeModules`.
async function packagesIn(nodeModules: string): Promise<[string, string][]> {
  const result: [string, string][] = [];
  for (const entry of await list(nodeModules)) {
    // ".bin", ".pnpm" and friends hold tooling, not installed packages.
    if (entry.startsWith(".")) continue;
    if (!entry.startsWith("@")) {
      result.push([entry, join(nodeModules, entry)]);
      continue;
    }
    for (const scoped of await list(join(nodeModules, entry))) {
      if (!scoped.startsWith(".")) result.push([`${entry}/${scoped}`, join(nodeModules, entry, scoped)]);
    }
  }
  return result;
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

// A package is a plugin when its package.json has an `incusx` field; one
// whose package.json cannot be read is simply not a plugin.
async function isPlugin(dir: string): Promise<boolean> {
  try {
    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as unknown;
    return typeof pkg === "object" && pkg !== null && (pkg as { incusx?: unknown }).incusx !== undefined;
  } catch {
    return false;
  }
}
