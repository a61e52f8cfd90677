import type { ExchangeAdmission } from "@incusx/dhcp-client";
import type { Duid } from "@incusx/dhcp-wire";
import type { Clock, DhcpAttemptFailure, LeaseEvent, Logger } from "@incusx/sdk";
import type { Dhcpv6Config } from "./generated/config.js";
import type { Binding } from "./lease.js";
import type { SavedBinding } from "./saved-binding.js";
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
  /** Prefix length and Rapid Commit (the rest of the plugin's config is the runner's). */
  readonly config: Pick<Dhcpv6Config, "addressPrefixLength" | "rapidCommit">;
  /** Send a Release when stopped while holding addresses. */
  readonly releaseOnStop?: boolean;
  /**
   * A binding an earlier run held (from `bindingFromSaved`): the client
   * starts by renewing it with its server instead of soliciting, and
   * reports `bound` once a Reply confirms it.
   */
  readonly savedBinding?: Binding;
  /**
   * Keeps the binding across restarts: called with it after every bind,
   * renewal and rebind, and with `undefined` when it ends (expired,
   * released, declined). Calls are made one after the other; a failure is
   * logged and the protocol carries on.
   */
  persist?(binding: SavedBinding | undefined): Promise<void>;
  /** Uniform random numbers in [0, 1) for retransmission jitter; `Math.random` by default. */
  readonly random?: RandomSource;
  /** New 24-bit transaction ids; random by default. */
  readonly transactionId?: () => number;
  /**
   * Where the client waits before each Solicit for a place among the
   * clients exchanging with the servers (held until the Reply that binds, or
   * the Request given up); none: it starts at once.
   */
  readonly admission?: ExchangeAdmission;
  /** Receives every lease event. */
  emit(event: LeaseEvent): void;
  /** Told why an attempt got no lease (no reply after N Solicits, NoAddrsAvail, NotOnLink). */
  attemptFailed?(failure: DhcpAttemptFailure): void;
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
