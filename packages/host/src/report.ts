import type { ErrorCode } from "@incusx/sdk";
import type { FailurePolicy } from "./options.js";

/** Where a plugin ended up. */
export type PluginState = "started" | "failed" | "skipped" | "stopped";

/** What happened to one plugin. */
export interface PluginReport {
  /** Plugin id, or the source text when the manifest could not be read. */
  readonly id: string;
  /** Package version, or `0.0.0` when unknown. */
  readonly version: string;
  /** Where it came from: package name, path, or `inline`. */
  readonly source: string;
  /** Final state after the phase. */
  readonly state: PluginState;
  /** Milliseconds spent on this plugin in the phase (load, register, start; or stop). */
  readonly durationMs: number;
  /** Failure policy that applied. */
  readonly onFailure: FailurePolicy;
  /** Why it failed or was skipped. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/** The result of `Host.start()`. */
export interface StartupReport {
  /** True when every plugin started. */
  readonly ok: boolean;
  /** True when a plugin with policy `abort` failed and startup was undone. */
  readonly aborted: boolean;
  /** Milliseconds the whole startup took. */
  readonly durationMs: number;
  /** One entry per plugin source, in start order (failed-to-load ones first). */
  readonly plugins: readonly PluginReport[];
}

/** The result of `Host.stop()`. */
export interface StopReport {
  /** True when every plugin stopped cleanly. */
  readonly ok: boolean;
  /** One entry per plugin that had started, in stop order. */
  readonly plugins: readonly PluginReport[];
}
