// The public API of @incusx/sdk/host: what a host (the process that loads,
// wires and runs plugins: @incusx/host, the testkit's test host, an
// embedder's own) needs from the SDK and a plugin author does not. Plugin
// authors import from "@incusx/sdk".

export type { LogRecord, LogSink } from "./log.js";

export { injectionPlan, describeInjection } from "../inject.js";
export type { ParameterInjection } from "../inject.js";

export { isPlugin, pluginBrand } from "../plugin.js";
export type { PluginBrand } from "../plugin.js";

export { extensionPoints } from "../extension-points.js";

export { toIncusxError } from "../errors.js";

export { sleepOnTimer } from "./sleep-on-timer.js";

export { hostStateModel } from "./state-model.js";
export type { HostStateModel } from "./state-model.js";

// Types generated from schemas/*.schema.json (`pnpm gen:types`): bundle
// manifests, host config files, the host state file and the daemon API's
// attach request.
export type {
  BundleManifest,
  BundlePlugin,
  DaemonNicAttach,
  DaemonNicResolvConf,
  HostConfig,
  HostDefaults,
  HostPluginEntry,
  HostState,
  HostStateFileSource,
  HostStateIncusSource,
  HostStateSource,
  HostStateDevice,
  HostStateForward,
  HostStateForwardPort,
  HostStateInstance,
  HostStateLoadBalancer,
  HostStateLoadBalancerBackend,
  HostStateLoadBalancerPort,
  HostStateNetwork,
} from "../generated/index.js";
