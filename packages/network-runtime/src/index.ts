// The public API of @incusx/network-runtime: for hosts and embedders that run
// DHCP runners on an interface. LeaseApplier and LeaseEventQueue stay inside.

export { CLIENT_DUID_KEY, LINK_FAILED, NetworkRuntime } from "./network-runtime.js";
export type { NetworkRunOptions, NetworkRuntimeOptions, RestartBackoff } from "./network-runtime.js";
