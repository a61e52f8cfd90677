// The public API of @incusx/plugin-dhcpv6: the RFC 8415 client state
// machine (pure, clock- and transport-driven) and the DhcpRunner on it.

import { DhcpRunnerExtension, definePlugin } from "@incusx/sdk";
import type { Dhcpv6Config } from "./options.js";
import { Dhcpv6LinkAccessToken, Dhcpv6Runner, LINUX_NET_LINK_ACCESS } from "./runner.js";

export { Dhcpv6Client } from "./client.js";
export type { Dhcpv6State } from "./client.js";
export { DEFAULT_DHCPV6_CONFIG } from "./options.js";
export type { Dhcpv6ClientOptions, Dhcpv6Config } from "./options.js";
export { Dhcpv6Runner, NoLinkLocalError, socketTransport } from "./runner.js";
export { bindingFromSaved } from "./saved-binding.js";
export type { SavedBinding } from "./saved-binding.js";
export type { Dhcpv6Socket } from "./runner.js";
export type { Dhcpv6Destination, Dhcpv6Transport } from "./transport.js";
export type { RandomSource } from "./retransmit.js";

/**
 * The plugin: contributes one {@link Dhcpv6Runner} to the `dhcp-runner`
 * extension point; the host injects clock, state store, logger and config,
 * and the plugin its `@incusx/linux-net` link operations.
 */
export default definePlugin<Dhcpv6Config>({
  id: "incusx.dhcpv6",
  register(registrar) {
    registrar.provide(Dhcpv6LinkAccessToken, { useValue: LINUX_NET_LINK_ACCESS });
    registrar.contribute(DhcpRunnerExtension, Dhcpv6Runner);
  },
});
