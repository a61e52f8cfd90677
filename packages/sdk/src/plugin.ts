import type { ExtensionPoint } from "./extension-points.js";
import type { Injectable } from "./inject.js";
import type { PluginLifecycle } from "./lifecycle.js";
import type { Logger, PluginConfigToken } from "./services.js";
import type { Token } from "./token.js";

/** The plugin API version this copy of the SDK speaks. */
export const API_VERSION = "1";

/** Resolves host services and contributions from the host container. */
export interface Resolver {
  /** The one registration of `token`; throws when there is none. */
  resolve<T>(token: Token<T>): T;
  /** Every registration of `token`, possibly none. */
  resolveAll<T>(token: Token<T>): T[];
}

/** In a {@link DependencyMap}: every registration of a token, as an array. Made by {@link all}. */
export interface AllOf<T> {
  /** The token whose registrations are asked for. */
  readonly allOf: Token<T>;
}

/**
 * Asks a `deps` map for every registration of `token` (multi-injection),
 * possibly none, instead of the one registration.
 *
 * @example
 * registrar.contribute(DnsSinkExtension, {
 *   deps: { validators: all(NicValidatorToken) },
 *   create: ({ validators }) => new Sink(validators),
 * });
 */
export function all<T>(token: Token<T>): AllOf<T> {
  if (typeof token !== "symbol") throw new TypeError("all(): the token must be a token made by defineToken()");
  return Object.freeze({ allOf: token });
}

/** What a contribution created by `create` depends on: a token, or {@link all} of a token. */
export type Dependency = Token<unknown> | AllOf<unknown>;

/** Named dependencies of a decorator-free contribution. */
export type DependencyMap = { readonly [name: string]: Dependency };

/** The values a {@link DependencyMap} resolves to, name by name. */
export type ResolvedDependencies<D extends DependencyMap> = {
  readonly [K in keyof D]: D[K] extends AllOf<infer T> ? T[] : D[K] extends Token<infer T> ? T : never;
};

/**
 * A contribution without decorators, usable from plain JavaScript: the
 * host resolves every entry of `deps` and passes them, by name, to `create`.
 *
 * @example
 * registrar.contribute(NicValidatorExtension, {
 *   deps: { state: NetworkStateToken, config: registrar.configToken },
 *   create: ({ state, config }) => new MtuValidator(state, config),
 * });
 */
export interface DepsContribution<T, D extends DependencyMap = DependencyMap> {
  /** Dependencies by name: tokens, or {@link all} of a token. */
  readonly deps: D;
  /** Builds the contribution from its resolved dependencies. */
  create(deps: ResolvedDependencies<D>): T;
}

/**
 * How a plugin supplies an implementation: a class whose constructor
 * parameters are all `@inject`-decorated, a `deps` map with a `create`
 * function, a ready value, or a factory. The host registers each one as a
 * singleton provider in the plugin's own container and tsyringe builds it,
 * once, when first resolved.
 */
export type Contribution<T> =
  | Injectable<T>
  | DepsContribution<T>
  | { readonly useValue: T }
  | { readonly useFactory: (resolver: Resolver) => T };

/** Handed to `register`: where a plugin declares its contributions. */
export interface PluginRegistrar<Config> {
  /** The plugin's id. */
  readonly pluginId: string;
  /** The plugin's config, already validated against its manifest's schema. */
  readonly config: Config;
  /**
   * Token of the plugin's config, typed: put it in a `deps` map to get the
   * config as `Config` (it is {@link PluginConfigToken}, which a class can
   * `@inject` too).
   */
  readonly configToken: Token<Config>;
  /**
   * Contributes an implementation to an extension point. The point must be
   * listed in the manifest's `provides`.
   */
  contribute<T, D extends DependencyMap>(point: ExtensionPoint<T>, contribution: DepsContribution<T, D>): void;
  contribute<T>(point: ExtensionPoint<T>, contribution: Contribution<T>): void;
  /**
   * Registers a provider under a token only this plugin's contributions see
   * (a private helper, or a seam tests replace). The last registration of a
   * token wins. Extension points take `contribute` instead.
   */
  provide<T, D extends DependencyMap>(token: Token<T>, contribution: DepsContribution<T, D>): void;
  provide<T>(token: Token<T>, contribution: Contribution<T>): void;
}

/** Handed to `start` and `stop`. */
export interface PluginContext<Config> extends Resolver {
  /** The plugin's id. */
  readonly pluginId: string;
  /** The plugin's validated config. */
  readonly config: Config;
  /** Logger carrying the plugin id. */
  readonly logger: Logger;
  /** Aborted when the host stops or gives up waiting on `start`. */
  readonly signal: AbortSignal;
}

/**
 * What a plugin author writes. `State` is what `start` returns and `stop`
 * receives: whatever the plugin must find again to stop (a subscription, a
 * server), so nothing is kept in module-level maps.
 */
export interface PluginDefinition<Config = unknown, State = unknown> {
  /** Must equal the manifest's `id`. */
  readonly id: string;
  /** Declares contributions. Runs before any plugin starts; must not do I/O. */
  register?(registrar: PluginRegistrar<Config>): void;
  /** Starts background work. Must resolve once started, not when done; its result is handed to `stop`. */
  start?(context: PluginContext<Config>): State | Promise<State>;
  /**
   * Stops background work; called in reverse start order, with what `start`
   * returned (`undefined` without a `start`). The plugin's
   * {@link PluginLifecycle} stop hooks run after it.
   */
  stop?(context: PluginContext<Config>, state: State): void | Promise<void>;
}

const PLUGIN_BRAND = Symbol.for("incusx.plugin");

/** The brand {@link definePlugin} puts on a plugin. */
export interface PluginBrand {
  /** API version of the SDK copy that defined the plugin. */
  readonly apiVersion: string;
}

/** A plugin made by {@link definePlugin}. */
export type Plugin<Config = unknown, State = unknown> = PluginDefinition<Config, State> & {
  readonly [PLUGIN_BRAND]: PluginBrand;
};

/**
 * Declares a plugin. Export the result as the module's default export.
 * The result is branded with the SDK's API version, so a host recognises
 * it even when the plugin bundles its own copy of the SDK.
 *
 * @example
 * export default definePlugin<{ maxMtu: number }>({
 *   id: "example.mtu-limit",
 *   register(r) {
 *     r.contribute(NicValidatorExtension, MtuLimitValidator);
 *   },
 * });
 */
export function definePlugin<Config = unknown, State = unknown>(definition: PluginDefinition<Config, State>): Plugin<Config, State> {
  if (typeof definition?.id !== "string" || definition.id === "") {
    throw new TypeError("definePlugin: `id` must be a non-empty string");
  }
  return Object.freeze({ ...definition, [PLUGIN_BRAND]: Object.freeze({ apiVersion: API_VERSION }) });
}

/** The brand of `value` when it is a plugin made by any copy of the SDK, else `undefined`. */
export function pluginBrand(value: unknown): PluginBrand | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const brand = (value as Record<symbol, unknown>)[PLUGIN_BRAND];
  if (typeof brand !== "object" || brand === null) return undefined;
  const apiVersion = (brand as { apiVersion?: unknown }).apiVersion;
  return typeof apiVersion === "string" ? { apiVersion } : undefined;
}

/** Whether `value` is a plugin made by any copy of the SDK. */
export function isPlugin(value: unknown): value is Plugin {
  return pluginBrand(value) !== undefined;
}
