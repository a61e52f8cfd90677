import type { Duid } from "@incusx/dhcp-wire";
import type { Clock, LeaseEvent, Logger } from "@incusx/sdk";
import type { RandomSource } from "./retransmit.js";
import type { Dhcpv6Transport } from "./transport.js";

/** The plugin's config, as its manifest's `configSchema` describes it. */
export interface Dhcpv6Config {
  /** Prefix length given to leased addresses (64..128); 128 by default. */
  readonly addressPrefixLength: number;
  /** Ask for Rapid Commit in Solicit. */
  readonly rapidCommit: boolean;
}

/** Config used where none is given (the manifest's schema defaults). */
export const DEFAULT_DHCPV6_CONFIG: Dhcpv6Config = Object.freeze({ addressPrefixLength: 128, rapidCommit: true });

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
