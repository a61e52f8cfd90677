import type { IpFamily, LeaseEvent } from "./lease.js";
import type { NetworkForward, NicDevice } from "./services.js";
import { defineToken, type Token } from "./token.js";

/**
 * An extension point: a named place where plugins contribute
 * implementations. A plugin's manifest lists the ids it `provides`; the
 * host resolves every contribution with multi-injection.
 */
export interface ExtensionPoint<T> {
  /** Stable id, as written in a manifest's `provides`. */
  readonly id: string;
  /** Token contributions are registered under. */
  readonly token: Token<T>;
}

function defineExtensionPoint<T>(id: string): ExtensionPoint<T> {
  return Object.freeze({ id, token: defineToken<T>(`extension.${id}`) });
}

/** One problem with one NIC config key. */
export interface NicProblem {
  /** The config key (`ipv4.address.external`). */
  readonly key: string;
  /** The offending value, when there is one. */
  readonly value?: string;
  /** Incus-style message: `Invalid value for device option "k": ...`. */
  readonly message: string;
}

/**
 * Validates the config keys it owns on the NIC types it covers, against
 * host state when needed. Returns every problem, never throws for bad input.
 */
export interface NicValidator {
  /** NIC types covered (`ovn`). */
  readonly nicTypes: readonly string[];
  /** Config keys owned; the host rejects keys no validator owns. */
  readonly keys: readonly string[];
  /** Problems with `nic`'s owned keys; empty when valid. */
  validate(nic: NicDevice): Promise<readonly NicProblem[]>;
  /**
   * Optional: the NICs whose owned keys still use `forward` (an external
   * address that is its listen address), so removing the forward would
   * leave them invalid. The host refuses the removal when any validator
   * reports a use.
   */
  checkForwardRemoval?(forward: NetworkForward): Promise<readonly ForwardUse[]>;
}

/** A NIC still using a network forward, which therefore cannot be removed. */
export interface ForwardUse {
  /** Instance of the NIC. */
  readonly instance: string;
  /** NIC device name. */
  readonly device: string;
  /** The NIC's config key holding the forward's address (`ipv4.address.external`). */
  readonly key: string;
  /** Incus-style message naming the forward, instance and device. */
  readonly message: string;
}

/** Extension point for {@link NicValidator}s. */
export const NicValidatorExtension = defineExtensionPoint<NicValidator>("nic-validator");
/** Token under which {@link NicValidator}s are contributed. */
export const NicValidatorToken = NicValidatorExtension.token;

/**
 * A network namespace the host holds open by an fd (the shape of
 * `@incusx/linux-net`'s `NetnsHandle`), so work done in it reaches the very
 * namespace that was opened even after its name is deleted or its PID
 * reused.
 */
export interface NetworkNamespace {
  /** The path it was opened from (`/run/netns/NAME`, `/proc/PID/ns/net`); for messages, never opened again. */
  readonly path: string;
  /** The open fd naming the namespace; reading it throws once the holder closed it. */
  readonly fd: number;
}

/** What a runner is asked to do. */
export interface DhcpRunOptions {
  /** Interface to run on, inside `netns` (default: the current network namespace). */
  readonly interface: string;
  /**
   * The network namespace of the interface, held open by the runtime for
   * as long as the runner runs; absent: the process's own. A runner opens
   * its sockets and reads its link inside it without moving the process.
   */
  readonly netns?: NetworkNamespace;
  /**
   * Key under which the runner keeps this NIC's lease in its state store,
   * unique per NIC in one host (the runtime derives it from instance and
   * device); default the interface name, as a process per container has it.
   */
  readonly leaseKey?: string;
  /** Hostname to announce, if any. */
  readonly hostname?: string;
  /** Fully qualified name to announce, if any. */
  readonly fqdn?: string;
  /** Send a Release when stopped. */
  readonly releaseOnStop?: boolean;
  /**
   * The client's DUID (raw bytes), shared by every family so DHCPv4 can
   * send it in an RFC 4361 client identifier. The runtime persists it per
   * interface; a runner given none creates and keeps its own.
   */
  readonly duid?: Uint8Array;
  /** Aborted when the runner must stop. */
  readonly signal: AbortSignal;
  /** Reports what happens to the lease. */
  emit(event: LeaseEvent): void;
  /**
   * Told why the latest attempt to get a lease came to nothing (no reply
   * after N Solicits, NoAddrsAvail, no link-local address, ...), so a
   * caller that gives up can say why. Optional for runners and callers.
   */
  attemptFailed?(failure: DhcpAttemptFailure): void;
}

/**
 * Why a runner's latest attempt got no lease, as a stable code:
 * - `NO_LINK_LOCAL`: the interface has no IPv6 link-local address and the
 *   kernel will make none (`addr_gen_mode` none, or IPv6 disabled on it).
 * - `NO_REPLY`: no server answered (`attempts` Solicits or Discovers sent).
 * - `NO_ADDRS_AVAIL`: servers answered, with no address to give (DHCPv6
 *   NoAddrsAvail or an IA without addresses).
 * - `NOT_ON_LINK`: the server says the addresses are not for this link.
 * - `DECLINED`: the address failed duplicate address detection.
 * - `NAK`: a DHCPv4 server refused the request (DHCPNAK).
 */
export type DhcpAttemptFailureCode = "NO_LINK_LOCAL" | "NO_REPLY" | "NO_ADDRS_AVAIL" | "NOT_ON_LINK" | "DECLINED" | "NAK";

/** What {@link DhcpRunOptions.attemptFailed} is told. */
export interface DhcpAttemptFailure {
  /** Stable reason. */
  readonly code: DhcpAttemptFailureCode;
  /** One sentence for people (`no reply after 5 Solicits`). */
  readonly message: string;
  /** Messages sent in the attempt, when counted. */
  readonly attempts?: number;
}

/**
 * Runs one DHCP protocol family on one interface until aborted, emitting
 * lease events. Resolves when stopped; rejects only for unrecoverable faults.
 */
export interface DhcpRunner {
  /** Family served. */
  readonly family: IpFamily;
  /** Runs until `options.signal` aborts. */
  run(options: DhcpRunOptions): Promise<void>;
}

/** Extension point for {@link DhcpRunner}s. */
export const DhcpRunnerExtension = defineExtensionPoint<DhcpRunner>("dhcp-runner");
/** Token under which {@link DhcpRunner}s are contributed. */
export const DhcpRunnerToken = DhcpRunnerExtension.token;

/** Who a NAT rule belongs to: one NIC of one instance. */
export interface NatOwner {
  /** Instance name. */
  readonly instance: string;
  /** NIC device name. */
  readonly device: string;
}

/** Outbound NAT of one NIC for one family. */
export interface NatRule {
  /** Owner of the rule. */
  readonly owner: NatOwner;
  /** Network the NIC is on. */
  readonly network: string;
  /** Family of both addresses. */
  readonly family: IpFamily;
  /** The NIC's address (canonical). */
  readonly logicalIp: string;
  /** Address outbound traffic is translated to (canonical). */
  readonly externalIp: string;
  /**
   * Cluster member owning the rule, on rules a backend lists when it
   * records one (the OVN backend does); absent on a row written before
   * members were recorded. Ignored by `ensure` and `reconcile`: a backend
   * writes as its own host's member.
   */
  readonly member?: string;
  /**
   * The row's source port range, on rules a backend reports when it
   * restricts one (the OVN backend keeps SNATed source ports off a
   * forward's load balancer ports: `81-65535`). Ignored by `ensure` and
   * `reconcile`: the backend decides it.
   */
  readonly externalPortRange?: string;
}

/** Which rules {@link NatBackend.list} returns. */
export interface NatListOptions {
  /**
   * Also the rules of other cluster members (each naming its `member`) and
   * rules recorded without a member; default: only this member's.
   */
  readonly allMembers?: boolean;
}

/** How {@link NatBackend.reconcile} may judge the rules it is given. */
export interface NatReconcileOptions {
  /**
   * When reading the host state the desired rules were planned from began
   * (milliseconds since the epoch, this host's clock). A backend that
   * records when it wrote each rule never deletes a rule of its own written
   * at or after this time that the desired rules do not name: a NIC started
   * since, which that state cannot know (the NIC's start wrote it). It keeps
   * it and reports it in `spared`; a reconcile from a newer state decides.
   * Without it, the rules are taken as current.
   */
  readonly stateReadAt?: number;
}

/** What a reconcile changed (or, from `planReconcile`, would change). */
export interface NatReconcileResult {
  /** Rules created or corrected. */
  readonly ensured: readonly NatRule[];
  /** Owned rules deleted because they were not desired. */
  readonly removed: readonly NatRule[];
  /**
   * Owned rules the desired ones do not name that were kept because they
   * were written after the state those came from was read
   * ({@link NatReconcileOptions.stateReadAt}), or taken over from another
   * member since the backend's previous reconcile. A caller keeping rules
   * right plans again from a fresh state read.
   */
  readonly spared?: readonly NatRule[];
}

/** A family a NIC gets no NAT rule for, and why. */
export interface NatSkip {
  /** Family without a rule. */
  readonly family: IpFamily;
  /** Why, for the user (`NIC "c1/eth0" has no IPv6 address`). */
  readonly reason: string;
}

/** The outbound NAT one NIC asks for now, worked out by its backend. */
export interface NatPlan {
  /** Rules the NIC should have, at most one per family. */
  readonly rules: readonly NatRule[];
  /** Families that want a rule but cannot have one (no address of that family yet). */
  readonly skipped: readonly NatSkip[];
}

/**
 * Owns the outbound NAT of NICs on one network type. Touches only rules it
 * wrote; every operation is idempotent.
 */
export interface NatBackend {
  /** Network type served (`ovn`). */
  readonly networkType: string;
  /**
   * The rules `nic` should have, from its config and what the backend can
   * see live (for example an address OVN assigned dynamically). A NIC that
   * asks for no NAT gets an empty plan. Never writes.
   */
  plan(nic: NicDevice): Promise<NatPlan>;
  /** Creates or corrects `rule`. */
  ensure(rule: NatRule): Promise<void>;
  /** Removes the owner's rules (one family, or both). */
  remove(owner: NatOwner, family?: IpFamily): Promise<void>;
  /** Every rule this backend owns for this host's member (with `allMembers`, for every member). */
  list(options?: NatListOptions): Promise<readonly NatRule[]>;
  /** Makes owned rules equal `desired` (see {@link NatReconcileOptions} for `options`). */
  reconcile(desired: readonly NatRule[], options?: NatReconcileOptions): Promise<NatReconcileResult>;
  /**
   * Optional: what `reconcile(desired, options)` would do now, from the
   * same reads and the same decisions, writing nothing: rules it would
   * ensure (with the details the backend adds, such as a port range) and
   * remove, and whatever its result reports beyond the SDK's (the OVN
   * backend: rules refused because of a network forward, conflicts). A dry
   * run (`incusx nat reconcile --dry-run`) uses it; without it, a dry run
   * compares `list()` with the desired rules.
   */
  planReconcile?(desired: readonly NatRule[], options?: NatReconcileOptions): Promise<NatReconcileResult>;
  /**
   * Optional: watches the backend's store and calls `listener` when
   * something changed that can make the owned rules drift from what the
   * backend last read or wrote (an owned rule edited or deleted by someone
   * else, a router recreated, an address the backend plans from changed,
   * a reconnection that could not resume). Changes the backend's own writes
   * cause are not reported, so a host that reconciles on every report does
   * not loop. Resolves once the watch runs; rejects (typed) when it cannot
   * start. A host keeping rules right continuously (the daemon's NAT
   * keeper) uses it; a backend without it is reconciled only when asked.
   *
   * @example
   * const watch = await backend.watch?.((change) => scheduleReconcile(change.reason));
   * await watch?.close();
   */
  watch?(listener: (change: NatStoreChange) => void): Promise<NatWatch>;
}

/** What a {@link NatBackend.watch} listener hears. */
export interface NatStoreChange {
  /**
   * What changed: `rules` (an owned rule differs from what the backend last
   * saw), `router` (a router appeared, went or was renamed), `address` (an
   * address a plan was made from changed), `resync` (the watch was
   * re-established without the changes since: anything may have changed),
   * `forward` (a network forward or load balancer that decides what rules
   * may be written, say a VIP on an external address, was added, changed
   * or removed: the rules are screened again, not planned again).
   */
  readonly reason: "rules" | "router" | "address" | "forward" | "resync";
  /** A short human description (`NAT row 1b2c... deleted`). */
  readonly detail?: string;
}

/** A running {@link NatBackend.watch}. */
export interface NatWatch {
  /** Stops watching; harmless twice. */
  close(): Promise<void>;
}

/** Extension point for {@link NatBackend}s. */
export const NatBackendExtension = defineExtensionPoint<NatBackend>("nat-backend");
/** Token under which {@link NatBackend}s are contributed. */
export const NatBackendToken = NatBackendExtension.token;

/** DNS settings of one interface, from the leases in force on it. */
export interface LinkDns {
  /** Interface the leases are for. */
  readonly interface: string;
  /** Families whose leases contributed, `ipv4` before `ipv6`. */
  readonly families: readonly IpFamily[];
  /** Validated name servers of this link, IPv4 leases first, without duplicates or `%zone`. */
  readonly nameservers: readonly string[];
  /** Validated search domains of this link, without duplicates. */
  readonly search: readonly string[];
  /** Domain name (DHCPv4 option 15), when one was given and valid. */
  readonly domain?: string;
}

/** The host's static DNS settings (Incus `oci.dns.*` style); each non-empty field replaces what leases give. */
export interface StaticDns {
  /** Name servers. */
  readonly nameservers: readonly string[];
  /** Search domains. */
  readonly search: readonly string[];
  /** resolv.conf options (`ndots:2`, `edns0`). */
  readonly options: readonly string[];
}

/**
 * The merged DNS configuration of the container, handed to every
 * {@link DnsSink}. The top-level fields are the single resolv.conf view
 * (already validated, ordered, deduplicated and capped); `links` and
 * `static` are the inputs per interface, for sinks that configure DNS per
 * link (a systemd-resolved sink would use `links`, plus `static` as its
 * global settings).
 */
export interface ResolverConfig {
  /** At most 3 name servers, in resolver order; link-local IPv6 ones written `fe80::1%eth0`. */
  readonly nameservers: readonly string[];
  /** Search domains, in order. Empty when only `domain` is known. */
  readonly search: readonly string[];
  /** The local domain, set only when no search domain is known (resolv.conf's `domain`). */
  readonly domain?: string;
  /** resolv.conf options (`ndots:2`), from the static settings. */
  readonly options: readonly string[];
  /** Per-interface DNS from the leases in force, interfaces in name order. */
  readonly links: readonly LinkDns[];
  /** The static settings the merge started from. */
  readonly static: StaticDns;
}

/**
 * Where merged DNS configuration goes: a resolv.conf file, a local
 * resolver's per-link settings. The DNS plugin calls `apply` after every
 * lease event, one call at a time and never concurrently; each call
 * replaces what the previous one applied. A failing sink is logged and
 * does not stop the others.
 */
export interface DnsSink {
  /** Short name for logs (`resolv.conf /etc/resolv.conf`). */
  readonly name: string;
  /** Applies `config`, replacing what was applied before. Must not modify `config`. */
  apply(config: ResolverConfig): Promise<void>;
}

/** Extension point for {@link DnsSink}s. */
export const DnsSinkExtension = defineExtensionPoint<DnsSink>("dns-sink");
/** Token under which {@link DnsSink}s are contributed. */
export const DnsSinkToken = DnsSinkExtension.token;

/** Every extension point of this SDK version, by id. */
export const extensionPoints: Readonly<Record<string, ExtensionPoint<unknown>>> = Object.freeze({
  [NicValidatorExtension.id]: NicValidatorExtension,
  [DhcpRunnerExtension.id]: DhcpRunnerExtension,
  [NatBackendExtension.id]: NatBackendExtension,
  [DnsSinkExtension.id]: DnsSinkExtension,
});
