import {
  Host,
  LeaseEventBus,
  jsonLinesSink,
  readHostConfig,
  type HostOptions,
  type HostServices,
  type LogSink,
  type NatKeeper,
  type NatKeeperReport,
  type NetworkRuntimePerNic,
  type StartupReport,
} from "@incusx/host";
import { IpRoute2LinkConfigurator } from "@incusx/linux-net";
import type { AttachedNic, NetworkRuntime, NicKey, NicSpec } from "@incusx/network-runtime";
import { ErrorCode, IncusxError, NatBackendToken, type HostMetrics, type LeaseEvent, type LeaseEventStream, type LogLevel } from "@incusx/sdk";
import type { HostState } from "@incusx/sdk/host";
import { EventHub } from "./event-hub.js";
import { DaemonMetrics } from "./metrics.js";
import { parseListenAddress } from "./metrics-server.js";

/** Where the daemon keeps state (DUIDs, leases) when its host config names no `stateDir`. */
export const DEFAULT_DAEMON_STATE_DIR = "/var/lib/incusx/daemon";

/** Where the plugins of a {@link Daemon} come from: a host config file, or a bundle directory. */
export interface DaemonSource {
  /** Host config file (schemas/host-config.schema.json); re-read on {@link Daemon.reload}. */
  readonly config?: string;
  /** Bundle directory whose enabled plugins run, when no `config` names them. */
  readonly bundle?: string;
}

/** What a {@link Daemon} is built from. */
export interface DaemonOptions extends DaemonSource {
  /** State directory when the config names none; default {@link DEFAULT_DAEMON_STATE_DIR}. */
  readonly stateDir?: string;
  /** Where the daemon and its plugins log; default JSON lines on stderr. */
  readonly logSink?: LogSink;
  /** Host services in place of the defaults (tests, embedders). */
  readonly services?: Partial<Omit<HostServices, "logSink" | "leaseEvents">>;
  /**
   * How an attached NIC's namespace is opened and its link configured;
   * default the host's (`Host.networkRuntime`): `@incusx/linux-net`'s
   * `openNetns` and an `IpRoute2LinkConfigurator` inside the held namespace.
   */
  readonly perNic?: Pick<NetworkRuntimePerNic, "openNetns" | "linkFor">;
}

/** What `GET /1.0` reports about the running daemon. */
export interface DaemonInfo {
  /** The host config file, when the plugins come from one. */
  readonly config?: string;
  /** The bundle directory, when the plugins come from one. */
  readonly bundle?: string;
  /** How many times a new config was taken (SIGHUP); 0 for the one loaded at start. */
  readonly generation: number;
  /** Families the runners of the current config serve. */
  readonly families: readonly string[];
  /** The plugins of the current config, with their state. */
  readonly plugins: readonly { readonly id: string; readonly version: string; readonly state: string }[];
}

/** What {@link Daemon.reload} did. */
export interface ReloadResult {
  /** Whether the new config was taken. */
  readonly ok: boolean;
  /** Why not, when it was refused. */
  readonly error?: string;
}

// One loaded config: its host, and the runtime serving the NICs attached while it was current.
interface Generation {
  readonly number: number;
  readonly host: Host;
  readonly runtime: NetworkRuntime;
  readonly report: StartupReport;
  /** Continuous NAT reconcile, when the config has a NAT backend; runs only while the generation is current. */
  readonly keeper: NatKeeper | undefined;
  /** The config's `daemon.metricsListen`, checked. */
  readonly metricsListen: string | undefined;
}

/**
 * Code of the `failed` lease event a network runtime publishes for each
 * family of a NIC whose namespace or interface is gone; the daemon turns
 * it into one `nic-gone` lifecycle event.
 */
const NIC_GONE = "NIC_GONE";

const key = (nic: NicKey): string => JSON.stringify([nic.instance, nic.device]);

/**
 * One host process serving one network runtime for every container: loads
 * the plugins of a host config (or bundle), and attaches, detaches and
 * lists NICs of any network namespace. Every lease event and NIC change
 * goes to {@link Daemon.events}. `incusx daemon` serves it over a unix
 * socket ({@link DaemonServer}); an embedding host may use it directly.
 *
 * A reload ({@link Daemon.reload}, SIGHUP) starts a host with the new
 * config next to the running one: NICs attached from then on use the new
 * plugins, NICs attached before keep running on the host they started
 * with until they are detached (that host stops with its last NIC). An
 * invalid config, or one whose plugins fail to start, is refused and
 * changes nothing.
 *
 * @example
 * const daemon = await Daemon.start({ config: "/etc/incusx/host.json" });
 * await daemon.attach({ instance: "c1", device: "eth0", netns: "/run/netns/c1", interface: "eth0" });
 */
export class Daemon {
  /** NIC lease events and attach/detach events, for `GET /1.0/events`. */
  readonly events = new EventHub();
  /** Prometheus metrics of this daemon (`GET /1.0/metrics`): fed every NIC's lease events, read at each scrape. */
  readonly metrics: DaemonMetrics = new DaemonMetrics(this);
  private readonly generations: Generation[] = [];
  // NICs being attached: claimed before the first await, so a second attach of one at once is refused.
  private readonly pending = new Set<string>();
  private readonly logSink: LogSink;
  private readonly natListeners = new Set<(report: NatKeeperReport) => void>();
  // Every generation's plugins report here (an OVSDB client of a retired config's backend still counts); an embedder's sink hears them too.
  private readonly hostMetrics: HostMetrics = {
    record: (event) => {
      this.metrics.observeHostMetric(event);
      this.options.services?.hostMetrics?.record(event);
    },
  };
  private reloading: Promise<ReloadResult> | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(private readonly options: DaemonOptions) {
    this.logSink = options.logSink ?? jsonLinesSink(process.stderr);
  }

  /**
   * Loads the config, starts its plugins and returns the running daemon.
   * Throws `INVALID_CONFIG` for a config that cannot be read or is invalid,
   * and the failing plugin's error when one fails to start.
   */
  static async start(options: DaemonOptions): Promise<Daemon> {
    if (options.config === undefined && options.bundle === undefined) {
      throw new IncusxError(ErrorCode.InvalidConfig, "The daemon needs a host config or a bundle to load its plugins from");
    }
    const daemon = new Daemon(options);
    const first = await daemon.startGeneration(0);
    daemon.generations.push(first);
    first.keeper?.start();
    // The NICs a previous run left attached (a crash, SIGKILL or a graceful stop), re-adopted without removing an address.
    const restored = await first.runtime.restore();
    if (restored.restored.length + restored.dropped.length + restored.failed.length > 0) {
      daemon.log("info", `Re-adopted ${restored.restored.length} NICs from the previous run`, { dropped: restored.dropped.length, failed: restored.failed.length });
    }
    return daemon;
  }

  /**
   * Hears every report of the continuous NAT reconcile (the current
   * config's `NatKeeper`; none when it has no NAT backend): `reconciled`
   * with duration, changes, owned rows and trigger, or `failed` with the
   * typed error and the retry delay. Returns the removal.
   */
  onNatReport(listener: (report: NatKeeperReport) => void): () => void {
    this.natListeners.add(listener);
    return () => this.natListeners.delete(listener);
  }

  /** What `GET /1.0` shows. */
  info(): DaemonInfo {
    const current = this.current;
    return {
      ...(this.options.config === undefined ? {} : { config: this.options.config }),
      ...(this.options.bundle === undefined ? {} : { bundle: this.options.bundle }),
      generation: current.number,
      families: current.runtime.families,
      plugins: current.report.plugins.map((p) => ({ id: p.id, version: p.version, state: p.state })),
    };
  }

  /**
   * The TCP metrics address the current config names (`daemon.metricsListen`,
   * `HOST:PORT`, well-formed), or `undefined`. `serveDaemon` listens there
   * unless its own `metricsListen` (the command line's) is given.
   */
  get metricsListen(): string | undefined {
    return this.generations[this.generations.length - 1]?.metricsListen;
  }

  /**
   * The current config's network state in the state-file format, read now
   * (`GET /1.0/state`); the source's typed error when it cannot be read.
   */
  async state(): Promise<HostState> {
    this.assertRunning();
    return this.current.host.stateDocument();
  }

  /** The startup report of the current config's plugins (each one's start time); empty once stopped. */
  startupReport(): StartupReport {
    return this.generations[this.generations.length - 1]?.report ?? { ok: true, aborted: false, durationMs: 0, plugins: [] };
  }

  /**
   * Starts the runners of one NIC in its namespace. Throws `IN_USE` when
   * the NIC is attached already, `NOT_FOUND` when its namespace does not
   * exist, `INVALID_CONFIG` when it cannot be opened; nothing is attached
   * then.
   */
  async attach(nic: NicSpec): Promise<void> {
    this.assertRunning();
    if (this.pending.has(key(nic)) || this.generationOf(nic) !== undefined) {
      throw new IncusxError(ErrorCode.InUse, `NIC "${nic.device}" of instance "${nic.instance}" is attached already`);
    }
    this.pending.add(key(nic));
    try {
      await this.current.runtime.attach(nic);
    } finally {
      this.pending.delete(key(nic));
    }
  }

  /**
   * Stops the runners of one NIC; `release` releases its leases (default:
   * as the NIC was attached). Throws `NOT_FOUND` when it is not attached.
   */
  async detach(nic: NicKey, options: { readonly release?: boolean } = {}): Promise<void> {
    const generation = this.generationOf(nic);
    if (generation === undefined) {
      throw new IncusxError(ErrorCode.NotFound, `NIC "${nic.device}" of instance "${nic.instance}" is not attached`);
    }
    await generation.runtime.detach(nic, options.release === undefined ? {} : { release: options.release });
    this.lifecycle("nic-detached", nic, options.release === undefined ? {} : { release: options.release });
    await this.retireIdle();
  }

  /**
   * Every attached NIC with each family's state and lease, in attach order
   * per config. A NIC the runtime let go (its namespace or interface is
   * gone) is no longer listed and may be attached again.
   */
  list(): AttachedNic[] {
    return this.generations.flatMap((g) => g.runtime.list());
  }

  /** One attached NIC, or `undefined`. */
  nic(nic: NicKey): AttachedNic | undefined {
    return this.list().find((n) => n.instance === nic.instance && n.device === nic.device);
  }

  /**
   * Re-reads the config and starts its plugins; once they run, NICs
   * attached from then on use them. A config that cannot be read, is
   * invalid or whose plugins fail to start is refused (logged, and
   * `{ ok: false, error }`): the running config stays. Attached NICs keep
   * running either way. Reloads do not overlap: one asked for during
   * another gets the same result.
   */
  reload(): Promise<ReloadResult> {
    this.reloading ??= this.reloadOnce().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /**
   * Graceful shutdown: stops every NIC's runners (a NIC attached with
   * `releaseOnStop` releases its leases; the others keep their addresses
   * for their lifetimes), then every plugin. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private get current(): Generation {
    return this.generations[this.generations.length - 1]!;
  }

  private generationOf(nic: NicKey): Generation | undefined {
    return this.generations.find((g) => g.runtime.list().some((n) => n.instance === nic.instance && n.device === nic.device));
  }

  private assertRunning(): void {
    if (this.stopping !== undefined) throw new IncusxError(ErrorCode.InUse, "The daemon is shutting down");
  }

  private async reloadOnce(): Promise<ReloadResult> {
    if (this.stopping !== undefined) return { ok: false, error: "The daemon is shutting down" };
    const number = this.current.number + 1;
    try {
      const generation = await this.startGeneration(number);
      // One keeper at a time: the new config's backends and state are the ones to keep right.
      await this.current.keeper?.stop();
      this.generations.push(generation);
      generation.keeper?.start();
      this.log("info", "Reloaded the config; NICs attached from now on use it", { generation: number });
      await this.retireIdle();
      return { ok: true };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log("error", `Refused the new config, the running one stays: ${message}`, { generation: this.current.number });
      return { ok: false, error: message };
    }
  }

  private async stopOnce(): Promise<void> {
    for (const generation of [...this.generations].reverse()) {
      await Promise.all(
        generation.runtime.list().map(async (nic) => {
          try {
            // Kept in the attached set, so the next start re-adopts it.
            await generation.runtime.detach(nic, { forget: false });
          } catch (error) {
            this.log("warn", `Could not stop NIC "${nic.device}" of instance "${nic.instance}": ${String(error)}`);
          }
        }),
      );
      await this.stopHost(generation);
    }
    this.generations.splice(0);
  }

  // Hosts of earlier configs with no NIC left have no work; the current one always stays.
  private async retireIdle(): Promise<void> {
    const idle = this.generations.filter((g) => g !== this.current && g.runtime.list().length === 0);
    for (const generation of idle) {
      this.generations.splice(this.generations.indexOf(generation), 1);
      await this.stopHost(generation);
    }
  }

  private async stopHost(generation: Generation): Promise<void> {
    // Not awaited: a reconcile in flight against an unreachable NB would hold the stop for its
    // request time limit; stopping the host closes the NB connection and ends it at once.
    void generation.keeper?.stop();
    const report = await generation.host.stop();
    for (const plugin of report.plugins) {
      if (plugin.error) this.log("warn", `Plugin "${plugin.id}" did not stop cleanly: ${plugin.error.message}`, { code: plugin.error.code });
    }
  }

  private async loadConfig(): Promise<{ readonly base: HostOptions; readonly metricsListen?: string }> {
    const { config, bundle } = this.options;
    if (config === undefined) return { base: { plugins: [], bundle: bundle! } };
    const read = await readHostConfig(config);
    const metricsListen = read.config.daemon?.metricsListen;
    if (metricsListen === undefined) return { base: read.options };
    // Checked with the rest of the config: a malformed address fails the start or refuses the reload before any plugin starts.
    try {
      parseListenAddress(metricsListen);
    } catch (error) {
      throw new IncusxError(ErrorCode.InvalidConfig, `${read.options.configFile ?? config}: "daemon.metricsListen": ${(error as Error).message}`, { cause: error });
    }
    return { base: read.options, metricsListen };
  }

  private async startGeneration(number: number): Promise<Generation> {
    const { base, metricsListen } = await this.loadConfig();
    const bus = new LeaseEventBus();
    const host = new Host({
      ...base,
      stateDir: base.stateDir ?? this.options.stateDir ?? DEFAULT_DAEMON_STATE_DIR,
      services: {
        linkConfigurator: new IpRoute2LinkConfigurator(),
        ...base.services,
        ...this.options.services,
        logSink: this.logSink,
        leaseEvents: bus,
        hostMetrics: this.hostMetrics,
      },
    });
    const report = await host.start();
    if (!report.ok) {
      await host.stop();
      const failed = report.plugins.find((p) => p.error !== undefined);
      throw new IncusxError((failed?.error?.code ?? ErrorCode.PluginFailed) as ErrorCode, failed?.error?.message ?? "A plugin failed to start");
    }
    const runtime = host.networkRuntime({ ...this.options.perNic, eventsFor: (nic) => this.nicEvents(nic, bus) });
    return { number, host, runtime, report, keeper: this.natKeeper(host), metricsListen };
  }

  private natKeeper(host: Host): NatKeeper | undefined {
    if (host.resolveAll(NatBackendToken).length === 0) return undefined;
    const keeper = host.natKeeper();
    keeper.onReport((report) => {
      if (report.kind === "failed") {
        this.log("warn", `NAT reconcile failed, retrying in ${report.retryInMs} ms: ${report.error.message}`, { code: report.error.code });
      } else if (report.changes > 0) {
        this.log("info", `NAT reconcile repaired ${report.changes} rules`, { trigger: report.trigger, durationMs: report.durationMs });
      }
      this.metrics.observeNatReport(report);
      for (const listener of this.natListeners) {
        try {
          listener(report);
        } catch {
          // A listener's failure is its own.
        }
      }
    });
    return keeper;
  }

  // A NIC's lease events reach the host's plugins (DNS) and the API, named by NIC.
  // The runtime asks for them once the NIC is accepted, before its runners
  // start: the moment to say it is attached, ahead of its first lease event.
  private nicEvents(nic: NicSpec, bus: LeaseEventBus): LeaseEventStream {
    this.lifecycle("nic-attached", nic, { interface: nic.interface, ...(nic.netns === undefined ? {} : { netns: nic.netns }) });
    let gone = false;
    return {
      publish: (event: LeaseEvent) => {
        bus.publish(event);
        this.metrics.observeLeaseEvent(event);
        this.events.publish("lease", { instance: nic.instance, device: nic.device, ...event });
        if (event.kind === "failed" && event.error?.code === NIC_GONE && !gone) {
          gone = true;
          this.lifecycle("nic-gone", nic, { reason: event.error.message });
        }
      },
      subscribe: (listener) => bus.subscribe(listener),
    };
  }

  private lifecycle(action: string, nic: NicKey, context: Record<string, unknown>): void {
    const source = `/1.0/nics/${encodeURIComponent(nic.instance)}/${encodeURIComponent(nic.device)}`;
    this.events.publish("lifecycle", { action, source, context: { instance: nic.instance, device: nic.device, ...context } });
  }

  private log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    this.logSink({ time: Date.now(), level, message, fields: { component: "daemon", ...fields } });
  }
}
