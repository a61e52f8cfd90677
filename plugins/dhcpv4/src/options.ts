import type { ExchangeAdmission } from "@incusx/dhcp-client";
import type { Dhcpv4ClientIdentifier } from "@incusx/dhcp-wire";
import type { Clock, DhcpAttemptFailure, LeaseEvent, Logger } from "@incusx/sdk";
import type { ArpTransport } from "./acd.js";
import type { SavedLease } from "./lease.js";
import type { RandomSource } from "./retransmit.js";
import type { Dhcpv4Transport } from "./transport.js";

// The config type and its defaults are generated from the manifest's configSchema.
export { DEFAULT_DHCPV4_CONFIG } from "./generated/config.js";
export type { Dhcpv4Config } from "./generated/config.js";

/** What a {@link Dhcpv4Client} needs: time, a transport, an identity and somewhere to report. */
export interface Dhcpv4ClientOptions {
  /** Every wait goes through this clock. */
  readonly clock: Clock;
  /** Sends and receives the packets. */
  readonly transport: Dhcpv4Transport;
  /** The interface's MAC address (6 bytes): chaddr, and the only chaddr replies may carry. */
  readonly mac: Uint8Array;
  /** Option 61 to send; replies carrying another one are ignored. */
  readonly clientIdentifier: Dhcpv4ClientIdentifier;
  /** Interface name, for lease events. */
  readonly interface: string;
  /** Host name sent as option 12. */
  readonly hostname?: string;
  /** Fully qualified name sent as option 81 (RFC 4702) instead of option 12. */
  readonly fqdn?: string;
  /** Set the BOOTP broadcast flag while the client has no address (default true). */
  readonly requestBroadcast?: boolean;
  /** Put option 26 in the lease (default true). */
  readonly applyMtu?: boolean;
  /** Send a RELEASE when stopped while bound. */
  readonly releaseOnStop?: boolean;
  /** The lease kept from an earlier run: the client asks for its address again first (INIT-REBOOT). */
  readonly savedLease?: SavedLease;
  /** Called with the lease to keep for the next run, or `undefined` when there is none any more. */
  persist?(lease: SavedLease | undefined): Promise<void>;
  /** Uniform random numbers in [0, 1) for retransmission jitter; `Math.random` by default. */
  readonly random?: RandomSource;
  /** New 32-bit transaction ids; random by default. */
  readonly transactionId?: () => number;
  /**
   * Where the client waits before each DISCOVER for a place among the
   * clients exchanging with the servers (held until the REQUEST is answered);
   * none: it starts at once.
   */
  readonly admission?: ExchangeAdmission;
  /**
   * ARP on the interface, for RFC 5227 address conflict detection: with it
   * the client probes every new address before reporting it bound (4 to
   * 7 s), declines one another host holds, and defends the address while
   * bound. None (the default): no probing.
   */
  readonly arp?: ArpTransport;
  /** Receives every lease event. */
  emit(event: LeaseEvent): void;
  /** Told why an attempt got no lease (no reply after N DHCPDISCOVERs, DHCPNAK). */
  attemptFailed?(failure: DhcpAttemptFailure): void;
  /** Where the client logs. */
  readonly logger: Logger;
}

const FQDN = /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** The name the client announces, or `undefined` (with a warning when the given name is not valid). */
export function announcedName(options: Pick<Dhcpv4ClientOptions, "hostname" | "fqdn">, log: Logger): { fqdn: string } | { hostname: string } | undefined {
  if (options.fqdn !== undefined && options.fqdn !== "") {
    const fqdn = options.fqdn.endsWith(".") ? options.fqdn : `${options.fqdn}.`;
    if (FQDN.test(fqdn)) return { fqdn };
    log.warn(`Not sending the name "${options.fqdn}" in DHCPv4: it is not a valid DNS name`);
    return undefined;
  }
  if (options.hostname === undefined || options.hostname === "") return undefined;
  if (FQDN.test(options.hostname) && !options.hostname.endsWith(".")) return { hostname: options.hostname };
  log.warn(`Not sending the host name "${options.hostname}" in DHCPv4: it is not a valid host name`);
  return undefined;
}
