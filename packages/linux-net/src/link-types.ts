// Structural copies of the SDK's link types (packages/sdk/src/services.ts).
// linux-net is a plain library that must not depend on the SDK at runtime or
// in its published types; TypeScript's structural typing makes an
// IpRoute2LinkConfigurator a LinkConfigurator all the same (checked by a
// type test in link-configurator.test.ts, the SDK a dev dependency only).

/** An IP family, as the SDK names it. */
export type IpFamily = "ipv4" | "ipv6";

/** An address to put on a link. Lifetimes in seconds; absent means forever. */
export interface LinkAddress {
  /** Address text without prefix. */
  readonly address: string;
  /** Prefix length. */
  readonly prefixLength: number;
  /** Seconds the address stays preferred. */
  readonly preferredLifetime?: number;
  /** Seconds the address stays valid; the kernel removes it after. */
  readonly validLifetime?: number;
}

/** A route to put on a link. */
export interface LinkRoute {
  /** Destination in CIDR form. */
  readonly destination: string;
  /** Next hop; absent for an on-link route. */
  readonly gateway?: string;
  /** Route metric. */
  readonly metric?: number;
}

/** What is configured on a link, as read back from the system. */
export interface LinkSnapshot {
  /** Interface name. */
  readonly interface: string;
  /** Current MTU. */
  readonly mtu: number;
  /** Addresses of both families. */
  readonly addresses: readonly (LinkAddress & { readonly family: IpFamily })[];
  /** Routes through this link, both families. */
  readonly routes: readonly (LinkRoute & { readonly family: IpFamily })[];
}
