import { isIPv6 } from "node:net";
import { decodeDuid } from "@incusx/dhcp-wire";
import { INFINITE_LIFETIME, canonicalAddress } from "@incusx/sdk";
import { MAX_IA_ADDRESSES, duidHex, expiresAt, secondsToMs, type Binding } from "./lease.js";

/**
 * A binding as kept in the state store across restarts, so a restarted
 * client renews it instead of soliciting (RFC 8415 section 18.2.4). Times
 * are absolute clock milliseconds (`null`: never), so the time the runner
 * was down counts.
 *
 * @example
 * { "iaid": 168496141, "server": "00030001020000000000a", "obtainedAt": 1767225600000,
 *   "renewAt": 1767227400000, "rebindAt": 1767228480000,
 *   "addresses": [{ "address": "2001:db8:1::100", "preferredUntil": 1767229200000, "validUntil": 1767232800000 }],
 *   "dns": { "servers": ["2001:db8:1::53"], "search": [] } }
 */
export interface SavedBinding {
  /** IAID of the IA_NA the binding belongs to. */
  readonly iaid: number;
  /** The granting server's DUID, hex of its wire bytes. */
  readonly server: string;
  /** Address the server allowed unicast to, if any. */
  readonly unicast?: string;
  /** When the Reply that established it arrived. */
  readonly obtainedAt: number;
  /** T1 and T2. */
  readonly renewAt: number | null;
  readonly rebindAt: number | null;
  /** Every address held, with the ends of its lifetimes. */
  readonly addresses: readonly { readonly address: string; readonly preferredUntil: number | null; readonly validUntil: number | null }[];
  /** DNS settings of the Reply. */
  readonly dns: { readonly servers: readonly string[]; readonly search: readonly string[] };
}

/** Most DNS servers and search domains a saved binding may hold; more means it was not written by the client. */
export const MAX_SAVED_DNS_ENTRIES = 32;

/** The form of `binding` kept in the state store (IAID `iaid`); JSON. */
export function savedBindingOf(binding: Binding, iaid: number): SavedBinding {
  const at = (seconds: number): number | null => {
    const ms = secondsToMs(seconds);
    return Number.isFinite(ms) ? binding.obtainedAt + ms : null;
  };
  return {
    iaid,
    server: binding.server,
    ...(binding.unicast === undefined ? {} : { unicast: binding.unicast }),
    obtainedAt: binding.obtainedAt,
    renewAt: Number.isFinite(binding.t1) ? binding.obtainedAt + binding.t1 * 1000 : null,
    rebindAt: Number.isFinite(binding.t2) ? binding.obtainedAt + binding.t2 * 1000 : null,
    addresses: binding.addresses.map((a) => ({ address: a.address, preferredUntil: at(a.preferredLifetime), validUntil: at(a.validLifetime) })),
    dns: { servers: [...binding.dns.servers], search: [...binding.dns.search] },
  };
}

/** What {@link bindingFromSaved} makes of stored data: a binding to renew, or why there is none. */
export type SavedBindingVerdict =
  | { readonly kind: "binding"; readonly binding: Binding }
  | { readonly kind: "expired" }
  | { readonly kind: "unreadable"; readonly reason: string };

const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;
const DUID_HEX = /^(?:[0-9a-f]{2}){2,130}$/;
// Longest finite lifetime a server can grant: one second under 0xffffffff.
const MAX_FINITE_MS = (INFINITE_LIFETIME - 1) * 1000;

/**
 * The binding saved by an earlier run, checked as untrusted input (the
 * state directory may have been edited or corrupted): every field typed
 * and in range, the IAID the client's, times not in the future, at most
 * {@link MAX_IA_ADDRESSES} unicast IPv6 addresses. `expired` once every
 * address's valid lifetime is over at `now`.
 */
export function bindingFromSaved(stored: unknown, expected: { readonly iaid: number; readonly now: number }): SavedBindingVerdict {
  const unreadable = (reason: string): SavedBindingVerdict => ({ kind: "unreadable", reason });
  if (typeof stored !== "object" || stored === null || Array.isArray(stored)) return unreadable("it is not an object");
  const s = stored as Record<string, unknown>;
  if (s["iaid"] !== expected.iaid) return unreadable(`its IAID ${JSON.stringify(s["iaid"])} is not the interface's (${expected.iaid})`);
  const server = s["server"];
  if (typeof server !== "string" || !DUID_HEX.test(server)) return unreadable("its server DUID is not hex");
  let serverId;
  try {
    const bytes = Uint8Array.from(Buffer.from(server, "hex"));
    serverId = decodeDuid(bytes, 0, bytes.length);
  } catch (error) {
    return unreadable(`its server DUID does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
  const obtainedAt = s["obtainedAt"];
  if (typeof obtainedAt !== "number" || !Number.isSafeInteger(obtainedAt) || obtainedAt < 0) return unreadable("it has no time it was obtained");
  // A binding from the future would live past what the server granted.
  if (obtainedAt > expected.now) return unreadable("it was obtained in the future");
  const seconds = (at: unknown, what: string): number | string => {
    if (at === null) return INFINITE_LIFETIME;
    if (typeof at !== "number" || !Number.isSafeInteger(at) || at < obtainedAt || at - obtainedAt > MAX_FINITE_MS) return `${what} is out of range`;
    return Math.floor((at - obtainedAt) / 1000);
  };
  const unicast = s["unicast"];
  if (unicast !== undefined && (typeof unicast !== "string" || !isUnicastV6(unicast))) return unreadable("its server unicast address is not an IPv6 address");
  const rawAddresses = s["addresses"];
  if (!Array.isArray(rawAddresses) || rawAddresses.length === 0 || rawAddresses.length > MAX_IA_ADDRESSES) {
    return unreadable(`it holds no list of 1 to ${MAX_IA_ADDRESSES} addresses`);
  }
  const addresses = [];
  for (const raw of rawAddresses as unknown[]) {
    const a = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    const address = a["address"];
    if (typeof address !== "string" || !isUnicastV6(address)) return unreadable(`${JSON.stringify(address)} is not a unicast IPv6 address`);
    const preferredLifetime = seconds(a["preferredUntil"], `the preferred lifetime of "${address}"`);
    const validLifetime = seconds(a["validUntil"], `the valid lifetime of "${address}"`);
    if (typeof preferredLifetime === "string") return unreadable(preferredLifetime);
    if (typeof validLifetime === "string") return unreadable(validLifetime);
    if (preferredLifetime > validLifetime) return unreadable(`the preferred lifetime of "${address}" exceeds its valid lifetime`);
    addresses.push({ address: canonicalAddress(address), preferredLifetime, validLifetime });
  }
  const t1 = seconds(s["renewAt"], "T1");
  const t2 = seconds(s["rebindAt"], "T2");
  if (typeof t1 === "string") return unreadable(t1);
  if (typeof t2 === "string") return unreadable(t2);
  if (t1 > t2) return unreadable("T1 is after T2");
  const dns = s["dns"] as { servers?: unknown; search?: unknown } | null | undefined;
  const servers = dns?.servers;
  const search = dns?.search;
  if (!Array.isArray(servers) || servers.length > MAX_SAVED_DNS_ENTRIES || !servers.every((x) => typeof x === "string" && isIPv6(x))) {
    return unreadable("its DNS servers are not a short list of IPv6 addresses");
  }
  if (!Array.isArray(search) || search.length > MAX_SAVED_DNS_ENTRIES || !search.every((x) => typeof x === "string" && DOMAIN.test(x))) {
    return unreadable("its search domains are not a short list of domain names");
  }
  const binding: Binding = {
    serverId,
    server: duidHex(serverId),
    ...(unicast === undefined ? {} : { unicast }),
    obtainedAt,
    addresses,
    t1: t1 === INFINITE_LIFETIME ? Infinity : t1,
    t2: t2 === INFINITE_LIFETIME ? Infinity : t2,
    dns: { servers: servers as string[], search: search as string[] },
  };
  if (expiresAt(binding) <= expected.now) return { kind: "expired" };
  return { kind: "binding", binding };
}

function isUnicastV6(address: string): boolean {
  if (!isIPv6(address) || address.includes("%")) return false;
  const canonical = canonicalAddress(address);
  // A v4-mapped address comes back as IPv4 text: not an address for this binding.
  return canonical.includes(":") && canonical !== "::" && canonical !== "::1" && !canonical.startsWith("ff");
}
