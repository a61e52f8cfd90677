import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ErrorCode, IncusxError, InvalidManifestError, type PluginManifest } from "@incusx/sdk";
import { validatePluginManifest } from "./schema-validation.js";

/** A plugin package found on disk, read without running any of its code. */
export interface PluginPackage {
  /** Directory holding its package.json. */
  readonly dir: string;
  /** Package name, or the directory when it has none. */
  readonly packageName: string;
  /** Package version (the plugin's version). */
  readonly version: string;
  /** The validated `incusx` field. */
  readonly manifest: PluginManifest;
  /** Absolute path of the module whose default export is the plugin. */
  readonly entryFile: string;
}

/**
 * Finds the directory of plugin `module`: a path (absolute, or starting
 * with `.`) relative to `baseDir`, or a package name looked up in the
 * `node_modules` folders from `baseDir` upwards, as Node does.
 */
export function findPluginPackage(module: string, baseDir: string): string {
  if (isAbsolute(module) || module.startsWith(".")) {
    const dir = resolve(baseDir, module);
    if (existsSync(join(dir, "package.json"))) return dir;
    throw new IncusxError(ErrorCode.LoadFailed, `Plugin "${module}" not found: no package.json in "${dir}"`);
  }
  for (let dir = resolve(baseDir); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", module);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new IncusxError(
    ErrorCode.LoadFailed,
    `Plugin package "${module}" not found in any node_modules from "${resolve(baseDir)}" upwards`,
  );
}

/** Reads and validates the manifest of the plugin package in `dir`. */
export async function readPluginPackage(dir: string): Promise<PluginPackage> {
  const file = join(dir, "package.json");
  let pkg: Record<string, unknown>;
  try {
    // A synchronous read: a package.json is small, and a hundred of them read
    // through the thread pool cost more in event-loop turns than in I/O.
    pkg = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidManifestError(`${file}: cannot read: ${(error as Error).message}`, { cause: error });
  }
  if (pkg.incusx === undefined) {
    throw new InvalidManifestError(`${file}: no "incusx" field; this package is not an incusx plugin`);
  }
  const manifest = validatePluginManifest(pkg.incusx, file, "/incusx");
  const packageName = typeof pkg.name === "string" ? pkg.name : dir;
  const version = typeof pkg.version === "string" ? pkg.version : "0.0.0";
  const entry = manifest.entry ?? exportedEntry(pkg) ?? "index.js";
  return { dir, packageName, version, manifest, entryFile: resolve(dir, entry) };
}

/**
 * The real path of `pkg`'s entry (symlinks resolved, as Node will), after
 * checking it lies inside the package's real directory: a package.json
 * whose `exports` or `main` points elsewhere (`"../x.js"`, `"/etc/x.js"`,
 * a symlink out) is refused with `LOAD_FAILED`, so what a host loads is
 * the package's own file.
 */
export function packageEntryFile(pkg: PluginPackage): string {
  const pluginId = pkg.manifest.id;
  const dir = realPathForImport(pkg.dir, pluginId);
  const entry = realPathForImport(pkg.entryFile, pluginId);
  if (!isBelow(entry, dir)) {
    throw new IncusxError(
      ErrorCode.LoadFailed,
      `Plugin "${pluginId}": entry ${pkg.entryFile} resolves to ${entry}, outside its plugin directory ${dir}`,
      { pluginId },
    );
  }
  return entry;
}

/** The real path of `file`, or the `LOAD_FAILED` error an import of it would end in. */
export function realPathForImport(file: string, pluginId: string): string {
  try {
    return realpathSync(file);
  } catch (error) {
    throw new IncusxError(ErrorCode.LoadFailed, `Plugin "${pluginId}": cannot import "${file}": ${(error as Error).message}`, {
      pluginId,
      cause: error,
    });
  }
}

/** Whether absolute `path` lies strictly below directory `dir` (`orSame`: or is `dir`), by path alone. */
export function isBelow(path: string, dir: string, orSame = false): boolean {
  const rel = relative(dir, path);
  if (rel === "") return orSame;
  return rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

// The "." export for an ESM importer, or "main": enough of Node's rules
// for a plugin package, without running the package.
function exportedEntry(pkg: Record<string, unknown>): string | undefined {
  const exports = pkg.exports;
  const root =
    typeof exports === "string" || Array.isArray(exports)
      ? exports
      : typeof exports === "object" && exports !== null && "." in exports
        ? (exports as Record<string, unknown>)["."]
        : exports;
  return pickCondition(root) ?? (typeof pkg.main === "string" ? pkg.main : undefined);
}

const CONDITIONS = ["node", "import", "default"];

function pickCondition(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const found = pickCondition(t);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof target !== "object" || target === null) return undefined;
  for (const [condition, value] of Object.entries(target)) {
    if (!CONDITIONS.includes(condition)) continue;
    const found = pickCondition(value);
    if (found !== undefined) return found;
  }
  return undefined;
}
