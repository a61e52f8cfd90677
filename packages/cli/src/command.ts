import { parseArgs } from "node:util";
import { UsageError } from "./errors.js";
import type { CliIo } from "./io.js";

/** One option of a command, as `parseArgs` takes it plus what `--help` shows. */
export interface OptionSpec {
  /** `string` options take a value (`--config FILE`); `boolean` ones do not. */
  readonly type: "string" | "boolean";
  /** One-letter alias (`h` for `-h`). */
  readonly short?: string;
  /** Name of the value in help (`FILE`); only for `string` options. */
  readonly valueName?: string;
  /** One line for `--help`. */
  readonly description: string;
  /** Left out of `--help`: for options a command passes to its own re-executed child. */
  readonly hidden?: boolean;
}

/** Values parsed from a command line: option values by name, and positionals. */
export interface ParsedArgs {
  /** `true` for a boolean option that was given, the text for a string option. */
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  /** Arguments that are not options, in order. */
  readonly positionals: readonly string[];
}

/**
 * A leaf command (`incusx plugins list`): its options, its help and what
 * it does. `-h`/`--help` is added to every command.
 */
export interface Command {
  /** Full name as typed: `incusx plugins list`. */
  readonly name: string;
  /** One line for the command lists in help. */
  readonly summary: string;
  /** What the command does, for its `--help`. */
  readonly description: string;
  /** Options by long name (without `--`). */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Positional arguments, when any are allowed: `{ name: "MODULE...", description }`. */
  readonly positionals?: { readonly name: string; readonly description: string };
  /** Runs the command; resolves to the exit status. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

const HELP: OptionSpec = { type: "boolean", short: "h", description: "Show this help" };

/**
 * Parses `argv` for `command` with `node:util` `parseArgs`. Returns `"help"`
 * when `-h`/`--help` is given anywhere; throws {@link UsageError} for an
 * unknown option, a missing or unexpected value, or positionals the command
 * does not take.
 */
export function parseCommandLine(command: Command, argv: readonly string[]): ParsedArgs | "help" {
  const specs: Record<string, OptionSpec> = { ...command.options, help: HELP };
  // Not strict: parseArgs' own errors are generic, so tokens are checked here
  // to name the offending argument Incus-style.
  const { tokens } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      Object.entries(specs).map(([name, spec]) => [name, spec.short ? { type: spec.type, short: spec.short } : { type: spec.type }]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) return "help";

  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      if (!command.positionals) throw new UsageError(`Unexpected argument "${token.value}"`, command.name);
      positionals.push(token.value);
      continue;
    }
    const spec = specs[token.name];
    if (!spec) throw new UsageError(`Unknown option "${token.rawName}"`, command.name);
    if (spec.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`Option "${token.rawName}" takes no value`, command.name);
      values[token.name] = true;
      continue;
    }
    // `--config --json` would otherwise read "--json" as the file name.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith("-"))) {
      throw new UsageError(`Option "${token.rawName}" needs a value`, command.name);
    }
    if (values[token.name] !== undefined) throw new UsageError(`Option "${token.rawName}" given more than once`, command.name);
    values[token.name] = token.value;
  }
  return { values, positionals };
}

/** The `--help` text of `command`. */
export function commandHelp(command: Command): string {
  const specs: [string, OptionSpec][] = [...Object.entries(command.options).filter(([, spec]) => !spec.hidden), ["help", HELP]];
  const options = specs.map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${spec.valueName ? ` ${spec.valueName}` : ""}`;
    return [flag, spec.description] as const;
  });
  const lines = [
    `Usage: ${command.name} [options]${command.positionals ? ` [${command.positionals.name}]` : ""}`,
    "",
    command.description,
    "",
  ];
  if (command.positionals) {
    lines.push("Arguments:", ...twoColumns([[command.positionals.name, command.positionals.description]]), "");
  }
  lines.push("Options:", ...twoColumns(options));
  return lines.join("\n") + "\n";
}

/** Indented `name  description` lines with the descriptions aligned. */
export function twoColumns(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}
