import type { Duid } from "@incusx/dhcp-wire";
import type { Clock, LeaseEvent, Logger } from "@incusx/sdk";
import type { Dhcpv6Config } from "./generated/config.js";
import type { RandomSource } from "./retransmit.js";
import type { Dhcpv6Transport } from "./transport.js";

// The config type and its defaults are generated from the manifest's configSchema.
export { DEFAULT_DHCPV6_CONFIG } from "./generated/config.js";
export type { Dhcpv6Config } from "./generated/config.js";

/** What a {@link Dhcpv6Client} needs: time, a transport, an identity and somewhere to report. */
export interface Dhcpv6ClientOptions {
  /** Every wait goes through this clock. */
  readonly clock: Clock;
  /** Sends and receives the packets. */
  readonly transport: Dhcpv6Transport;
  /** The client's DUID, stable across restarts. */
  readonly duid: Duid;
  /** IAID of the IA_NA, stable per interface. */
  readonly iaid: number;
  /** Interface name, for lease events. */
  readonly interface: string;
  /** Host name sent in the Client FQDN option (partial name). */
  readonly hostname?: string;
  /** Fully qualified name sent in the Client FQDN option; wins over `hostname`. */
  readonly fqdn?: string;
  /** Prefix length and Rapid Commit. */
  readonly config: Dhcpv6Config;
  /** Send a Release when stopped while holding addresses. */
  readonly releaseOnStop?: boolean;
  /** Uniform random numbers in [0, 1) for retransmission jitter; `Math.random` by default. */
  readonly random?: RandomSource;
  /** New 24-bit transaction ids; random by default. */
  readonly transactionId?: () => number;
  /** Receives every lease event. */
  emit(event: LeaseEvent): void;
  /** Where the client logs. */
  readonly logger: Logger;
}

const FQDN = /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** The name for the Client FQDN option, or `undefined` (with a warning when the given name is not a DNS name). */
export function fqdnNameOf(options: Dhcpv6ClientOptions, log: Logger): string | undefined {
  const fqdn = options.fqdn === undefined || options.fqdn === "" ? undefined : options.fqdn.endsWith(".") ? options.fqdn : `${options.fqdn}.`;
  const name = fqdn ?? (options.hostname === "" ? undefined : options.hostname);
  if (name === undefined) return undefined;
  if (!FQDN.test(name)) {
    log.warn(`Not sending the host name "${name}" in DHCPv6: it is not a valid DNS name`);
    return undefined;
  }
  return name;
}
