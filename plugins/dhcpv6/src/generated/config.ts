// Generated from the "incusx"."configSchema" of plugins/dhcpv6/package.json by scripts/gen-types.mjs. Do not edit:
// change the schema, then run `pnpm gen:types`.

/**
 * The config of the incusx.dhcpv6 plugin.
 */
export interface Dhcpv6Config {
  /**
   * Prefix length given to DHCPv6 addresses. 128 by default: the on-link prefix comes from Router Advertisements (Incus hard-codes 64).
   *
   * @default 128
   */
  readonly addressPrefixLength: number;
  /**
   * Ask for a two-message exchange (Rapid Commit, RFC 8415 section 18.2.1) when the server allows it.
   *
   * @default true
   */
  readonly rapidCommit: boolean;
  /**
   * When the interface has no IPv6 link-local address and the kernel makes none (addr_gen_mode none), add a stable one (RFC 7217: a hash of a per-host secret and the MAC, as dhcpcd's `slaac private`) instead of failing with NO_LINK_LOCAL. Off by default: the kernel's own link-local address is left to the kernel.
   *
   * @default false
   */
  readonly stableLinkLocal: boolean;
  /**
   * Most interfaces of this process between Solicit and the Reply that binds them at once; the others wait before their Solicit, first come first served. A lone interface never waits; Renew and Rebind never wait.
   *
   * @default 16
   */
  readonly maxConcurrentSolicits: number;
}

/** {@link Dhcpv6Config} as a host config may give it: the properties with a default may be left out. */
export type Dhcpv6ConfigInput = Omit<Dhcpv6Config, "addressPrefixLength" | "rapidCommit" | "stableLinkLocal" | "maxConcurrentSolicits"> &
  Partial<Pick<Dhcpv6Config, "addressPrefixLength" | "rapidCommit" | "stableLinkLocal" | "maxConcurrentSolicits">>;

/** The schema's `default` values, which the host fills in before the plugin sees its config. */
export const DEFAULT_DHCPV6_CONFIG: Dhcpv6Config = Object.freeze({
  addressPrefixLength: 128,
  rapidCommit: true,
  stableLinkLocal: false,
  maxConcurrentSolicits: 16,
});
