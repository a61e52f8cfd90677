/**
 * Stable error codes, in the spirit of CNI's error codes: callers and
 * scripts branch on `code`, never on message text. Codes are never reused
 * or renamed once released. The `Bundle*` members are also
 * `@incusx/bundle`'s `BundleErrorCode`, without the prefix.
 */
export const ErrorCode = {
  /** A plugin manifest (the `incusx` field of package.json) is missing or invalid. */
  InvalidManifest: "INVALID_MANIFEST",
  /** Host config, plugin config or NIC config does not match its schema or rules. */
  InvalidConfig: "INVALID_CONFIG",
  /** The plugin speaks no API version this host speaks. */
  IncompatibleVersion: "INCOMPATIBLE_VERSION",
  /** A plugin requires a plugin that is not loaded or failed to start. */
  MissingRequirement: "MISSING_REQUIREMENT",
  /** Plugins require each other in a cycle. */
  RequirementCycle: "REQUIREMENT_CYCLE",
  /** The plugin module could not be found or imported. */
  LoadFailed: "LOAD_FAILED",
  /** The plugin threw or rejected while registering, starting or stopping. */
  PluginFailed: "PLUGIN_FAILED",
  /** The plugin did not finish starting or stopping in time. */
  Timeout: "TIMEOUT",
  /** Two plugins claim the same id. */
  DuplicatePlugin: "DUPLICATE_PLUGIN",
  /** The plugin was not started because an earlier plugin aborted startup. */
  Skipped: "SKIPPED",
  /** An instance, NIC, network, forward or router named in a request does not exist. */
  NotFound: "NOT_FOUND",
  /** The object is still used (a network forward that a NIC has as its external address). */
  InUse: "IN_USE",
  /** A file the host would write is unsafe to write (a symlink, not a regular file, too large, hard-linked for an in-place write); nothing was written. */
  UnsafeTarget: "UNSAFE_TARGET",
  /** A NAT row incusx does not own already translates the NIC's address; it was left alone. */
  NatConflict: "NAT_CONFLICT",
  /** The host's network state source (an Incus-compatible server) cannot be reached, timed out, or answered something that is not its API. */
  StateUnavailable: "STATE_UNAVAILABLE",
  /** Bundle: the directory has no bundle.json, or it cannot be read. */
  BundleNotFound: "BUNDLE_NOT_FOUND",
  /** Bundle: bundle.json is not valid JSON, does not match schemas/bundle.schema.json, or lacks what `bundle create` writes. */
  BundleInvalid: "BUNDLE_INVALID",
  /** Bundle: a file's bytes differ from the SHA-256 recorded in bundle.json. */
  BundleFileChanged: "BUNDLE_FILE_CHANGED",
  /** Bundle: a file listed in bundle.json is missing. */
  BundleFileMissing: "BUNDLE_FILE_MISSING",
  /** Bundle: a file (or symlink, or special file) is in the bundle but not in bundle.json. */
  BundleExtraFile: "BUNDLE_EXTRA_FILE",
  /** Bundle: a plugin package is in the bundle but not listed in bundle.json. */
  BundleExtraPlugin: "BUNDLE_EXTRA_PLUGIN",
  /** Bundle: a plugin's recorded digest, id, version or manifest disagrees with its files. */
  BundlePluginMismatch: "BUNDLE_PLUGIN_MISMATCH",
  /** Bundle: the bundle, or a plugin in it, speaks no plugin API version of this host. */
  BundleApiVersion: "BUNDLE_API_VERSION",
  /** Bundle: the bundle's plugins would not load the host's one copy of @incusx/sdk. */
  BundleSdk: "BUNDLE_SDK",
  /** Bundle: `bundle create` could not assemble the bundle (package not found, not built, bad dependency). */
  BundleCreateFailed: "BUNDLE_CREATE_FAILED",
} as const;

/** One of the stable error codes in {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const ERROR_BRAND = Symbol.for("incusx.error");

/** Options shared by every incusx error. */
export interface IncusxErrorOptions {
  /** The plugin the error is about, when there is one. */
  readonly pluginId?: string;
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * Base class of every error incusx raises on purpose. Carries a stable
 * `code` and, when the error is about a plugin, its `pluginId`.
 *
 * @example
 * if (err instanceof IncusxError && err.code === ErrorCode.Timeout) retry();
 */
export class IncusxError extends Error {
  /** Brand checked by {@link isIncusxError}, shared by every copy of the SDK. */
  readonly [ERROR_BRAND] = true;
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Plugin the error is about, if any. */
  readonly pluginId: string | undefined;

  constructor(code: ErrorCode, message: string, options: IncusxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.pluginId = options.pluginId;
  }

  /** A plain object for logs and JSON output. */
  toJSON(): { code: ErrorCode; message: string; pluginId?: string } {
    return this.pluginId === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, pluginId: this.pluginId };
  }
}

/** A manifest is missing or does not match the plugin manifest schema. */
export class InvalidManifestError extends IncusxError {
  constructor(message: string, options?: IncusxErrorOptions) {
    super(ErrorCode.InvalidManifest, message, options);
  }
}

/** One problem found while validating a document against a schema or rules. */
export interface ValidationIssue {
  /** JSON pointer (`/plugins/0/config/mtu`) or config key (`ipv4.address`). */
  readonly path: string;
  /** What was wrong, for a human. */
  readonly message: string;
}

/** Config (host, plugin or NIC) is invalid. Lists every issue, not just the first. */
export class InvalidConfigError extends IncusxError {
  /** Every problem found. */
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[] = [], options?: IncusxErrorOptions) {
    super(ErrorCode.InvalidConfig, message, options);
    this.issues = issues;
  }
}

/** The plugin speaks no API version the host speaks. */
export class IncompatibleVersionError extends IncusxError {
  /** Versions the plugin speaks. */
  readonly pluginVersions: readonly string[];
  /** Versions the host speaks. */
  readonly hostVersions: readonly string[];

  constructor(pluginId: string, pluginVersions: readonly string[], hostVersions: readonly string[]) {
    super(
      ErrorCode.IncompatibleVersion,
      `Plugin "${pluginId}" speaks API version(s) ${list(pluginVersions)} but this host speaks ${list(hostVersions)}`,
      { pluginId },
    );
    this.pluginVersions = pluginVersions;
    this.hostVersions = hostVersions;
  }
}

/** A plugin requires plugins that are not available. */
export class MissingRequirementError extends IncusxError {
  /** Ids of the missing plugins. */
  readonly missing: readonly string[];

  constructor(pluginId: string, missing: readonly string[], reason = "not loaded") {
    super(
      ErrorCode.MissingRequirement,
      `Plugin "${pluginId}" requires ${list(missing)}, ${reason}`,
      { pluginId },
    );
    this.missing = missing;
  }
}

/** Plugins require each other in a cycle. */
export class RequirementCycleError extends IncusxError {
  /** The cycle, first plugin repeated at the end: `a -> b -> a`. */
  readonly cycle: readonly string[];

  constructor(pluginId: string, cycle: readonly string[]) {
    super(ErrorCode.RequirementCycle, `Plugins require each other in a cycle: ${cycle.join(" -> ")}`, {
      pluginId,
    });
    this.cycle = cycle;
  }
}

/** A plugin threw, rejected, or could not be loaded. */
export class PluginFailedError extends IncusxError {
  constructor(pluginId: string, message: string, cause?: unknown, code: ErrorCode = ErrorCode.PluginFailed) {
    super(code, message, { pluginId, cause });
  }
}

/** A plugin did not finish a phase in time. */
export class TimeoutError extends IncusxError {
  /** The time limit in milliseconds. */
  readonly timeoutMs: number;

  constructor(pluginId: string, phase: string, timeoutMs: number) {
    super(ErrorCode.Timeout, `Plugin "${pluginId}" did not finish ${phase} within ${timeoutMs} ms`, {
      pluginId,
    });
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Whether `error` is an incusx error, also one thrown by another copy of the
 * SDK (where `instanceof` would say no).
 */
export function isIncusxError(error: unknown): error is IncusxError {
  return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[ERROR_BRAND] === true;
}

/** `error` as an {@link IncusxError}; anything else is wrapped as PLUGIN_FAILED. */
export function toIncusxError(error: unknown, pluginId?: string): IncusxError {
  if (isIncusxError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new IncusxError(ErrorCode.PluginFailed, message, { pluginId, cause: error });
}

function list(values: readonly string[]): string {
  return values.length === 0 ? "(none)" : values.map((v) => `"${v}"`).join(", ");
}
