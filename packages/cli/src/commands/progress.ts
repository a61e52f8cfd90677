import type { ParsedArgs } from "../command.js";
import type { CliIo, TextSink } from "../io.js";

/** A status line for a long operation, shown while it runs. */
export interface Progress {
  /** Shows `message` as the current step (replacing the previous one). */
  step(message: string): void;
  /** Clears the status line; call before printing results, also on failure. */
  done(): void;
}

const QUIET: Progress = { step: () => {}, done: () => {} };

/**
 * Progress of a long command (`bundle create`, `nat reconcile`): one status
 * line on stderr, rewritten in place, only when stderr is a terminal and
 * the command was not asked for `--json`; otherwise nothing at all, so
 * pipes, logs and scripts see only results and errors.
 *
 * @example
 * const progress = commandProgress(io, args);
 * progress.step("Copying and hashing files");
 * try { await work(); } finally { progress.done(); }
 */
export function commandProgress(io: CliIo, args: ParsedArgs): Progress {
  return terminalProgress(io, args.values.json === true);
}

/**
 * The status line of {@link commandProgress} for a command that knows its
 * own output mode: nothing when `quiet` (JSON output) or when stderr is not
 * a terminal.
 */
export function terminalProgress(io: CliIo, quiet: boolean): Progress {
  const stderr = io.stderr as TextSink & { readonly isTTY?: boolean };
  if (quiet || stderr.isTTY !== true) return QUIET;
  const start = Date.now();
  let shown = false;
  return {
    step(message) {
      const seconds = ((Date.now() - start) / 1000).toFixed(1);
      stderr.write(`\r\x1b[K${message}... (${seconds} s)`);
      shown = true;
    },
    done() {
      if (shown) stderr.write("\r\x1b[K");
      shown = false;
    },
  };
}
