// The public API of @incusx/plugin-ovn-external-address: the NIC validator
// for `ipv4.address.external` / `ipv6.address.external` on OVN NICs and
// the NAT backend owning their snat rows in the OVN northbound database.

import { NatBackendExtension, NatBackendToken, NicValidatorExtension, definePlugin } from "@incusx/sdk";
import { OvnNatBackend, type OvnNatConfig } from "./nat/backend.js";
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
 * `nic-validator` extension point and the {@link OvnNatBackend} to
 * `nat-backend` (config `{ northbound }`); the host injects its network
 * state. The backend connects to the northbound database on first use; the
 * connection is closed when the host stops the plugin.
 */
export default definePlugin<OvnNatConfig>({
  id: "incusx.ovn-external-address",
  register(registrar) {
    registrar.contribute(NicValidatorExtension, ExternalAddressValidator);
    registrar.contribute(NatBackendExtension, OvnNatBackend);
  },
  async stop(context) {
    // The host's backends include other plugins'; close only ours.
    const ours = context.resolveAll(NatBackendToken).filter((b): b is OvnNatBackend => b instanceof OvnNatBackend);
    await Promise.all(ours.map((backend) => backend.close()));
  },
});
