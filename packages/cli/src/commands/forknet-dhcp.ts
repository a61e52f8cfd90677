import { spawn as spawnProcess } from "node:child_process";
import { constants } from "node:os";
import { enterNetns, enterNetnsUnavailable, isCurrentNetns, nsenterArgs, readLinkInfo } from "@incusx/linux-net";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_FAILURE, writeError } from "../errors.js";
import type { CliIo } from "../io.js";
import type { ForknetDhcpChildDeps, SignalSource } from "./forknet-dhcp-child.js";
import { FORKNET_DHCP, childArgv, forknetDhcpOptions, resolveNetns, selfArgvOf, type ForknetDhcpOptions } from "./forknet-dhcp-options.js";

/** The child process as the relaying parent sees it. */
export interface RelayedChild {
  /** Sends `signal` to the child. */
  kill(signal: NodeJS.Signals): unknown;
  /** `exit` gives the status or the signal that ended the child; `error` a failure to start it. */
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
}

/** How `incusx forknet dhcp` enters the network namespace without a second process. */
export interface NetnsEntry {
  /** Whether this process is in the namespace at `path` already. */
  isCurrent(path: string): boolean;
  /** Why entering in-process is impossible here (no native addon), or `undefined` when it is possible. */
  unavailable(): string | undefined;
  /** Moves this process (its main thread) into the namespace at `path`; throws when it cannot. */
  enter(path: string): void;
}

/** Environment variable that makes `incusx forknet dhcp` use `nsenter` even when it could enter the namespace itself. */
export const NETNS_ENTRY_ENV = "INCUSX_NETNS_ENTRY";

/** What `incusx forknet dhcp` can be given instead of the real thing (tests). */
export interface ForknetDhcpDeps extends ForknetDhcpChildDeps {
  /** Entering the namespace in-process; default setns(2) through `@incusx/linux-net`'s addon. */
  readonly netnsEntry?: NetnsEntry;
  /** The environment ({@link NETNS_ENTRY_ENV}); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reads the interface once in the namespace, before the work starts; default `@incusx/linux-net`'s `readLinkInfo`. */
  readonly readLink?: (iface: string) => Promise<unknown>;
  /** Starts the child with inherited stdio; default `child_process.spawn`. */
  readonly spawn?: (command: string, args: readonly string[]) => RelayedChild;
  /** The `incusx` script the child runs; default this package's `dist/bin.js`. */
  readonly binPath?: string;
  /**
   * Node.js arguments that run this command again (before `forknet dhcp ...`):
   * `["--snapshot-blob", FILE]` from the one-shot snapshot; default `[binPath]`.
   */
  readonly selfArgv?: readonly string[];
  /** The filesystem type of the namespace file (`undefined`: missing; namespaces are on nsfs); default `statfs`. */
  readonly netnsFsType?: (path: string) => number | undefined;
  /** Signals forwarded to the child (and, in the child, heard); default `process`. */
  readonly signals?: SignalSource;
}

const FORWARDED = ["SIGTERM", "SIGINT"] as const;

/**
 * `incusx forknet dhcp` with its dependencies replaced where `deps` says:
 * the command of {@link forknetDhcp}, made injectable for tests.
 */
export function createForknetDhcpCommand(deps: ForknetDhcpDeps = {}): Command {
  return {
    name: FORKNET_DHCP,
    summary: "Configure an interface of a network namespace by DHCP and keep it configured",
    description: [
      "Runs the DHCP runners (DHCPv4 and DHCPv6, side by side) on --interface",
      "inside the network namespace --netns (a name under /run/netns or a path such as",
      "/proc/PID/ns/net), as Incus's forknet dhcp does in a container. Each lease is put",
      "on the interface as soon as it is bound, with its lifetimes, and kept fresh.",
      "",
      "Prints one line per lease event (bound, renewed, rebound, expired, released,",
      "failed), or one JSON object per line with --json. Runs until SIGTERM or SIGINT,",
      "then stops, leaving the addresses to their lifetimes (released with --release).",
      "",
      "With --exit-when-configured it exits 0 once every enabled family that has a",
      "runner is configured, or, at --timeout or a signal, 3 if only some are and 4 if",
      "none is. The DUID is kept in --state-dir (default /var/lib/incusx/forknet/NAME).",
      "",
      "With --daemon SOCKET it runs no runner itself: it hands the NIC to the running",
      "`incusx daemon` (instance NAME of --netns, device --interface), prints the NIC's",
      "lease events and exits as --exit-when-configured does once every family the",
      "daemon serves is configured (3 or 4 at --timeout, default 30 s, or a signal);",
      "the daemon keeps the NIC configured. See docs/forknet-dhcp.md.",
      "",
      "Without --interface it runs on every non-loopback interface of the namespace in this",
      "one process, as Incus's forknet does: the default route of each family goes to the",
      "first interface by name (others keep their other routes), --resolv-conf is one file",
      "merged from every interface's leases, and --interfaces-json FILE (Incus's",
      "interfaces.json) sets per-interface families and gateway none.",
      "",
      "Incus's form, `incusx forknet dhcp INSTANCE_PATH LOG_FILE` with LXC_PID set, runs in",
      "the background on every interface of that process's namespace, as Incus's forknet does.",
      "",
      "Exit status: 0 stopped by SIGTERM/SIGINT (or every family configured, with",
      "--exit-when-configured); 1 the work failed (no runner, the namespace cannot",
      "be entered), with `incusx: error[CODE]: message` on stderr; 2 for a wrong",
      "command line; 3 some and 4 no family configured (--exit-when-configured).",
    ].join("\n"),
    options: {
      netns: { type: "string", valueName: "NAME|PATH", description: "Network namespace: a name under /run/netns or a path (required)" },
      interface: { type: "string", valueName: "IF", description: "Interface inside the namespace; default every non-loopback one (as Incus's form)" },
      "interfaces-json": { type: "string", valueName: "FILE", description: "Without --interface: Incus's interfaces.json (per-interface families, gateway none)" },
      hostname: { type: "string", valueName: "H", description: "Hostname to announce to the servers" },
      "state-dir": { type: "string", valueName: "DIR", description: "Where the DUID is kept; default /var/lib/incusx/forknet/NAME" },
      "resolv-conf": { type: "string", valueName: "FILE", description: "resolv.conf to keep up to date (used once DNS coordination lands)" },
      "no-ipv4": { type: "boolean", description: "Do not run DHCPv4" },
      "no-ipv6": { type: "boolean", description: "Do not run DHCPv6" },
      "exit-when-configured": { type: "boolean", description: "Exit once every enabled family is configured (0), else 3 (some) or 4 (none)" },
      timeout: { type: "string", valueName: "SECONDS", description: "With --exit-when-configured: give up after this long" },
      json: { type: "boolean", description: "Print each lease event as one JSON object per line" },
      release: { type: "boolean", description: "Release the leases when stopped" },
      config: { type: "string", valueName: "FILE", description: "Host config naming the DHCP plugins to run (default: the built-in ones)" },
      daemon: { type: "string", valueName: "SOCKET", description: "Hand the NIC to the incusx daemon on SOCKET instead of running the runners here" },
      "in-netns": { type: "boolean", hidden: true, description: "Internal: this process already runs inside the namespace" },
      "incus-worker-ready-fd": { type: "string", hidden: true, description: "Internal: the background worker of Incus's form" },
    },
    positionals: {
      name: "INSTANCE_PATH LOG_FILE",
      description: "Incus's form (namespace of LXC_PID, dhcp.pid, every NIC): see docs/forknet-dhcp.md",
    },
    run: (args, io) => forknetDhcpMain(args, io, deps),
  };
}

/**
 * `incusx forknet dhcp`: enters the network namespace and does the work in
 * this process: with setns(2) through `@incusx/linux-net`'s native addon
 * (nothing to do when already there), else by re-running itself under
 * `nsenter --net`, relaying SIGTERM and SIGINT to the child and its exit
 * status back.
 */
export const forknetDhcp: Command = createForknetDhcpCommand();

const linuxNetEntry: NetnsEntry = { isCurrent: isCurrentNetns, unavailable: enterNetnsUnavailable, enter: enterNetns };

async function forknetDhcpMain(args: ParsedArgs, io: CliIo, deps: ForknetDhcpDeps): Promise<number> {
  // Incus's form, `forknet dhcp <instance path> <log file>`: its own module, loaded only for it.
  if (args.positionals.length > 0 || args.values["incus-worker-ready-fd"] !== undefined) {
    const { incusForknetMain } = await import("./forknet-incus.js");
    return incusForknetMain(args, io, deps);
  }
  const options = forknetDhcpOptions(args, io.cwd);
  if (options.inNetns) return work(options, io, deps);

  const path = resolveNetns(options.netns, deps.netnsFsType);
  if (options.daemon !== undefined) {
    const { delegateToDaemon } = await import("./forknet-dhcp-daemon.js");
    return delegateToDaemon(options, path, io, deps.signals ?? process);
  }
  // One process instead of two (a whole Node.js start): enter the namespace here when possible.
  const entry = deps.netnsEntry ?? linuxNetEntry;
  const forced = (deps.env ?? process.env)[NETNS_ENTRY_ENV] === "nsenter";
  if (!forced && isCurrent(entry, path)) return work(options, io, deps);
  if (!forced && entry.unavailable() === undefined) {
    try {
      entry.enter(path);
    } catch (error) {
      writeError(io.stderr, (error as { code?: string }).code ?? "NETNS_FAILED", (error as Error).message);
      return EXIT_FAILURE;
    }
    return work(options, io, deps);
  }

  const { command, args: argv } = nsenterArgs(path, [process.execPath, ...selfArgvOf(deps), ...childArgv(options)]);
  const spawn = deps.spawn ?? ((cmd: string, a: readonly string[]) => spawnProcess(cmd, [...a], { stdio: "inherit" }));
  return relay(spawn(command, argv), deps.signals ?? process, io);
}

// A namespace file that cannot be compared is not taken for the current one: setns or nsenter will say what is wrong.
function isCurrent(entry: NetnsEntry, path: string): boolean {
  try {
    return entry.isCurrent(path);
  } catch {
    return false;
  }
}

// Loaded only here: the host and the plugins are what the work needs, and
// the nsenter parent above does not.
async function work(options: ForknetDhcpOptions, io: CliIo, deps: ForknetDhcpDeps): Promise<number> {
  // Read the link first thing: the kernel applies a carrier change it holds
  // back (up to 1 s) when the link is read, so the link turns operationally
  // up, and DAD of its link-local address starts, now rather than later.
  // What the runners need they read themselves; a missing link is theirs to report.
  if (options.interface !== undefined) (deps.readLink ?? readLinkInfo)(options.interface).catch(() => undefined);
  const { runInNetns } = await import("./forknet-dhcp-child.js");
  return runInNetns(options, io, deps);
}

// nsenter execs the command, so the child's pid is node's: signals reach
// the runner directly and its exit status is ours.
function relay(child: RelayedChild, signals: SignalSource, io: CliIo): Promise<number> {
  return new Promise((resolve) => {
    const forwarders = FORWARDED.map((signal) => [signal, () => void child.kill(signal)] as const);
    const done = (status: number): void => {
      for (const [signal, forward] of forwarders) signals.off(signal, forward);
      resolve(status);
    };
    for (const [signal, forward] of forwarders) signals.on(signal, forward);
    child.once("error", (error) => {
      writeError(io.stderr, "SPAWN_FAILED", `Cannot run "nsenter": ${error.message}`);
      done(EXIT_FAILURE);
    });
    child.once("exit", (code, signal) => {
      done(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
    });
  });
}
