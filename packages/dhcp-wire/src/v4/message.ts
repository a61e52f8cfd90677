import type { Duid } from "../v6/duid.js";

/**
 * A decoded DHCPv4 (or BOOTP) message: the RFC 2131 fixed header plus the
 * options, in wire order.
 *
 * Addresses are dotted-quad text (`"192.0.2.1"`). Byte fields
 * (`chaddr`, raw option data, ...) are views into the decoded packet, not
 * copies: copy them if the packet buffer is reused.
 *
 * Fields marked "as received" exist only so a decoded packet re-encodes
 * byte for byte; {@link decodeDhcpv4} sets them only when the packet differs
 * from what {@link encodeDhcpv4} writes by default, so a message you build
 * yourself leaves them out.
 *
 * @example
 * const discover: Dhcpv4Message = {
 *   op: 1, htype: 1, hlen: 6, hops: 0, xid: 0x3903f326, secs: 0, broadcast: true, reservedFlags: 0,
 *   ciaddr: "0.0.0.0", yiaddr: "0.0.0.0", siaddr: "0.0.0.0", giaddr: "0.0.0.0",
 *   chaddr: Uint8Array.of(0, 0x16, 0x3e, 0, 0, 1), sname: "", file: "",
 *   options: [{ code: 53, value: Dhcpv4MessageType.Discover }],
 * };
 */
export interface Dhcpv4Message {
  /** 1 = BOOTREQUEST (client to server), 2 = BOOTREPLY. Other values are kept as they are. */
  readonly op: number;
  /** Hardware address type (ARP numbers: 1 = Ethernet). */
  readonly htype: number;
  /** Hardware address length; may exceed 16 (then `chaddr` holds the 16 bytes there is room for). */
  readonly hlen: number;
  readonly hops: number;
  /** Transaction id, an unsigned 32-bit integer. */
  readonly xid: number;
  /** Seconds since the client began acquiring or renewing. */
  readonly secs: number;
  /** The BOOTP broadcast flag (RFC 2131 figure 2): the client cannot receive unicast before it is configured. */
  readonly broadcast: boolean;
  /** The other 15 flag bits, which must be zero but are kept as received. */
  readonly reservedFlags: number;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** The significant part of the client hardware address: its first `min(hlen, 16)` bytes. */
  readonly chaddr: Uint8Array;
  /** As received: the rest of the 16-byte chaddr field, present only when not all zero. */
  readonly chaddrPadding?: Uint8Array;
  /** Server host name, up to its first NUL (bytes as Latin-1 characters). Empty when option 52 puts options there. */
  readonly sname: string;
  /** Boot file name, up to its first NUL (bytes as Latin-1 characters). Empty when option 52 puts options there. */
  readonly file: string;
  /** As received: the whole 64-byte sname field, present only when bytes after its NUL are not zero. */
  readonly snameBytes?: Uint8Array;
  /** As received: the whole 128-byte file field, present only when bytes after its NUL are not zero. */
  readonly fileBytes?: Uint8Array;
  /**
   * Options in wire order. Each code appears once: RFC 3396 concatenates
   * every instance of a code (in the options field, then `file`, then
   * `sname` when option 52 says so) into one value.
   */
  readonly options: readonly Dhcpv4Option[];
  /** As received: how the options sat on the wire, present only when not as {@link encodeDhcpv4} lays them out. */
  readonly layout?: Dhcpv4Layout;
}

/**
 * Where each option instance sat in a received packet, so a decoded packet
 * re-encodes byte for byte although its options are concatenated per code.
 *
 * {@link encodeDhcpv4} follows a layout only while it still describes the
 * message exactly (same codes in the same order, each value the same length,
 * option 52 naming the same fields); otherwise it lays the options out
 * afresh: every option in the options field in array order, values over
 * 255 bytes split into consecutive 255-byte instances (RFC 3396), END, then
 * zero padding to the 300-byte BOOTP minimum.
 */
export interface Dhcpv4Layout {
  /** False for a 236-byte BOOTP packet with no vendor area (so no magic cookie and no options). */
  readonly cookie: boolean;
  /** The options field (after the magic cookie). */
  readonly options: Dhcpv4AreaLayout;
  /** The `file` field when option 52 overloads it. */
  readonly file?: Dhcpv4AreaLayout;
  /** The `sname` field when option 52 overloads it. */
  readonly sname?: Dhcpv4AreaLayout;
}

/** The option instances of one area (options field, file or sname), in wire order. */
export interface Dhcpv4AreaLayout {
  /**
   * Flat `[code, length, code, length, ...]` pairs, one per instance; a run
   * of n PAD octets is `[0, n]`. The value bytes come from the options,
   * taken in order for codes with several instances.
   */
  readonly instances: readonly number[];
  /** Whether an END option closed the area (a missing END is tolerated at the end of the packet). */
  readonly end: boolean;
  /** Bytes after END up to the end of the area (packet padding). */
  readonly trailing: Uint8Array;
}

/** DHCP message types, the value of option 53 (RFC 2132, 3203, 4388, 6926, 7724). */
export const Dhcpv4MessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
  ForceRenew: 9,
  LeaseQuery: 10,
  LeaseUnassigned: 11,
  LeaseUnknown: 12,
  LeaseActive: 13,
  BulkLeaseQuery: 14,
  LeaseQueryDone: 15,
  ActiveLeaseQuery: 16,
  LeaseQueryStatus: 17,
  Tls: 18,
} as const;

const MESSAGE_TYPE_NAMES: readonly string[] = [
  "",
  "DHCPDISCOVER",
  "DHCPOFFER",
  "DHCPREQUEST",
  "DHCPDECLINE",
  "DHCPACK",
  "DHCPNAK",
  "DHCPRELEASE",
  "DHCPINFORM",
  "DHCPFORCERENEW",
  "DHCPLEASEQUERY",
  "DHCPLEASEUNASSIGNED",
  "DHCPLEASEUNKNOWN",
  "DHCPLEASEACTIVE",
  "DHCPBULKLEASEQUERY",
  "DHCPLEASEQUERYDONE",
  "DHCPACTIVELEASEQUERY",
  "DHCPLEASEQUERYSTATUS",
  "DHCPTLS",
];

/**
 * The RFC name of a message type, for logs; unknown types read as their number.
 *
 * @example
 * dhcpv4MessageTypeName(5) // "DHCPACK"
 */
export function dhcpv4MessageTypeName(type: number): string {
  return MESSAGE_TYPE_NAMES[type] || `message type ${type}`;
}

/** Codes of the options this codec types (RFC 2132 unless noted). */
export const Dhcpv4OptionCode = {
  Pad: 0,
  SubnetMask: 1,
  Routers: 3,
  DomainNameServers: 6,
  HostName: 12,
  DomainName: 15,
  InterfaceMtu: 26,
  BroadcastAddress: 28,
  NtpServers: 42,
  RequestedIpAddress: 50,
  LeaseTime: 51,
  OptionOverload: 52,
  MessageType: 53,
  ServerIdentifier: 54,
  ParameterRequestList: 55,
  MaxMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  ClientIdentifier: 61,
  ClientFqdn: 81,
  DomainSearch: 119,
  ClasslessStaticRoutes: 121,
  End: 255,
} as const;

/**
 * Option 61: how the client identifies itself.
 * - `duid`: RFC 4361, type byte 255 then IAID and a DHCPv6-style DUID.
 * - `hardware`: a hardware type (1..254) and address.
 * - `other`: type byte 0, an identifier that is not a hardware address
 *   (RFC 2132), kept as bytes.
 */
export type Dhcpv4ClientIdentifier =
  | { readonly form: "duid"; readonly iaid: number; readonly duid: Duid }
  | { readonly form: "hardware"; readonly hardwareType: number; readonly address: Uint8Array }
  | { readonly form: "other"; readonly identifier: Uint8Array };

/**
 * Option 81 (RFC 4702): the client's name and who updates DNS.
 * `name` is in presentation form. With `canonicalEncoding` (flag E) it
 * is read from DNS wire format: a fully qualified name ends with ".", a
 * partial one does not, and an empty string means "no name". Without E it is
 * the deprecated ASCII form, bytes as Latin-1 characters.
 */
export interface Dhcpv4ClientFqdn {
  /** S: the server should perform the A record update. */
  readonly serverUpdate: boolean;
  /** O: the server overrode the client's S choice (server to client). */
  readonly serverOverride: boolean;
  /** E: the name is in canonical DNS wire format. */
  readonly canonicalEncoding: boolean;
  /** N: the server should perform no DNS updates. */
  readonly noServerUpdate: boolean;
  /** The four must-be-zero flag bits (mask 0xf0), kept as received. */
  readonly reservedFlags: number;
  /** RCODE1 and RCODE2: deprecated, 0 from clients, 255 from servers. */
  readonly rcode1: number;
  readonly rcode2: number;
  readonly name: string;
}

/**
 * One RFC 3442 classless static route. `destination` is the address as it
 * was on the wire, zero beyond the significant octets; bits past
 * `prefixLength` inside the last significant octet are kept as sent.
 * Router `0.0.0.0` means the destination is on-link.
 */
export interface Dhcpv4ClasslessRoute {
  readonly destination: string;
  readonly prefixLength: number;
  readonly router: string;
}

/** Typed option values by code. */
export interface Dhcpv4OptionValues {
  1: string;
  3: readonly string[];
  6: readonly string[];
  12: string;
  15: string;
  26: number;
  28: string;
  42: readonly string[];
  50: string;
  51: number;
  52: number;
  53: number;
  54: string;
  55: readonly number[];
  57: number;
  58: number;
  59: number;
  61: Dhcpv4ClientIdentifier;
  81: Dhcpv4ClientFqdn;
  119: readonly string[];
  121: readonly Dhcpv4ClasslessRoute[];
}

/** A code this codec decodes to a typed value. */
export type Dhcpv4KnownCode = keyof Dhcpv4OptionValues;

/** The typed option of code `C`. */
export type Dhcpv4TypedOption<C extends Dhcpv4KnownCode = Dhcpv4KnownCode> = C extends Dhcpv4KnownCode
  ? C extends 119
    ? {
        readonly code: C;
        readonly value: Dhcpv4OptionValues[C];
        /**
         * As received: the option bytes when they compress the names
         * differently from {@link encodeDhcpv4}. Encode writes them back
         * while they still decode to `value`.
         */
        readonly wire?: Uint8Array;
      }
    : { readonly code: C; readonly value: Dhcpv4OptionValues[C] }
  : never;

/**
 * An option as raw bytes: every code this codec does not type. You may also
 * send a known code this way (for example a deliberately odd value); decode
 * gives it back typed.
 */
export interface Dhcpv4RawOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/**
 * One option of a message. Known codes (see {@link Dhcpv4OptionValues}) are
 * typed. A known code whose value breaks its rules decodes as raw bytes
 * with an `invalid` reason (a `DhcpInvalidOption`), which
 * {@link findDhcpv4Option} and {@link dhcpv4OptionValue} skip, so a runner
 * never acts on half-understood data.
 *
 * @example
 * const lease: Dhcpv4Option = { code: 51, value: 3600 };
 */
export type Dhcpv4Option = Dhcpv4TypedOption | Dhcpv4RawOption;

/**
 * The first option with `code`, typed for known codes; undefined when absent
 * or marked invalid by the decoder (see `invalidDhcpv4Options`). A known
 * code given as raw bytes on a message you built is returned as it is
 * (check `"data" in option`).
 *
 * @example
 * const lease = findDhcpv4Option(ack, 51)?.value; // number | undefined
 */
export function findDhcpv4Option<C extends Dhcpv4KnownCode>(
  message: Pick<Dhcpv4Message, "options">,
  code: C,
): Dhcpv4TypedOption<C> | undefined;
export function findDhcpv4Option(message: Pick<Dhcpv4Message, "options">, code: number): Dhcpv4Option | undefined;
export function findDhcpv4Option(message: Pick<Dhcpv4Message, "options">, code: number): Dhcpv4Option | undefined {
  const options = message.options;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (option.code === code && (option as { invalid?: unknown }).invalid === undefined) return option;
  }
  return undefined;
}

/**
 * The typed value of option `code`, or undefined when absent, given raw or
 * marked invalid.
 *
 * @example
 * const routers = dhcpv4OptionValue(offer, 3) ?? []; // readonly string[]
 */
export function dhcpv4OptionValue<C extends Dhcpv4KnownCode>(
  message: Pick<Dhcpv4Message, "options">,
  code: C,
): Dhcpv4OptionValues[C] | undefined {
  const option = findDhcpv4Option(message, code) as { value?: Dhcpv4OptionValues[C] } | undefined;
  return option?.value;
}
