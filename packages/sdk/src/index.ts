// The public API of @incusx/sdk: everything a plugin author imports. What
// only hosts need is in "@incusx/sdk/host", the fakes for tests in
// "@incusx/sdk/testing".

export { defineToken, tokenId } from "./token.js";
export type { Token, TokenType } from "./token.js";

export { inject, injectAll } from "./inject.js";
export type { Injectable } from "./inject.js";

export { API_VERSION, all, definePlugin } from "./plugin.js";
export type {
  AllOf,
  Contribution,
  Dependency,
  DependencyMap,
  DepsContribution,
  ResolvedDependencies,
  Plugin,
  PluginContext,
  PluginDefinition,
  PluginRegistrar,
  Resolver,
} from "./plugin.js";

export { LifecycleToken } from "./lifecycle.js";
export type { PluginLifecycle, StopHook } from "./lifecycle.js";

export {
  DhcpRunnerExtension,
  DhcpRunnerToken,
  DnsSinkExtension,
  DnsSinkToken,
  NatBackendExtension,
  NatBackendToken,
  NicValidatorExtension,
  NicValidatorToken,
} from "./extension-points.js";
export type {
  DhcpAttemptFailure,
  DhcpAttemptFailureCode,
  DhcpRunOptions,
  DhcpRunner,
  DnsSink,
  ExtensionPoint,
  ForwardUse,
  LinkDns,
  NetworkNamespace,
  NatBackend,
  NatListOptions,
  NatStoreChange,
  NatWatch,
  NatOwner,
  NatPlan,
  NatReconcileResult,
  NatReconcileOptions,
  NatRule,
  NatSkip,
  NicProblem,
  NicValidator,
  ResolverConfig,
  StaticDns,
} from "./extension-points.js";

export {
  ClockToken,
  HostIdentityToken,
  HostMetricsToken,
  LeaseEventStreamToken,
  LinkConfiguratorToken,
  LoggerToken,
  NetworkStateToken,
  PluginConfigToken,
  StateStoreToken,
} from "./services.js";
export type {
  Clock,
  Disposable,
  HostIdentity,
  HostMetricEvent,
  HostMetrics,
  JsonValue,
  LeaseEventStream,
  LinkAddress,
  LinkConfigurator,
  LinkRoute,
  LinkSnapshot,
  LogFields,
  LogLevel,
  Logger,
  Network,
  NetworkForward,
  NetworkState,
  NicDevice,
  StateStore,
  Timer,
} from "./services.js";

export { INFINITE_LIFETIME } from "./lease.js";
export type { IpFamily, Lease, LeaseAddress, LeaseDns, LeaseEvent, LeaseEventKind, LeaseEventNic, LeaseRoute, ResolvConfTarget } from "./lease.js";

export {
  ErrorCode,
  IncompatibleVersionError,
  IncusxError,
  InvalidConfigError,
  InvalidManifestError,
  MissingRequirementError,
  PluginFailedError,
  RequirementCycleError,
  TimeoutError,
  isIncusxError,
} from "./errors.js";
export type { IncusxErrorOptions, ValidationIssue } from "./errors.js";

// The manifest type, generated from schemas/plugin-manifest.schema.json (`pnpm gen:types`).
export type { PluginManifest } from "./generated/index.js";

// Incus-style config validation: validators, combinators, rule maps.
export { ValidationError, quote } from "./validate/validation-error.js";
export { and, isListOf, isNotEmpty, optional, or, required } from "./validate/combinators.js";
export type { Validator } from "./validate/combinators.js";
export { isAny, isBool, isInRange, isInt64, isOneOf, isUint32, isUint8 } from "./validate/scalars.js";
export { isInterfaceName, isNetworkMAC, isNetworkMTU, isNetworkVLAN } from "./validate/link.js";
export {
  addressFamily,
  canonicalAddress,
  isNetwork,
  isNetworkAddress,
  isNetworkAddressCIDR,
  isNetworkAddressCIDRV4,
  isNetworkAddressCIDRV6,
  isNetworkAddressV4,
  isNetworkAddressV6,
  isNetworkV4,
  isNetworkV6,
} from "./validate/addresses.js";
export { addressScope, type AddressScope } from "./validate/addresses.js";
export { checkRules, invalidOption, isUserKey, sortProblems, unknownOption } from "./validate/rules.js";
export type { CheckRulesOptions, Rules } from "./validate/rules.js";

// Host plumbing, moved to "@incusx/sdk/host". Still importable from here for
// this release; hidden from the authors' API reference (@internal).
import * as host from "./host/index.js";

/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export const injectionPlan = host.injectionPlan;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export const describeInjection = host.describeInjection;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type ParameterInjection = host.ParameterInjection;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export const pluginBrand = host.pluginBrand;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export const isPlugin = host.isPlugin;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type PluginBrand = host.PluginBrand;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export const extensionPoints = host.extensionPoints;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export const toIncusxError = host.toIncusxError;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type BundleManifest = host.BundleManifest;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type BundlePlugin = host.BundlePlugin;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostConfig = host.HostConfig;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostDefaults = host.HostDefaults;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostPluginEntry = host.HostPluginEntry;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostState = host.HostState;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostStateDevice = host.HostStateDevice;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostStateForward = host.HostStateForward;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostStateForwardPort = host.HostStateForwardPort;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostStateInstance = host.HostStateInstance;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostStateLoadBalancer = host.HostStateLoadBalancer;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostStateLoadBalancerBackend = host.HostStateLoadBalancerBackend;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostStateLoadBalancerPort = host.HostStateLoadBalancerPort;
/** @deprecated Import from "@incusx/sdk/host"; removed in the next minor. @internal */
export type HostStateNetwork = host.HostStateNetwork;
