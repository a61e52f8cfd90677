import ipaddr from "ipaddr.js";
import type { IpFamily } from "../lease.js";
import type { Validator } from "./combinators.js";
import { quote, ValidationError } from "./validation-error.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Address text as Go's `net.ParseIP` reads it, which is what Incus
 * accepts: IPv4 only as four plain decimal parts (no `010`, `0x1`, `1.2`),
 * IPv6 with an optional dotted IPv4 tail and no zone (`%eth0`). ipaddr.js
 * alone is laxer on both counts, and reads `::1.2.3.4` as IPv4-mapped, so
 * the dotted tail is converted here before ipaddr.js parses the rest.
 */
function parseAddress(text: string): Address | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let v6 = text;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(tail)) return undefined;
    const [a, b, c, d] = ipaddr.IPv4.parse(tail).octets as [number, number, number, number];
    v6 = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  if (v6.includes(".") || !ipaddr.IPv6.isValid(v6)) return undefined;
  return ipaddr.IPv6.parse(v6);
}

/**
 * Whether Go would call the address IPv4 (`ip.To4() != nil`): plain IPv4,
 * or IPv6 text of an IPv4-mapped address (`::ffff:192.0.2.1`).
 */
function isV4(address: Address): boolean {
  return address.kind() === "ipv4" || (address as ipaddr.IPv6).isIPv4MappedAddress();
}

/** An IPv4-mapped address as its IPv4 address, as Go (and so Incus) treats it; any other unchanged. */
function unmapped(address: Address): Address {
  if (address.kind() === "ipv4") return address;
  const v6 = address as ipaddr.IPv6;
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** Canonical text of a parsed address: see {@link canonicalAddress}. */
function canonical(address: Address): string {
  const plain = unmapped(address);
  return plain.kind() === "ipv4" ? plain.toString() : (plain as ipaddr.IPv6).toRFC5952String();
}

function addressOrThrow(text: string): Address {
  const address = parseAddress(text);
  if (address === undefined) throw new ValidationError(`Not an IP address ${quote(text)}`);
  return address;
}

interface Cidr {
  /** The address before the slash. */
  readonly address: Address;
  /** The address with the host bits cleared. */
  readonly network: Address;
}

/**
 * `address/prefix` as Go's `net.ParseCIDR` reads it: the address as
 * {@link parseAddress}, the prefix in decimal up to the address's length
 * (32, or 128 for any IPv6 text, IPv4-mapped included).
 */
function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = parseAddress(text.slice(0, slash));
  const mask = text.slice(slash + 1);
  if (address === undefined || !/^\d{1,3}$/.test(mask)) return undefined;
  const bytes = address.toByteArray();
  const prefix = Number(mask);
  if (prefix > bytes.length * 8) return undefined;
  const masked = bytes.map((byte, i) => {
    const keep = Math.min(8, Math.max(0, prefix - i * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
  return { address, network: ipaddr.fromByteArray(masked) };
}

function cidrOrThrow(value: string): Cidr {
  const cidr = parseCidr(value);
  if (cidr === undefined) throw new ValidationError(`Invalid CIDR address ${quote(value)}`);
  return cidr;
}

/**
 * An IPv4 or IPv6 address, without prefix or zone.
 *
 * @example
 * isNetworkAddress("2001:db8::1"); // passes
 * isNetworkAddress("10.0.0.0/24"); // throws: Not an IP address "10.0.0.0/24"
 */
export const isNetworkAddress: Validator = (value) => {
  if (parseAddress(value) === undefined) throw new ValidationError(`Not an IP address ${quote(value)}`);
};

/**
 * An IPv4 address. Like Incus (Go's `To4()`), an IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`) counts as IPv4; {@link canonicalAddress} turns it
 * into the dotted form.
 */
export const isNetworkAddressV4: Validator = (value) => {
  const address = parseAddress(value);
  if (address === undefined || !isV4(address)) throw new ValidationError(`Not an IPv4 address ${quote(value)}`);
};

/** An IPv6 address that is not IPv4-mapped (see {@link isNetworkAddressV4}). */
export const isNetworkAddressV6: Validator = (value) => {
  const address = parseAddress(value);
  if (address === undefined || isV4(address)) throw new ValidationError(`Not an IPv6 address ${quote(value)}`);
};

/**
 * An address with a prefix length (`10.0.0.5/24`, `2001:db8::5/64`).
 * Malformed text fails with `Invalid CIDR address "x"`; Incus passes on
 * Go's lower-case `invalid CIDR address: x`, reworded here to match every
 * other message.
 */
export const isNetworkAddressCIDR: Validator = (value) => {
  cidrOrThrow(value);
};

/**
 * An IPv4 host address with a prefix length (`10.0.0.5/24`). Like Incus
 * the address must differ from its network address, so `10.0.0.0/24` and
 * also any `/32` fail with `Not a usable IPv4 address "x"`.
 */
export const isNetworkAddressCIDRV4: Validator = (value) => {
  const { address, network } = cidrOrThrow(value);
  if (!isV4(address)) throw new ValidationError(`Not an IPv4 address ${quote(value)}`);
  if (canonical(address) === canonical(network)) throw new ValidationError(`Not a usable IPv4 address ${quote(value)}`);
};

/**
 * An IPv6 host address with a prefix length (`2001:db8::5/64`); the
 * address must differ from its network address, as for
 * {@link isNetworkAddressCIDRV4}.
 */
export const isNetworkAddressCIDRV6: Validator = (value) => {
  const { address, network } = cidrOrThrow(value);
  if (isV4(address)) throw new ValidationError(`Not an IPv6 address ${quote(value)}`);
  if (canonical(address) === canonical(network)) throw new ValidationError(`Not a usable IPv6 address ${quote(value)}`);
};

/**
 * A network in CIDR form with its host bits zero, either family
 * (`10.0.0.0/24`, `2001:db8::/64`).
 */
export const isNetwork: Validator = (value) => {
  const { address, network } = cidrOrThrow(value);
  if (canonical(address) !== canonical(network)) throw new ValidationError(`Not an IP network address ${quote(value)}`);
};

/**
 * An IPv4 network in CIDR form with its host bits zero (`10.0.0.0/24`).
 *
 * @example
 * isNetworkV4("10.0.0.1/24"); // throws: Not an IPv4 network address "10.0.0.1/24"
 */
export const isNetworkV4: Validator = (value) => {
  const { address, network } = cidrOrThrow(value);
  if (!isV4(address)) throw new ValidationError(`Not an IPv4 network ${quote(value)}`);
  if (canonical(address) !== canonical(network)) throw new ValidationError(`Not an IPv4 network address ${quote(value)}`);
};

/** An IPv6 network in CIDR form with its host bits zero (`2001:db8::/64`). */
export const isNetworkV6: Validator = (value) => {
  const { address, network } = cidrOrThrow(value);
  if (isV4(address)) throw new ValidationError(`Not an IPv6 network ${quote(value)}`);
  if (canonical(address) !== canonical(network)) throw new ValidationError(`Not an IPv6 network address ${quote(value)}`);
};

/**
 * The one spelling of an address, so two texts of the same address
 * compare equal: IPv4 in plain dotted decimal, IPv6 lower-case and
 * compressed per RFC 5952, an IPv4-mapped IPv6 address as its IPv4
 * address (as Go prints it, and as Incus then treats it). Throws
 * {@link ValidationError} `Not an IP address "x"` for anything else,
 * prefixes and zones included.
 *
 * @example
 * canonicalAddress("2001:DB8:0:0::0:1"); // "2001:db8::1"
 * canonicalAddress("::ffff:192.0.2.1");  // "192.0.2.1"
 */
export function canonicalAddress(text: string): string {
  return canonical(addressOrThrow(text));
}

/**
 * The family of an address as {@link canonicalAddress} spells it
 * (IPv4-mapped counts as `ipv4`). Throws {@link ValidationError} for
 * anything that is not an address.
 *
 * @example
 * addressFamily("::ffff:192.0.2.1"); // "ipv4"
 */
export function addressFamily(text: string): IpFamily {
  return isV4(addressOrThrow(text)) ? "ipv4" : "ipv6";
}

/**
 * Where an address can be used, from narrowest to widest; see
 * {@link addressScope} for the ranges.
 */
export type AddressScope = "unspecified" | "broadcast" | "multicast" | "loopback" | "link-local" | "global";

// ipaddr.js range names of the scopes other than "global".
const SCOPES: ReadonlyMap<string, AddressScope> = new Map([
  ["unspecified", "unspecified"],
  ["broadcast", "broadcast"],
  ["multicast", "multicast"],
  ["loopback", "loopback"],
  ["linkLocal", "link-local"],
]);

/**
 * The scope of an address as {@link canonicalAddress} spells it (an
 * IPv4-mapped address has its IPv4 address's scope), so a plugin can tell
 * an address it may send to, or one that needs an interface:
 * - `unspecified`: `0.0.0.0/8` ("this network", RFC 1122) and `::`;
 * - `broadcast`: `255.255.255.255`;
 * - `multicast`: `224.0.0.0/4` and `ff00::/8` (link-local multicast included);
 * - `loopback`: `127.0.0.0/8` and `::1`;
 * - `link-local`: `169.254.0.0/16` and `fe80::/10`; an IPv6 one is only
 *   reachable through one interface, so it needs a zone (`fe80::1%eth0`);
 * - `global`: every other address, private and documentation ranges
 *   included (Go's `IsGlobalUnicast` draws the line in the same place).
 *
 * Throws {@link ValidationError} `Not an IP address "x"` for anything that
 * is not an address (a zone included: split it off first).
 *
 * @example
 * addressScope("fe80::1");         // "link-local"
 * addressScope("::ffff:127.0.0.1"); // "loopback"
 * addressScope("10.0.0.1");        // "global"
 */
export function addressScope(text: string): AddressScope {
  return SCOPES.get(unmapped(addressOrThrow(text)).range()) ?? "global";
}
