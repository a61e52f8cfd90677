import { IncusxError, type ErrorCode } from "@incusx/sdk";

/**
 * Stable codes of bundle errors, one per way a bundle can be wrong, so
 * packaging scripts branch on the code and never on message text.
 */
export const BundleErrorCode = {
  /** The directory has no bundle.json, or it cannot be read. */
  NotFound: "BUNDLE_NOT_FOUND",
  /** bundle.json is not valid JSON, does not match schemas/bundle.schema.json, or lacks what `bundle create` writes. */
  Invalid: "BUNDLE_INVALID",
  /** A file's bytes differ from the SHA-256 recorded in bundle.json. */
  FileChanged: "BUNDLE_FILE_CHANGED",
  /** A file listed in bundle.json is missing. */
  FileMissing: "BUNDLE_FILE_MISSING",
  /** A file (or symlink, or special file) is in the bundle but not in bundle.json. */
  ExtraFile: "BUNDLE_EXTRA_FILE",
  /** A plugin package is in the bundle but not listed in bundle.json. */
  ExtraPlugin: "BUNDLE_EXTRA_PLUGIN",
  /** A plugin's recorded digest, id, version or manifest disagrees with its files. */
  PluginMismatch: "BUNDLE_PLUGIN_MISMATCH",
  /** The bundle, or a plugin in it, speaks no plugin API version of this host. */
  ApiVersion: "BUNDLE_API_VERSION",
  /** The bundle's plugins would not load the host's one copy of @incusx/sdk. */
  Sdk: "BUNDLE_SDK",
  /** `bundle create` could not assemble the bundle (package not found, not built, bad dependency). */
  CreateFailed: "BUNDLE_CREATE_FAILED",
} as const;

/** One of the codes in {@link BundleErrorCode}. */
export type BundleErrorCode = (typeof BundleErrorCode)[keyof typeof BundleErrorCode];

/** One thing wrong with a bundle, naming the file it is about. */
export interface BundleProblem {
  /** What kind of problem. */
  readonly code: BundleErrorCode;
  /** Path of the file or directory, relative to the bundle directory (`bundle.json` for the manifest). */
  readonly file: string;
  /** One line for humans, starting with the file. */
  readonly message: string;
}

/**
 * A bundle was refused. `code` is the code of the first problem; `problems`
 * lists every problem found, and the message has one line per problem.
 *
 * @example
 * try { await verifyBundle(dir); } catch (e) { if (e instanceof BundleError) console.error(e.problems); }
 */
export class BundleError extends IncusxError {
  /** Every problem found, in the order of the message lines. */
  readonly problems: readonly BundleProblem[];

  constructor(problems: readonly BundleProblem[], options: { readonly pluginId?: string; readonly cause?: unknown } = {}) {
    // The SDK's ErrorCode lists the host's plugin codes; bundle codes are the
    // host's own and travel in the same `code` field.
    super(problems[0]!.code as unknown as ErrorCode, problems.map((p) => p.message).join("\n"), options);
    this.problems = problems;
  }
}

/** A {@link BundleError} with one problem. */
export function bundleError(code: BundleErrorCode, file: string, message: string, cause?: unknown): BundleError {
  return new BundleError([{ code, file, message }], cause === undefined ? {} : { cause });
}
