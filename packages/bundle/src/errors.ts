import { ErrorCode, IncusxError } from "@incusx/sdk";

// The SDK's ErrorCode is the one place where a code is declared and
// documented; a bundle code is a member named `Bundle<Name>` there.
const PREFIX = "Bundle";

/** {@link ErrorCode}'s `Bundle*` members, without the prefix. */
type BundleCodes = {
  readonly [K in keyof typeof ErrorCode as K extends `${typeof PREFIX}${infer Name}` ? Name : never]: (typeof ErrorCode)[K];
};

/**
 * Stable codes of bundle errors, one per way a bundle can be wrong, so
 * packaging scripts branch on the code and never on message text. These
 * are the SDK's `ErrorCode.Bundle*` codes without the prefix:
 * `BundleErrorCode.NotFound` is `ErrorCode.BundleNotFound`
 * (`"BUNDLE_NOT_FOUND"`), so a code is declared once, in the SDK.
 *
 * @example
 * if (error instanceof BundleError && error.code === BundleErrorCode.FileChanged) rebuild();
 */
export const BundleErrorCode: BundleCodes = Object.fromEntries(
  Object.entries(ErrorCode).flatMap(([name, code]) => (name.startsWith(PREFIX) ? [[name.slice(PREFIX.length), code]] : [])),
) as BundleCodes;

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
