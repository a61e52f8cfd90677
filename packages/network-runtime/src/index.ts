// The public API of @incusx/network-runtime: for hosts and embedders that run
// DHCP runners on one interface (run) or on many NICs at once (attach).
// LeaseApplier and LeaseEventQueue stay inside.

export { CLIENT_DUID_KEY, LINK_FAILED, NetworkRuntime, attachedNicKey, instanceDuidKey, nicLeaseKey } from "./network-runtime.js";
export type {
  AttachedNic,
  DetachOptions,
  NetworkRunOptions,
  NetworkRuntimeOptions,
  NicFamilyState,
  NicFamilyStatus,
  NicKey,
  NicSpec,
  RestartBackoff,
  RestoreProblem,
  RestoreResult,
} from "./network-runtime.js";
