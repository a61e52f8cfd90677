import { isIncusxError } from "@incusx/sdk";
import type { TextSink } from "./io.js";

/** Exit status of a successful command. */
export const EXIT_OK = 0;
/** Exit status when the work failed (a plugin failed, a manifest is invalid). */
export const EXIT_FAILURE = 1;
/** Exit status when the command line itself is wrong. */
export const EXIT_USAGE = 2;

/**
 * The command line is wrong: unknown command or option, missing value.
 * Reported with code `USAGE` and exit status 2.
 *
 * @example
 * throw new UsageError(`Unknown option "--colour"`, "incusx plugins list");
 */
export class UsageError extends Error {
  /** Code printed in `error[USAGE]`. */
  readonly code = "USAGE";

  /** `command` is the command whose `--help` the user should read. */
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Writes `error` to `stderr` as `incusx: error[CODE]: message` and returns
 * the exit status for it. Codes are the stable `IncusxError` codes, `USAGE`
 * for a wrong command line and `INTERNAL` for anything unexpected.
 */
export function reportError(stderr: TextSink, error: unknown): number {
  if (error instanceof UsageError) {
    writeError(stderr, error.code, error.message);
    stderr.write(`Run "${error.command} --help" for usage.\n`);
    return EXIT_USAGE;
  }
  if (isIncusxError(error)) {
    writeError(stderr, error.code, error.message);
    return EXIT_FAILURE;
  }
  writeError(stderr, "INTERNAL", error instanceof Error ? error.message : String(error));
  return EXIT_FAILURE;
}

/**
 * Writes one `incusx: error[CODE]: message` entry. Messages listing several
 * problems span lines; the later lines are indented so each entry stays
 * visibly one error.
 */
export function writeError(stderr: TextSink, code: string, message: string): void {
  const [first, ...rest] = message.split("\n");
  stderr.write(`incusx: error[${code}]: ${first}\n`);
  for (const line of rest) stderr.write(`  ${line}\n`);
}
