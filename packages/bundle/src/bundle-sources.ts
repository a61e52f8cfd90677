import { join } from "node:path";
import type { BundlePlugin } from "@incusx/sdk/host";
import { isBelow, realPathForImport } from "./plugin-package.js";
import { BundleErrorCode, bundleError } from "./errors.js";
import { completePlugins, type LoadedBundle } from "./read-bundle.js";

/** A plugin of a bundle, loaded from the bundle manifest without reading its package.json. */
export interface BundledPluginSource {
  /** Where the plugin is and what its manifest says. */
  readonly bundled: {
    /** bundle.json, named in manifest errors. */
    readonly bundleFile: string;
    /** JSON pointer of the plugin's manifest copy in bundle.json. */
    readonly pointer: string;
    /** Package name. */
    readonly package: string;
    /** Package version. */
    readonly version: string;
    /** The manifest copy; validated by the loader. */
    readonly manifest: unknown;
    /** Absolute bundle directory. */
    readonly bundleDir: string;
    /** The plugin's directory, relative to the bundle directory (a plain relative path). */
    readonly path: string;
    /** Absolute path of the module whose default export is the plugin. */
    readonly entryFile: string;
  };
  /** The plugin's config from the bundle manifest. */
  readonly config?: unknown;
  /** What the host does when this plugin fails, from the bundle manifest; unset: the host's default. */
  readonly onFailure?: BundlePlugin["onFailure"];
}

/** The enabled plugins of `bundle` as plugin sources, with their config and failure policy from the bundle manifest. */
export function bundlePluginSources(bundle: LoadedBundle): BundledPluginSource[] {
  return completePlugins(bundle).flatMap((plugin, i) =>
    plugin.enabled === false
      ? []
      : [
          {
            bundled: {
              bundleFile: bundle.file,
              pointer: `/plugins/${i}/manifest`,
              package: plugin.package,
              version: plugin.version,
              manifest: plugin.manifest,
              bundleDir: bundle.dir,
              path: plugin.path,
              entryFile: join(bundle.dir, plugin.path, plugin.entry),
            },
            ...(plugin.config === undefined ? {} : { config: plugin.config }),
            ...(plugin.onFailure === undefined ? {} : { onFailure: plugin.onFailure }),
          },
        ],
  );
}

/**
 * The real path of a bundled plugin's entry, after checking that the
 * plugin's real directory lies inside the bundle's and the entry's inside
 * the plugin's, so a symlink cannot lead the host out of the bundle (the
 * digests, when checked, already refuse symlinks; with `verifyBundle: false`
 * this is the only check). Throws a `BUNDLE_INVALID` {@link BundleError}.
 */
export function bundledEntryFile(bundled: BundledPluginSource["bundled"], pluginId: string): string {
  const bundleDir = realPathForImport(bundled.bundleDir, pluginId);
  const dir = realPathForImport(join(bundled.bundleDir, bundled.path), pluginId);
  if (!isBelow(dir, bundleDir, true)) {
    throw bundleError(
      BundleErrorCode.Invalid,
      bundled.path,
      `${bundled.path}: the plugin directory of "${pluginId}" resolves to ${dir}, outside the bundle ${bundleDir}`,
    );
  }
  const entry = realPathForImport(bundled.entryFile, pluginId);
  if (!isBelow(entry, dir)) {
    throw bundleError(
      BundleErrorCode.Invalid,
      bundled.path,
      `${bundled.path}: the entry of plugin "${pluginId}" resolves to ${entry}, outside its plugin directory ${dir}`,
    );
  }
  return entry;
}
