// The public API of @incusx/bundle: plugin packages and bundles, read
// without running any plugin code. Used by @incusx/host to load plugins
// and bundles, by the CLI's `bundle` and `plugins` commands and the
// testkit. BUNDLE_MANIFEST_FILE, SDK_PACKAGE and hostSdkDir were part of
// @incusx/host's public API, which re-exports them (deprecated) from here.

export { findPluginPackage, packageEntryFile, readPluginPackage } from "./plugin-package.js";
export type { PluginPackage } from "./plugin-package.js";

export { formatIssues, toIssues, validateBundleManifest, validatePluginManifest } from "./schema-validation.js";
export type { PrecompiledValidator } from "./schema-validation.js";

export { BundleError, BundleErrorCode } from "./errors.js";
export type { BundleProblem } from "./errors.js";
export { BUNDLE_MANIFEST_FILE, readBundle } from "./read-bundle.js";
export type { CompleteBundlePlugin, LoadedBundle } from "./read-bundle.js";
export { hostSdkDir, verifyBundle } from "./verify-bundle.js";
export type { VerifiedBundle, VerifyBundleOptions } from "./verify-bundle.js";
export { SDK_PACKAGE, createBundle } from "./create-bundle.js";
export type { CreateBundleOptions } from "./create-bundle.js";
export { digestOfFiles } from "./digest.js";
export { bundlePluginSources, bundledEntryFile } from "./bundle-sources.js";
export type { BundledPluginSource } from "./bundle-sources.js";
