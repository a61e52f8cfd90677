// The public API of @incusx/host: for hosts that load and run plugins.

export { Host } from "./host.js";
export { hostOptionsFromConfig, loadHostConfig } from "./config.js";
export type {
  FailurePolicy,
  HostDefaults,
  HostOptions,
  HostServices,
  InlinePluginSource,
  LogRecord,
  LogSink,
  ModulePluginSource,
  PluginPolicy,
  PluginSource,
} from "./options.js";
export type { PluginReport, PluginState, StartupReport, StopReport } from "./report.js";

export {
  /** @deprecated Import from "@incusx/network-runtime"; removed in the next minor. */
  CLIENT_DUID_KEY,
  /** @deprecated Import from "@incusx/network-runtime"; removed in the next minor. */
  LINK_FAILED,
  /** @deprecated Import from "@incusx/network-runtime"; removed in the next minor. */
  NetworkRuntime,
} from "@incusx/network-runtime";
export type {
  /** @deprecated Import from "@incusx/network-runtime"; removed in the next minor. */
  NetworkRunOptions,
  /** @deprecated Import from "@incusx/network-runtime"; removed in the next minor. */
  NetworkRuntimeOptions,
  /** @deprecated Import from "@incusx/network-runtime"; removed in the next minor. */
  RestartBackoff,
} from "@incusx/network-runtime";

export { NicValidationService, VALIDATOR_PROBLEM_KEY, commonNicRules } from "./nic-validation.js";
export { NicLifecycle, natDiff } from "./nic-lifecycle.js";
export type {
  BackendReconcileReport,
  InvalidNic,
  NatListEntry,
  NatListFilter,
  NatReconcileReport,
  NicLifecycleOptions,
  NicSkip,
  NicStartResult,
  NicStopResult,
} from "./nic-lifecycle.js";

export { compileConfigSchema } from "./config-schema.js";
export {
  validateBundleManifest,
  validateHostConfig,
  validatePluginManifest,
} from "./schema-validation.js";

export { BundleError, BundleErrorCode } from "./bundle/errors.js";
export type { BundleProblem } from "./bundle/errors.js";
export { BUNDLE_MANIFEST_FILE, readBundle } from "./bundle/read-bundle.js";
export type { CompleteBundlePlugin, LoadedBundle } from "./bundle/read-bundle.js";
export { hostSdkDir, verifyBundle } from "./bundle/verify-bundle.js";
export type { VerifiedBundle, VerifyBundleOptions } from "./bundle/verify-bundle.js";
export { SDK_PACKAGE, createBundle } from "./bundle/create-bundle.js";
export type { CreateBundleOptions } from "./bundle/create-bundle.js";
export { digestOfFiles } from "./bundle/digest.js";

export { findPluginPackage, readPluginPackage } from "./plugin-package.js";
export type { PluginPackage } from "./plugin-package.js";

export { EmptyNetworkState } from "./services/empty-network-state.js";
export { FileNetworkState, MAX_HOST_STATE_DEPTH, NETWORK_STATE_FILE, parseHostState } from "./services/file-network-state.js";
export type { FileNetworkStateOptions } from "./services/file-network-state.js";
export { nicTypeOfNetwork } from "./services/file-network-state-model.js";
export { FileStateStore } from "./services/file-state-store.js";
export { LeaseEventBus } from "./services/lease-event-bus.js";
export { createLogger, jsonLinesSink } from "./services/logger.js";
export { SystemClock } from "./services/system-clock.js";
export { UnavailableLinkConfigurator } from "./services/unavailable-link-configurator.js";
