// The OVN NatBackend: owned snat rows in the northbound database.

export { OvnNatBackend } from "./backend.js";
export type { OvnNatBackendOptions, OvnNatConfig, OvnNatReconcileResult } from "./backend.js";
export { incusNetworkId, incusSwitchPortName, nicSwitchPortNames, ovnSwitchPortName, parseDynamicAddresses, readDynamicAddresses } from "./dynamic-addresses.js";
export type { SwitchPortAddresses } from "./dynamic-addresses.js";
export { OvnNatError, PLUGIN_ID } from "./errors.js";
export type { NatConflict, OvnNatErrorReason } from "./errors.js";
export { EXTERNAL_ID_KEYS, OVN_NORTHBOUND } from "./rows.js";
export { planNicNat } from "./nic-plan.js";
