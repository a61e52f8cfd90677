import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  EmptyNetworkState,
  FileNetworkState,
  Host,
  jsonLinesSink,
  memberNameProblem,
  type HostServices,
  type PluginSource,
} from "@incusx/host";
import type { NicLifecycle } from "@incusx/nic";
import { IncusxError, type ErrorCode, type NatRule, type NetworkState, type NicProblem } from "@incusx/sdk";
import { IncusNetworkState } from "@incusx/state-incus";
import type { Command, OptionSpec, ParsedArgs } from "../command.js";
import { UsageError, writeError } from "../errors.js";
import type { CliIo } from "../io.js";

/** The plugin the NIC, NAT and forward commands run: OVN external addresses. */
export const OVN_PLUGIN = "@incusx/plugin-ovn-external-address";

const CLI_PACKAGE_DIR = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** Options the NIC, NAT and forward commands share, by name. */
export const NIC_OPTIONS = {
  state: { type: "string", valueName: "FILE", description: "Host state file (schemas/host-state.schema.json)" },
  "incus-socket": {
    type: "string",
    valueName: "PATH",
    description: "Read the host state from a live Incus or LXD server's unix socket instead of --state",
  },
  "ovn-nb": {
    type: "string",
    valueName: "CONN",
    description: "OVN northbound database: unix:PATH or tcp:IP:PORT, comma-separated for a cluster",
  },
  member: {
    type: "string",
    valueName: "NAME",
    description: "Cluster member this host is, as the NAT rows it owns record it (default: the host name)",
  },
  instance: { type: "string", valueName: "NAME", description: "Instance of the NIC" },
  device: { type: "string", valueName: "NAME", description: "NIC device name (eth0)" },
  json: { type: "boolean", description: "Print the result as JSON" },
} as const satisfies Record<string, OptionSpec>;

/** The options of the commands that act on one NIC: state, database, instance, device, JSON. */
export const NIC_TARGET_OPTIONS = {
  state: NIC_OPTIONS.state,
  "incus-socket": NIC_OPTIONS["incus-socket"],
  "ovn-nb": NIC_OPTIONS["ovn-nb"],
  member: NIC_OPTIONS.member,
  instance: NIC_OPTIONS.instance,
  device: NIC_OPTIONS.device,
  json: NIC_OPTIONS.json,
} as const satisfies Record<string, OptionSpec>;

/** Exit statuses every NIC, NAT and forward command documents. */
export const EXIT_STATUS_HELP = [
  "Exit status: 0 on success; 1 when the work failed (invalid NIC or state file,",
  "database error), with `incusx: error[CODE]: message` on stderr; 2 for a wrong",
  "command line.",
].join("\n");

/** What tests give instead of the real plugin and services. */
export interface NicHostDeps {
  /** Plugins to run instead of {@link OVN_PLUGIN} with `{ northbound }`. */
  readonly plugins?: readonly PluginSource[];
  /** Host services to use (a fake NAT backend's plugin needs none of the real ones). */
  readonly services?: Partial<HostServices>;
}

/** What a command works with while its host runs. */
export interface NicHostContext {
  /** The started host. */
  readonly host: Host;
  /** Its NIC lifecycle. */
  readonly lifecycle: NicLifecycle;
  /** The state file, when `--state` was given. */
  readonly state: FileNetworkState | undefined;
  /** Where the host reads its state: the file, the server, or nothing. */
  readonly networkState: NetworkState | undefined;
}

/** A NIC command as written: a {@link Command} whose `run` also gets the host's plugins and services. */
export interface NicCommandSpec extends Omit<Command, "run"> {
  /** Runs the command with `deps` (empty outside tests). */
  run(args: ParsedArgs, io: CliIo, deps: NicHostDeps): Promise<number>;
}

/**
 * Makes a command factory: called without arguments it gives the command
 * the CLI runs (the real plugin); tests pass fake plugins.
 *
 * @example
 * export const nicStartCommand = defineNicCommand({ name: "incusx nic start", ..., run: startNic });
 * export const nicStart = nicStartCommand();
 */
export function defineNicCommand(spec: NicCommandSpec): (deps?: NicHostDeps) => Command {
  return (deps = {}) => ({ ...spec, run: (args, io) => spec.run(args, io, deps) });
}

/** Where a command reads the host state: `--state FILE` or `--incus-socket PATH` (never both). */
export interface StateSource {
  /** `--state`: a state file. */
  readonly state?: string;
  /** `--incus-socket`: a live server's unix socket. */
  readonly incusSocket?: string;
}

/**
 * The {@link StateSource} of a command line: `--state` or `--incus-socket`;
 * both is a usage error, and so is neither when `needed`.
 */
export function stateSource(args: ParsedArgs, command: string, needed: boolean): StateSource {
  const state = optional(args, "state");
  const incusSocket = optional(args, "incus-socket");
  if (state !== undefined && incusSocket !== undefined) {
    throw new UsageError(`Options "--state" and "--incus-socket" name two state sources; give one`, command);
  }
  if (needed && state === undefined && incusSocket === undefined) throw new UsageError(`Missing option "--state" (or "--incus-socket")`, command);
  return { ...(state === undefined ? {} : { state }), ...(incusSocket === undefined ? {} : { incusSocket }) };
}

/** How messages name a state source: the file or the socket. */
export function stateSourceName(source: StateSource): string {
  return source.state ?? source.incusSocket ?? "no host state";
}

/** Which NIC a command acts on, where its state is and which database it writes. */
export interface NicTarget {
  readonly source: StateSource;
  readonly northbound: string;
  /** `--member`, when given (else the host name). */
  readonly member: string | undefined;
  readonly instance: string;
  readonly device: string;
}

/** The {@link NicTarget} of a command line with {@link NIC_TARGET_OPTIONS}; a usage error names a missing option. */
export function nicTarget(args: ParsedArgs, command: string): NicTarget {
  return {
    source: stateSource(args, command, true),
    northbound: northboundOption(args, command, true)!,
    member: memberOption(args, command),
    instance: required(args, "instance", command),
    device: required(args, "device", command),
  };
}

/**
 * What `--ovn-nb` takes: OVN connection strings as the plugin's config
 * schema has them (`unix:PATH`, `tcp:HOST:PORT` with a port of 1 to 65535,
 * `tcp:[IPv6]:PORT`, comma-separated), read from the plugin's manifest so
 * the two cannot differ.
 */
export const NORTHBOUND_PATTERN = new RegExp(
  (
    JSON.parse(readFileSync(createRequire(import.meta.url).resolve("@incusx/plugin-ovn-external-address/package.json"), "utf8")) as {
      incusx: { configSchema: { properties: { northbound: { pattern: string } } } };
    }
  ).incusx.configSchema.properties.northbound.pattern,
  "u",
);

/** `--ovn-nb`, checked; `undefined` when not given unless `needed`. */
export function northboundOption(args: ParsedArgs, command: string, needed: boolean): string | undefined {
  const value = needed ? required(args, "ovn-nb", command) : optional(args, "ovn-nb");
  if (value !== undefined && !NORTHBOUND_PATTERN.test(value)) {
    throw new UsageError(`Option "--ovn-nb" takes unix:PATH or tcp:HOST:PORT (comma-separated for a cluster), not "${value}"`, command);
  }
  return value;
}

/** `--member`, checked against the host config's rule for member names; `undefined` when not given. */
export function memberOption(args: ParsedArgs, command: string): string | undefined {
  const value = optional(args, "member");
  const problem = value === undefined ? undefined : memberNameProblem(value);
  if (problem !== undefined) throw new UsageError(`Option "--member": ${problem}`, command);
  return value;
}

/** A required string option's value, or a usage error naming it. */
export function required(args: ParsedArgs, name: string, command: string): string {
  const value = args.values[name];
  if (typeof value !== "string") throw new UsageError(`Missing option "--${name}"`, command);
  return value;
}

/** An optional string option's value. */
export function optional(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * Starts a host running the OVN external-address plugin (configured with
 * `{ northbound }` when given) over the state file, as cluster member
 * `member` (default the host name), runs `work`, and stops
 * the host again. The state file is read once first, so a bad file fails
 * before anything else. Plugin logs of level warn and above go to stderr
 * as JSON lines. A plugin that fails to start fails the command with its
 * error code.
 */
export async function withNicHost<T>(
  options: StateSource & { readonly northbound?: string; readonly member?: string | undefined },
  io: CliIo,
  work: (context: NicHostContext) => Promise<T>,
  deps: NicHostDeps = {},
): Promise<T> {
  const file = options.state === undefined ? undefined : new FileNetworkState(resolve(io.cwd, options.state));
  const server = options.incusSocket === undefined ? undefined : new IncusNetworkState({ socket: resolve(io.cwd, options.incusSocket) });
  try {
    return await withStartedHost(options, io, work, deps, file, server);
  } finally {
    await server?.close();
  }
}

// The host over the state already opened; a server's own member name is the default member.
async function withStartedHost<T>(
  options: { readonly northbound?: string; readonly member?: string | undefined },
  io: CliIo,
  work: (context: NicHostContext) => Promise<T>,
  deps: NicHostDeps,
  file: FileNetworkState | undefined,
  server: IncusNetworkState | undefined,
): Promise<T> {
  const state: NetworkState | undefined = file ?? server;
  await state?.networks();
  const member = options.member ?? (await server?.member());
  const scratch = await mkdtemp(join(tmpdir(), "incusx-nic-"));
  const plugins: readonly PluginSource[] = deps.plugins ?? [
    {
      module: OVN_PLUGIN,
      config: options.northbound === undefined ? {} : { northbound: options.northbound },
      onFailure: "abort",
    },
  ];
  const host = new Host({
    baseDir: CLI_PACKAGE_DIR,
    plugins,
    ...(member === undefined ? {} : { member }),
    stateDir: scratch,
    services: {
      logSink: jsonLinesSink(io.stderr, "warn"),
      ...deps.services,
      networkState: state ?? deps.services?.networkState ?? new EmptyNetworkState(),
    },
  });
  try {
    const report = await host.start();
    const failed = report.plugins.find((p) => p.error !== undefined);
    if (!report.ok) {
      throw new IncusxError((failed?.error?.code ?? "PLUGIN_FAILED") as ErrorCode, failed?.error?.message ?? "A plugin failed to start");
    }
    return await work({ host, lifecycle: host.nicLifecycle(), state: file, networkState: state });
  } finally {
    const stopped = await host.stop();
    for (const plugin of stopped.plugins) {
      if (plugin.error) writeError(io.stderr, plugin.error.code, plugin.error.message);
    }
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `instance/device`, as messages name a NIC. */
export function nicName(owner: { readonly instance: string; readonly device: string }): string {
  return `${owner.instance}/${owner.device}`;
}

/** One line per problem, each as its own `incusx: error[INVALID_CONFIG]: ...` entry. */
export function writeProblems(io: CliIo, problems: readonly NicProblem[]): void {
  for (const problem of problems) writeError(io.stderr, "INVALID_CONFIG", problem.message);
}

/** A rule as one line: `ipv4 10.0.0.5 -> 198.51.100.9 on network "ovn0"`. */
export function ruleText(rule: NatRule): string {
  const ports = rule.externalPortRange === undefined ? "" : ` (ports ${rule.externalPortRange})`;
  return `${rule.family} ${rule.logicalIp} -> ${rule.externalIp}${ports} on network "${rule.network}"`;
}
