import { ErrorCode, IncusxError } from "@incusx/sdk";

/**
 * Stable codes of bundle errors, one per way a bundle can be wrong, so
 * packaging scripts branch on the code and never on message text.
 */
export const BundleErrorCode = {
  /** The directory has no bundle.json, or it cannot be read. */
  NotFound: ErrorCode.BundleNotFound,
  /** bundle.json is not valid JSON, does not match schemas/bundle.schema.json, or lacks what `bundle create` writes. */
  Invalid: ErrorCode.BundleInvalid,
  /** A file's bytes differ from the SHA-256 recorded in bundle.json. */
  FileChanged: ErrorCode.BundleFileChanged,
  /** A file listed in bundle.json is missing. */
  FileMissing: ErrorCode.BundleFileMissing,
  /** A file (or symlink, or special file) is in the bundle but not in bundle.json. */
  ExtraFile: ErrorCode.BundleExtraFile,
  /** A plugin package is in the bundle but not listed in bundle.json. */
  ExtraPlugin: ErrorCode.BundleExtraPlugin,
  /** A plugin's recorded digest, id, version or manifest disagrees with its files. */
  PluginMismatch: ErrorCode.BundlePluginMismatch,
  /** The bundle, or a plugin in it, speaks no plugin API version of this host. */
  ApiVersion: ErrorCode.BundleApiVersion,
  /** The bundle's plugins would not load the host's one copy of @incusx/sdk. */
  Sdk: ErrorCode.BundleSdk,
  /** `bundle create` could not assemble the bundle (package not found, not built, bad dependency). */
  CreateFailed: ErrorCode.BundleCreateFailed,
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
    super(problems[0]!.code, problems.map((p) => p.message).join("\n"), options);
    this.problems = problems;
  }
}

/** A {@link BundleError} with one problem. */
export function bundleError(code: BundleErrorCode, file: string, message: string, cause?: unknown): BundleError {
  return new BundleError([{ code, file, message }], cause === undefined ? {} : { cause });
}
