import { readFileSync } from "node:fs";
import { commandHelp, parseCommandLine, twoColumns, type Command } from "./command.js";
import { forknetDhcp } from "./commands/forknet-dhcp.js";
import { pluginsCheck } from "./commands/plugins-check.js";
import { pluginsList } from "./commands/plugins-list.js";
import { EXIT_OK, UsageError, reportError } from "./errors.js";
import type { CliIo } from "./io.js";

const PLUGIN_COMMANDS: Readonly<Record<string, Command>> = { list: pluginsList, check: pluginsCheck };
const FORKNET_COMMANDS: Readonly<Record<string, Command>> = { dhcp: forknetDhcp };

const MAIN_HELP = [
  "Usage: incusx <command> [options]",
  "",
  "Lists and checks incusx plugins; configures container interfaces by DHCP.",
  "",
  "Commands:",
  ...twoColumns([
    ...Object.entries(PLUGIN_COMMANDS).map(([name, c]) => [`plugins ${name}`, c.summary] as const),
    ...Object.entries(FORKNET_COMMANDS).map(([name, c]) => [`forknet ${name}`, c.summary] as const),
  ]),
  "",
  "Options:",
  ...twoColumns([
    ["-h, --help", "Show this help"],
    ["    --version", "Print the incusx version"],
  ]),
  "",
  'Run "incusx <command> --help" for the options of a command.',
].join("\n") + "\n";

const PLUGINS_HELP = [
  "Usage: incusx plugins <subcommand> [options]",
  "",
  "Lists and checks plugins.",
  "",
  "Subcommands:",
  ...twoColumns(Object.entries(PLUGIN_COMMANDS).map(([name, c]) => [name, c.summary])),
  "",
  'Run "incusx plugins <subcommand> --help" for its options.',
].join("\n") + "\n";

const FORKNET_HELP = [
  "Usage: incusx forknet <subcommand> [options]",
  "",
  "Network work inside a container's network namespace.",
  "",
  "Subcommands:",
  ...twoColumns(Object.entries(FORKNET_COMMANDS).map(([name, c]) => [name, c.summary])),
  "",
  'Run "incusx forknet <subcommand> --help" for its options.',
].join("\n") + "\n";

const GROUPS: Readonly<Record<string, { readonly commands: Readonly<Record<string, Command>>; readonly help: string }>> = {
  plugins: { commands: PLUGIN_COMMANDS, help: PLUGINS_HELP },
  forknet: { commands: FORKNET_COMMANDS, help: FORKNET_HELP },
};

/**
 * Runs the `incusx` command line `argv` (without `node` and the script) and
 * resolves to the exit status: 0 on success, 1 when the work failed, 2 for a
 * wrong command line. Never throws; errors are written to `io.stderr`.
 *
 * @example
 * const status = await main(["plugins", "list", "--json"], { stdout, stderr, cwd: process.cwd() });
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [first, second, ...rest] = argv;
    if (first === "-h" || first === "--help") return help(io, MAIN_HELP);
    if (first === "--version") {
      io.stdout.write(`${version()}\n`);
      return EXIT_OK;
    }
    if (first === undefined) throw new UsageError("Missing command", "incusx");
    if (first.startsWith("-")) throw new UsageError(`Unknown option "${first}"`, "incusx");
    const group = Object.hasOwn(GROUPS, first) ? GROUPS[first] : undefined;
    if (!group) throw new UsageError(`Unknown command "${first}"`, "incusx");

    if (second === "-h" || second === "--help") return help(io, group.help);
    if (second === undefined) throw new UsageError(`Missing subcommand of "incusx ${first}"`, `incusx ${first}`);
    const command = Object.hasOwn(group.commands, second) ? group.commands[second] : undefined;
    if (!command) {
      const what = second.startsWith("-") ? "option" : "subcommand";
      throw new UsageError(`Unknown ${what} "${second}" of "incusx ${first}"`, `incusx ${first}`);
    }
    const args = parseCommandLine(command, rest);
    if (args === "help") return help(io, commandHelp(command));
    return await command.run(args, io);
  } catch (error) {
    return reportError(io.stderr, error);
  }
}

function help(io: CliIo, text: string): number {
  io.stdout.write(text);
  return EXIT_OK;
}

// From package.json, so the printed version is the one changesets released.
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
