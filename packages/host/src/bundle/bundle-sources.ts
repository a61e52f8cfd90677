import { join } from "node:path";
import type { PluginPolicy } from "../options.js";
import { completePlugins, type LoadedBundle } from "./read-bundle.js";

/** A plugin of a bundle, loaded from the bundle manifest without reading its package.json. */
export interface BundledPluginSource extends PluginPolicy {
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
    /** Absolute path of the module whose default export is the plugin. */
    readonly entryFile: string;
  };
  /** The plugin's config from the bundle manifest. */
  readonly config?: unknown;
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
              entryFile: join(bundle.dir, plugin.path, plugin.entry),
            },
            ...(plugin.config === undefined ? {} : { config: plugin.config }),
            ...(plugin.onFailure === undefined ? {} : { onFailure: plugin.onFailure }),
          },
        ],
  );
}
