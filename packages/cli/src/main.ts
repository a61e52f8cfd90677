import { readFileSync } from "node:fs";
import { commandHelp, parseCommandLine, twoColumns, type Command } from "./command.js";
import { EXIT_OK, UsageError, reportError } from "./errors.js";
import type { CliIo } from "./io.js";

/**
 * One leaf command in the table: the summary the help lists, and how to
 * load the command. Commands are imported only when run (or asked for their
 * help), so a command's dependencies never slow down another.
 */
export interface CommandEntry {
  /** One line for the command lists in help; the same as the loaded command's `summary`. */
  readonly summary: string;
  /** Imports the command's module and returns the command. */
  readonly load: () => Promise<Command>;
}

/** A command group (`incusx plugins`): what it is for, and its commands by name. */
export interface CommandGroup {
  /** One line under the group's usage line in `incusx GROUP --help`. */
  readonly description: string;
  /** Leaf commands by name. */
  readonly commands: Readonly<Record<string, CommandEntry>>;
}

/** Every command of `incusx`, by group and name. Add a group or command here. */
export const COMMANDS: Readonly<Record<string, CommandGroup>> = {
  plugins: {
    description: "Lists and checks plugins.",
    commands: {
      list: {
        summary: "List plugins from their manifests, without running plugin code",
        load: async () => (await import("./commands/plugins-list.js")).pluginsList,
      },
      check: {
        summary: "Start a host with the configured plugins, print its startup report, stop it",
        load: async () => (await import("./commands/plugins-check.js")).pluginsCheck,
      },
    },
  },
  nic: {
    description: "Validates, starts and stops instance NICs from the host state; attaches NICs to the daemon.",
    commands: {
      validate: {
        summary: "Check one NIC's config against the host state (external addresses, unknown keys)",
        load: async () => (await import("./commands/nic-validate.js")).nicValidate,
      },
      start: {
        summary: "Validate a NIC and apply its outbound NAT (snat to its external address)",
        load: async () => (await import("./commands/nic-start.js")).nicStart,
      },
      stop: {
        summary: "Remove the outbound NAT rules a NIC owns (others' rules stay)",
        load: async () => (await import("./commands/nic-stop.js")).nicStop,
      },
      attach: {
        summary: "Have the running daemon configure a NIC of a network namespace by DHCP",
        load: async () => (await import("./commands/nic-daemon.js")).nicAttach,
      },
      detach: {
        summary: "Have the running daemon stop configuring a NIC (--release: release its leases)",
        load: async () => (await import("./commands/nic-daemon.js")).nicDetach,
      },
      list: {
        summary: "List the NICs the running daemon configures, with state and addresses",
        load: async () => (await import("./commands/nic-daemon.js")).nicList,
      },
    },
  },
  nat: {
    description: "Lists and reconciles the outbound NAT rules incusx owns.",
    commands: {
      list: {
        summary: "List the outbound NAT rules incusx owns, optionally of one router or network",
        load: async () => (await import("./commands/nat-list.js")).natList,
      },
      reconcile: {
        summary: "Make the owned NAT rules match the host state (--dry-run: show what would change)",
        load: async () => (await import("./commands/nat-reconcile.js")).natReconcile,
      },
    },
  },
  network: {
    description: "Changes networks in the host state.",
    commands: {
      forward: {
        summary: "Delete a network forward from the host state (refused while a NIC uses it)",
        load: async () => (await import("./commands/network-forward.js")).networkForward,
      },
    },
  },
  state: {
    description: "Shows the host state (networks, forwards, NICs) as the host sees it.",
    commands: {
      dump: {
        summary: "Print the host state from a state file or a live Incus/LXD server, in the state-file format",
        load: async () => (await import("./commands/state-dump.js")).stateDump,
      },
    },
  },
  bundle: {
    description: "Builds and checks plugin bundles, for distribution packagers.",
    commands: {
      create: {
        summary: "Assemble plugins and their dependencies into a verifiable bundle directory",
        load: async () => (await import("./commands/bundle-create.js")).bundleCreate,
      },
      verify: {
        summary: "Check a bundle's files, plugins and API version against its bundle.json",
        load: async () => (await import("./commands/bundle-verify.js")).bundleVerify,
      },
    },
  },
  plugin: {
    description: "Creates plugin packages, for plugin authors.",
    commands: {
      new: {
        summary: "Scaffold a plugin package whose build and contract tests pass at once",
        load: async () => (await import("./commands/plugin-new.js")).pluginNew,
      },
    },
  },
  forknet: {
    description: "Network work inside a container's network namespace.",
    commands: {
      dhcp: {
        summary: "Configure an interface of a network namespace by DHCP and keep it configured",
        load: async () => (await import("./commands/forknet-dhcp.js")).forknetDhcp,
      },
    },
  },
};

/** Commands without subcommands (`incusx daemon`), by name. */
export const TOP_LEVEL_COMMANDS: Readonly<Record<string, CommandEntry>> = {
  daemon: {
    summary: "Serve one network runtime for every container on a local API socket",
    load: async () => (await import("./commands/daemon.js")).daemonCommand,
  },
};

const MAIN_HELP = [
  "Usage: incusx <command> [options]",
  "",
  "Lists and checks incusx plugins; configures container interfaces by DHCP.",
  "",
  "Commands:",
  ...twoColumns([
    ...Object.entries(COMMANDS).flatMap(([group, g]) =>
      Object.entries(g.commands).map(([name, c]) => [`${group} ${name}`, c.summary] as const),
    ),
    ...Object.entries(TOP_LEVEL_COMMANDS).map(([name, c]) => [name, c.summary] as const),
  ]),
  "",
  "Options:",
  ...twoColumns([
    ["-h, --help", "Show this help"],
    ["    --version", "Print the incusx version"],
    ["    --bundle DIR", "Load the plugins of this bundle (commands that start a host)"],
  ]),
  "",
  'Run "incusx <command> --help" for the options of a command.',
].join("\n") + "\n";

function groupHelp(name: string, group: CommandGroup): string {
  return [
    `Usage: incusx ${name} <subcommand> [options]`,
    "",
    group.description,
    "",
    "Subcommands:",
    ...twoColumns(Object.entries(group.commands).map(([sub, c]) => [sub, c.summary])),
    "",
    `Run "incusx ${name} <subcommand> --help" for its options.`,
  ].join("\n") + "\n";
}

/**
 * Runs the `incusx` command line `argv` (without `node` and the script) and
 * resolves to the exit status: 0 on success, 1 when the work failed, 2 for a
 * wrong command line (`forknet dhcp` adds 3 and 4). Never throws; errors are
 * written to `io.stderr`. Documented for embedders in the package README.
 *
 * @example
 * const status = await main(["plugins", "list", "--json"], { stdout, stderr, cwd: process.cwd() });
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { bundle, argv: commandLine } = globalBundle(argv);
    const [first, second, ...rest] = commandLine;
    if (first === "-h" || first === "--help") return help(io, MAIN_HELP);
    if (first === "--version") {
      io.stdout.write(`${version()}\n`);
      return EXIT_OK;
    }
    if (first === undefined) throw new UsageError("Missing command", "incusx");
    if (first.startsWith("-")) throw new UsageError(`Unknown option "${first}"`, "incusx");
    const top = Object.hasOwn(TOP_LEVEL_COMMANDS, first) ? TOP_LEVEL_COMMANDS[first] : undefined;
    if (top) return await runCommand(await top.load(), second === undefined ? rest : [second, ...rest], bundle, io);
    const group = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
    if (!group) throw new UsageError(`Unknown command "${first}"`, "incusx");

    if (second === "-h" || second === "--help") return help(io, groupHelp(first, group));
    if (second === undefined) throw new UsageError(`Missing subcommand of "incusx ${first}"`, `incusx ${first}`);
    const entry = Object.hasOwn(group.commands, second) ? group.commands[second] : undefined;
    if (!entry) {
      const what = second.startsWith("-") ? "option" : "subcommand";
      throw new UsageError(`Unknown ${what} "${second}" of "incusx ${first}"`, `incusx ${first}`);
    }
    return await runCommand(await entry.load(), rest, bundle, io);
  } catch (error) {
    return reportError(io.stderr, error);
  }
}

async function runCommand(command: Command, argv: readonly string[], bundle: string | undefined, io: CliIo): Promise<number> {
  if (bundle !== undefined && command.options.bundle === undefined) {
    throw new UsageError(`"${command.name}" starts no host, so it takes no --bundle`, command.name);
  }
  const args = parseCommandLine(command, bundle === undefined ? argv : [...argv, "--bundle", bundle]);
  if (args === "help") return help(io, commandHelp(command));
  return command.run(args, io);
}

// `incusx --bundle DIR <command>`: passed on as the command's own --bundle.
function globalBundle(argv: readonly string[]): { bundle?: string; argv: readonly string[] } {
  const [first, second] = argv;
  if (first?.startsWith("--bundle=")) return { bundle: first.slice("--bundle=".length), argv: argv.slice(1) };
  if (first !== "--bundle") return { argv };
  if (second === undefined || second.startsWith("-")) throw new UsageError('Option "--bundle" needs a value', "incusx");
  return { bundle: second, argv: argv.slice(2) };
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
