import type { IpFamily, LeaseEvent } from "./lease.js";
import { defineToken } from "./token.js";

/** A timer started by a {@link Clock}. */
export interface Timer {
  /** Stops the timer; harmless after it fired. */
  cancel(): void;
}

/**
 * Time, as the host sees it. Runners take every timeout from here, so a
 * test can drive hours of lease life in microseconds with a fake clock.
 */
export interface Clock {
  /** Current time in milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once after `ms` milliseconds. */
  setTimer(ms: number, callback: () => void): Timer;
  /** Resolves after `ms` milliseconds; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
/** Token of the host {@link Clock}. */
export const ClockToken = defineToken<Clock>("service.clock");

/** Severity of a log record. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields attached to a log record. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Structured logger. The one a plugin receives already carries its
 * `pluginId`, so every record says where it came from.
 */
export interface Logger {
  /** Detail useful when debugging. */
  debug(message: string, fields?: LogFields): void;
  /** Normal operation worth recording. */
  info(message: string, fields?: LogFields): void;
  /** Something is off but work goes on. */
  warn(message: string, fields?: LogFields): void;
  /** Something failed. */
  error(message: string, fields?: LogFields): void;
  /** A logger adding `fields` to every record. */
  child(fields: LogFields): Logger;
}
/** Token of the {@link Logger}; resolves to a logger scoped to the resolving plugin. */
export const LoggerToken = defineToken<Logger>("service.logger");

/** A JSON value, as stored by a {@link StateStore}. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Persistent key/value storage owned by one plugin, kept in the host's
 * state directory across restarts (a DHCP DUID, a lease for INIT-REBOOT).
 * Keys are plain names: letters, digits, `.`, `-` and `_`.
 */
export interface StateStore {
  /** The stored value, or `undefined`. */
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined>;
  /** Stores `value` durably (written to disk before the promise resolves). */
  set(key: string, value: JsonValue): Promise<void>;
  /** Removes `key`; harmless when absent. */
  delete(key: string): Promise<void>;
  /** Every key stored. */
  keys(): Promise<string[]>;
}
/** Token of the {@link StateStore}; resolves to the resolving plugin's own store. */
export const StateStoreToken = defineToken<StateStore>("service.state-store");

/**
 * Who this host is. Stores shared by a cluster's members (OVN's northbound
 * database) record the member on what the host writes, so one member acts
 * on its own entries only.
 */
export interface HostIdentity {
  /**
   * The cluster member name this host runs as (Incus's server name): the
   * host config's `member`, default the host name (`os.hostname()`).
   */
  readonly member: string;
}
/**
 * Token of the {@link HostIdentity}.
 *
 * @example
 * constructor(@inject(HostIdentityToken) identity: HostIdentity) { this.member = identity.member }
 */
export const HostIdentityToken = defineToken<HostIdentity>("service.host-identity");

/**
 * An event of a plugin's host-level plumbing that the host counts in its
 * own metrics (`incusx daemon`'s Prometheus scrape), by `kind`:
 *
 * - `ovsdb-reconnect`: an OVSDB connection the plugin holds was lost and
 *   replaced, its monitors running again (`@incusx/ovsdb`'s `"reconnect"`
 *   event); `database` is the database it serves (`OVN_Northbound`).
 *
 * New kinds may come; a host ignores kinds it does not know.
 */
export type HostMetricEvent = { readonly kind: "ovsdb-reconnect"; readonly database: string };

/**
 * Where a plugin reports {@link HostMetricEvent}s. Reporting is cheap and
 * never throws; a host without metrics drops them. Per-NIC detail does not
 * belong here (it would make a series per container).
 */
export interface HostMetrics {
  /** Counts one event. */
  record(event: HostMetricEvent): void;
}
/**
 * Token of the host's {@link HostMetrics}.
 *
 * @example
 * client.on("reconnect", () => metrics.record({ kind: "ovsdb-reconnect", database: "OVN_Northbound" }));
 */
export const HostMetricsToken = defineToken<HostMetrics>("service.host-metrics");

/** A network known to the host, Incus-shaped. */
export interface Network {
  /** Network name (`ovn0`). */
  readonly name: string;
  /** Network type (`ovn`, `bridge`, ...). */
  readonly type: string;
  /** Incus-style config map (`ipv4.address`, ...). */
  readonly config: Readonly<Record<string, string>>;
  /** OVN logical router of the network, for `ovn` networks. */
  readonly ovnRouter?: string;
  /**
   * Incus's network ID, when known: Incus names the network's OVN objects
   * after it (`incus-net<id>-lr`, NIC ports
   * `incus-net<id>-instance-<instance UUID>-<device>`).
   */
  readonly id?: number;
}

/** A network forward: a listen address on a network. */
export interface NetworkForward {
  /** Network the forward belongs to. */
  readonly network: string;
  /** Listen address, as configured. */
  readonly listenAddress: string;
  /** Free text. */
  readonly description?: string;
}

/** A NIC device of an instance, Incus-shaped. */
export interface NicDevice {
  /** Instance (container) the NIC belongs to. */
  readonly instance: string;
  /** Device name within the instance (`eth0`). */
  readonly device: string;
  /** NIC type (`ovn`, `bridged`, ...). */
  readonly type: string;
  /** Incus-style config map with dotted keys, excluding `type`. */
  readonly config: Readonly<Record<string, string>>;
  /**
   * Cluster member the NIC's instance runs on (Incus's instance `location`),
   * when the state source knows it; absent on a server that is not clustered.
   */
  readonly location?: string;
  /**
   * The instance's `volatile.uuid`, when known: Incus names an OVN NIC's
   * logical switch port after it.
   */
  readonly instanceUuid?: string;
}

/** Read access to the host's networks, forwards and NICs. */
export interface NetworkState {
  /** Every network. */
  networks(): Promise<readonly Network[]>;
  /** The network named `name`, or `undefined`. */
  network(name: string): Promise<Network | undefined>;
  /** Every forward of network `network`. */
  forwards(network: string): Promise<readonly NetworkForward[]>;
  /** Every NIC of every instance. */
  nics(): Promise<readonly NicDevice[]>;
  /**
   * Calls `listener` whenever the state may have changed (a state file
   * edited, a server's lifecycle event), so the host re-validates and
   * re-plans NAT. Returns the function that stops it. Optional: a state
   * without it is only read on demand.
   */
  watch?(listener: () => void): () => void;
}
/** Token of the host {@link NetworkState}. */
export const NetworkStateToken = defineToken<NetworkState>("service.network-state");

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

/**
 * Applies addresses, routes and MTU to an interface in the current network
 * namespace, and reads back what is there. Every change is idempotent.
 */
export interface LinkConfigurator {
  /** Adds or updates (lifetimes) an address. */
  addAddress(iface: string, address: LinkAddress): Promise<void>;
  /** Removes an address; harmless when absent. */
  removeAddress(iface: string, address: LinkAddress): Promise<void>;
  /** Adds or replaces a route. */
  addRoute(iface: string, route: LinkRoute): Promise<void>;
  /** Removes a route; harmless when absent. */
  removeRoute(iface: string, route: LinkRoute): Promise<void>;
  /** Sets the link MTU. */
  setMtu(iface: string, mtu: number): Promise<void>;
  /** Reads what is configured now. */
  snapshot(iface: string): Promise<LinkSnapshot>;
}
/** Token of the host {@link LinkConfigurator}. */
export const LinkConfiguratorToken = defineToken<LinkConfigurator>("service.link-configurator");

/** Something that can be undone, such as a subscription. */
export interface Disposable {
  /** Undoes it; harmless when called twice. */
  dispose(): void;
}

/**
 * The stream of lease events from every DHCP runner. DNS coordination and
 * users subscribe here; they never talk to runners directly.
 */
export interface LeaseEventStream {
  /** Delivers `event` to every subscriber. A throwing subscriber does not stop delivery to others. */
  publish(event: LeaseEvent): void;
  /** Calls `listener` for every event published from now on. */
  subscribe(listener: (event: LeaseEvent) => void): Disposable;
}
/** Token of the host {@link LeaseEventStream}. */
export const LeaseEventStreamToken = defineToken<LeaseEventStream>("service.lease-events");

/**
 * Token of the resolving plugin's own config, validated against its
 * manifest's config schema (with schema defaults filled in). Inject it with
 * a type that matches the schema. In a `deps` map, the registrar's
 * `configToken` is the same token typed as the plugin's config.
 *
 * @example
 * constructor(@inject(PluginConfigToken) config: unknown) { this.limits = config as MtuLimitConfig }
 */
export const PluginConfigToken = defineToken<unknown>("plugin.config");
