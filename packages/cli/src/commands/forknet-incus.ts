// `incusx forknet dhcp <instance path> <log file>`: Incus's own invocation
// (lxc.hook.start-host runs `/proc/PID/exe forknet dhcp PATH LOG` with
// LXC_PID set), so incusx can stand in for Incus's forknet. Kept apart from
// the flag-driven command: it shares the host and runtime, not the options.
import { spawn } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Host, LeaseEventBus, jsonLinesSink, type PluginSource } from "@incusx/host";
import { IpRoute2LinkConfigurator, enterNetns, isCurrentNetns } from "@incusx/linux-net";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "../errors.js";
import type { ParsedArgs } from "../command.js";
import type { CliIo } from "../io.js";
import { BUILT_IN_DHCP_PLUGINS, BUILT_IN_DNS_PLUGIN, cliPackageDir, type SignalSource } from "./forknet-dhcp-child.js";
import { FORKNET_DHCP, selfArgvOf } from "./forknet-dhcp-options.js";
import { dnsConfigForSeeded, loadOrCreateDuid, parseSeededResolvConf, readHostnameFile, readInterfacesJson, singleDefaultRoute } from "./forknet-incus-files.js";
import { everyInterface, prepareInterfaces } from "./forknet-interfaces.js";

/** How long the foreground process waits for the first configuration, as Incus's parent does (poll of 5000 ms). */
export const INCUS_READY_WAIT_MS = 5000;

/** Hidden option: this process is the background worker; its value is the readiness file descriptor. */
export const INCUS_WORKER_OPTION = "incus-worker-ready-fd";

/** What the Incus-compatible invocation can be given instead of the real thing (tests). */
export interface IncusForknetDeps {
  /** The environment (`LXC_PID`); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The `incusx` script the worker runs; default this package's `dist/bin.js`. */
  readonly binPath?: string;
  /** Node.js arguments that run this command again (before `forknet dhcp ...`); default `[binPath]`. */
  readonly selfArgv?: readonly string[];
  /** Where the worker hears SIGTERM/SIGINT; default `process`. */
  readonly signals?: SignalSource;
  /** The DHCP plugins the worker runs; default the packages of {@link BUILT_IN_DHCP_PLUGINS} (the one-shot bundle passes its own). */
  readonly plugins?: readonly PluginSource[];
  /** The DNS plugin the worker runs; default {@link BUILT_IN_DNS_PLUGIN}'s package. */
  readonly dnsPlugin?: PluginSource;
}

/**
 * Incus's form of `incusx forknet dhcp`: the foreground half, or the
 * worker when the hidden readiness option is given. Our own flags do not
 * mix with it (a usage error names them).
 */
export async function incusForknetMain(args: ParsedArgs, io: CliIo, deps: IncusForknetDeps = {}): Promise<number> {
  const mixed = Object.keys(args.values).filter((k) => k !== INCUS_WORKER_OPTION && args.values[k] !== undefined);
  if (mixed.length > 0) {
    throw new UsageError(`Option "--${mixed[0]}" does not apply to Incus's form <instance path> <log file>`, FORKNET_DHCP);
  }
  const fd = args.values[INCUS_WORKER_OPTION];
  if (typeof fd === "string") {
    if (!/^\d+$/.test(fd)) throw new UsageError(`Invalid value for "--${INCUS_WORKER_OPTION}": "${fd}"`, FORKNET_DHCP);
    return incusWorker(args.positionals, Number(fd), io, deps);
  }
  return incusForeground(args.positionals, io, deps);
}

/** The two positionals of Incus's invocation, checked. */
export function incusPositionals(positionals: readonly string[], cwd: string): { readonly instancePath: string; readonly logFile: string } {
  if (positionals.length !== 2) {
    throw new UsageError(`Incus's form takes exactly 2 arguments, <instance path> <log file>; got ${positionals.length}`, FORKNET_DHCP);
  }
  return { instancePath: resolve(cwd, positionals[0]!), logFile: resolve(cwd, positionals[1]!) };
}

/**
 * The foreground half, as Incus's C preamble does: needs `LXC_PID`, opens
 * the log file (append), starts the worker in a session of its own with
 * the log as stdout/stderr, waits up to {@link INCUS_READY_WAIT_MS} for it
 * to signal the first configuration, then exits 0 either way.
 */
export async function incusForeground(positionals: readonly string[], io: CliIo, deps: IncusForknetDeps = {}): Promise<number> {
  const { instancePath, logFile } = incusPositionals(positionals, io.cwd);
  const env = deps.env ?? process.env;
  const pid = env.LXC_PID;
  if (pid === undefined || pid === "") {
    io.stderr.write("No LXC_PID in environment\n");
    return EXIT_FAILURE;
  }
  if (!/^[1-9]\d*$/.test(pid)) {
    io.stderr.write(`Invalid LXC_PID "${pid}": not a process id\n`);
    return EXIT_FAILURE;
  }
  let log: number | "ignore" = "ignore";
  try {
    log = openSync(logFile, "a");
  } catch (error) {
    io.stderr.write(`Failed to open logfile ${logFile}: ${(error as Error).message}\nExecution will continue but log output will be lost after daemonize\n`);
  }
  const child = spawn(process.execPath, [...selfArgvOf(deps), "forknet", "dhcp", `--${INCUS_WORKER_OPTION}`, "3", instancePath, logFile], {
    detached: true,
    stdio: ["ignore", log, log, "pipe"],
    env: { ...env },
  });
  if (typeof log === "number") closeSync(log);
  const ready = child.stdio[3] as NodeJS.ReadableStream;
  let signalled = false;
  const failed = await new Promise<number | undefined>((done) => {
    const timer = setTimeout(() => done(undefined), INCUS_READY_WAIT_MS);
    const finish = (status?: number): void => {
      clearTimeout(timer);
      done(status);
    };
    ready.on("data", () => {
      signalled = true;
      finish();
    });
    // A worker that ends before saying it is ready (it could not enter the namespace, write dhcp.pid) is a failure.
    child.once("exit", (code, signal) => finish(signalled || code === 0 ? undefined : (code ?? 128)));
    child.once("error", (error) => {
      io.stderr.write(`Failed to create new process: ${error.message}\n`);
      finish(EXIT_FAILURE);
    });
  });
  (ready as unknown as { destroy(): void }).destroy();
  child.unref();
  if (failed !== undefined) {
    io.stderr.write(`The DHCP worker exited with status ${failed} before its first configuration; see ${logFile}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

/**
 * The background worker: enters the namespace of `LXC_PID`, writes
 * `dhcp.pid`, reads Incus's instance files and runs DHCP on every
 * non-loopback interface in this one process until SIGTERM. Log records go
 * to stderr, which the foreground made the log file.
 */
export async function incusWorker(positionals: readonly string[], readyFd: number, io: CliIo, deps: IncusForknetDeps = {}): Promise<number> {
  const { instancePath } = incusPositionals(positionals, io.cwd);
  const log = (level: string, message: string, fields: Record<string, unknown> = {}): void => {
    io.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields }) + "\n");
  };
  let readySent = false;
  // `configured` false only closes the pipe: the foreground then waits for the exit status.
  const notifyReady = (configured = true): void => {
    if (readySent) return;
    readySent = true;
    try {
      if (configured) writeSync(readyFd, "1");
      closeSync(readyFd);
    } catch {
      // The foreground gave up waiting (5 s) and is gone: nothing to tell.
    }
  };
  try {
    const env = deps.env ?? process.env;
    const path = `/proc/${env.LXC_PID ?? ""}/ns/net`;
    try {
      if (!isCurrentNetns(path)) enterNetns(path);
    } catch (error) {
      log("error", `Failed setns to container network namespace: ${(error as Error).message}`);
      return EXIT_FAILURE;
    }
    return await runWorker(instancePath, io, deps, log, notifyReady);
  } finally {
    notifyReady(false);
  }
}

async function runWorker(
  dir: string,
  io: CliIo,
  deps: IncusForknetDeps,
  log: (level: string, message: string, fields?: Record<string, unknown>) => void,
  notifyReady: (configured?: boolean) => void,
): Promise<number> {
  const hostname = await readHostnameFile(dir);
  if (hostname === undefined) log("error", "Unable to read hostname file");
  const seeded = parseSeededResolvConf(await readFile(join(dir, "resolv.conf"), "utf8").catch(() => ""));
  const { interfaces, problem } = await readInterfacesJson(dir);
  if (problem !== undefined) log("warning", problem);
  try {
    await writeFile(join(dir, "dhcp.pid"), String(process.pid), { mode: 0o644 });
  } catch (error) {
    log("error", `Giving up on DHCP, couldn't write PID file: ${(error as Error).message}`);
    return EXIT_FAILURE;
  }
  const every = await everyInterface(interfaces);
  if (every.names.length === 0) {
    log("info", "No non-loopback interfaces found; nothing to do for DHCP");
    return EXIT_OK;
  }
  const duid = await loadOrCreateDuid(dir, every.mac);

  const events = new LeaseEventBus();
  const host = new Host({
    baseDir: cliPackageDir(),
    plugins: [
      ...(deps.plugins ?? [{ module: BUILT_IN_DHCP_PLUGINS.ipv4 }, { module: BUILT_IN_DHCP_PLUGINS.ipv6 }]),
      deps.dnsPlugin ?? { module: BUILT_IN_DNS_PLUGIN.module },
    ],
    pluginConfig: { [BUILT_IN_DNS_PLUGIN.id]: dnsConfigForSeeded(join(dir, "resolv.conf"), seeded) },
    // Next to Incus's own files: the DHCPv4 lease for INIT-REBOOT survives a restart of the container.
    stateDir: join(dir, "incusx"),
    services: {
      linkConfigurator: singleDefaultRoute(new IpRoute2LinkConfigurator(), (family) => every.owners[family]),
      logSink: jsonLinesSink(io.stderr),
      leaseEvents: events,
    },
  });
  const report = await host.start();
  for (const plugin of report.plugins) if (plugin.error) log("error", plugin.error.message, { code: plugin.error.code, plugin: plugin.id });
  const runtime = host.networkRuntime();
  const runs = await prepareInterfaces(every, runtime.families, log);

  // Ready once every family of every interface has its first lease on the link (the foreground waits 5 s at most).
  const pending = new Set(runs.flatMap((r) => r.families.map((f) => `${r.iface} ${f}`)));
  if (pending.size === 0) notifyReady();
  const subscription = events.subscribe((event) => {
    log(event.kind === "failed" ? "error" : "info", `${event.kind} ${event.family}`, { interface: event.interface, ...(event.error ? { error: event.error } : {}) });
    if (event.kind === "bound" || event.kind === "renewed" || event.kind === "rebound") {
      pending.delete(`${event.interface} ${event.family}`);
      if (pending.size === 0) notifyReady();
    }
  });

  const stop = new AbortController();
  const onSignal = (): void => stop.abort(new Error("Stopping"));
  const signals = deps.signals ?? process;
  signals.on("SIGTERM", onSignal);
  signals.on("SIGINT", onSignal);
  try {
    await Promise.all(
      runs.map((r) =>
        runtime.run({ interface: r.iface, families: r.families, duid, ...(hostname === undefined ? {} : { hostname }), signal: stop.signal }),
      ),
    );
  } finally {
    signals.off("SIGTERM", onSignal);
    signals.off("SIGINT", onSignal);
    subscription.dispose();
    await host.stop();
  }
  return EXIT_OK;
}
