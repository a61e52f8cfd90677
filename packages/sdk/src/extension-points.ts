import type { IpFamily, LeaseEvent } from "./lease.js";
import type { NicDevice } from "./services.js";
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
}

/** Extension point for {@link NicValidator}s. */
export const NicValidatorExtension = defineExtensionPoint<NicValidator>("nic-validator");
/** Token under which {@link NicValidator}s are contributed. */
export const NicValidatorToken = NicValidatorExtension.token;

/** What a runner is asked to do. */
export interface DhcpRunOptions {
  /** Interface to run on, inside the current network namespace. */
  readonly interface: string;
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
}

/** What a reconcile changed. */
export interface NatReconcileResult {
  /** Rules created or corrected. */
  readonly ensured: readonly NatRule[];
  /** Owned rules deleted because they were not desired. */
  readonly removed: readonly NatRule[];
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
  /** Every rule this backend owns. */
  list(): Promise<readonly NatRule[]>;
  /** Makes owned rules equal `desired`. */
  reconcile(desired: readonly NatRule[]): Promise<NatReconcileResult>;
}

/** Extension point for {@link NatBackend}s. */
export const NatBackendExtension = defineExtensionPoint<NatBackend>("nat-backend");
/** Token under which {@link NatBackend}s are contributed. */
export const NatBackendToken = NatBackendExtension.token;

/** Every extension point of this SDK version, by id. */
export const extensionPoints: Readonly<Record<string, ExtensionPoint<unknown>>> = Object.freeze({
  [NicValidatorExtension.id]: NicValidatorExtension,
  [DhcpRunnerExtension.id]: DhcpRunnerExtension,
  [NatBackendExtension.id]: NatBackendExtension,
});
