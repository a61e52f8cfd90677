import {
  Dhcpv6OptionCode,
  dottedLabelName,
  encodeDuid,
  findDhcpv6Option,
  findDhcpv6Options,
  type Dhcpv6ClientServerMessage,
  type Dhcpv6Option,
  type Duid,
} from "@incusx/dhcp-wire";
import { INFINITE_LIFETIME, type Lease, type LeaseDns } from "@incusx/sdk";
import { domainListOf } from "./acceptance.js";
import type { IaAddress } from "./messages.js";

/** Information Refresh Time when the server sends none, and its floor (RFC 8415 section 21.23). */
export const IRT_DEFAULT = 86_400;
/** The smallest Information Refresh Time a client accepts, in seconds. */
export const IRT_MINIMUM = 600;

/**
 * Shortest valid lifetime the client holds an address for, in seconds: a
 * shorter one (above 0, which withdraws the address) counts as 60 s, and
 * T1/T2 left to the client are never computed from less. As for DHCPv4
 * (dhcpcd's floor is 20 s, RFC 2131's shortest renewal retransmission 60 s),
 * so a server granting 1 s lifetimes cannot make the client renew in a loop.
 */
export const MIN_VALID_LIFETIME = 60;

/**
 * Shortest T1 or T2 taken from a server, in seconds: a smaller one (above
 * 0, which leaves them to the client) is raised to it, so renewals come at
 * least 10 s apart.
 */
export const MIN_RENEWAL_TIME = 10;

/**
 * Most addresses one binding holds: the first of an IA_NA's addresses, then
 * those a Reply left out and that are still valid (RFC 8415 section
 * 18.2.10.1), newest first. Far above a real IA_NA (one address, a few
 * while renumbering); without it one Reply could put ~2,000 addresses on
 * the link, and a server granting a new address on every Renew would grow
 * the lease (and the link work of every renewal) for as long as their
 * lifetimes last, for ever with infinite ones.
 */
export const MAX_IA_ADDRESSES = 16;

/** A Status Code option's content. */
export interface Status {
  readonly code: number;
  readonly message: string;
}

/** What one IA_NA of a reply grants. */
export interface IaNaGrant {
  /** The IA's own status code, when it has one. */
  readonly status?: Status;
  /** T1 and T2 as sent, in seconds. */
  readonly t1: number;
  readonly t2: number;
  /** Usable addresses (valid lifetime above 0, preferred not above valid). */
  readonly addresses: readonly IaAddress[];
  /** Addresses the server withdrew (valid lifetime 0). */
  readonly withdrawn: readonly string[];
}

function statusOf(from: { readonly options: readonly Dhcpv6Option[] }): Status | undefined {
  const option = findDhcpv6Option(from, Dhcpv6OptionCode.STATUS_CODE);
  return option === undefined ? undefined : { code: option.statusCode, message: option.message };
}

/** The message's top-level Status Code, when it has one. */
export function topLevelStatus(message: Dhcpv6ClientServerMessage): Status | undefined {
  return statusOf(message);
}

/**
 * The IA_NA with `iaid` in `message`, or `undefined` when there is none or
 * when it is invalid (T1 > T2, both non-zero: RFC 8415 section 21.4 says to
 * discard it). Valid lifetimes under {@link MIN_VALID_LIFETIME} are raised
 * to it; addresses past the first {@link MAX_IA_ADDRESSES} usable ones are
 * ignored.
 */
export function findIaNa(message: Dhcpv6ClientServerMessage, iaid: number): IaNaGrant | undefined {
  const ia = findDhcpv6Options(message, Dhcpv6OptionCode.IA_NA).find((o) => o.iaid === iaid);
  if (ia === undefined) return undefined;
  if (ia.t1 !== 0 && ia.t2 !== 0 && ia.t1 > ia.t2) return undefined;
  const addresses: IaAddress[] = [];
  const withdrawn: string[] = [];
  for (const a of findDhcpv6Options(ia, Dhcpv6OptionCode.IAADDR)) {
    if (a.validLifetime === 0) withdrawn.push(a.address);
    // Section 21.6: discard an address whose preferred lifetime exceeds its valid one.
    if (a.validLifetime === 0 || a.preferredLifetime > a.validLifetime) continue;
    if (addresses.length === MAX_IA_ADDRESSES || addresses.some((b) => b.address === a.address)) continue;
    addresses.push({ address: a.address, preferredLifetime: a.preferredLifetime, validLifetime: Math.max(a.validLifetime, MIN_VALID_LIFETIME) });
  }
  const status = statusOf(ia);
  const grant = { t1: ia.t1, t2: ia.t2, addresses, withdrawn };
  return status === undefined ? grant : { status, ...grant };
}

/** Seconds as milliseconds, with the infinity value mapped to `Infinity`. */
export function secondsToMs(seconds: number): number {
  return seconds === INFINITE_LIFETIME ? Infinity : seconds * 1000;
}

/**
 * When to renew and rebind, in seconds after the reply (`Infinity`: never).
 * A server T1/T2 of 0 leaves them to the client: 0.5 and 0.8 times the
 * shortest preferred lifetime (RFC 8415 sections 14.2 and 21.4), counted as
 * at least {@link MIN_VALID_LIFETIME}; a T1 or T2 under
 * {@link MIN_RENEWAL_TIME} is raised to it, so no server can make the
 * client renew in a tight loop.
 *
 * @example
 * renewalTimes(0, 0, [{ address: "2001:db8::1", preferredLifetime: 3600, validLifetime: 7200 }]) // { t1: 1800, t2: 2880 }
 * renewalTimes(0, 0, [{ address: "2001:db8::1", preferredLifetime: 0, validLifetime: 60 }]) // { t1: 30, t2: 48 }
 */
export function renewalTimes(t1: number, t2: number, addresses: readonly IaAddress[]): { t1: number; t2: number } {
  const preferred = Math.min(...addresses.map((a) => (a.preferredLifetime === INFINITE_LIFETIME ? Infinity : a.preferredLifetime)));
  const basis = Math.max(preferred, MIN_VALID_LIFETIME);
  const pick = (value: number, share: number): number => {
    if (value === INFINITE_LIFETIME) return Infinity;
    if (value !== 0) return Math.max(value, MIN_RENEWAL_TIME);
    return Number.isFinite(basis) ? Math.floor(basis * share) : Infinity;
  };
  const renew = pick(t1, 0.5);
  const rebind = pick(t2, 0.8);
  return { t1: Math.min(renew, rebind), t2: rebind };
}

/**
 * Information Refresh Time of a Reply to an Information-request, in
 * seconds: 86400 when absent, at least 600, `Infinity` for 0xffffffff.
 */
export function informationRefreshTime(message: Dhcpv6ClientServerMessage): number {
  const option = findDhcpv6Option(message, Dhcpv6OptionCode.INFORMATION_REFRESH_TIME);
  if (option === undefined) return IRT_DEFAULT;
  if (option.seconds === INFINITE_LIFETIME) return Infinity;
  return Math.max(IRT_MINIMUM, option.seconds);
}

/**
 * DNS servers (option 23) and search list (option 24, trailing dots
 * removed, as resolv.conf writes them). A one-label dotted name, as OVN
 * writes option 24, counts as the dotted name it means (`dottedLabelName`).
 */
export function dnsOf(message: Dhcpv6ClientServerMessage): LeaseDns {
  const servers = findDhcpv6Option(message, Dhcpv6OptionCode.DNS_SERVERS)?.servers ?? [];
  const domains = domainListOf(message).map(dottedLabelName);
  return { servers: [...servers], search: domains.map((d) => (d.endsWith(".") ? d.slice(0, -1) : d)).filter((d) => d !== "") };
}

/** A DUID as lower-case hex of its wire bytes: how `Lease.server` names a DHCPv6 server. */
export function duidHex(duid: Duid): string {
  return Buffer.from(encodeDuid(duid)).toString("hex");
}

/**
 * What the client holds from one server. Lifetimes and times are seconds
 * counted from `obtainedAt` (clock ms); `Infinity` means never.
 */
export interface Binding {
  /** The granting server's DUID. */
  readonly serverId: Duid;
  /** The same, as hex. */
  readonly server: string;
  /** Address the server allowed unicast to (Server Unicast option), if any. */
  readonly unicast?: string;
  /** Clock ms of the reply. */
  readonly obtainedAt: number;
  /** Addresses held; empty for a stateless binding. */
  readonly addresses: readonly IaAddress[];
  /** Seconds until Renew. */
  readonly t1: number;
  /** Seconds until Rebind. */
  readonly t2: number;
  /** DNS settings. */
  readonly dns: LeaseDns;
}

/**
 * Addresses of `previous` still valid at `now` that `grant` did not mention
 * (neither granted nor withdrawn),
 * with their lifetimes counted again from `now`: a Reply to Renew or Rebind
 * that leaves an address out does not end it (RFC 8415 section 18.2.10.1).
 */
function carriedOver(previous: Binding | undefined, grant: IaNaGrant, now: number): IaAddress[] {
  if (previous === undefined) return [];
  const mentioned = new Set([...grant.addresses.map((a) => a.address), ...grant.withdrawn]);
  const passed = Math.floor((now - previous.obtainedAt) / 1000);
  const left = (lifetime: number): number => (lifetime === INFINITE_LIFETIME ? lifetime : Math.max(0, lifetime - passed));
  return previous.addresses
    .filter((a) => !mentioned.has(a.address))
    .map((a) => ({ address: a.address, preferredLifetime: left(a.preferredLifetime), validLifetime: left(a.validLifetime) }))
    .filter((a) => a.validLifetime > 0);
}

/** Inputs of {@link bindingFromReply}. */
export interface BindingInput {
  readonly serverId: Duid;
  readonly grant: IaNaGrant;
  readonly now: number;
  /** The binding being renewed or rebound, if any. */
  readonly previous?: Binding;
}

/**
 * The binding a successful Reply establishes: the granted addresses, then
 * those carried over, at most {@link MAX_IA_ADDRESSES} in all.
 */
export function bindingFromReply(reply: Dhcpv6ClientServerMessage, input: BindingInput): Binding {
  const addresses = [...input.grant.addresses, ...carriedOver(input.previous, input.grant, input.now)].slice(0, MAX_IA_ADDRESSES);
  const { t1, t2 } = renewalTimes(input.grant.t1, input.grant.t2, addresses);
  const unicast = findDhcpv6Option(reply, Dhcpv6OptionCode.UNICAST)?.address;
  const base = { serverId: input.serverId, server: duidHex(input.serverId), obtainedAt: input.now, addresses, t1, t2, dns: dnsOf(reply) };
  return unicast === undefined ? base : { ...base, unicast };
}

/** Clock ms at which every address of `binding` is invalid (`Infinity`: never). */
export function expiresAt(binding: Binding): number {
  const longest = Math.max(...binding.addresses.map((a) => secondsToMs(a.validLifetime)));
  return binding.obtainedAt + longest;
}

/** The SDK lease for `binding`. */
export function leaseOf(binding: Binding, iface: string, prefixLength: number): Lease {
  return {
    family: "ipv6",
    interface: iface,
    server: binding.server,
    obtainedAt: binding.obtainedAt,
    addresses: binding.addresses.map((a) => ({
      address: a.address,
      prefixLength,
      preferredLifetime: a.preferredLifetime,
      validLifetime: a.validLifetime,
    })),
    routes: [],
    dns: binding.dns,
  };
}
