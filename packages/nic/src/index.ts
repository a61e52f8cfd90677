// The public API of @incusx/nic: for hosts and embedders that validate NICs
// and drive their outbound NAT over the contributed validators and backends.

export { NicValidationService, VALIDATOR_PROBLEM_KEY, commonNicRules } from "./validation.js";
export { NicLifecycle, natDiff } from "./lifecycle.js";
export type {
  BackendReconcileReport,
  InvalidNic,
  NatListEntry,
  NatListFilter,
  NatReconcileReport,
  NicElsewhere,
  NicLifecycleOptions,
  NicSkip,
  NicStartResult,
  NicStopResult,
} from "./lifecycle.js";
