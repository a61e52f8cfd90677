// The public API of @incusx/plugin-ovn-external-address: the NIC validator
// for `ipv4.address.external` / `ipv6.address.external` on OVN NICs and
// the NAT backend owning their snat rows in the OVN northbound database.

import { HostIdentityToken, HostMetricsToken, LifecycleToken, NatBackendExtension, NetworkStateToken, NicValidatorExtension, definePlugin } from "@incusx/sdk";
import { OvnNatBackend, type OvnNatConfig } from "./nat/backend.js";
import { ExternalAddressValidator } from "./validator.js";

export { ExternalAddressValidator } from "./validator.js";
export { OvnNatBackend, OvnNatError, incusNetworkId, incusSwitchPortName, nicSwitchPortNames, ovnSwitchPortName } from "./nat/index.js";
export type { NatConflict, OvnNatBackendOptions, OvnNatConfig, OvnNatErrorReason, OvnNatReconcileResult } from "./nat/index.js";

/**
 * The plugin: contributes the {@link ExternalAddressValidator} to the
 * `nic-validator` extension point and the {@link OvnNatBackend} to
 * `nat-backend` (config `{ northbound }`); the host injects its network
 * state, its identity (the member name its rows record) and its metrics
 * sink (NB connections lost and replaced, `HostMetricsToken`). The backend connects to the northbound database on first use; its
 * stop hook closes the connection when the host stops the plugin.
 */
export default definePlugin<OvnNatConfig>({
  id: "incusx.ovn-external-address",
  register(registrar) {
    registrar.contribute(NicValidatorExtension, ExternalAddressValidator);
    registrar.contribute(NatBackendExtension, {
      deps: { config: registrar.configToken, state: NetworkStateToken, identity: HostIdentityToken, metrics: HostMetricsToken, lifecycle: LifecycleToken },
      create: ({ config, state, identity, metrics, lifecycle }) => {
        const backend = new OvnNatBackend(config, state, identity, metrics);
        lifecycle.onStop(() => backend.close());
        return backend;
      },
    });
  },
});
