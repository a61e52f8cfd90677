// The public API of @incusx/plugin-ovn-external-address: the NIC validator
// for `ipv4.address.external` / `ipv6.address.external` on OVN NICs.

import { NatBackendExtension, NicValidatorExtension, definePlugin } from "@incusx/sdk";
import { OvnNatBackend } from "./nat/backend.js";
import { ExternalAddressValidator } from "./validator.js";

export { EXTERNAL_ADDRESS_KEYS, ExternalAddressValidator } from "./validator.js";
export {
  EXTERNAL_ID_KEYS,
  OVN_NORTHBOUND,
  OvnNatBackend,
  OvnNatError,
  PLUGIN_ID,
  ovnSwitchPortName,
  parseDynamicAddresses,
  planNicNat,
  readDynamicAddresses,
} from "./nat/index.js";
export type { NatConflict, OvnNatConfig, OvnNatErrorReason, OvnNatReconcileResult, SwitchPortAddresses } from "./nat/index.js";

/**
 * The plugin: contributes the {@link ExternalAddressValidator} to the
 * `nic-validator` extension point; the host injects its network state.
 */
export default definePlugin({
  id: "incusx.ovn-external-address",
  register(registrar) {
    registrar.contribute(NicValidatorExtension, ExternalAddressValidator);
    registrar.contribute(NatBackendExtension, OvnNatBackend);
  },
});
