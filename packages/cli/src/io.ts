/** Something text can be written to: `process.stdout`, or a buffer in tests. */
export interface TextSink {
  write(chunk: string): unknown;
}

/**
 * Where a command reads and writes, so tests run commands in-process.
 *
 * @example
 * await main(["plugins", "list"], { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
 */
export interface CliIo {
  /** Results: tables, or JSON with `--json`. Nothing else goes here. */
  readonly stdout: TextSink;
  /** Errors, usage messages and plugin logs. */
  readonly stderr: TextSink;
  /** Directory relative paths and package lookups start from. */
  readonly cwd: string;
}
