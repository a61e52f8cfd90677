// Generated from the "incusx"."configSchema" of plugins/dhcpv4/package.json by scripts/gen-types.mjs. Do not edit:
// change the schema, then run `pnpm gen:types`.

/**
 * The config of the incusx.dhcpv4 plugin.
 */
export interface Dhcpv4Config {
  /**
   * Client identifier (option 61): "duid" for RFC 4361 (IAID and DUID, the identity DHCPv6 uses too), "mac" for hardware type 1 and the MAC address.
   *
   * @default "duid"
   */
  readonly clientIdentifier: "duid" | "mac";
  /**
   * Set the BOOTP broadcast flag, asking servers to broadcast their answers to a client that has no address yet.
   *
   * @default true
   */
  readonly requestBroadcast: boolean;
  /**
   * A DUID (hex of its wire bytes, 4 to 130 bytes) to use instead of the one the runtime passes or the plugin creates, to pin one client identity. A DUID-LLT (type 1) has at least 8 bytes, a DUID-EN (type 2) at least 6, a DUID-UUID (type 4) exactly 18.
   */
  readonly duid?: string;
  /**
   * Put the server's interface MTU (option 26) in the lease.
   *
   * @default true
   */
  readonly applyMtu: boolean;
  /**
   * RFC 5227 address conflict detection: ARP-probe every new address before using it (4 to 7 s), DHCPDECLINE one another host holds, and defend the address while bound. Off by default: it delays every container's first address by seconds, and Incus's own client does not probe either.
   *
   * @default false
   */
  readonly addressConflictDetection: boolean;
  /**
   * Most interfaces of this process between DISCOVER and the answer to their REQUEST at once; the others wait in INIT, first come first served. A lone interface never waits; renewals never wait.
   *
   * @default 16
   */
  readonly maxConcurrentDiscovers: number;
}

/** {@link Dhcpv4Config} as a host config may give it: the properties with a default may be left out. */
export type Dhcpv4ConfigInput = Omit<Dhcpv4Config, "clientIdentifier" | "requestBroadcast" | "applyMtu" | "addressConflictDetection" | "maxConcurrentDiscovers"> &
  Partial<Pick<Dhcpv4Config, "clientIdentifier" | "requestBroadcast" | "applyMtu" | "addressConflictDetection" | "maxConcurrentDiscovers">>;

/** The schema's `default` values, which the host fills in before the plugin sees its config. */
export const DEFAULT_DHCPV4_CONFIG: Dhcpv4Config = Object.freeze({
  clientIdentifier: "duid",
  requestBroadcast: true,
  applyMtu: true,
  addressConflictDetection: false,
  maxConcurrentDiscovers: 16,
});
