import {
  Dhcpv6FqdnFlag,
  Dhcpv6MessageType,
  Dhcpv6OptionCode,
  type Dhcpv6ClientServerMessage,
  type Dhcpv6Option,
  type Duid,
} from "@incusx/dhcp-wire";

/** Who the client is: what every message it sends says about it. */
export interface ClientIdentity {
  /** The client's DUID (Client Identifier option). */
  readonly duid: Duid;
  /** IAID of the one IA_NA the client asks for. */
  readonly iaid: number;
  /**
   * Name for the Client FQDN option (RFC 4704): a partial name (`c1`) or a
   * fully qualified one ending in "." (`c1.example.org.`). Absent: no option.
   */
  readonly fqdnName?: string;
}

/** An address the client holds or asks for, with lifetimes in seconds. */
export interface IaAddress {
  readonly address: string;
  readonly preferredLifetime: number;
  readonly validLifetime: number;
}

/** Options the client asks for in stateful exchanges (RFC 8415 section 21.7: SOL_MAX_RT is required). */
export const STATEFUL_ORO: readonly number[] = [
  Dhcpv6OptionCode.DNS_SERVERS,
  Dhcpv6OptionCode.DOMAIN_LIST,
  Dhcpv6OptionCode.SOL_MAX_RT,
  Dhcpv6OptionCode.INF_MAX_RT,
];

/** Options the client asks for in an Information-request (Information Refresh Time and INF_MAX_RT are required). */
export const STATELESS_ORO: readonly number[] = [
  Dhcpv6OptionCode.DNS_SERVERS,
  Dhcpv6OptionCode.DOMAIN_LIST,
  Dhcpv6OptionCode.INFORMATION_REFRESH_TIME,
  Dhcpv6OptionCode.SOL_MAX_RT,
  Dhcpv6OptionCode.INF_MAX_RT,
];

/**
 * Elapsed Time option value: hundredths of a second since the exchange
 * began, 0xffff once 655.35 s or more have passed (RFC 8415 section 21.9).
 *
 * @example
 * elapsedHundredths(1_000, 3_550) // 255
 */
export function elapsedHundredths(startedAt: number, now: number): number {
  return Math.min(0xffff, Math.max(0, Math.floor((now - startedAt) / 10)));
}

/** What varies per message: the transaction, the time, the server, the addresses. */
export interface MessageInput {
  /** 24-bit transaction id of the exchange. */
  readonly transactionId: number;
  /** Elapsed Time value in hundredths of a second. */
  readonly elapsed: number;
  /** Server Identifier, for messages sent to one server. */
  readonly serverId?: Duid;
  /** Addresses to list in the IA_NA (held, offered or declined). */
  readonly addresses?: readonly IaAddress[];
  /** Solicit only: ask for a two-message exchange. */
  readonly rapidCommit?: boolean;
}

function iaNa(identity: ClientIdentity, addresses: readonly IaAddress[] = []): Dhcpv6Option {
  // T1/T2 0: the client has no preference (RFC 8415 section 18.2).
  return {
    code: Dhcpv6OptionCode.IA_NA,
    iaid: identity.iaid,
    t1: 0,
    t2: 0,
    options: addresses.map((a) => ({
      code: Dhcpv6OptionCode.IAADDR,
      address: a.address,
      preferredLifetime: a.preferredLifetime,
      validLifetime: a.validLifetime,
      options: [],
    })),
  };
}

function fqdn(identity: ClientIdentity): Dhcpv6Option[] {
  // S=1: the server updates the AAAA record, as dhcpcd and systemd-networkd
  // ask by default; dnsmasq then answers for the container's name.
  return identity.fqdnName === undefined ? [] : [{ code: Dhcpv6OptionCode.CLIENT_FQDN, flags: Dhcpv6FqdnFlag.S, name: identity.fqdnName }];
}

function message(type: number, input: MessageInput, options: Dhcpv6Option[]): Dhcpv6ClientServerMessage {
  return { messageType: type, transactionId: input.transactionId, options };
}

function head(identity: ClientIdentity, input: MessageInput, withServer: boolean): Dhcpv6Option[] {
  const options: Dhcpv6Option[] = [{ code: Dhcpv6OptionCode.CLIENTID, duid: identity.duid }];
  if (withServer) {
    if (input.serverId === undefined) throw new TypeError("This DHCPv6 message needs a server identifier");
    options.push({ code: Dhcpv6OptionCode.SERVERID, duid: input.serverId });
  }
  return options;
}

function elapsed(input: MessageInput): Dhcpv6Option {
  return { code: Dhcpv6OptionCode.ELAPSED_TIME, elapsedTime: input.elapsed };
}

function oro(codes: readonly number[]): Dhcpv6Option {
  return { code: Dhcpv6OptionCode.ORO, codes };
}

/**
 * Solicit (RFC 8415 section 18.2.1): Client ID, an empty IA_NA, Elapsed
 * Time, ORO, Rapid Commit when asked, Client FQDN when named.
 *
 * @example
 * encodeDhcpv6(buildSolicit(identity, { transactionId: 0x123456, elapsed: 0, rapidCommit: true }))
 */
export function buildSolicit(identity: ClientIdentity, input: MessageInput): Dhcpv6ClientServerMessage {
  const options = head(identity, input, false);
  options.push(iaNa(identity), elapsed(input), oro(STATEFUL_ORO));
  if (input.rapidCommit === true) options.push({ code: Dhcpv6OptionCode.RAPID_COMMIT });
  options.push(...fqdn(identity));
  return message(Dhcpv6MessageType.SOLICIT, input, options);
}

/** Request (section 18.2.2): to the chosen server, for the addresses it advertised. */
export function buildRequest(identity: ClientIdentity, input: MessageInput): Dhcpv6ClientServerMessage {
  const options = head(identity, input, true);
  options.push(iaNa(identity, input.addresses), elapsed(input), oro(STATEFUL_ORO), ...fqdn(identity));
  return message(Dhcpv6MessageType.REQUEST, input, options);
}

/** Renew (section 18.2.4): to the server that granted the lease, for the addresses held. */
export function buildRenew(identity: ClientIdentity, input: MessageInput): Dhcpv6ClientServerMessage {
  const options = head(identity, input, true);
  options.push(iaNa(identity, input.addresses), elapsed(input), oro(STATEFUL_ORO), ...fqdn(identity));
  return message(Dhcpv6MessageType.RENEW, input, options);
}

/** Rebind (section 18.2.5): to any server, without a Server ID. */
export function buildRebind(identity: ClientIdentity, input: MessageInput): Dhcpv6ClientServerMessage {
  const options = head(identity, input, false);
  options.push(iaNa(identity, input.addresses), elapsed(input), oro(STATEFUL_ORO), ...fqdn(identity));
  return message(Dhcpv6MessageType.REBIND, input, options);
}

/**
 * Confirm (section 18.2.3): to every server, without a Server ID, the
 * addresses held with T1, T2 and both lifetimes 0 (the server only checks
 * they suit the link); no ORO.
 */
export function buildConfirm(identity: ClientIdentity, input: MessageInput): Dhcpv6ClientServerMessage {
  const options = head(identity, input, false);
  const addresses = (input.addresses ?? []).map((a) => ({ address: a.address, preferredLifetime: 0, validLifetime: 0 }));
  options.push(iaNa(identity, addresses), elapsed(input));
  return message(Dhcpv6MessageType.CONFIRM, input, options);
}

/** Release (section 18.2.7): the addresses given back; no ORO. */
export function buildRelease(identity: ClientIdentity, input: MessageInput): Dhcpv6ClientServerMessage {
  const options = head(identity, input, true);
  options.push(iaNa(identity, input.addresses), elapsed(input));
  return message(Dhcpv6MessageType.RELEASE, input, options);
}

/** Decline (section 18.2.8): the addresses that failed duplicate address detection; no ORO. */
export function buildDecline(identity: ClientIdentity, input: MessageInput): Dhcpv6ClientServerMessage {
  const options = head(identity, input, true);
  options.push(iaNa(identity, input.addresses), elapsed(input));
  return message(Dhcpv6MessageType.DECLINE, input, options);
}

/** Information-request (section 18.2.6): configuration without addresses; no IA, no Server ID. */
export function buildInformationRequest(identity: ClientIdentity, input: MessageInput): Dhcpv6ClientServerMessage {
  const options = head(identity, input, false);
  options.push(elapsed(input), oro(STATELESS_ORO));
  return message(Dhcpv6MessageType.INFORMATION_REQUEST, input, options);
}
