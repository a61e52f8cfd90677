// The public API of @incusx/sdk: everything a plugin author imports.

export { defineToken, tokenId } from "./token.js";
export type { Token, TokenType } from "./token.js";

export { inject, injectAll, injectionPlan, describeInjection } from "./inject.js";
export type { Injectable, ParameterInjection } from "./inject.js";

export { API_VERSION, all, definePlugin, isPlugin, pluginBrand } from "./plugin.js";
export type {
  AllOf,
  Contribution,
  Dependency,
  DependencyMap,
  DepsContribution,
  ResolvedDependencies,
  Plugin,
  PluginBrand,
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
  extensionPoints,
} from "./extension-points.js";
export type {
  DhcpRunOptions,
  DhcpRunner,
  DnsSink,
  ExtensionPoint,
  ForwardUse,
  LinkDns,
  NatBackend,
  NatOwner,
  NatPlan,
  NatReconcileResult,
  NatRule,
  NatSkip,
  NicProblem,
  NicValidator,
  ResolverConfig,
  StaticDns,
} from "./extension-points.js";

export {
  ClockToken,
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
export type { IpFamily, Lease, LeaseAddress, LeaseDns, LeaseEvent, LeaseEventKind, LeaseRoute } from "./lease.js";

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
  toIncusxError,
} from "./errors.js";
export type { IncusxErrorOptions, ValidationIssue } from "./errors.js";

// Types generated from schemas/*.schema.json (`pnpm gen:types`).
export type {
  BundleManifest,
  BundlePlugin,
  HostConfig,
  HostDefaults,
  HostPluginEntry,
  HostState,
  HostStateDevice,
  HostStateForward,
  HostStateForwardPort,
  HostStateInstance,
  HostStateLoadBalancer,
  HostStateLoadBalancerBackend,
  HostStateLoadBalancerPort,
  HostStateNetwork,
  PluginManifest,
} from "./generated/index.js";

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
export { checkRules, invalidOption, isUserKey, sortProblems, unknownOption } from "./validate/rules.js";
export type { CheckRulesOptions, Rules } from "./validate/rules.js";
