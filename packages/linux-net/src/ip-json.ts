// The shapes iproute2 6.x prints with `-json`, and pure conversions from
// them. Kept apart from the I/O so they are tested on recorded output.

import type { IpFamily, LinkAddress, LinkRoute } from "./link-types.js";

/** One entry of `addr_info` in `ip -json addr show`. */
export interface IpAddrInfoJson {
  readonly family: "inet" | "inet6" | string;
  readonly local: string;
  readonly prefixlen: number;
  readonly scope?: string;
  readonly valid_life_time?: number;
  readonly preferred_life_time?: number;
  /** Flags such as `tentative`, `dadfailed`, `dynamic`, `noprefixroute` appear as `true` members. */
  readonly [flag: string]: unknown;
}

/** One interface in `ip -json addr show` / `ip -json link show`. */
export interface IpLinkJson {
  readonly ifindex: number;
  readonly ifname: string;
  readonly flags?: readonly string[];
  readonly mtu: number;
  readonly operstate?: string;
  readonly address?: string;
  readonly addr_info?: readonly IpAddrInfoJson[];
}

/** One route in `ip -json route show`. */
export interface IpRouteJson {
  readonly dst: string;
  readonly gateway?: string;
  readonly metric?: number;
  readonly protocol?: string;
  readonly scope?: string;
  readonly flags?: readonly string[];
}

/** The kernel's "infinite" lifetime (0xffffffff), printed as `forever`. */
export const INFINITE_LIFETIME = 4294967295;

/** An address with the flags the kernel reports for it (`tentative`, `dadfailed`, ...). */
export interface AddressFlags {
  /** Address text without prefix. */
  readonly address: string;
  /** Prefix length. */
  readonly prefixLength: number;
  /** Every flag set on the address, sorted (`dadfailed`, `dynamic`, `tentative`, ...). */
  readonly flags: string[];
}

/** The family of `ip -json` (`inet`/`inet6`) as the SDK names it. */
export function familyOfJson(family: string): IpFamily {
  return family === "inet6" ? "ipv6" : "ipv4";
}

/** Seconds of a lifetime, or `undefined` for forever (or when not printed). */
export function lifetimeFromJson(value: unknown): number | undefined {
  if (typeof value !== "number" || value >= INFINITE_LIFETIME) return undefined;
  return value;
}

/** Addresses of `ip -json addr show dev IF` output, as {@link LinkAddress}es with their family. */
export function addressesFromJson(links: readonly IpLinkJson[]): (LinkAddress & { readonly family: IpFamily })[] {
  const addresses: (LinkAddress & { family: IpFamily })[] = [];
  for (const link of links) {
    for (const info of link.addr_info ?? []) {
      if (typeof info.local !== "string") continue;
      const preferred = lifetimeFromJson(info.preferred_life_time);
      const valid = lifetimeFromJson(info.valid_life_time);
      addresses.push({
        family: familyOfJson(info.family),
        address: info.local,
        prefixLength: info.prefixlen,
        ...(preferred === undefined ? {} : { preferredLifetime: preferred }),
        ...(valid === undefined ? {} : { validLifetime: valid }),
      });
    }
  }
  return addresses;
}

/** Addresses of `ip -json addr show dev IF` output with their flags (every member whose value is `true`). */
export function addressFlagsFromJson(links: readonly IpLinkJson[]): AddressFlags[] {
  const result: AddressFlags[] = [];
  for (const link of links) {
    for (const info of link.addr_info ?? []) {
      if (typeof info.local !== "string") continue;
      const flags = Object.keys(info)
        .filter((key) => info[key] === true)
        .sort();
      result.push({ address: info.local, prefixLength: info.prefixlen, flags });
    }
  }
  return result;
}

/**
 * The usable IPv6 link-local address of `ip -json -6 addr show` output:
 * an fe80::/10 address that is not `dadfailed` and either not `tentative`
 * (DAD finished) or `optimistic` (RFC 4429: usable while DAD runs, which
 * the kernel does with `optimistic_dad` on; such an address is reported
 * `optimistic` and `tentative` until DAD ends, and a socket binds to it).
 */
export function usableLinkLocalFromJson(links: readonly IpLinkJson[]): string | undefined {
  for (const link of links) {
    for (const info of link.addr_info ?? []) {
      if (info.family !== "inet6" || typeof info.local !== "string") continue;
      if (!isLinkLocal6(info.local)) continue;
      if (info.dadfailed === true || (info.tentative === true && info.optimistic !== true)) continue;
      return info.local;
    }
  }
  return undefined;
}

/**
 * Routes of `ip -json route show dev IF` output as {@link LinkRoute}s, with
 * destinations in CIDR form (`default` becomes `0.0.0.0/0` or `::/0`, a
 * host route gets `/32` or `/128`).
 */
export function routesFromJson(routes: readonly IpRouteJson[], family: IpFamily): (LinkRoute & { readonly family: IpFamily })[] {
  return routes
    .filter((route) => typeof route.dst === "string")
    .map((route) => ({
      family,
      destination: cidrOf(route.dst, family),
      ...(route.gateway === undefined ? {} : { gateway: route.gateway }),
      ...(route.metric === undefined ? {} : { metric: route.metric }),
    }));
}

function cidrOf(dst: string, family: IpFamily): string {
  if (dst === "default") return family === "ipv6" ? "::/0" : "0.0.0.0/0";
  if (dst.includes("/")) return dst;
  return `${dst}/${family === "ipv6" ? 128 : 32}`;
}

/** Whether `address` (no zone) is an IPv6 link-local address (fe80::/10). */
export function isLinkLocal6(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}
