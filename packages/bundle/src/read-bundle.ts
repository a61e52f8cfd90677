import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isIncusxError } from "@incusx/sdk";
import type { BundleManifest, BundlePlugin } from "@incusx/sdk/host";
import { validateBundleManifest } from "./schema-validation.js";
import { BundleError, BundleErrorCode, bundleError, type BundleProblem } from "./errors.js";
import { PLAIN_PATH_RULE, isPlainRelativePath } from "./plain-path.js";

/** File name of the bundle manifest inside a bundle directory. */
export const BUNDLE_MANIFEST_FILE = "bundle.json";

/** A bundle manifest read from disk and checked against schemas/bundle.schema.json. */
export interface LoadedBundle {
  /** Absolute bundle directory; plugin paths and file paths are relative to it. */
  readonly dir: string;
  /** Absolute path of bundle.json. */
  readonly file: string;
  /** The manifest as written (defaults not filled in). */
  readonly manifest: BundleManifest;
}

/** A plugin entry of a bundle made by `incusx bundle create`: digests, entry and manifest present. */
export type CompleteBundlePlugin = BundlePlugin & Required<Pick<BundlePlugin, "sha256" | "entry" | "manifest">>;

/**
 * Reads the bundle manifest of the bundle at `path` (its directory, or its
 * bundle.json), relative to `baseDir`. Throws a {@link BundleError}:
 * `BUNDLE_NOT_FOUND` when there is none, `BUNDLE_INVALID` when it is not
 * valid JSON or does not match the schema.
 *
 * @example
 * const bundle = readBundle("/usr/lib/incusx/bundle");
 */
export function readBundle(path: string, baseDir = process.cwd()): LoadedBundle {
  const given = resolve(baseDir, path);
  const file = given.endsWith(".json") && existsSync(given) && statSync(given).isFile() ? given : join(given, BUNDLE_MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw bundleError(BundleErrorCode.NotFound, BUNDLE_MANIFEST_FILE, `${file}: no bundle manifest: ${(error as Error).message}`, error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bundleError(BundleErrorCode.Invalid, BUNDLE_MANIFEST_FILE, `${file}: not valid JSON: ${(error as Error).message}`, error);
  }
  let manifest: BundleManifest;
  try {
    manifest = validateBundleManifest(value, file);
  } catch (error) {
    if (!isIncusxError(error)) throw error;
    throw bundleError(BundleErrorCode.Invalid, BUNDLE_MANIFEST_FILE, error.message, error);
  }
  return { dir: dirname(file), file, manifest };
}

/**
 * The plugins of `bundle`, after checking it carries what `incusx bundle
 * create` writes (the file list, and each plugin's digest, entry and
 * manifest); a hand-written manifest without them cannot be verified or
 * loaded and is refused with `BUNDLE_INVALID`, as is a plugin whose `path`
 * or `entry` is not a plain relative path (see {@link isPlainRelativePath}):
 * the host would import another file than the one the digests cover.
 */
export function completePlugins(bundle: LoadedBundle): CompleteBundlePlugin[] {
  const lacking: string[] = [];
  if (bundle.manifest.files === undefined) lacking.push(`${bundle.file}: no "files" list`);
  bundle.manifest.plugins.forEach((plugin, i) => {
    const absent = (["sha256", "entry", "manifest"] as const).filter((key) => plugin[key] === undefined);
    if (absent.length > 0) lacking.push(`${bundle.file}: /plugins/${i} ("${plugin.id}") has no ${absent.map((k) => `"${k}"`).join(", ")}`);
  });
  if (lacking.length > 0) {
    throw bundleError(
      BundleErrorCode.Invalid,
      BUNDLE_MANIFEST_FILE,
      `${lacking.join("; ")}; only bundles made by "incusx bundle create" can be verified and loaded`,
    );
  }
  const plugins = bundle.manifest.plugins as CompleteBundlePlugin[];
  const problems = plugins.flatMap((plugin, i) =>
    (["path", "entry"] as const).flatMap((key): BundleProblem[] =>
      isPlainRelativePath(plugin[key])
        ? []
        : [
            {
              code: BundleErrorCode.Invalid,
              file: BUNDLE_MANIFEST_FILE,
              message: `${BUNDLE_MANIFEST_FILE}: /plugins/${i} ("${plugin.id}") has ${key} ${JSON.stringify(plugin[key])}, which is not a plain relative path (${PLAIN_PATH_RULE})`,
            },
          ],
    ),
  );
  if (problems.length > 0) throw new BundleError(problems);
  return plugins;
}
