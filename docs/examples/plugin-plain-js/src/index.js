// @ts-check
// An example third-party incusx plugin in plain JavaScript: no decorators,
// no build step. Types come from JSDoc and the SDK's declarations.

import { NetworkStateToken, NicValidatorExtension, ValidationError, definePlugin, invalidOption, isNetworkVLAN } from "@incusx/sdk";

/** @typedef {import("@incusx/sdk").NicValidator} NicValidator */

/**
 * The plugin's config, as its manifest's `configSchema` describes it (the
 * host fills in the `{}` default).
 *
 * @typedef {object} VlanAllowConfig
 * @property {Record<string, number[]>} networks Allowed VLAN ids by network name.
 */

/**
 * Allows a bridged NIC's `vlan` only when its network lists it. Owning the
 * key replaces the host's common VLAN rule, so it checks the form too.
 *
 * @implements {NicValidator}
 */
export class VlanAllowValidator {
  nicTypes = ["bridged"];
  keys = ["vlan"];

  /**
   * @param {import("@incusx/sdk").NetworkState} state
   * @param {VlanAllowConfig} config
   */
  constructor(state, config) {
    this.state = state;
    this.config = config;
  }

  /**
   * @param {import("@incusx/sdk").NicDevice} nic
   * @returns {Promise<import("@incusx/sdk").NicProblem[]>}
   */
  async validate(nic) {
    const vlan = nic.config["vlan"];
    if (vlan === undefined) return [];
    try {
      isNetworkVLAN(vlan);
    } catch (error) {
      if (error instanceof ValidationError) return [invalidOption("vlan", error.message, vlan)];
      throw error;
    }
    const name = nic.config["network"];
    // A NIC on a parent interface, or on a network the host does not know: not ours to judge.
    if (name === undefined || (await this.state.network(name)) === undefined) return [];
    const allowed = this.config.networks[name] ?? [];
    if (allowed.includes(Number(vlan))) return [];
    const list = allowed.length === 0 ? "none" : allowed.join(", ");
    return [invalidOption("vlan", `VLAN ${vlan} is not allowed on network "${name}" (allowed: ${list})`, vlan)];
  }
}

/**
 * The plugin: contributes one {@link VlanAllowValidator}, built by `create`
 * from the dependencies named in `deps` (the host's network state and this
 * plugin's config, typed as {@link VlanAllowConfig} through
 * `registrar.configToken`).
 *
 * @type {import("@incusx/sdk").Plugin<VlanAllowConfig>}
 */
const plugin = definePlugin({
  id: "example.vlan-allow",
  register(registrar) {
    registrar.contribute(NicValidatorExtension, {
      deps: { state: NetworkStateToken, config: registrar.configToken },
      create: ({ state, config }) => new VlanAllowValidator(state, config),
    });
  },
});

export default plugin;
