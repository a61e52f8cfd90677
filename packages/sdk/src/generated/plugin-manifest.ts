// Generated from schemas/plugin-manifest.schema.json by scripts/gen-types.mjs. Do not edit:
// change the schema, then run `pnpm gen:types`.

/**
 * The manifest of an incusx plugin: the "incusx" field of the plugin package's package.json. It lets a host list and check a plugin without running it. The plugin's version is not part of the manifest: it is the package.json "version" field, the single source of truth that changesets bumps.
 */
export interface PluginManifest {
  /**
   * Unique plugin id: lower-case letters and digits in words joined by ".", "-" or "_" ("incusx.dhcpv4"). Must equal the id given to definePlugin.
   */
  id: string;
  /**
   * One line saying what the plugin does, shown when plugins are listed.
   */
  description?: string;
  /**
   * Plugin API versions (the SDK's API_VERSION) this plugin speaks; the host loads it when it speaks one of them.
   *
   * @minItems 1
   */
  apiVersions: string[];
  /**
   * Ids of the extension points the plugin contributes to. Known points: "nic-validator" (NicValidator), "dhcp-runner" (DhcpRunner), "nat-backend" (NatBackend), "dns-sink" (DnsSink). Other ids in the same form are accepted so manifests can name points added by later SDK versions; the host rejects points it does not know.
   */
  provides?: ("nic-validator" | "dhcp-runner" | "nat-backend" | "dns-sink" | (string & {}))[];
  /**
   * Ids of plugins that must be loaded and started before this one.
   */
  requires?: string[];
  /**
   * JSON Schema (draft-07) of the plugin's config. The host checks each config against it before the plugin registers and fills in the schema's "default" values. Without it, the plugin takes any config.
   */
  configSchema?: { [keyword: string]: unknown };
  /**
   * Path, relative to the package directory and starting with "./", of the module whose default export is the plugin. Default: the module of the package's "." export.
   */
  entry?: string;
}
