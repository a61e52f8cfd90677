import { Dhcpv4OptionCode, dhcpv4OptionValue, type Dhcpv4Message } from "@incusx/dhcp-wire";
import { INFINITE_LIFETIME, type Lease, type LeaseDns, type LeaseRoute, type Logger } from "@incusx/sdk";
import { searchListOf } from "./acceptance.js";

/**
 * A lease time of 0xffffffff seconds means "infinity" (RFC 2131 section 3.3).
 *
 * @deprecated The SDK's `INFINITE_LIFETIME`, the same value; kept for one minor version.
 */
export const INFINITE_LEASE = INFINITE_LIFETIME;

/**
 * Shortest lease the client schedules by, in seconds: a shorter one is held
 * (and put on the link) for 60 s, so a server granting 1 s leases cannot make
 * the client rebind in a loop. dhcpcd does the same with a 20 s floor
 * (`DHCP_MIN_LEASE`, "minimum lease is 20 seconds"); 60 s is the shortest
 * retransmission interval RFC 2131 section 4.4.5 allows in RENEWING.
 */
export const MIN_LEASE_TIME = 60;

/**
 * Shortest T1 taken from a server, in seconds: a smaller one (above 0) is
 * raised to it, so renewals (and the link work each lease event costs) come
 * at least 10 s apart whatever the server says. Raised, not replaced by the
 * default: dnsmasq counts T1 down on renewals (10 s configured is sent as 9).
 */
export const MIN_RENEWAL_TIME = 10;

/**
 * Most classless static routes (option 121) taken from one ACK; the rest are
 * ignored with a warning. Far above any real network's, and each route is
 * link work on every renewal.
 */
export const MAX_CLASSLESS_ROUTES = 64;

/** The smallest MTU option 26 may carry (RFC 2132 section 5.1). */
export const MIN_MTU = 68;

/** A lease as the client holds it. Times in seconds as granted; `obtainedAt` in clock ms. */
export interface Binding {
  /** Server identifier (option 54). */
  readonly server: string;
  readonly address: string;
  readonly prefixLength: number;
  /** When the REQUEST that obtained it was first sent (RFC 2131 section 4.4.1). */
  readonly obtainedAt: number;
  /** Lease time (option 51); {@link INFINITE_LIFETIME} for ever. */
  readonly leaseTime: number;
  /** Renewal (T1) and rebinding (T2) times in seconds; `Infinity` with an infinite lease. */
  readonly t1: number;
  readonly t2: number;
  readonly routes: readonly LeaseRoute[];
  readonly dns: LeaseDns;
  readonly mtu?: number;
}

/**
 * What the runner keeps in the state store for INIT-REBOOT: the address to
 * ask for again, who granted it and until when (`null`: for ever).
 */
export interface SavedLease {
  readonly address: string;
  readonly server: string;
  readonly expiresAt: number | null;
  /**
   * Prefix length the address was configured with, so an address left on
   * the link by an earlier run can be removed when the server refuses it
   * (absent in leases saved before it was recorded).
   */
  readonly prefixLength?: number;
}

/** Clock ms when `binding` ends (`Infinity` for an infinite lease). */
export function expiresAt(binding: Binding): number {
  return binding.leaseTime === INFINITE_LIFETIME ? Infinity : binding.obtainedAt + binding.leaseTime * 1000;
}

/** Clock ms of T1 (`key` "t1") or T2 (`key` "t2"). */
export function timeOf(binding: Binding, key: "t1" | "t2"): number {
  return binding.obtainedAt + binding[key] * 1000;
}

/** What the runner persists for `binding`. */
export function savedLeaseOf(binding: Binding): SavedLease {
  const end = expiresAt(binding);
  return { address: binding.address, server: binding.server, expiresAt: Number.isFinite(end) ? end : null, prefixLength: binding.prefixLength };
}

/**
 * T1 and T2 in seconds, repaired as systemd-networkd's sd-dhcp-client does
 * (`client_set_lease_timeouts`): options 58 and 59 when consistent
 * (0 < T1 < T2 < lease time), else 0.5 and 0.875 of the lease time (RFC
 * 2131 section 4.4.5). On top of that a lease under
 * {@link MIN_LEASE_TIME} counts as that long and a T1 under
 * {@link MIN_RENEWAL_TIME} is raised to it, so no server can make the
 * client renew in a tight loop.
 *
 * @example
 * renewalTimes(3600, undefined, undefined) // { t1: 1800, t2: 3150 }
 * renewalTimes(1, 0, 0) // { t1: 30, t2: 52.5 }
 */
export function renewalTimes(leaseTime: number, t1?: number, t2?: number): { t1: number; t2: number } {
  if (leaseTime === INFINITE_LIFETIME) return { t1: Infinity, t2: Infinity };
  const lease = Math.max(leaseTime, MIN_LEASE_TIME);
  const defaults = { t1: lease * 0.5, t2: lease * 0.875 };
  let rebind = t2 !== undefined && t2 > 0 && t2 < lease ? t2 : defaults.t2;
  const asked = t1 !== undefined && t1 > 0 ? Math.max(t1, MIN_RENEWAL_TIME) : undefined;
  const renew = asked !== undefined && asked < rebind ? asked : defaults.t1;
  // The default T1 may lie past a server's (short) T2: then T2 is the default too, as in systemd.
  if (renew >= rebind) rebind = defaults.t2;
  return { t1: renew, t2: rebind };
}

/**
 * Random fuzz on T1 and T2, as a fraction either way: RFC 2131 section
 * 4.4.5 says they "SHOULD be chosen with some random fuzz around a fixed
 * value, to avoid synchronization of client reacquisition". Containers
 * started together get their leases together; without fuzz they renew in
 * the same second for ever. +-5 % spreads a 1 h lease's renewals over 3
 * minutes (T1 1710 to 1890 s) and keeps them close to the server's times.
 */
export const RENEWAL_FUZZ = 0.05;

/**
 * `times` with {@link RENEWAL_FUZZ} applied, one draw of `random` each
 * (T2 first, then T1). A fuzzed time is kept only where it stays in order
 * (T1 at least {@link MIN_RENEWAL_TIME} when the server's was, T1 before
 * T2, T2 before the lease's end); otherwise that time stays as it was, so
 * fuzz never makes the client renew past T2 or rebind past its lease.
 *
 * @example
 * fuzzedRenewalTimes({ leaseTime: 3600, t1: 1800, t2: 3150 }, () => 0) // { t1: 1710, t2: 2992.5 }
 */
export function fuzzedRenewalTimes(times: { readonly leaseTime: number; readonly t1: number; readonly t2: number }, random: () => number): { t1: number; t2: number } {
  const { leaseTime, t1, t2 } = times;
  if (!Number.isFinite(t1) || !Number.isFinite(t2) || leaseTime === INFINITE_LIFETIME) return { t1, t2 };
  const fuzz = (value: number): number => value * (1 + (random() * 2 - 1) * RENEWAL_FUZZ);
  const rebind = fuzz(t2);
  const fuzzedT2 = rebind > t1 && rebind < leaseTime ? rebind : t2;
  const renew = fuzz(t1);
  const floor = Math.min(t1, MIN_RENEWAL_TIME);
  const fuzzedT1 = renew >= floor && renew < fuzzedT2 ? renew : t1;
  return { t1: fuzzedT1, t2: fuzzedT2 };
}

/**
 * The prefix length of a subnet mask (option 1), or `undefined` when the
 * mask is not contiguous.
 */
export function prefixLengthOf(mask: string): number | undefined {
  const value = mask.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
  const inverted = (~value >>> 0) + 1;
  if (value !== 0 && (inverted & (inverted - 1)) !== 0) return undefined;
  let length = 0;
  for (let bit = 31; bit >= 0 && (value >>> bit) & 1; bit--) length++;
  return length;
}

/** The classful prefix length of `address` (RFC 1122 section 3.3.1.3), for an ACK without a subnet mask. */
function classfulPrefixLength(address: string): number {
  const first = Number(address.split(".")[0]);
  return first < 128 ? 8 : first < 192 ? 16 : 24;
}

function maskedDestination(destination: string, prefixLength: number): string {
  const octets = destination.split(".").map(Number);
  return octets
    .map((octet, i) => {
      const bits = Math.max(0, Math.min(8, prefixLength - i * 8));
      return bits === 0 ? 0 : octet & ((0xff << (8 - bits)) & 0xff);
    })
    .join(".");
}

/**
 * Routes of an ACK: option 121 when present (RFC 3442: option 3 is then
 * ignored; router 0.0.0.0 means on-link), at most
 * {@link MAX_CLASSLESS_ROUTES} of them (one warning on `log` says how many
 * were dropped), else a default route through the first router of option 3.
 */
export function routesOf(ack: Pick<Dhcpv4Message, "options">, log?: Pick<Logger, "warn">): LeaseRoute[] {
  const classless = dhcpv4OptionValue(ack, Dhcpv4OptionCode.ClasslessStaticRoutes);
  if (classless !== undefined) {
    if (classless.length > MAX_CLASSLESS_ROUTES) {
      log?.warn(
        `Ignoring ${classless.length - MAX_CLASSLESS_ROUTES} of the ${classless.length} classless static routes (option 121): at most ${MAX_CLASSLESS_ROUTES} are applied`,
      );
    }
    return classless.slice(0, MAX_CLASSLESS_ROUTES).map((r) => {
      const destination = `${maskedDestination(r.destination, r.prefixLength)}/${r.prefixLength}`;
      return r.router === "0.0.0.0" ? { destination } : { destination, gateway: r.router };
    });
  }
  const router = dhcpv4OptionValue(ack, Dhcpv4OptionCode.Routers)?.find((r) => r !== "0.0.0.0");
  return router === undefined ? [] : [{ destination: "0.0.0.0/0", gateway: router }];
}

/** DNS settings of an ACK: servers (6), search list (119), domain (15). */
export function dnsOf(ack: Pick<Dhcpv4Message, "options">): LeaseDns {
  const domain = dhcpv4OptionValue(ack, Dhcpv4OptionCode.DomainName);
  const servers = dhcpv4OptionValue(ack, Dhcpv4OptionCode.DomainNameServers) ?? [];
  const search = searchListOf(ack);
  const dns: LeaseDns = { servers: [...servers], search: search.map(withoutRoot) };
  return domain === undefined || domain === "" ? dns : { ...dns, domain: withoutRoot(domain) };
}

/** Names in resolv.conf form: the codec writes fully qualified names with the root dot. */
function withoutRoot(name: string): string {
  return name.length > 1 && name.endsWith(".") ? name.slice(0, -1) : name;
}

/**
 * The binding an ACK grants, or why it cannot be used: it must carry an
 * address (yiaddr), a server identifier (54) and a lease time (51). A lease
 * under {@link MIN_LEASE_TIME} is held for that long; dropped routes are
 * reported on `context.log`.
 */
export function bindingFromAck(
  ack: Dhcpv4Message,
  context: { readonly obtainedAt: number; readonly applyMtu: boolean; readonly log?: Pick<Logger, "warn"> },
): Binding | { readonly invalid: string } {
  if (ack.yiaddr === "0.0.0.0") return { invalid: "it grants no address (yiaddr 0.0.0.0)" };
  const server = dhcpv4OptionValue(ack, Dhcpv4OptionCode.ServerIdentifier);
  if (server === undefined) return { invalid: "it has no server identifier (option 54)" };
  const granted = dhcpv4OptionValue(ack, Dhcpv4OptionCode.LeaseTime);
  if (granted === undefined || granted === 0) return { invalid: "it has no lease time (option 51)" };
  const leaseTime = granted === INFINITE_LIFETIME ? granted : Math.max(granted, MIN_LEASE_TIME);
  const mask = dhcpv4OptionValue(ack, Dhcpv4OptionCode.SubnetMask);
  const prefixLength = (mask === undefined ? undefined : prefixLengthOf(mask)) ?? classfulPrefixLength(ack.yiaddr);
  const mtu = dhcpv4OptionValue(ack, Dhcpv4OptionCode.InterfaceMtu);
  const { t1, t2 } = renewalTimes(granted, dhcpv4OptionValue(ack, Dhcpv4OptionCode.RenewalTime), dhcpv4OptionValue(ack, Dhcpv4OptionCode.RebindingTime));
  return {
    server,
    address: ack.yiaddr,
    prefixLength,
    obtainedAt: context.obtainedAt,
    leaseTime,
    t1,
    t2,
    routes: routesOf(ack, context.log),
    dns: dnsOf(ack),
    ...(context.applyMtu && mtu !== undefined && mtu >= MIN_MTU ? { mtu } : {}),
  };
}

/** The SDK lease of `binding` on `iface`. */
export function leaseOf(binding: Binding, iface: string): Lease {
  return {
    family: "ipv4",
    interface: iface,
    server: binding.server,
    obtainedAt: binding.obtainedAt,
    addresses: [
      {
        address: binding.address,
        prefixLength: binding.prefixLength,
        preferredLifetime: binding.leaseTime,
        validLifetime: binding.leaseTime,
      },
    ],
    routes: binding.routes,
    dns: binding.dns,
    ...(binding.mtu === undefined ? {} : { mtu: binding.mtu }),
  };
}
