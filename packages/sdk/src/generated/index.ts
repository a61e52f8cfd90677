// Generated from schemas/*.schema.json by scripts/gen-types.mjs. Do not edit:
// change the schema, then run `pnpm gen:types`.

export type { BundleManifest, BundlePlugin } from "./bundle.js";
export type { DaemonNicAttach, DaemonNicResolvConf } from "./daemon-nic-attach.js";
export type { HostConfig, HostDaemonConfig, HostDefaults, HostPluginEntry, HostStateFileSource, HostStateIncusSource, HostStateSource } from "./host-config.js";
export type { HostState, HostStateDevice, HostStateForward, HostStateForwardPort, HostStateInstance, HostStateLoadBalancer, HostStateLoadBalancerBackend, HostStateLoadBalancerPort, HostStateNetwork } from "./host-state.js";
export type { PluginManifest } from "./plugin-manifest.js";
