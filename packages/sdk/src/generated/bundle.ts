// Generated from schemas/bundle.schema.json by scripts/gen-types.mjs. Do not edit:
// change the schema, then run `pnpm gen:types`.

/**
 * A bundle manifest: a set of plugins a distro packager ships together, each pinned to an exact version and unpacked in a directory of the bundle.
 */
export interface BundleManifest {
  /**
   * URL or path of this schema, for editors. Ignored by the host.
   */
  $schema?: string;
  /**
   * Bundle name: lower-case words joined by ".", "-" or "_" ("debian-default").
   */
  name: string;
  /**
   * Version of the bundle itself, semver ("1.2.0").
   */
  version: string;
  /**
   * What the bundle is for, for humans.
   */
  description?: string;
  /**
   * The plugin API version (the SDK's API_VERSION) of the host this bundle was assembled for ("1").
   */
  apiVersion: string;
  /**
   * The plugins in the bundle, in any order.
   */
  plugins: BundlePlugin[];
  /**
   * Every file of the bundle except this manifest: path relative to the manifest's directory ("/"-separated, no "..") to the lower-case hex SHA-256 of its bytes. Written by "incusx bundle create"; "incusx bundle verify" and a host started from the bundle refuse a bundle whose files differ from this list.
   */
  files?: { [path: string]: string };
}
/**
 * One plugin package shipped in the bundle.
 */
export interface BundlePlugin {
  /**
   * The plugin id; must equal the "id" in the package's manifest.
   */
  id: string;
  /**
   * npm package name of the plugin ("@incusx/plugin-dhcpv4").
   */
  package: string;
  /**
   * Exact semver version of the package in the bundle ("1.4.2"); ranges are not allowed.
   */
  version: string;
  /**
   * Directory of the unpacked package, relative to the bundle manifest's directory, without ".." segments ("plugins/dhcpv4").
   */
  path: string;
  /**
   * Subresource Integrity string of the package tarball ("sha512-" and base64), as in package-lock files.
   */
  integrity?: string;
  /**
   * Whether the host loads this plugin. Default: true.
   */
  enabled?: boolean;
  /**
   * The plugin's config, checked against the config schema in its manifest.
   */
  config?: unknown;
  /**
   * What the host does when this plugin fails: "abort" or "continue". Default: the host's defaults.onFailure.
   */
  onFailure?: "abort" | "continue";
  /**
   * Module whose default export is the plugin, relative to "path" ("dist/index.js"). Written by "incusx bundle create", so a host loads the plugin without reading its package.json.
   */
  entry?: string;
  /**
   * A copy of the plugin's manifest (the "incusx" field of its package.json), so a host reads every manifest from the bundle manifest instead of scanning packages. Must equal the package's own.
   */
  manifest?: { [keyword: string]: unknown };
  /**
   * Digest of the plugin package's files: the lower-case hex SHA-256 of the lines "<sha256 of file>  <path>\n" (sha256sum's format), one per file under "path", paths relative to it and sorted by byte value.
   */
  sha256?: string;
}
