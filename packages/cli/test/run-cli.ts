// Runs the incusx command line in-process and captures what it prints.
import { commandHelp, parseCommandLine, type Command } from "../src/command.js";
import { reportError } from "../src/errors.js";
import { main } from "../src/main.js";

export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(argv: readonly string[], cwd: string): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const status = await main(argv, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    cwd,
  });
  return { status, stdout, stderr };
}

/** Runs one command object (a test's, with fake plugins) as the CLI would, capturing what it prints. */
export async function runCommand(command: Command, argv: readonly string[], cwd: string): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io = { stdout: { write: (c: string) => (stdout += c) }, stderr: { write: (c: string) => (stderr += c) }, cwd };
  let status: number;
  try {
    const args = parseCommandLine(command, argv);
    if (args === "help") io.stdout.write(commandHelp(command));
    status = args === "help" ? 0 : await command.run(args, io);
  } catch (error) {
    status = reportError(io.stderr, error);
  }
  return { status, stdout, stderr };
}
