import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { API_VERSION, isIncusxError } from "@incusx/sdk";
import { findPluginPackage } from "./plugin-package.js";
import { digestOfFiles, filesUnder, sha256File, walkFiles } from "./digest.js";
import { BundleError, BundleErrorCode, bundleError, type BundleProblem } from "./errors.js";
import { BUNDLE_MANIFEST_FILE, completePlugins, readBundle, type CompleteBundlePlugin, type LoadedBundle } from "./read-bundle.js";

/** What {@link verifyBundle} checks against. */
export interface VerifyBundleOptions {
  /** Plugin API versions the host speaks; default: the SDK's `API_VERSION`. */
  readonly apiVersions?: readonly string[];
  /**
   * Directory of the @incusx/sdk package the host runs with; the bundle's
   * plugins must resolve `@incusx/sdk` to it. Default: {@link hostSdkDir}.
   * `false` skips the check (a bundle checked on a build machine, away
   * from the host it will run with).
   */
  readonly sdkDir?: string | false;
}

/** What a verified bundle holds. */
export interface VerifiedBundle extends LoadedBundle {
  /** Its plugins, each with its recorded digest. */
  readonly plugins: readonly CompleteBundlePlugin[];
  /** Number of files checked. */
  readonly fileCount: number;
}

/**
 * Checks the bundle at `path` (directory or bundle.json) against its
 * manifest: every file listed is present with the recorded SHA-256, no file
 * or plugin is there that is not listed, each plugin's digest, id, version
 * and manifest match its package, every plugin speaks the bundle's API
 * version and the host speaks it too, and the plugins resolve the host's
 * own @incusx/sdk. Throws a {@link BundleError} naming each bad file.
 *
 * @example
 * const bundle = verifyBundle("/usr/lib/incusx/bundle");
 * console.log(`${bundle.plugins.length} plugins, ${bundle.fileCount} files verified`);
 */
export function verifyBundle(path: string | LoadedBundle, options: VerifyBundleOptions = {}): VerifiedBundle {
  const bundle = typeof path === "string" ? readBundle(path) : path;
  const plugins = completePlugins(bundle);
  const files = bundle.manifest.files!;
  const problems: BundleProblem[] = [
    ...apiVersionProblems(bundle, plugins, options.apiVersions ?? [API_VERSION]),
    ...fileProblems(bundle, files),
    ...pluginsProblems(bundle, plugins, files),
  ];
  if (problems.length === 0 && options.sdkDir !== false) problems.push(...sdkProblems(bundle, plugins, options.sdkDir ?? ownSdkDir()));
  if (problems.length > 0) throw new BundleError(problems);
  return { ...bundle, plugins, fileCount: Object.keys(files).length };
}

function apiVersionProblems(bundle: LoadedBundle, plugins: readonly CompleteBundlePlugin[], spoken: readonly string[]): BundleProblem[] {
  const { apiVersion } = bundle.manifest;
  const problems: BundleProblem[] = [];
  if (!spoken.includes(apiVersion)) {
    problems.push({
      code: BundleErrorCode.ApiVersion,
      file: BUNDLE_MANIFEST_FILE,
      message: `${BUNDLE_MANIFEST_FILE}: the bundle is for plugin API version "${apiVersion}"; this host speaks ${list(spoken)}`,
    });
  }
  for (const plugin of plugins) {
    const versions = (plugin.manifest as { apiVersions?: unknown }).apiVersions;
    if (!Array.isArray(versions) || !versions.includes(apiVersion)) {
      problems.push({
        code: BundleErrorCode.ApiVersion,
        file: BUNDLE_MANIFEST_FILE,
        message: `${BUNDLE_MANIFEST_FILE}: plugin "${plugin.id}" speaks API versions ${list(Array.isArray(versions) ? versions : [])}, not the bundle's "${apiVersion}"`,
      });
    }
  }
  return problems;
}

function fileProblems(bundle: LoadedBundle, files: Readonly<Record<string, string>>): BundleProblem[] {
  const problems: BundleProblem[] = [];
  const present = walkFiles(bundle.dir, new Set([BUNDLE_MANIFEST_FILE]));
  const seen = new Set<string>();
  const extra: string[] = [];
  for (const entry of present) {
    const expected = Object.hasOwn(files, entry.path) ? files[entry.path] : undefined;
    if (expected === undefined || entry.kind !== "file") {
      extra.push(entry.path);
      continue;
    }
    seen.add(entry.path);
    const actual = sha256File(join(bundle.dir, entry.path));
    if (actual !== expected) {
      problems.push({
        code: BundleErrorCode.FileChanged,
        file: entry.path,
        message: `${entry.path}: changed since the bundle was made (SHA-256 ${actual}, bundle.json says ${expected})`,
      });
    }
  }
  for (const path of Object.keys(files)) {
    if (!seen.has(path) && !extra.includes(path)) {
      problems.push({ code: BundleErrorCode.FileMissing, file: path, message: `${path}: missing (listed in bundle.json)` });
    }
  }
  // A package.json with an "incusx" field among the unlisted files is a
  // plugin smuggled in: report the package once, not each of its files.
  const extraPlugins = extra
    .filter((path) => path.endsWith("/package.json") && isPluginPackageJson(join(bundle.dir, path)))
    .map((path) => path.slice(0, -"/package.json".length));
  for (const dir of extraPlugins) {
    problems.push({ code: BundleErrorCode.ExtraPlugin, file: dir, message: `${dir}: a plugin package that bundle.json does not list` });
  }
  for (const path of extra) {
    if (extraPlugins.some((dir) => path.startsWith(`${dir}/`))) continue;
    const kind = files[path] !== undefined ? "not a regular file" : "not listed in bundle.json";
    problems.push({ code: BundleErrorCode.ExtraFile, file: path, message: `${path}: ${kind}` });
  }
  return problems;
}

function pluginsProblems(bundle: LoadedBundle, plugins: readonly CompleteBundlePlugin[], files: Readonly<Record<string, string>>): BundleProblem[] {
  const owned = filesUnder(files, plugins.map((plugin) => plugin.path));
  return plugins.flatMap((plugin) => pluginProblems(bundle, plugin, owned.get(plugin.path)!));
}

function pluginProblems(bundle: LoadedBundle, plugin: CompleteBundlePlugin, own: Readonly<Record<string, string>>): BundleProblem[] {
  const problems: BundleProblem[] = [];
  const mismatch = (file: string, message: string): void => {
    problems.push({ code: BundleErrorCode.PluginMismatch, file, message: `${file}: ${message}` });
  };
  const prefix = `${plugin.path.replace(/\/+$/, "")}/`;
  const digest = digestOfFiles(own);
  if (digest !== plugin.sha256) {
    mismatch(plugin.path, `plugin "${plugin.id}" has digest ${digest} over its listed files, bundle.json says ${plugin.sha256}`);
  }
  if (!Object.hasOwn(own, plugin.entry)) mismatch(`${prefix}${plugin.entry}`, `entry of plugin "${plugin.id}" is not a file of the bundle`);
  const packageFile = `${prefix}package.json`;
  if (!Object.hasOwn(own, "package.json")) {
    mismatch(packageFile, `plugin "${plugin.id}" has no package.json in the bundle`);
    return problems;
  }
  let pkg: { name?: unknown; version?: unknown; incusx?: unknown };
  try {
    pkg = JSON.parse(readFileSync(join(bundle.dir, packageFile), "utf8")) as typeof pkg;
  } catch {
    return problems; // missing or changed: already reported as a file problem
  }
  if (pkg.name !== plugin.package) mismatch(packageFile, `package name ${JSON.stringify(pkg.name)}, bundle.json says "${plugin.package}"`);
  if (pkg.version !== plugin.version) mismatch(packageFile, `version ${JSON.stringify(pkg.version)}, bundle.json says "${plugin.version}"`);
  if (canonicalJson(pkg.incusx) !== canonicalJson(plugin.manifest)) {
    mismatch(packageFile, `the "incusx" manifest differs from the copy of plugin "${plugin.id}" in bundle.json`);
  }
  if ((plugin.manifest as { id?: unknown }).id !== plugin.id) {
    mismatch(BUNDLE_MANIFEST_FILE, `plugin "${plugin.id}" has a manifest with id ${JSON.stringify((plugin.manifest as { id?: unknown }).id)}`);
  }
  return problems;
}

// Node resolves `@incusx/sdk` from a plugin by walking up node_modules
// folders. Within a verified bundle the only way to meet a copy is one
// listed in `files`, so: no listed file may belong to an SDK package, and
// above the bundle the walk must reach the host's copy (one lookup for all).
function sdkProblems(bundle: LoadedBundle, plugins: readonly CompleteBundlePlugin[], sdkDir: string): BundleProblem[] {
  const wanted = realpathSync(sdkDir);
  const inside = Object.keys(bundle.manifest.files ?? {}).find((path) => /(?:^|\/)node_modules\/@incusx\/sdk\//.test(path));
  if (inside !== undefined) {
    return [
      {
        code: BundleErrorCode.Sdk,
        file: inside,
        message: `${inside}: the bundle carries its own @incusx/sdk; its plugins must use the host's copy at ${wanted}`,
      },
    ];
  }
  if (plugins.length === 0) return [];
  let found: string;
  try {
    found = realpathSync(findPluginPackage("@incusx/sdk", bundle.dir));
  } catch (error) {
    if (!isIncusxError(error)) throw error;
    return plugins.map((plugin) => ({
      code: BundleErrorCode.Sdk,
      file: plugin.path,
      message: `${plugin.path}: plugin "${plugin.id}" finds no @incusx/sdk in any node_modules above it; put the bundle inside the directory where @incusx/host is installed (its SDK is at ${wanted})`,
    }));
  }
  if (found === wanted) return [];
  return plugins.map((plugin) => ({
    code: BundleErrorCode.Sdk,
    file: plugin.path,
    message: `${plugin.path}: plugin "${plugin.id}" would load @incusx/sdk from ${found}, not the host's copy at ${wanted}`,
  }));
}

// The host's SDK, or a bundle error when a repackaged host cannot say.
function ownSdkDir(): string {
  try {
    return hostSdkDir();
  } catch (error) {
    throw bundleError(BundleErrorCode.Sdk, ".", `Cannot find the host's own @incusx/sdk to check the bundle against: ${(error as Error).message}`, error);
  }
}

/**
 * Directory of the @incusx/sdk package this package imports: the host's
 * own copy, since @incusx/host and @incusx/bundle share one SDK (both
 * depend on it with the same range, so an install holds one copy for both).
 */
export function hostSdkDir(): string {
  return dirname(createRequire(import.meta.url).resolve("@incusx/sdk/package.json"));
}

function isPluginPackageJson(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { incusx?: unknown }).incusx !== undefined;
  } catch {
    return false;
  }
}

/** JSON with object keys sorted, so two equal manifests compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function list(values: readonly unknown[]): string {
  return values.length === 0 ? "none" : values.map((v) => `"${String(v)}"`).join(", ");
}

