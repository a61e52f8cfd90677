import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Host,
  LeaseEventBus,
  jsonLinesSink,
  loadHostConfig,
  type HostOptions,
  type HostServices,
  type LogSink,
  type PluginSource,
} from "@incusx/host";
import { IpRoute2LinkConfigurator } from "@incusx/linux-net";
import { LINK_FAILED } from "@incusx/network-runtime";
import { ClockToken, type IpFamily, type LeaseEvent } from "@incusx/sdk";
import { EXIT_FAILURE, EXIT_OK, writeError } from "../errors.js";
import type { CliIo } from "../io.js";
import { defaultStateDir, type ForknetDhcpOptions } from "./forknet-dhcp-options.js";
import { singleDefaultRoute, type IncusInterfaceConfig } from "./forknet-incus-files.js";
import { everyInterface, prepareInterfaces, readInterfacesJsonFile, type EveryInterface, type InterfaceLog, type InterfaceRun } from "./forknet-interfaces.js";
import { terminalProgress } from "./progress.js";

/** Exit status of `--exit-when-configured` when some, not all, enabled families were configured in time. */
export const EXIT_SOME_CONFIGURED = 3;
/** Exit status of `--exit-when-configured` when no family was configured in time. */
export const EXIT_NONE_CONFIGURED = 4;

/**
 * The DHCP plugins `incusx forknet dhcp` runs when no `--config` names
 * others, found from the CLI's own package, by the family each serves.
 * Only those of the enabled families are loaded.
 */
export const BUILT_IN_DHCP_PLUGINS: Readonly<Record<IpFamily, string>> = {
  ipv4: "@incusx/plugin-dhcpv4",
  ipv6: "@incusx/plugin-dhcpv6",
};

/** The DNS coordination plugin `--resolv-conf` loads (without `--config`) and configures. */
export const BUILT_IN_DNS_PLUGIN = { module: "@incusx/plugin-dns", id: "incusx.dns" } as const;

/**
 * This package's directory, where the built-in plugins are found. A
 * function, not a constant: the one-shot snapshot (forknet.snapshot.blob)
 * evaluates this module while it is built, and a path taken then would be
 * the build directory's in every process.
 */
export const cliPackageDir = (): string => dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** Process signals the command listens to; `process` in production, an emitter in tests. */
export interface SignalSource {
  on(signal: "SIGTERM" | "SIGINT", listener: () => void): unknown;
  off(signal: "SIGTERM" | "SIGINT", listener: () => void): unknown;
}

/** What the in-namespace half can be given instead of the real thing (tests). */
export interface ForknetDhcpChildDeps {
  /** Plugins to run without `--config`; default those of {@link BUILT_IN_DHCP_PLUGINS} for the enabled families. */
  readonly plugins?: readonly PluginSource[];
  /** The DNS plugin `--resolv-conf` loads without `--config`; default {@link BUILT_IN_DNS_PLUGIN}'s package. */
  readonly dnsPlugin?: PluginSource;
  /** Host services to use instead of the defaults (link configurator, clock). */
  readonly services?: Partial<HostServices>;
  /** Where SIGTERM/SIGINT come from; default `process`. */
  readonly signals?: SignalSource;
}

/**
 * The half of `incusx forknet dhcp` that runs inside the network
 * namespace: starts a host with the DHCP plugins, runs its network runtime
 * on the interface, prints each lease event, and exits as the options say.
 */
export async function runInNetns(options: ForknetDhcpOptions, io: CliIo, deps: ForknetDhcpChildDeps = {}): Promise<number> {
  const base: HostOptions =
    options.config !== undefined
      ? await loadHostConfig(options.config)
      : {
          baseDir: cliPackageDir(),
          // A disabled family's plugin would only cost start-up time.
          plugins: [
            ...(deps.plugins ?? options.families.map((family) => ({ module: BUILT_IN_DHCP_PLUGINS[family] }))),
            ...(options.resolvConf === undefined ? [] : [deps.dnsPlugin ?? { module: BUILT_IN_DNS_PLUGIN.module }]),
          ],
        };
  // On a terminal (and without --json) a status line says which families are still awaited.
  const progress = terminalProgress(io, options.json);
  let waitingFor: string | undefined;
  const showWaiting = (): void => {
    if (waitingFor !== undefined) progress.step(waitingFor);
  };
  const baseLogSink = deps.services?.logSink ?? jsonLinesSink(io.stderr);
  const logSink: LogSink = (record) => {
    progress.done();
    baseLogSink(record);
    showWaiting();
  };
  const events = deps.services?.leaseEvents ?? new LeaseEventBus();
  // Without --interface: every interface, settled before the host starts (the default-route owners shape its link configurator).
  let every: EveryInterface | undefined;
  if (options.interface === undefined) {
    const flags = options.interfacesJson === undefined ? new Map<string, IncusInterfaceConfig>() : await readInterfacesJsonFile(options.interfacesJson);
    if (flags instanceof Error) {
      writeError(io.stderr, "INVALID_CONFIG", flags.message);
      return EXIT_FAILURE;
    }
    every = await everyInterface(flags);
  }
  const link = deps.services?.linkConfigurator ?? new IpRoute2LinkConfigurator();
  const host = new Host({
    ...base,
    // With --config the config decides which plugins run; --resolv-conf only sets the DNS plugin's target.
    ...(options.resolvConf === undefined
      ? {}
      : { pluginConfig: { ...base.pluginConfig, [BUILT_IN_DNS_PLUGIN.id]: { resolvConf: options.resolvConf } } }),
    stateDir: options.stateDir ?? base.stateDir ?? defaultStateDir(options.netns),
    services: {
      ...base.services,
      ...deps.services,
      linkConfigurator: every === undefined ? link : singleDefaultRoute(link, (family) => every.owners[family]),
      logSink,
      leaseEvents: events,
    },
  });
  const clock = host.resolve(ClockToken);

  const report = await host.start();
  for (const plugin of report.plugins) {
    if (plugin.error) writeError(io.stderr, plugin.error.code, plugin.error.message);
  }
  if (options.resolvConf !== undefined && !report.plugins.some((p) => p.id === BUILT_IN_DNS_PLUGIN.id && p.state === "started")) {
    io.stderr.write(`incusx: note: plugin "${BUILT_IN_DNS_PLUGIN.id}" is not running, so "--resolv-conf" is not written\n`);
  }
  const runtime = host.networkRuntime();
  const active = options.families.filter((f) => runtime.families.includes(f));
  for (const family of options.families) {
    if (!active.includes(family)) {
      io.stderr.write(`incusx: note: no DHCP runner for "${family}" is loaded; ${family} is left alone\n`);
    }
  }
  if (active.length === 0) {
    await host.stop();
    writeError(io.stderr, "NO_RUNNER", `No DHCP runner serves ${options.families.map((f) => `"${f}"`).join(" or ")}`);
    return EXIT_FAILURE;
  }

  const log: InterfaceLog = (level, message, fields = {}) =>
    logSink({ time: clock.now(), level: level === "warning" ? "warn" : level, message, fields: { component: "forknet", ...fields } });
  const runs: readonly InterfaceRun[] = every === undefined ? [{ iface: options.interface!, families: active }] : await prepareInterfaces(every, active, log);
  if (runs.length === 0) {
    await host.stop();
    io.stderr.write("incusx: note: no non-loopback interface to configure by DHCP in the namespace\n");
    return EXIT_OK;
  }
  // What has to be configured: each run's families, by interface.
  const pairs = runs.flatMap((r) => r.families.map((family) => ({ iface: r.iface, family, key: `${r.iface} ${family}` })));

  const stop = new AbortController();
  let status: number | undefined;
  const finish = (code: number): void => {
    if (status !== undefined) return;
    status = code;
    stop.abort(new Error("Stopping"));
  };
  // Configured (interface, family) pairs, by key.
  const configured = new Set<string>();
  const partial = (): number =>
    configured.size === pairs.length ? EXIT_OK : configured.size === 0 ? EXIT_NONE_CONFIGURED : EXIT_SOME_CONFIGURED;

  const updateWaiting = (): void => {
    const pending = runs
      .map((r) => ({ iface: r.iface, families: r.families.filter((f) => !configured.has(`${r.iface} ${f}`)) }))
      .filter((r) => r.families.length > 0);
    waitingFor = pending.length === 0 ? undefined : `Waiting for ${pending.map((r) => `${r.families.join(" and ")} on ${r.iface}`).join(", ")}`;
    progress.done();
    showWaiting();
  };
  const subscription = events.subscribe((event) => {
    progress.done();
    io.stdout.write(options.json ? JSON.stringify(event) + "\n" : formatEvent(event));
    const key = `${event.interface} ${event.family}`;
    if (event.kind === "bound" || event.kind === "renewed" || event.kind === "rebound") configured.add(key);
    else if (event.kind === "expired" || event.kind === "released") configured.delete(key);
    // A lease the link refused in part is not a configured family.
    else if (event.error?.code === LINK_FAILED) configured.delete(key);
    // The runtime publishes a link failure right after the lease event it is about.
    if (options.exitWhenConfigured) queueMicrotask(() => configured.size === pairs.length && finish(EXIT_OK));
    updateWaiting();
  });
  updateWaiting();
  const onSignal = (): void => finish(options.exitWhenConfigured ? partial() : EXIT_OK);
  const signals = deps.signals ?? process;
  signals.on("SIGTERM", onSignal);
  signals.on("SIGINT", onSignal);
  // Why each family has no lease yet, for the --timeout report: the runner's latest word, or its failure.
  const whyNot = new Map<string, { code: string; message: string }>();
  const seenFailures = events.subscribe((event) => {
    if (event.kind === "failed" && event.error !== undefined && event.error.code !== LINK_FAILED) whyNot.set(`${event.interface} ${event.family}`, event.error);
  });
  const onTimeout = (): void => {
    for (const { iface, family, key } of pairs.filter((p) => !configured.has(p.key))) {
      const reason = whyNot.get(key) ?? { code: "NO_LEASE", message: "no lease yet and no failure reported" };
      io.stderr.write(`incusx: ${family} not configured on ${iface}: ${reason.message} [${reason.code}]\n`);
      if (options.json) io.stdout.write(JSON.stringify({ kind: "timeout", family, interface: iface, reason }) + "\n");
    }
    finish(partial());
  };
  const timer = options.timeoutMs === undefined ? undefined : clock.setTimer(options.timeoutMs, onTimeout);

  try {
    await Promise.all(
      runs.map((r) =>
        runtime.run({
          interface: r.iface,
          families: [...r.families],
          ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
          releaseOnStop: options.release,
          signal: stop.signal,
          attemptFailed: (family, failure) => void whyNot.set(`${r.iface} ${family}`, failure),
        }),
      ),
    );
  } finally {
    waitingFor = undefined;
    progress.done();
    timer?.cancel();
    signals.off("SIGTERM", onSignal);
    signals.off("SIGINT", onSignal);
    subscription.dispose();
    seenFailures.dispose();
    const stopped = await host.stop();
    for (const plugin of stopped.plugins) {
      if (plugin.error) writeError(io.stderr, plugin.error.code, plugin.error.message);
    }
  }
  return status ?? EXIT_OK;
}

/**
 * One readable line for a lease event.
 *
 * @example
 * formatEvent(event) // "bound ipv6 eth0 2001:db8:1::1a5/128 preferred 3600s valid 3600s dns 2001:db8:1::53\n"
 */
export function formatEvent(event: LeaseEvent): string {
  const parts: string[] = [event.kind, event.family, event.interface];
  const lease = event.lease;
  if (lease !== undefined) {
    for (const a of lease.addresses) {
      parts.push(`${a.address}/${a.prefixLength} preferred ${a.preferredLifetime}s valid ${a.validLifetime}s`);
    }
    for (const r of lease.routes) parts.push(`route ${r.destination}${r.gateway === undefined ? "" : ` via ${r.gateway}`}`);
    if (lease.dns.servers.length > 0) parts.push(`dns ${lease.dns.servers.join(",")}`);
    if (lease.dns.search.length > 0) parts.push(`search ${lease.dns.search.join(",")}`);
    if (lease.mtu !== undefined) parts.push(`mtu ${lease.mtu}`);
    if (lease.addresses.length === 0 && event.kind !== "failed") parts.push("(no addresses)");
  }
  if (event.error !== undefined) parts.push(`${event.error.code}: ${event.error.message}`);
  return parts.join(" ") + "\n";
}
