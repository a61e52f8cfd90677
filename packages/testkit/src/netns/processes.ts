import { realClearTimeout, realSetTimeout } from "../internal/real-time.js";
import { execFile, spawn, type ChildProcess } from "node:child_process";

/** What a command run by the harness did. */
export interface ExecResult {
  /** Everything written to stdout. */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
  /** Exit code; `-1` when killed by a signal (or the time limit). */
  readonly code: number;
}

/** Options of a command run by the harness. */
export interface ExecOptions {
  /** Kill the command after this many milliseconds (default 20 000). */
  readonly timeoutMs?: number;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the command's stdin, which is then closed (an `ip -batch -` script). */
  readonly input?: string;
}

/** Runs `argv` without a shell and reports its output and exit code; never rejects on a non-zero exit. */
export function run(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (command === undefined) return Promise.reject(new TypeError("Command must not be empty"));
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? 20_000,
        env: options.env === undefined ? process.env : { ...process.env, ...options.env },
      },
      (error, stdout, stderr) => {
        if (error === null) return resolve({ stdout, stderr, code: 0 });
        const errno = error as NodeJS.ErrnoException & { code?: unknown };
        if (errno.code === "ENOENT") return reject(new Error(`Command "${command}" not found`, { cause: error }));
        resolve({ stdout, stderr, code: typeof errno.code === "number" ? errno.code : -1 });
      },
    );
    if (options.input !== undefined) {
      // A command that exits without reading all of it is judged by its exit code, not by EPIPE.
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(options.input);
    }
  });
}

/** Runs `argv` and resolves with its stdout; rejects with its stderr when it fails. */
export async function runChecked(argv: readonly string[], options: ExecOptions = {}): Promise<string> {
  const result = await run(argv, options);
  if (result.code !== 0) {
    throw new Error(`Command "${argv.join(" ")}" failed with code ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/**
 * A long-running process started by the harness (a UDP responder, a
 * client under test). The harness kills it on `destroy()`.
 */
export interface TestProcess {
  /** The child process. */
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first stdout line (old or new) matching `test`; rejects when the process exits first or after `timeoutMs`. */
  waitForLine(test: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process has exited (`-1` for a signal). */
  exited(): Promise<number>;
  /** Stops the process (SIGTERM, then SIGKILL after 2 s) and waits for it; harmless twice. */
  kill(): Promise<void>;
}

/** Starts `argv` without a shell as a {@link TestProcess}. */
export function spawnProcess(argv: readonly string[], env?: Readonly<Record<string, string>>): TestProcess {
  const [command, ...args] = argv;
  if (command === undefined) throw new TypeError("Command must not be empty");
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: env === undefined ? process.env : { ...process.env, ...env },
  });
  let stdout = "";
  let stderr = "";
  const lineWaiters = new Set<() => void>();
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...lineWaiters]) waiter();
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<number>((resolve) => {
    child.on("error", () => resolve(-1));
    // "close", not "exit": by then every byte of stdout has been read.
    child.on("close", (code) => resolve(code ?? -1));
  });
  let killing: Promise<void> | undefined;
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: () => exit,
    waitForLine(test, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const done = (outcome: () => void): void => {
          lineWaiters.delete(onData);
          realClearTimeout(timer);
          outcome();
        };
        const check = (complete = false): boolean => {
          const lines = stdout.split("\n");
          const line = lines.find((candidate, index) => (complete || index < lines.length - 1) && test(candidate));
          if (line !== undefined) done(() => resolve(line));
          return line !== undefined;
        };
        const timer = realSetTimeout(
          () => done(() => reject(new Error(`No matching line from "${argv.join(" ")}" within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`))),
          timeoutMs,
        );
        const onData = (): void => void check();
        lineWaiters.add(onData);
        void exit.then((code) => {
          if (!check(true)) {
            done(() => reject(new Error(`Process "${argv.join(" ")}" exited with code ${code}; stdout: ${stdout} stderr: ${stderr}`)));
          }
        });
        check();
      });
    },
    kill() {
      killing ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        child.kill("SIGTERM");
        const timer = realSetTimeout(() => child.kill("SIGKILL"), 2_000);
        await exit;
        realClearTimeout(timer);
      })();
      return killing;
    },
  };
}
