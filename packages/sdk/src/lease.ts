/** An IP protocol family. */
export type IpFamily = "ipv4" | "ipv6";

/**
 * A lifetime, in seconds, that never ends: 0xffffffff, the value by which
 * DHCPv4 lease times (RFC 2132 section 9.2) and DHCPv6 lifetimes (RFC 8415
 * section 7.7) say "infinity". {@link LeaseAddress} lifetimes use it too.
 *
 * @example
 * const expires = address.validLifetime === INFINITE_LIFETIME ? Infinity : obtainedAt + address.validLifetime * 1000;
 */
export const INFINITE_LIFETIME = 0xffff_ffff;

/** One address granted by a lease. Lifetimes are in seconds ({@link INFINITE_LIFETIME}: for ever). */
export interface LeaseAddress {
  /** Canonical address text, without prefix (`192.0.2.10`, `2001:db8::10`). */
  readonly address: string;
  /** Prefix length to configure on the interface. */
  readonly prefixLength: number;
  /** Seconds the address stays preferred, counted from `Lease.obtainedAt`. */
  readonly preferredLifetime: number;
  /** Seconds the address stays valid, counted from `Lease.obtainedAt`. */
  readonly validLifetime: number;
}

/** One route granted by a lease. */
export interface LeaseRoute {
  /** Destination in CIDR form (`0.0.0.0/0`, `198.51.100.0/24`). */
  readonly destination: string;
  /** Next hop; absent for an on-link route. */
  readonly gateway?: string;
  /** Route metric, when the lease implies one. */
  readonly metric?: number;
}

/** DNS settings carried by a lease. */
export interface LeaseDns {
  /** Name servers in server order. */
  readonly servers: readonly string[];
  /** Search domains in server order. */
  readonly search: readonly string[];
  /** Domain name (DHCPv4 option 15), when given. */
  readonly domain?: string;
}

/** What a DHCP server granted, in a protocol-neutral form. */
export interface Lease {
  /** Protocol family of the lease. */
  readonly family: IpFamily;
  /** Interface the lease is for, inside its network namespace. */
  readonly interface: string;
  /** Identifier of the server that granted it (address or DUID hex). */
  readonly server: string;
  /** When the lease was obtained or last renewed, in clock milliseconds. */
  readonly obtainedAt: number;
  /** Addresses granted. May be empty (stateless DHCPv6). */
  readonly addresses: readonly LeaseAddress[];
  /** Routes granted. */
  readonly routes: readonly LeaseRoute[];
  /** DNS settings granted. */
  readonly dns: LeaseDns;
  /** Link MTU, when granted. */
  readonly mtu?: number;
}

/**
 * What happened to a lease. Runners emit the first six; `detached` comes
 * only from a multi-NIC runtime (`NetworkRuntime.detach`), once per family
 * of the NIC: the runtime no longer keeps that family's lease (which may
 * stay on the link), so whatever it fed (the NIC's DNS) is dropped.
 */
export type LeaseEventKind = "bound" | "renewed" | "rebound" | "expired" | "released" | "failed" | "detached";

/**
 * A container's resolv.conf as the host sees it: `path` inside the
 * container's root directory `root`. `root` is the host's (trusted) path
 * to it: `/proc/PID/root` or the rootfs directory. `path` lies in a tree
 * the container controls: every component of it is opened without
 * following a symbolic link, so a link planted there cannot send a write
 * onto the host.
 *
 * @example
 * const target: ResolvConfTarget = { root: `/proc/${pid}/root` }; // its /etc/resolv.conf
 */
export interface ResolvConfTarget {
  /** Absolute host path of the container's root directory. */
  readonly root: string;
  /** Absolute path inside `root`, without `.` or `..` components; default `/etc/resolv.conf`. */
  readonly path?: string;
}

/** The attached NIC an event is about, as a multi-NIC runtime stamps it. */
export interface LeaseEventNic {
  /** Instance (container) name. */
  readonly instance: string;
  /** Device name of the NIC. */
  readonly device: string;
  /** Where the NIC's DNS goes: one resolv.conf merged from every NIC naming the same target. */
  readonly resolvConf?: ResolvConfTarget;
}

/** One event on the lease-event stream. */
export interface LeaseEvent {
  /** What happened. */
  readonly kind: LeaseEventKind;
  /** Protocol family. */
  readonly family: IpFamily;
  /** Interface the event is about. */
  readonly interface: string;
  /** Clock milliseconds when it happened. */
  readonly at: number;
  /** The lease now in force (bound, renewed, rebound) or just lost (expired, released). */
  readonly lease?: Lease;
  /** Why the runner failed (kind `failed`). */
  readonly error?: { readonly code: string; readonly message: string };
  /** The NIC, on events of a NIC attached to a multi-NIC runtime; absent from runners and from a runtime's `run`. */
  readonly nic?: LeaseEventNic;
}
