import { defineToken } from "./token.js";

/** Work a plugin asks the host to do when it stops, such as closing a connection. */
export type StopHook = () => void | Promise<void>;

/**
 * The lifecycle of the resolving plugin. A contribution injects it to
 * release what it holds when its plugin stops, so the plugin needs no
 * module-level bookkeeping to find it again.
 *
 * The host runs the hooks after the plugin's `stop`, newest first, inside
 * the plugin's stop timeout; a hook that throws is reported like a failed
 * `stop`, and the remaining hooks still run. When the plugin fails to start,
 * the hooks registered so far run too.
 */
export interface PluginLifecycle {
  /** Runs `hook` when the plugin stops. Throws once the plugin has stopped. */
  onStop(hook: StopHook): void;
}

/**
 * Token of the resolving plugin's {@link PluginLifecycle}.
 *
 * @example
 * registrar.contribute(NatBackendExtension, {
 *   deps: { lifecycle: LifecycleToken, state: NetworkStateToken },
 *   create: ({ lifecycle, state }) => {
 *     const backend = new Backend(state);
 *     lifecycle.onStop(() => backend.close());
 *     return backend;
 *   },
 * });
 */
export const LifecycleToken = defineToken<PluginLifecycle>("service.lifecycle");
