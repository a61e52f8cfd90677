import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  bundledEntryFile,
  findPluginPackage,
  packageEntryFile,
  readPluginPackage,
  validatePluginManifest,
  type BundledPluginSource,
} from "@incusx/bundle";
import {
  ErrorCode,
  IncompatibleVersionError,
  IncusxError,
  InvalidManifestError,
  type Plugin,
  type PluginManifest,
} from "@incusx/sdk";
import { pluginBrand } from "@incusx/sdk/host";
import type { PluginSource } from "./options.js";
import { compileConfigSchema } from "./config-schema.js";

/** A plugin whose manifest and module were loaded and checked. */
export interface LoadedPlugin {
  readonly id: string;
  readonly version: string;
  readonly source: string;
  readonly manifest: PluginManifest;
  readonly plugin: Plugin;
  /** Validated config, with the schema's defaults filled in. */
  readonly config: unknown;
}

/** What loading needs from the host. */
export interface LoadContext {
  /** Where module names and relative paths are resolved from. */
  readonly baseDir: string;
  /** API versions the host speaks. */
  readonly apiVersions: readonly string[];
  /** Named in config errors. */
  readonly configFile: string;
  /** Settings laid over plugins' own configs, by plugin id (see `HostOptions.pluginConfig`). */
  readonly pluginConfig?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * Loads one plugin source: finds and reads its manifest, imports its module
 * (packages only), checks API versions on both the manifest and the plugin's
 * brand, and validates its config. `identity` is updated as soon as the id
 * and version are known, so a later failure is reported under the right id.
 */
export async function loadPlugin(
  source: PluginSource | BundledPluginSource,
  identity: { id: string; version: string; readonly source: string },
  context: LoadContext,
): Promise<LoadedPlugin> {
  let manifest: PluginManifest;
  let plugin: unknown;
  let version: string;
  let manifestFile: string;
  if ("module" in source) {
    const pkg = await readPluginPackage(findPluginPackage(source.module, context.baseDir));
    manifest = pkg.manifest;
    version = pkg.version;
    manifestFile = join(pkg.dir, "package.json");
    identity.id = manifest.id;
    identity.version = version;
    plugin = await importPlugin(packageEntryFile(pkg), manifest.id);
  } else if ("bundled" in source) {
    // From the bundle manifest: no package.json is read.
    const { bundled } = source;
    manifestFile = bundled.bundleFile;
    manifest = validatePluginManifest(bundled.manifest, bundled.bundleFile, bundled.pointer);
    version = bundled.version;
    identity.id = manifest.id;
    identity.version = version;
    plugin = await importPlugin(bundledEntryFile(bundled, manifest.id), manifest.id);
  } else {
    manifestFile = `inline plugin "${identity.source}"`;
    manifest = validatePluginManifest(source.manifest, manifestFile, "");
    version = source.version ?? "0.0.0";
    identity.id = manifest.id;
    identity.version = version;
    plugin = source.plugin;
  }

  const spoken = manifest.apiVersions.filter((v) => context.apiVersions.includes(v));
  if (spoken.length === 0) throw new IncompatibleVersionError(manifest.id, manifest.apiVersions, context.apiVersions);

  const brand = pluginBrand(plugin);
  if (!brand) {
    throw new InvalidManifestError(
      `Plugin "${manifest.id}": the module's default export is not a plugin made by definePlugin()`,
      { pluginId: manifest.id },
    );
  }
  if (!context.apiVersions.includes(brand.apiVersion)) {
    throw new IncompatibleVersionError(manifest.id, [brand.apiVersion], context.apiVersions);
  }
  const p = plugin as Plugin;
  if (p.id !== manifest.id) {
    throw new InvalidManifestError(
      `Plugin "${manifest.id}": definePlugin() id "${p.id}" differs from the manifest id in ${manifestFile}`,
      { pluginId: manifest.id },
    );
  }
  const override = context.pluginConfig?.[manifest.id];
  const own = source.config ?? {};
  const config = structuredClone(
    override === undefined ? own : { ...(typeof own === "object" && own !== null && !Array.isArray(own) ? own : {}), ...override },
  );
  compileConfigSchema(manifest.configSchema ?? {}, manifest.id)(config, context.configFile);
  return { id: manifest.id, version, source: identity.source, manifest, plugin: p, config };
}

// The default export of the module at real path `entryFile`. By file URL:
// import() reads a path string as a URL, where "%2e%2e" is "..", "%41" is
// "A" and "#" starts a fragment, so it would load another file.
async function importPlugin(entryFile: string, pluginId: string): Promise<unknown> {
  try {
    return ((await import(pathToFileURL(entryFile).href)) as { default?: unknown }).default;
  } catch (error) {
    throw new IncusxError(ErrorCode.LoadFailed, `Plugin "${pluginId}": cannot import "${entryFile}": ${(error as Error).message}`, {
      pluginId,
      cause: error,
    });
  }
}
