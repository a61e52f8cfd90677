import { Dhcpv4MessageType, Dhcpv4OptionCode, type Dhcpv4ClientIdentifier, type Dhcpv4Message, type Dhcpv4Option } from "@incusx/dhcp-wire";

/**
 * Options the client asks for (option 55): subnet mask, routers, DNS
 * servers, domain name, interface MTU, lease time, T1, T2, domain search,
 * classless static routes.
 */
export const PARAMETER_REQUEST_LIST: readonly number[] = Object.freeze([1, 3, 6, 15, 26, 51, 58, 59, 119, 121]);

/** The largest `secs` value. */
const MAX_SECS = 0xffff;

/** Who the client is in every message it sends. */
export interface ClientIdentity {
  /** chaddr: the 6-byte MAC address. */
  readonly mac: Uint8Array;
  /** Option 61. */
  readonly clientIdentifier: Dhcpv4ClientIdentifier;
  /** The name announced: option 12, or option 81 for a fully qualified name. */
  readonly name?: { readonly hostname: string } | { readonly fqdn: string };
}

/** Header fields of one message. */
export interface MessageFields {
  readonly xid: number;
  /** Seconds since the client began acquiring or renewing. */
  readonly secs: number;
  /** BOOTP broadcast flag. */
  readonly broadcast: boolean;
  /** The client's address, in RENEWING, REBINDING and RELEASE. */
  readonly ciaddr?: string;
}

/** Whole seconds between `from` and `now`, as the `secs` field holds them. */
export function secondsSince(from: number, now: number): number {
  return Math.min(MAX_SECS, Math.max(0, Math.floor((now - from) / 1000)));
}

function message(identity: ClientIdentity, fields: MessageFields, options: Dhcpv4Option[]): Dhcpv4Message {
  return {
    op: 1,
    htype: 1,
    hlen: identity.mac.length,
    hops: 0,
    xid: fields.xid >>> 0,
    secs: fields.secs,
    broadcast: fields.broadcast,
    reservedFlags: 0,
    ciaddr: fields.ciaddr ?? "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr: identity.mac,
    sname: "",
    file: "",
    options,
  };
}

function nameOptions(identity: ClientIdentity): Dhcpv4Option[] {
  const name = identity.name;
  if (name === undefined) return [];
  if ("hostname" in name) return [{ code: Dhcpv4OptionCode.HostName, value: name.hostname }];
  // RFC 4702 section 3.1: canonical wire encoding (E), and ask the server to update the A record (S).
  return [
    {
      code: Dhcpv4OptionCode.ClientFqdn,
      value: { serverUpdate: true, serverOverride: false, canonicalEncoding: true, noServerUpdate: false, reservedFlags: 0, rcode1: 0, rcode2: 0, name: name.fqdn },
    },
  ];
}

/**
 * DHCPDISCOVER (RFC 2131 section 4.4.1): client identifier, the address
 * the client had when it knows one, the parameter request list and its name.
 */
export function buildDiscover(identity: ClientIdentity, fields: MessageFields, requestedAddress?: string): Dhcpv4Message {
  return message(identity, fields, [
    { code: Dhcpv4OptionCode.MessageType, value: Dhcpv4MessageType.Discover },
    { code: Dhcpv4OptionCode.ClientIdentifier, value: identity.clientIdentifier },
    ...(requestedAddress === undefined ? [] : [{ code: Dhcpv4OptionCode.RequestedIpAddress, value: requestedAddress }]),
    { code: Dhcpv4OptionCode.ParameterRequestList, value: PARAMETER_REQUEST_LIST },
    ...nameOptions(identity),
  ]);
}

/**
 * DHCPREQUEST in each state it is sent from (RFC 2131 section 4.3.2):
 * - `selecting`: server identifier and requested address, ciaddr 0;
 * - `init-reboot`: requested address only;
 * - `renewing` / `rebinding`: neither, ciaddr set to the address held.
 */
export function buildRequest(
  identity: ClientIdentity,
  fields: MessageFields,
  state:
    | { readonly kind: "selecting"; readonly server: string; readonly address: string }
    | { readonly kind: "init-reboot"; readonly address: string }
    | { readonly kind: "renewing" | "rebinding" },
): Dhcpv4Message {
  const addressing: Dhcpv4Option[] =
    state.kind === "selecting"
      ? [
          { code: Dhcpv4OptionCode.RequestedIpAddress, value: state.address },
          { code: Dhcpv4OptionCode.ServerIdentifier, value: state.server },
        ]
      : state.kind === "init-reboot"
        ? [{ code: Dhcpv4OptionCode.RequestedIpAddress, value: state.address }]
        : [];
  return message(identity, fields, [
    { code: Dhcpv4OptionCode.MessageType, value: Dhcpv4MessageType.Request },
    { code: Dhcpv4OptionCode.ClientIdentifier, value: identity.clientIdentifier },
    ...addressing,
    { code: Dhcpv4OptionCode.ParameterRequestList, value: PARAMETER_REQUEST_LIST },
    ...nameOptions(identity),
  ]);
}

/** DHCPRELEASE (RFC 2131 section 4.4.6): ciaddr, server identifier, client identifier; unicast to the server. */
export function buildRelease(identity: ClientIdentity, fields: MessageFields & { readonly ciaddr: string }, server: string): Dhcpv4Message {
  return message(identity, { ...fields, broadcast: false }, [
    { code: Dhcpv4OptionCode.MessageType, value: Dhcpv4MessageType.Release },
    { code: Dhcpv4OptionCode.ClientIdentifier, value: identity.clientIdentifier },
    { code: Dhcpv4OptionCode.ServerIdentifier, value: server },
  ]);
}

/**
 * DHCPDECLINE (RFC 2131 sections 3.1.5 and 4.4.1): the address is in use by
 * another host. Requested address and server identifier, ciaddr 0, broadcast.
 */
export function buildDecline(identity: ClientIdentity, fields: Pick<MessageFields, "xid">, address: string, server: string): Dhcpv4Message {
  return message(identity, { xid: fields.xid, secs: 0, broadcast: false }, [
    { code: Dhcpv4OptionCode.MessageType, value: Dhcpv4MessageType.Decline },
    { code: Dhcpv4OptionCode.ClientIdentifier, value: identity.clientIdentifier },
    { code: Dhcpv4OptionCode.RequestedIpAddress, value: address },
    { code: Dhcpv4OptionCode.ServerIdentifier, value: server },
  ]);
}
