import type { ExtensionPoint } from "./extension-points.js";
import type { Injectable } from "./inject.js";
import type { Logger } from "./services.js";
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

/**
 * How a plugin supplies an implementation: a class whose constructor
 * parameters are all `@inject`-decorated, a ready value, or a factory.
 * Each contribution is created once, when first resolved.
 */
export type Contribution<T> =
  | Injectable<T>
  | { readonly useValue: T }
  | { readonly useFactory: (resolver: Resolver) => T };

/** Handed to `register`: where a plugin declares its contributions. */
export interface PluginRegistrar<Config> {
  /** The plugin's id. */
  readonly pluginId: string;
  /** The plugin's config, already validated against its manifest's schema. */
  readonly config: Config;
  /**
   * Contributes an implementation to an extension point. The point must be
   * listed in the manifest's `provides`.
   */
  contribute<T>(point: ExtensionPoint<T>, contribution: Contribution<T>): void;
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

/** What a plugin author writes. */
export interface PluginDefinition<Config = unknown> {
  /** Must equal the manifest's `id`. */
  readonly id: string;
  /** Declares contributions. Runs before any plugin starts; must not do I/O. */
  register?(registrar: PluginRegistrar<Config>): void;
  /** Starts background work. Must resolve once started, not when done. */
  start?(context: PluginContext<Config>): void | Promise<void>;
  /** Stops background work; called in reverse start order. */
  stop?(context: PluginContext<Config>): void | Promise<void>;
}

const PLUGIN_BRAND = Symbol.for("incusx.plugin");

/** The brand {@link definePlugin} puts on a plugin. */
export interface PluginBrand {
  /** API version of the SDK copy that defined the plugin. */
  readonly apiVersion: string;
}

/** A plugin made by {@link definePlugin}. */
export type Plugin<Config = unknown> = PluginDefinition<Config> & {
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
export function definePlugin<Config = unknown>(definition: PluginDefinition<Config>): Plugin<Config> {
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
