// The public API of @incusx/host: for hosts that load and run plugins.

export { Host } from "./host.js";
export type { NetworkRuntimePerNic } from "./host.js";
export { hostOptionsFromConfig, loadHostConfig, readHostConfig } from "./config.js";
export { memberNameProblem } from "./member.js";
export type {
  FailurePolicy,
  HostDefaults,
  HostOptions,
  HostServices,
  HostStateSourceOptions,
  InlinePluginSource,
  LogRecord,
  LogSink,
  ModulePluginSource,
  PluginPolicy,
  PluginSource,
} from "./options.js";
export type { PluginReport, PluginState, StartupReport, StopReport } from "./report.js";
export { NatKeeper } from "./nat-keeper.js";
export type { NatKeeperFailed, NatKeeperOptions, NatKeeperReconciled, NatKeeperReport, NatKeeperTrigger } from "./nat-keeper.js";

// Moved to @incusx/network-runtime; re-exported for one minor version.
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

// Moved to @incusx/nic; re-exported for one minor version.
export {
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  NicValidationService,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  VALIDATOR_PROBLEM_KEY,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  commonNicRules,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  NicLifecycle,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  natDiff,
} from "@incusx/nic";
export type {
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  BackendReconcileReport,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  InvalidNic,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  NatListEntry,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  NatListFilter,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  NatReconcileReport,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  NicLifecycleOptions,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  NicSkip,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  NicStartResult,
  /** @deprecated Import from "@incusx/nic"; removed in the next minor. */
  NicStopResult,
} from "@incusx/nic";

// Moved to @incusx/bundle; re-exported here for one minor version.
export {
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  BUNDLE_MANIFEST_FILE,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  BundleError,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  BundleErrorCode,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  SDK_PACKAGE,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  createBundle,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  digestOfFiles,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  findPluginPackage,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  hostSdkDir,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  readBundle,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  readPluginPackage,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  validateBundleManifest,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  validatePluginManifest,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  verifyBundle,
} from "@incusx/bundle";
export type {
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  BundleProblem,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  CompleteBundlePlugin,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  CreateBundleOptions,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  LoadedBundle,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  PluginPackage,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  VerifiedBundle,
  /** @deprecated Import from "@incusx/bundle"; removed in the next minor. */
  VerifyBundleOptions,
} from "@incusx/bundle";

export { EmptyNetworkState } from "./services/empty-network-state.js";
export { hostStateDocument } from "./services/state-document.js";
// Host services an embedder passes in HostOptions.services or uses beside the host.
export { FileNetworkState, MAX_HOST_STATE_DEPTH, NETWORK_STATE_FILE, parseHostState } from "./services/file-network-state.js";
export type { FileNetworkStateOptions } from "./services/file-network-state.js";
export { FileStateStore } from "./services/file-state-store.js";
export { LeaseEventBus } from "./services/lease-event-bus.js";
export { jsonLinesSink } from "./services/logger.js";
