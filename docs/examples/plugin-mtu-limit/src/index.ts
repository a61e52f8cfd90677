// An example third-party incusx plugin. It imports only the public SDK.

import { NetworkStateToken, NicValidatorExtension, definePlugin } from "@incusx/sdk";
import { MtuLimitValidator, type MtuLimitConfig } from "./mtu-limit-validator.js";

export { DEFAULT_MAX_MTU, MtuLimitValidator } from "./mtu-limit-validator.js";
export type { MtuLimitConfig } from "./mtu-limit-validator.js";

/**
 * The plugin: contributes one {@link MtuLimitValidator} built from the
 * plugin's config and the host's network state.
 */
export default definePlugin<MtuLimitConfig>({
  id: "example.mtu-limit",
  register(registrar) {
    const config = registrar.config;
    registrar.contribute(NicValidatorExtension, {
      // A factory, not the bare class: the validator needs the plugin's
      // config, which is not an injection token.
      useFactory: (services) => new MtuLimitValidator(services.resolve(NetworkStateToken), config),
    });
  },
});
