import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { API_VERSION, isIncusxError } from "@incusx/sdk";
import type { BundleManifest, BundlePlugin } from "@incusx/sdk/host";
import { findPluginPackage, readPluginPackage, type PluginPackage } from "./plugin-package.js";
import { validateBundleManifest } from "./schema-validation.js";
import { byteOrder, digestOfFiles, filesUnder, sha256File } from "./digest.js";
import { BundleErrorCode, bundleError } from "./errors.js";
import { packageFiles } from "./package-files.js";
import { PLAIN_PATH_RULE, isPlainRelativePath } from "./plain-path.js";
import { BUNDLE_MANIFEST_FILE } from "./read-bundle.js";

/** The package every plugin shares with the host; never copied into a bundle. */
export const SDK_PACKAGE = "@incusx/sdk";

/** What {@link createBundle} assembles. */
export interface CreateBundleOptions {
  /** Bundle directory to write; must not exist or be empty. */
  readonly out: string;
  /** Directories of the plugin packages, every plugin their `requires` name included. */
  readonly plugins: readonly string[];
  /** Bundle name (`debian-default`). */
  readonly name: string;
  /** Bundle version, semver. */
  readonly version: string;
  /** What the bundle is for. */
  readonly description?: string;
  /** Plugin API version the bundle is for; default: the SDK's `API_VERSION`. */
  readonly apiVersion?: string;
}

/** A package placed in the bundle. */
interface Placement {
  readonly source: string;
  readonly target: string;
  readonly version: string;
}

/**
 * Assembles a bundle in `options.out`: each plugin package and, in the
 * Node layout under `node_modules/`, its runtime dependencies except
 * @incusx/sdk (a peer: the host's one copy), then bundle.json listing every
 * file's SHA-256 and each plugin's id, version, entry, manifest and digest.
 * Checks first, without running plugin code, that each plugin speaks the
 * bundle's API version, is built, and that every plugin it `requires` is
 * in the bundle, and that each plugin's directory in the bundle and entry
 * are plain relative paths (no "%", "#", "?", backslash, NUL or ".."),
 * which hosts require. Throws a {@link BundleError} (`BUNDLE_CREATE_FAILED`,
 * `BUNDLE_API_VERSION`) or the manifest error of a bad package.
 *
 * @example
 * const manifest = await createBundle({ out: "dist/bundle", plugins: [dhcpv4Dir], name: "default", version: "1.0.0" });
 */
export async function createBundle(options: CreateBundleOptions): Promise<BundleManifest> {
  const out = resolve(options.out);
  if (existsSync(out) && readdirSync(out).length > 0) {
    throw bundleError(BundleErrorCode.CreateFailed, ".", `${out}: not empty; bundle create writes a new directory`);
  }
  const apiVersion = options.apiVersion ?? API_VERSION;
  const packages = await Promise.all(options.plugins.map((dir) => readPluginPackage(realpathSync(dir))));
  checkPlugins(packages, apiVersion);

  const placed = new Map<string, Placement>();
  const pluginTargets = packages.map((pkg) => place(pkg.packageName, pkg.dir, pkg.version, "", placed));
  packages.forEach((pkg, i) => checkPlainPaths(pkg, pluginTargets[i]!));
  packages.forEach((pkg, i) => placeDependencies(pkg.dir, pluginTargets[i]!, placed));

  const files: Record<string, string> = {};
  for (const { source, target } of placed.values()) {
    for (const path of packageFiles(source, readJson(join(source, "package.json")))) {
      const to = join(out, target, path);
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(join(source, path), to);
      files[`${target}/${path}`] = sha256File(to);
    }
  }

  const owned = filesUnder(files, pluginTargets);
  const plugins: BundlePlugin[] = packages.map((pkg, i) => {
    const path = pluginTargets[i]!;
    const entry = entryOf(pkg);
    if (files[`${path}/${entry}`] === undefined) {
      throw bundleError(
        BundleErrorCode.CreateFailed,
        path,
        `${pkg.dir}: entry "${entry}" of plugin "${pkg.manifest.id}" is not among the package's files; build the package first`,
      );
    }
    return {
      id: pkg.manifest.id,
      package: pkg.packageName,
      version: pkg.version,
      path,
      entry,
      sha256: digestOfFiles(owned.get(path)!),
      manifest: readJson(join(pkg.dir, "package.json")).incusx as Record<string, unknown>,
    };
  });
  const manifest: BundleManifest = {
    name: options.name,
    version: options.version,
    ...(options.description === undefined ? {} : { description: options.description }),
    apiVersion,
    plugins,
    files: Object.fromEntries(Object.keys(files).sort(byteOrder).map((path) => [path, files[path]!])),
  };
  const file = join(out, BUNDLE_MANIFEST_FILE);
  validateBundleManifest(manifest, file);
  mkdirSync(out, { recursive: true });
  writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

// Hosts and `bundle verify` refuse these; say so while the packager can still rename.
function checkPlainPaths(pkg: PluginPackage, path: string): void {
  const entry = entryOf(pkg);
  if (!isPlainRelativePath(path)) {
    throw bundleError(
      BundleErrorCode.CreateFailed,
      path,
      `${pkg.dir}: package name "${pkg.packageName}" makes the bundle path ${JSON.stringify(path)}, which is not a plain relative path (${PLAIN_PATH_RULE})`,
    );
  }
  if (!isPlainRelativePath(entry)) {
    throw bundleError(
      BundleErrorCode.CreateFailed,
      path,
      `${pkg.dir}: entry ${JSON.stringify(entry)} of plugin "${pkg.manifest.id}" is not a plain relative path (${PLAIN_PATH_RULE}); rename the file`,
    );
  }
}

function entryOf(pkg: PluginPackage): string {
  return relative(pkg.dir, pkg.entryFile).split(sep).join("/");
}

function checkPlugins(packages: readonly PluginPackage[], apiVersion: string): void {
  const ids = new Map<string, string>();
  for (const pkg of packages) {
    const { id, apiVersions } = pkg.manifest;
    if (!apiVersions.includes(apiVersion)) {
      throw bundleError(
        BundleErrorCode.ApiVersion,
        pkg.dir,
        `${join(pkg.dir, "package.json")}: plugin "${id}" speaks API versions ${apiVersions.map((v) => `"${v}"`).join(", ")}; the bundle is for "${apiVersion}"`,
      );
    }
    const other = ids.get(id);
    if (other !== undefined && other !== pkg.dir) {
      throw bundleError(BundleErrorCode.CreateFailed, pkg.dir, `Plugin id "${id}" is provided by both ${other} and ${pkg.dir}`);
    }
    ids.set(id, pkg.dir);
    const pkgJson = readJson(join(pkg.dir, "package.json"));
    if (Object.hasOwn((pkgJson.dependencies ?? {}) as object, SDK_PACKAGE)) {
      throw bundleError(
        BundleErrorCode.CreateFailed,
        pkg.dir,
        `${join(pkg.dir, "package.json")}: "${SDK_PACKAGE}" is in "dependencies"; make it a peerDependency so the plugin uses the host's one copy`,
      );
    }
  }
  for (const pkg of packages) {
    const absent = (pkg.manifest.requires ?? []).filter((id) => !ids.has(id));
    if (absent.length > 0) {
      throw bundleError(
        BundleErrorCode.CreateFailed,
        pkg.dir,
        `Plugin "${pkg.manifest.id}" requires ${absent.map((id) => `"${id}"`).join(", ")}, which is not in the bundle`,
      );
    }
  }
}

function targetOf(name: string, parent: string): string {
  return parent === "" ? `node_modules/${name}` : `${parent}/node_modules/${name}`;
}

// Hoists a package to the top node_modules, as npm does, unless another
// version already sits there; then it goes under its dependent.
function place(name: string, source: string, version: string, dependent: string, placed: Map<string, Placement>): string {
  for (const target of [targetOf(name, ""), targetOf(name, dependent)]) {
    const there = placed.get(target);
    if (there === undefined) {
      placed.set(target, { source, target, version });
      return target;
    }
    if (there.source === source) return target;
  }
  throw bundleError(BundleErrorCode.CreateFailed, dependent, `Cannot place ${name}@${version} for ${dependent}: another copy is already there`);
}

function placeDependencies(source: string, target: string, placed: Map<string, Placement>): void {
  const pkg = readJson(join(source, "package.json"));
  const names = Object.keys({ ...(pkg.dependencies as object | undefined), ...(pkg.optionalDependencies as object | undefined) });
  for (const name of names) {
    if (name === SDK_PACKAGE) continue;
    let dir: string;
    try {
      dir = realpathSync(findPluginPackage(name, source));
    } catch (error) {
      if (!isIncusxError(error)) throw error;
      if (Object.hasOwn((pkg.optionalDependencies ?? {}) as object, name)) continue;
      throw bundleError(BundleErrorCode.CreateFailed, target, `${join(source, "package.json")}: dependency "${name}" is not installed`);
    }
    const before = placed.size;
    const version = String(readJson(join(dir, "package.json")).version ?? "0.0.0");
    const at = place(name, dir, version, target, placed);
    if (placed.size > before) placeDependencies(dir, at, placed);
  }
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}
