// The public API of @incusx/network-runtime: for hosts and embedders that run
// DHCP runners on one interface (run) or on many NICs at once (attach).
// LeaseApplier and LeaseEventQueue stay inside.

export { CLIENT_DUID_KEY, KNOWN_DUIDS, LINK_FAILED, NIC_GONE, NetworkRuntime, OPTIMISTIC_DAD_SYSCTLS, attachedNicKey, instanceDuidKey, nicLeaseKey } from "./network-runtime.js";
export type {
  AttachedNic,
  DetachOptions,
  GoneNic,
  NetworkRunOptions,
  NetworkRuntimeOptions,
  NicFamilyState,
  NicFamilyStatus,
  NicGoneReport,
  NicKey,
  NicSpec,
  NicWatcher,
  RestartBackoff,
  RestoreProblem,
  RestoreResult,
} from "./network-runtime.js";
