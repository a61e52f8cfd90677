import type { PluginLifecycle, StopHook } from "@incusx/sdk";

/**
 * One plugin's {@link PluginLifecycle}: the stop hooks its contributions
 * register, run once by the host when the plugin stops (or fails to start).
 */
export class PluginStopHooks implements PluginLifecycle {
  readonly #hooks: StopHook[] = [];
  #ran = false;

  constructor(private readonly pluginId: string) {}

  onStop(hook: StopHook): void {
    if (typeof hook !== "function") throw new TypeError(`Plugin "${this.pluginId}": onStop() takes a function`);
    if (this.#ran) throw new Error(`Plugin "${this.pluginId}" has stopped; onStop() can no longer register hooks`);
    this.#hooks.push(hook);
  }

  /**
   * Runs every hook once, newest first, each after the previous settled.
   * A failing hook does not keep the others from running: every failure is
   * returned, in the order they happened.
   */
  async run(): Promise<unknown[]> {
    this.#ran = true;
    const failures: unknown[] = [];
    while (this.#hooks.length > 0) {
      const hook = this.#hooks.pop()!;
      try {
        await hook();
      } catch (error) {
        failures.push(error);
      }
    }
    return failures;
  }
}
