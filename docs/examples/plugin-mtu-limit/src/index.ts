// An example third-party incusx plugin. It imports only the public SDK.

import { NicValidatorExtension, definePlugin } from "@incusx/sdk";
import { MtuLimitValidator, type MtuLimitConfig } from "./mtu-limit-validator.js";

export { DEFAULT_MAX_MTU, MtuLimitValidator } from "./mtu-limit-validator.js";
export type { MtuLimitConfig } from "./mtu-limit-validator.js";

/**
 * The plugin: contributes one {@link MtuLimitValidator}; the host injects
 * the network state and the plugin's validated config.
 */
export default definePlugin<MtuLimitConfig>({
  id: "example.mtu-limit",
  register(registrar) {
    registrar.contribute(NicValidatorExtension, MtuLimitValidator);
  },
});
