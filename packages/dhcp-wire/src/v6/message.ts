import type { Duid } from "./duid.js";

/**
 * DHCPv6 message types (RFC 8415 section 7.3 and the IANA registry). Any
 * number 0..255 is accepted on the wire; these are names for the known ones.
 *
 * @example
 * if (message.messageType === Dhcpv6MessageType.REPLY) ...
 */
export const Dhcpv6MessageType = {
  SOLICIT: 1,
  ADVERTISE: 2,
  REQUEST: 3,
  CONFIRM: 4,
  RENEW: 5,
  REBIND: 6,
  REPLY: 7,
  RELEASE: 8,
  DECLINE: 9,
  RECONFIGURE: 10,
  INFORMATION_REQUEST: 11,
  RELAY_FORW: 12,
  RELAY_REPL: 13,
  LEASEQUERY: 14,
  LEASEQUERY_REPLY: 15,
  LEASEQUERY_DONE: 16,
  LEASEQUERY_DATA: 17,
  RECONFIGURE_REQUEST: 18,
  RECONFIGURE_REPLY: 19,
  DHCPV4_QUERY: 20,
  DHCPV4_RESPONSE: 21,
  ACTIVELEASEQUERY: 22,
  STARTTLS: 23,
  BNDUPD: 24,
  BNDREPLY: 25,
  POOLREQ: 26,
  POOLRESP: 27,
  UPDREQ: 28,
  UPDREQALL: 29,
  UPDDONE: 30,
  CONNECT: 31,
  CONNECTREPLY: 32,
  DISCONNECT: 33,
  STATE: 34,
  CONTACT: 35,
  ADDR_REG_INFORM: 36,
  ADDR_REG_REPLY: 37,
} as const;

/** DHCPv6 option codes this codec types (RFC 8415 section 21 and the RFCs named per option). */
export const Dhcpv6OptionCode = {
  CLIENTID: 1,
  SERVERID: 2,
  IA_NA: 3,
  IA_TA: 4,
  IAADDR: 5,
  ORO: 6,
  PREFERENCE: 7,
  ELAPSED_TIME: 8,
  RELAY_MSG: 9,
  UNICAST: 12,
  STATUS_CODE: 13,
  RAPID_COMMIT: 14,
  RECONF_MSG: 19,
  RECONF_ACCEPT: 20,
  DNS_SERVERS: 23,
  DOMAIN_LIST: 24,
  IA_PD: 25,
  IAPREFIX: 26,
  INFORMATION_REFRESH_TIME: 32,
  CLIENT_FQDN: 39,
  NTP_SERVER: 56,
  SOL_MAX_RT: 82,
  INF_MAX_RT: 83,
} as const;

/** Status codes of the Status Code option (RFC 8415 section 21.13 and the IANA registry). */
export const Dhcpv6StatusCode = {
  Success: 0,
  UnspecFail: 1,
  NoAddrsAvail: 2,
  NoBinding: 3,
  NotOnLink: 4,
  UseMulticast: 5,
  NoPrefixAvail: 6,
  UnknownQueryType: 7,
  MalformedQuery: 8,
  NotConfigured: 9,
  NotAllowed: 10,
  QueryTerminated: 11,
  DataMissing: 12,
  CatchUpComplete: 13,
  NotSupported: 14,
  TLSConnectionRefused: 15,
  AddressInUse: 16,
  ConfigurationConflict: 17,
  MissingBindingInformation: 18,
  OutdatedBindingInformation: 19,
  ServerShuttingDown: 20,
  DNSUpdateNotSupported: 21,
  ExcessiveTimeSkew: 22,
} as const;

const STATUS_NAMES: string[] = [];
for (const [name, code] of Object.entries(Dhcpv6StatusCode)) STATUS_NAMES[code] = name;

/**
 * The registry name of a status code, or `undefined` for an unassigned one.
 *
 * @example
 * dhcpv6StatusCodeName(2) // "NoAddrsAvail"
 */
export function dhcpv6StatusCodeName(code: number): string | undefined {
  return STATUS_NAMES[code];
}

/** Flag bits of the Client FQDN option (RFC 4704 section 4.1). Other bits must be zero but are kept. */
export const Dhcpv6FqdnFlag = {
  /** S: the server should perform the AAAA update. */
  S: 0x01,
  /** O: the server overrode the client's S bit. */
  O: 0x02,
  /** N: the server should perform no DNS update. */
  N: 0x04,
} as const;

/** A client/server message: msg-type, 3-byte transaction id, options (RFC 8415 section 8). */
export interface Dhcpv6ClientServerMessage {
  /** Any type but RELAY-FORW/RELAY-REPL (see {@link Dhcpv6MessageType}). */
  readonly messageType: number;
  /** 24-bit transaction id. */
  readonly transactionId: number;
  readonly options: readonly Dhcpv6Option[];
}

/** A Relay-Forward or Relay-Reply message (RFC 8415 section 9). */
export interface Dhcpv6RelayMessage {
  readonly messageType: typeof Dhcpv6MessageType.RELAY_FORW | typeof Dhcpv6MessageType.RELAY_REPL;
  readonly hopCount: number;
  readonly linkAddress: string;
  readonly peerAddress: string;
  readonly options: readonly Dhcpv6Option[];
}

/**
 * A decoded DHCPv6 message. Options are in wire order, repetitions kept, so
 * encoding a decoded message gives back the same bytes.
 */
export type Dhcpv6Message = Dhcpv6ClientServerMessage | Dhcpv6RelayMessage;

/**
 * Whether `message` is a Relay-Forward/Relay-Reply (has hop count and addresses).
 *
 * @example
 * if (isDhcpv6RelayMessage(m)) inner = findDhcpv6Option(m, 9)?.message
 */
export function isDhcpv6RelayMessage(message: Dhcpv6Message): message is Dhcpv6RelayMessage {
  return message.messageType === 12 || message.messageType === 13;
}

/** Client Identifier (1) or Server Identifier (2). */
export interface Dhcpv6DuidOption<C extends 1 | 2> {
  readonly code: C;
  readonly duid: Duid;
}

/** IA_NA (3) and IA_PD (25): IAID, renew/rebind times (seconds), options. */
export interface Dhcpv6IaOption<C extends 3 | 25> {
  readonly code: C;
  readonly iaid: number;
  readonly t1: number;
  readonly t2: number;
  readonly options: readonly Dhcpv6Option[];
}

/** IA_TA (4): IAID and options (no T1/T2). */
export interface Dhcpv6IaTaOption {
  readonly code: 4;
  readonly iaid: number;
  readonly options: readonly Dhcpv6Option[];
}

/** IA Address (5): an address with lifetimes in seconds (0xffffffff: infinity). */
export interface Dhcpv6IaAddressOption {
  readonly code: 5;
  readonly address: string;
  readonly preferredLifetime: number;
  readonly validLifetime: number;
  readonly options: readonly Dhcpv6Option[];
}

/** Option Request (6): the requested option codes, in order. */
export interface Dhcpv6OptionRequestOption {
  readonly code: 6;
  readonly codes: readonly number[];
}

/** Preference (7): 0..255, higher wins. */
export interface Dhcpv6PreferenceOption {
  readonly code: 7;
  readonly preference: number;
}

/** Elapsed Time (8) in hundredths of a second (0xffff: 655.35 s or more). */
export interface Dhcpv6ElapsedTimeOption {
  readonly code: 8;
  readonly elapsedTime: number;
}

/** Relay Message (9): the relayed message, decoded. */
export interface Dhcpv6RelayMessageOption {
  readonly code: 9;
  readonly message: Dhcpv6Message;
}

/** Server Unicast (12): the address the client may unicast to. */
export interface Dhcpv6ServerUnicastOption {
  readonly code: 12;
  readonly address: string;
}

/**
 * Status Code (13). `message` is the UTF-8 text, which must be valid UTF-8
 * on the wire (the decoder rejects invalid text rather than lose bytes).
 */
export interface Dhcpv6StatusCodeOption {
  readonly code: 13;
  /** See {@link Dhcpv6StatusCode} and {@link dhcpv6StatusCodeName}. */
  readonly statusCode: number;
  readonly message: string;
}

/** Rapid Commit (14) or Reconfigure Accept (20): presence is the value. */
export interface Dhcpv6FlagOption<C extends 14 | 20> {
  readonly code: C;
}

/** Reconfigure Message (19): the message type the client should send. */
export interface Dhcpv6ReconfigureMessageOption {
  readonly code: 19;
  readonly messageType: number;
}

/** DNS Recursive Name Servers (23, RFC 3646). */
export interface Dhcpv6DnsServersOption {
  readonly code: 23;
  readonly servers: readonly string[];
}

/** Domain Search List (24, RFC 3646): fully qualified names ending in ".". */
export interface Dhcpv6DomainListOption {
  readonly code: 24;
  readonly domains: readonly string[];
}

/** IA Prefix (26, RFC 8415 section 21.22): a delegated prefix with lifetimes. */
export interface Dhcpv6IaPrefixOption {
  readonly code: 26;
  readonly preferredLifetime: number;
  readonly validLifetime: number;
  readonly prefixLength: number;
  readonly prefix: string;
  readonly options: readonly Dhcpv6Option[];
}

/** Information Refresh Time (32), SOL_MAX_RT (82), INF_MAX_RT (83): seconds. */
export interface Dhcpv6SecondsOption<C extends 32 | 82 | 83> {
  readonly code: C;
  readonly seconds: number;
}

/**
 * Client FQDN (39, RFC 4704). `flags` is the raw flag byte (see
 * {@link Dhcpv6FqdnFlag}). `name` ends with "." when fully qualified, has no
 * trailing dot when partial, and is "" when the client sent no name.
 */
export interface Dhcpv6ClientFqdnOption {
  readonly code: 39;
  readonly flags: number;
  readonly name: string;
}

/** NTP Server (56, RFC 5908): its sub-options in wire order (at least one). */
export interface Dhcpv6NtpServerOption {
  readonly code: 56;
  readonly suboptions: readonly Dhcpv6NtpSuboption[];
}

/**
 * One NTP Server sub-option: 1 server address, 2 multicast address, 3 server
 * FQDN (a fully qualified name), or an unknown one as raw bytes.
 */
export type Dhcpv6NtpSuboption =
  | { readonly code: 1; readonly address: string }
  | { readonly code: 2; readonly address: string }
  | { readonly code: 3; readonly name: string }
  | { readonly code: number; readonly data: Uint8Array };

/**
 * An option this codec does not type, kept as its raw value bytes (a view
 * into the packet) and written back unchanged. Encoding also accepts this
 * form for a known code, as an escape hatch. A known option whose value
 * breaks its rules decodes in this form with an `invalid` reason (a
 * `DhcpInvalidOption`).
 */
export interface Dhcpv6RawOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** The typed form of each known option code. */
export interface Dhcpv6OptionByCode {
  1: Dhcpv6DuidOption<1>;
  2: Dhcpv6DuidOption<2>;
  3: Dhcpv6IaOption<3>;
  4: Dhcpv6IaTaOption;
  5: Dhcpv6IaAddressOption;
  6: Dhcpv6OptionRequestOption;
  7: Dhcpv6PreferenceOption;
  8: Dhcpv6ElapsedTimeOption;
  9: Dhcpv6RelayMessageOption;
  12: Dhcpv6ServerUnicastOption;
  13: Dhcpv6StatusCodeOption;
  14: Dhcpv6FlagOption<14>;
  19: Dhcpv6ReconfigureMessageOption;
  20: Dhcpv6FlagOption<20>;
  23: Dhcpv6DnsServersOption;
  24: Dhcpv6DomainListOption;
  25: Dhcpv6IaOption<25>;
  26: Dhcpv6IaPrefixOption;
  32: Dhcpv6SecondsOption<32>;
  39: Dhcpv6ClientFqdnOption;
  56: Dhcpv6NtpServerOption;
  82: Dhcpv6SecondsOption<82>;
  83: Dhcpv6SecondsOption<83>;
}

/** One DHCPv6 option: a typed known option or a raw one. */
export type Dhcpv6Option = Dhcpv6OptionByCode[keyof Dhcpv6OptionByCode] | Dhcpv6RawOption;

/**
 * The first option with `code` in `options` (or a message's options), typed
 * for known codes. Options the decoder marked invalid are skipped (see
 * `invalidDhcpv6Options`), so a decoded message gives only typed forms for
 * known codes.
 *
 * @example
 * const ia = findDhcpv6Option(reply, 3); // Dhcpv6IaOption<3> | undefined
 * const addr = ia && findDhcpv6Option(ia, 5)?.address;
 */
export function findDhcpv6Option<C extends keyof Dhcpv6OptionByCode>(
  from: { readonly options: readonly Dhcpv6Option[] },
  code: C,
): Dhcpv6OptionByCode[C] | undefined;
export function findDhcpv6Option(from: { readonly options: readonly Dhcpv6Option[] }, code: number): Dhcpv6Option | undefined;
export function findDhcpv6Option(from: { readonly options: readonly Dhcpv6Option[] }, code: number): Dhcpv6Option | undefined {
  const options = from.options;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (option.code === code && (option as { invalid?: unknown }).invalid === undefined) return option;
  }
  return undefined;
}

/**
 * Every option with `code`, in order (several IA_NA, IAADDR, ...), but
 * those the decoder marked invalid.
 *
 * @example
 * for (const ia of findDhcpv6Options(reply, 3)) ...
 */
export function findDhcpv6Options<C extends keyof Dhcpv6OptionByCode>(
  from: { readonly options: readonly Dhcpv6Option[] },
  code: C,
): Dhcpv6OptionByCode[C][];
export function findDhcpv6Options(from: { readonly options: readonly Dhcpv6Option[] }, code: number): Dhcpv6Option[];
export function findDhcpv6Options(from: { readonly options: readonly Dhcpv6Option[] }, code: number): Dhcpv6Option[] {
  const found: Dhcpv6Option[] = [];
  for (const option of from.options) {
    if (option.code === code && (option as { invalid?: unknown }).invalid === undefined) found.push(option);
  }
  return found;
}
