// The public API of @incusx/plugin-dhcpv4: the RFC 2131 client state
// machine (pure, clock- and transport-driven) and the DhcpRunner on it.

import { DhcpRunnerExtension, definePlugin } from "@incusx/sdk";
import type { Dhcpv4Config } from "./options.js";
import { Dhcpv4LinkAccessToken, Dhcpv4Runner, LINUX_NET_LINK_ACCESS } from "./runner.js";

export { Dhcpv4Client, NAK_LOOP_DELAY_MS, REBOOT_TRANSMISSIONS, REQUEST_TRANSMISSIONS } from "./client.js";
export type { Dhcpv4State } from "./client.js";
export { DEFAULT_DHCPV4_CONFIG } from "./options.js";
export type { Dhcpv4ClientOptions, Dhcpv4Config } from "./options.js";
export { DHCPV4_CLIENT_PORT, DHCPV4_SERVER_PORT, Dhcpv4Runner, Dhcpv4RunnerErrorCode, LIMITED_BROADCAST, socketTransport } from "./runner.js";
export type { Dhcpv4Socket } from "./runner.js";
export type { Dhcpv4Destination, Dhcpv4Transport } from "./transport.js";
export { DUID_KEY, clientIdentifier, createDuid, iaidFor, leaseKey } from "./identity.js";
export { INFINITE_LEASE, renewalTimes } from "./lease.js";
export type { SavedLease } from "./lease.js";
export { PARAMETER_REQUEST_LIST } from "./messages.js";
export {
  INITIAL_RETRANSMIT_MS,
  MAX_RETRANSMIT_MS,
  MIN_RENEW_RETRANSMIT_MS,
  RETRANSMIT_JITTER_MS,
  renewRetransmitAt,
  retransmitDelay,
} from "./retransmit.js";
export type { RandomSource } from "./retransmit.js";

/**
 * The plugin: contributes one {@link Dhcpv4Runner} to the `dhcp-runner`
 * extension point; the host injects clock, state store, logger and config,
 * and the plugin its `@incusx/linux-net` link operations.
 */
export default definePlugin<Dhcpv4Config>({
  id: "incusx.dhcpv4",
  register(registrar) {
    registrar.provide(Dhcpv4LinkAccessToken, { useValue: LINUX_NET_LINK_ACCESS });
    registrar.contribute(DhcpRunnerExtension, Dhcpv4Runner);
  },
});
