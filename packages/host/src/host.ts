import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import type { DependencyContainer } from "tsyringe";
import { bundlePluginSources, readBundle, verifyBundle, type BundledPluginSource, type LoadedBundle } from "@incusx/bundle";
import { IpRoute2LinkConfigurator, netnsPath, openNetns, setIpv6Sysctls, watchNicPresence } from "@incusx/linux-net";
import { NetworkRuntime, type NetworkRuntimeOptions, type NicWatcher } from "@incusx/network-runtime";
import {
  API_VERSION,
  ClockToken,
  DhcpRunnerToken,
  HostIdentityToken,
  HostMetricsToken,
  ErrorCode,
  IncusxError,
  InvalidManifestError,
  LeaseEventStreamToken,
  LifecycleToken,
  LinkConfiguratorToken,
  LoggerToken,
  MissingRequirementError,
  NatBackendToken,
  NetworkStateToken,
  NicValidatorToken,
  PluginConfigToken,
  PluginFailedError,
  RequirementCycleError,
  StateStoreToken,
  TimeoutError,
  isIncusxError,
  tokenId,
  type Contribution,
  type ExtensionPoint,
  type HostMetrics,
  type Logger,
  type NetworkState,
  type NicDevice,
  type NicProblem,
  type PluginContext,
  type StateStore,
  type Token,
} from "@incusx/sdk";
import { NicLifecycle, NicValidationService } from "@incusx/nic";
import { IncusNetworkState } from "@incusx/state-incus";
import { extensionPoints, toIncusxError, type HostState } from "@incusx/sdk/host";
import { createHostContainer, registerContribution, registerValue, resolverOf } from "./container.js";
import { PluginStopHooks } from "./lifecycle.js";
import { NatKeeper, type NatKeeperOptions } from "./nat-keeper.js";
import { hostIdentity, memberNameProblem } from "./member.js";
import type { FailurePolicy, HostOptions, HostServices, HostStateSourceOptions, PluginPolicy, PluginSource } from "./options.js";
import { orderByRequirements } from "./order.js";
import { loadPlugin, type LoadedPlugin } from "./loader.js";
import type { PluginReport, StartupReport, StopReport } from "./report.js";
import { EmptyNetworkState } from "./services/empty-network-state.js";
import { FileNetworkState, NETWORK_STATE_FILE } from "./services/file-network-state.js";
import { FileStateStore } from "./services/file-state-store.js";
import { hostStateDocument } from "./services/state-document.js";
import { LeaseEventBus } from "./services/lease-event-bus.js";
import { createLogger, jsonLinesSink } from "./services/logger.js";
import { SystemClock } from "./services/system-clock.js";
import { UnavailableLinkConfigurator } from "./services/unavailable-link-configurator.js";

/** A bundled plugin as the host schedules it: bundle.json sets no timeouts, so the host's defaults apply. */
type BundledSource = BundledPluginSource & PluginPolicy;

const DEFAULT_TIMEOUT_MS = 10_000;

// The runtime's NIC watch: the interface by netlink in its namespace, the namespace by its path.
const watchNicInNetns: NicWatcher = (nic, netns, onGone) => watchNicPresence({ iface: nic.interface, netns }, onGone);
/** What {@link Host.networkRuntime} takes per attached NIC on top of the host's services. */
export type NetworkRuntimePerNic = Pick<NetworkRuntimeOptions, "linkFor" | "eventsFor" | "openNetns" | "watchNic" | "onNicGone">;
/** State store name of the network runtime (not a plugin id a plugin can take: plugin ids have no "/"). */
const RUNTIME_STATE_ID = "incusx.network-runtime";

/** Per-plugin bookkeeping while the host runs. */
interface Slot {
  readonly source: string;
  readonly onFailure: FailurePolicy;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  id: string;
  version: string;
  loaded?: LoadedPlugin;
  context?: PluginContext<unknown>;
  /** What the plugin's `start` returned, handed to its `stop`. */
  state?: unknown;
  hooks?: PluginStopHooks;
  abort?: AbortController;
  report?: PluginReport;
  elapsedMs: number;
}

/**
 * Loads plugins, wires their contributions into one tsyringe container and
 * runs them. One plugin's failure never takes the host down: its failure
 * policy decides whether startup continues or is undone, and `start()`
 * reports what happened to each plugin.
 *
 * @example
 * const host = new Host({ plugins: [{ module: "@incusx/plugin-dns" }], stateDir: "/var/lib/incusx" });
 * const report = await host.start();
 * if (!report.ok) console.error(report.plugins.filter((p) => p.state !== "started"));
 * await host.stop();
 */
export class Host {
  private readonly container: DependencyContainer;
  private readonly services: HostServices;
  private readonly logger: Logger;
  private readonly apiVersions: readonly string[];
  private readonly baseDir: string;
  private readonly slots: Slot[];
  private readonly sources: readonly (PluginSource | BundledSource)[];
  private readonly bundle: LoadedBundle | undefined;
  private readonly started: Slot[] = [];
  private phase: "new" | "starting" | "started" | "stopping" | "stopped" = "new";
  /** The member name plugins see; a live server's own name replaces the host name at start. */
  private member: string;

  constructor(private readonly options: HostOptions) {
    this.services = defaultServices(options);
    this.member = hostIdentity(options.member).member;
    this.apiVersions = options.apiVersions ?? [API_VERSION];
    this.baseDir = resolve(options.baseDir ?? process.cwd());
    this.logger = createLogger(this.services.logSink, this.services.clock);
    this.container = createHostContainer();
    registerValue(this.container, ClockToken, this.services.clock);
    registerValue(this.container, NetworkStateToken, this.services.networkState);
    registerValue(this.container, LinkConfiguratorToken, this.services.linkConfigurator);
    registerValue(this.container, LeaseEventStreamToken, this.services.leaseEvents);
    registerValue(this.container, LoggerToken, this.logger);
    const host = this;
    registerValue(this.container, HostIdentityToken, Object.freeze({
      get member() {
        return host.member;
      },
    }));
    registerValue(this.container, HostMetricsToken, this.services.hostMetrics);
    const defaults = options.defaults ?? {};
    this.bundle = options.bundle === undefined ? undefined : readBundle(options.bundle, this.baseDir);
    this.sources = [...options.plugins, ...(this.bundle === undefined ? [] : bundlePluginSources(this.bundle))];
    this.slots = this.sources.map((source) => ({
      source: describeSource(source),
      onFailure: source.onFailure ?? defaults.onFailure ?? "continue",
      startTimeoutMs: source.startTimeoutMs ?? defaults.startTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      stopTimeoutMs: source.stopTimeoutMs ?? defaults.stopTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      id: describeSource(source),
      version: "0.0.0",
      elapsedMs: 0,
    }));
  }

  /**
   * Loads, checks, orders, registers and starts every plugin. Never throws
   * for a plugin's fault; the report says what happened to each one. With
   * a bundle, first verifies its files and throws a `BundleError` before
   * any plugin loads when they differ from its manifest.
   */
  async start(): Promise<StartupReport> {
    if (this.phase !== "new") throw new Error(`Host.start() called twice (host is ${this.phase})`);
    if (this.bundle !== undefined && this.options.verifyBundle !== false) {
      verifyBundle(this.bundle, { apiVersions: this.apiVersions });
    }
    this.phase = "starting";
    const begin = performance.now();
    await this.startOwnState();
    let aborted = false;
    const fail = (slot: Slot, error: unknown): void => {
      const e = toIncusxError(error, slot.id);
      slot.report = this.slotReport(slot, "failed", e);
      this.logger.error(`Plugin "${slot.id}" failed: ${e.message}`, { pluginId: slot.id, code: e.code });
      if (slot.onFailure === "abort") aborted = true;
    };

    await Promise.all(
      this.slots.map(async (slot, i) => {
        const t = performance.now();
        try {
          slot.loaded = await loadPlugin(this.sources[i]!, slot, {
            baseDir: this.baseDir,
            apiVersions: this.apiVersions,
            configFile: this.options.configFile ?? "host options",
            ...(this.options.pluginConfig === undefined ? {} : { pluginConfig: this.options.pluginConfig }),
          });
        } catch (error) {
          fail(slot, error);
        }
        slot.elapsedMs += performance.now() - t;
      }),
    );

    const seen = new Map<string, Slot>();
    for (const slot of this.slots) {
      if (!slot.loaded || slot.report) continue;
      const other = seen.get(slot.id);
      if (other) {
        fail(slot, new IncusxError(ErrorCode.DuplicatePlugin, `Plugin id "${slot.id}" is provided by both "${other.source}" and "${slot.source}"`, { pluginId: slot.id }));
      } else seen.set(slot.id, slot);
    }

    const candidates = this.slots.filter((s) => s.loaded && !s.report);
    const { order, missing, cycles } = orderByRequirements(
      candidates.map((s) => ({ id: s.id, requires: s.loaded!.manifest.requires ?? [] })),
    );
    for (const slot of candidates) {
      const cycle = cycles.get(slot.id);
      if (cycle) fail(slot, new RequirementCycleError(slot.id, cycle));
    }

    for (const id of order) {
      const slot = seen.get(id)!;
      if (aborted) break;
      const absent = missing.get(id);
      if (absent) {
        fail(slot, new MissingRequirementError(id, absent));
        continue;
      }
      const unmet = (slot.loaded!.manifest.requires ?? []).filter((r) => seen.get(r)?.report?.state !== "started");
      if (unmet.length > 0) {
        fail(slot, new MissingRequirementError(id, unmet, "which did not start"));
        continue;
      }
      const t = performance.now();
      try {
        await this.startOne(slot);
        slot.elapsedMs += performance.now() - t;
        slot.report = this.slotReport(slot, "started");
        this.started.push(slot);
      } catch (error) {
        slot.elapsedMs += performance.now() - t;
        fail(slot, error);
      }
    }

    if (aborted) {
      const undone = new Set(this.started);
      await this.stopStarted();
      for (const slot of this.slots) {
        if (slot.report?.state === "failed") continue;
        const skipped = new IncusxError(
          ErrorCode.Skipped,
          `Startup was aborted because a plugin with policy "abort" failed`,
          { pluginId: slot.id },
        );
        slot.report = this.slotReport(slot, undone.has(slot) ? "stopped" : "skipped", skipped);
      }
      this.phase = "stopped";
    } else {
      this.phase = "started";
    }

    const position = new Map(order.map((id, i) => [seen.get(id)!, i]));
    const reports = [...this.slots]
      .sort((a, b) => (position.get(a) ?? -1) - (position.get(b) ?? -1))
      .map((s) => s.report!);
    return {
      ok: reports.every((r) => r.state === "started"),
      aborted,
      durationMs: round(performance.now() - begin),
      plugins: reports,
    };
  }

  /** Stops every started plugin in reverse start order. */
  async stop(): Promise<StopReport> {
    if (this.phase === "stopped" || this.phase === "new") return { ok: true, plugins: [] };
    this.phase = "stopping";
    const reports = await this.stopStarted();
    if (this.ownsIncusState()) await (this.services.networkState as IncusNetworkState).close();
    this.phase = "stopped";
    return { ok: reports.every((r) => r.state === "stopped"), plugins: reports };
  }

  // A live server's state the host made from its options: its event stream
  // is started (so the state stays current whoever reads it), and, without
  // a configured member name, the server's own cluster member name is the
  // host's. A server that cannot be reached now is logged; the state keeps
  // reconnecting in the background, and reads try it on demand meanwhile.
  private async startOwnState(): Promise<void> {
    if (!this.ownsIncusState()) return;
    const state = this.services.networkState as IncusNetworkState;
    try {
      await state.start();
      const member = this.options.member === undefined ? await state.member() : undefined;
      if (member !== undefined) {
        const problem = memberNameProblem(member);
        if (problem === undefined) this.member = member;
        else this.logger.warn(`Server member name not used: ${problem}`, { code: ErrorCode.InvalidConfig });
      }
    } catch (error) {
      const e = toIncusxError(error, "host");
      this.logger.error(`Network state from ${state.endpoint}: ${e.message}`, { code: e.code });
    }
  }

  private ownsIncusState(): boolean {
    return this.options.services?.networkState === undefined && this.services.networkState instanceof IncusNetworkState;
  }

  /** The one registration of `token` in the host container. */
  resolve<T>(token: Token<T>): T {
    return this.container.resolve<T>(token);
  }

  /** Every registration of `token` (multi-injection), possibly none. */
  resolveAll<T>(token: Token<T>): T[] {
    return resolverOf(this.container).resolveAll(token);
  }

  /**
   * Validates one NIC: the common NIC keys, then every NIC validator
   * owning keys of its type. Returns every problem; unknown keys included.
   */
  async validateNic(nic: NicDevice): Promise<NicProblem[]> {
    return new NicValidationService(this.resolveAll(NicValidatorToken)).validate(nic);
  }

  /**
   * The host's network state in the state-file format
   * ({@link hostStateDocument}), as it is now: the daemon's `GET /1.0/state`.
   */
  async stateDocument(): Promise<HostState> {
    return hostStateDocument(this.services.networkState);
  }

  /**
   * The {@link NicLifecycle} over the host's network state and the NIC
   * validators and NAT backends the started plugins contributed: start,
   * stop, list and reconcile NICs' outbound NAT. Call after `start()`.
   */
  nicLifecycle(): NicLifecycle {
    return new NicLifecycle({
      state: this.services.networkState,
      validators: this.resolveAll(NicValidatorToken),
      backends: this.resolveAll(NatBackendToken),
      member: this.resolve(HostIdentityToken).member,
    });
  }

  /**
   * A {@link NatKeeper} over {@link nicLifecycle} and the started plugins'
   * NAT backends: continuous reconcile, on the host's clock, hearing the
   * host state change when the network state can say so (`watch`: a
   * {@link FileNetworkState}'s file, a live server's events); its reports name the host's member. Not started: call `start()`, and `stop()`
   * before stopping the host. Call after `start()`.
   */
  natKeeper(options: Pick<NatKeeperOptions, "member" | "debounceMs" | "initialBackoffMs" | "maxBackoffMs"> = {}): NatKeeper {
    const state = this.services.networkState;
    return new NatKeeper({
      member: this.resolve(HostIdentityToken).member,
      ...options,
      lifecycle: this.nicLifecycle(),
      backends: this.resolveAll(NatBackendToken),
      clock: this.services.clock,
      ...(state.watch === undefined ? {} : { stateChanges: (listener: () => void) => state.watch!(listener) }),
    });
  }

  /**
   * A {@link NetworkRuntime} running the DHCP runners the started plugins
   * contributed, applying leases with the host's link configurator and
   * publishing on its lease-event stream; the host's state store keeps
   * its DUIDs and its attached set (`restore()` re-attaches the NICs a
   * crashed or stopped host left). Call after `start()`.
   *
   * A NIC attached with `netns` (`/run/netns/NAME`, `/proc/PID/ns/net`, or
   * a bare name under `/run/netns`) is
   * served from this process without entering its namespace: the runtime
   * holds the namespace open with `@incusx/linux-net`'s `openNetns`, the
   * runners work inside it, and its leases are applied by an
   * `IpRoute2LinkConfigurator` on that namespace (rtnetlink through the
   * addon, no `ip` process), not by the host's link configurator, which
   * serves the host's own namespace. Each such NIC is watched with
   * `watchNicPresence`: when its namespace or interface goes away the
   * runtime lets go of it (see `NetworkRuntimeOptions.watchNic`). A NIC
   * attached with `optimisticDad: true` gets optimistic DAD (RFC 4429) on
   * its interface through `@incusx/linux-net`'s `setIpv6Sysctls` (off by
   * default). `perNic` replaces those per-NIC
   * parts (tests, a host with its own namespace handling) and adds an
   * event stream per NIC (`@incusx/daemon` names each event's NIC).
   *
   * @example
   * const runtime = host.networkRuntime();
   * await runtime.attach({ instance: "c1", device: "eth0", netns: "/run/netns/c1", interface: "eth0" });
   */
  networkRuntime(perNic: NetworkRuntimePerNic = {}): NetworkRuntime {
    const identity = this.runtimeIdentity();
    return new NetworkRuntime({
      runners: this.resolveAll(DhcpRunnerToken),
      link: this.services.linkConfigurator,
      // A bare name is one under /run/netns, as `incusx forknet dhcp --netns NAME` takes it.
      openNetns: (nameOrPath) => openNetns(netnsPath(nameOrPath)),
      // For NICs attached with optimisticDad (off unless a NIC asks).
      setIpv6Sysctls,
      linkFor: (_nic, netns) => (netns === undefined ? this.services.linkConfigurator : new IpRoute2LinkConfigurator({ netns })),
      ...perNic,
      events: this.services.leaseEvents,
      clock: this.services.clock,
      logger: this.logger.child({ component: "network-runtime" }),
      watchNic: watchNicInNetns,
      // The same store keeps the attached set, so restore() after a restart re-adopts every NIC.
      ...(identity === undefined ? {} : { identity, attachments: identity }),
    });
  }

  // The runtime's own state (the shared client DUID), when the host keeps state.
  private runtimeIdentity(): StateStore | undefined {
    try {
      return this.services.stateStore(RUNTIME_STATE_ID);
    } catch {
      return undefined;
    }
  }

  private async startOne(slot: Slot): Promise<void> {
    const { plugin, manifest, config, id } = slot.loaded!;
    const own = this.container.createChildContainer();
    const logger = createLogger(this.services.logSink, this.services.clock, id);
    const hooks = new PluginStopHooks(id);
    slot.hooks = hooks;
    registerValue(own, LoggerToken, logger);
    registerValue(own, StateStoreToken, this.services.stateStore(id));
    registerValue(own, PluginConfigToken, config);
    registerValue(own, LifecycleToken, hooks);

    // Each contribution becomes a singleton provider under a token of its own
    // in the plugin's container; tsyringe builds it when resolved below.
    const contributions: { point: ExtensionPoint<unknown>; token: Token<unknown>; contribution: Contribution<unknown> }[] = [];
    const provided: { token: Token<unknown>; contribution: Contribution<unknown> }[] = [];
    const provides = new Set(manifest.provides ?? []);
    try {
      plugin.register?.({
        pluginId: id,
        config,
        configToken: PluginConfigToken,
        contribute: <T>(point: ExtensionPoint<T>, contribution: Contribution<T>) => {
          const known = extensionPoints[point?.id];
          if (!known || known.token !== point.token) {
            throw new InvalidManifestError(`Plugin "${id}" contributes to unknown extension point "${String(point?.id)}"`, { pluginId: id });
          }
          if (!provides.has(point.id)) {
            throw new InvalidManifestError(
              `Plugin "${id}" contributes to "${point.id}" but its manifest does not list it in "provides"`,
              { pluginId: id },
            );
          }
          const token = Symbol(`${id}: ${point.id} #${contributions.length + 1}`);
          contributions.push({ point: point as ExtensionPoint<unknown>, token, contribution: contribution as Contribution<unknown> });
        },
        provide: <T>(token: Token<T>, contribution: Contribution<T>) => {
          if (typeof token !== "symbol") throw new TypeError(`Plugin "${id}": provide() takes a token made by defineToken()`);
          if (Object.values(extensionPoints).some((p) => p.token === token)) {
            throw new TypeError(`Plugin "${id}": ${tokenId(token)} is an extension point; use contribute()`);
          }
          provided.push({ token, contribution: contribution as Contribution<unknown> });
        },
      });
    } catch (error) {
      throw await this.undoStart(slot, wrap(error, id, "register"));
    }

    let instances: { token: Token<unknown>; value: unknown }[];
    try {
      for (const { token, contribution } of [...provided, ...contributions]) registerContribution(own, token, contribution);
      instances = contributions.map(({ point, token }) => ({ token: point.token, value: own.resolve(token) }));
    } catch (error) {
      throw await this.undoStart(slot, wrap(error, id, "create its contributions"));
    }

    const abort = new AbortController();
    const context: PluginContext<unknown> = { pluginId: id, config, logger, signal: abort.signal, ...resolverOf(own) };
    slot.abort = abort;
    slot.context = context;
    if (plugin.start) {
      try {
        slot.state = await withTimeout(Promise.resolve().then(() => plugin.start!(context)), slot.startTimeoutMs, () => {
          abort.abort(new TimeoutError(id, "start", slot.startTimeoutMs));
          return new TimeoutError(id, "start", slot.startTimeoutMs);
        });
      } catch (error) {
        if (!abort.signal.aborted) abort.abort(error);
        throw await this.undoStart(slot, wrap(error, id, "start"));
      }
    }
    // Registered only once started, so a failed plugin leaves nothing behind.
    for (const { token, value } of instances) registerValue(this.container, token, value);
  }

  // A plugin that failed to start still releases what its contributions
  // registered stop hooks for; their failures are logged, `error` is reported.
  private async undoStart(slot: Slot, error: IncusxError): Promise<IncusxError> {
    const id = slot.loaded!.id;
    try {
      await withTimeout(this.runStopHooks(slot), slot.stopTimeoutMs, () => new TimeoutError(id, "stop", slot.stopTimeoutMs));
    } catch (e) {
      const failure = wrap(e, id, "stop");
      this.logger.error(failure.message, { pluginId: id, code: failure.code });
    }
    return error;
  }

  // Runs the plugin's stop hooks; throws the first failure after logging the others.
  private async runStopHooks(slot: Slot): Promise<void> {
    const id = slot.loaded!.id;
    const failures = (await slot.hooks?.run()) ?? [];
    for (const failure of failures.slice(1)) {
      const e = wrap(failure, id, "stop");
      this.logger.error(e.message, { pluginId: id, code: e.code });
    }
    if (failures.length > 0) throw failures[0];
  }

  private async stopStarted(): Promise<PluginReport[]> {
    const reports: PluginReport[] = [];
    while (this.started.length > 0) {
      const slot = this.started.pop()!;
      const t = performance.now();
      const { id } = slot.loaded!;
      let error: IncusxError | undefined;
      try {
        await withTimeout(
          this.stopOne(slot),
          slot.stopTimeoutMs,
          () => new TimeoutError(id, "stop", slot.stopTimeoutMs),
        );
      } catch (e) {
        error = wrap(e, id, "stop");
        this.logger.error(`Plugin "${id}" failed to stop: ${error.message}`, { pluginId: id, code: error.code });
      }
      slot.abort?.abort(new Error("Host stopped"));
      reports.push({
        ...this.slotReport(slot, error ? "failed" : "stopped", error),
        durationMs: round(performance.now() - t),
      });
    }
    return reports;
  }

  // The plugin's stop, then its stop hooks even when stop threw; the first failure is reported.
  private async stopOne(slot: Slot): Promise<void> {
    const { plugin, id } = slot.loaded!;
    let failed: { error: unknown } | undefined;
    try {
      if (plugin.stop) await plugin.stop(slot.context!, slot.state);
    } catch (error) {
      failed = { error };
    }
    try {
      await this.runStopHooks(slot);
    } catch (error) {
      if (failed === undefined) throw error;
      const e = wrap(error, id, "stop");
      this.logger.error(e.message, { pluginId: id, code: e.code });
    }
    if (failed !== undefined) throw failed.error;
  }

  private slotReport(slot: Slot, state: PluginReport["state"], error?: IncusxError): PluginReport {
    return {
      id: slot.id,
      version: slot.version,
      source: slot.source,
      state,
      durationMs: round(slot.elapsedMs),
      onFailure: slot.onFailure,
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    };
  }
}

// A host with nowhere to count host-level events (no metrics endpoint) drops them.
const DROPPED_HOST_METRICS: HostMetrics = { record: () => undefined };

function defaultServices(options: HostOptions): HostServices {
  const given = options.services ?? {};
  const clock = given.clock ?? new SystemClock();
  const logSink = given.logSink ?? jsonLinesSink();
  const stateDir = options.stateDir;
  return {
    clock,
    logSink,
    networkState: given.networkState ?? defaultNetworkState(options),
    linkConfigurator: given.linkConfigurator ?? new UnavailableLinkConfigurator(),
    leaseEvents: given.leaseEvents ?? new LeaseEventBus(createLogger(logSink, clock)),
    hostMetrics: given.hostMetrics ?? DROPPED_HOST_METRICS,
    stateStore:
      given.stateStore ??
      ((pluginId) => {
        if (stateDir === undefined) {
          throw new IncusxError(ErrorCode.InvalidConfig, "The host has no stateDir, so plugins cannot keep state", { pluginId });
        }
        return new FileStateStore(join(resolve(stateDir), "plugins", pluginId));
      }),
  };
}

// The host state file: the one named in the options, else the optional
// default in the state directory (a missing file reads as empty).
function defaultNetworkState(options: HostOptions): NetworkState {
  if (options.state !== undefined) return stateFromSource(options.state, resolve(options.baseDir ?? process.cwd()));
  if (options.networkStateFile !== undefined) {
    return new FileNetworkState(resolve(options.baseDir ?? process.cwd(), options.networkStateFile));
  }
  if (options.stateDir !== undefined) {
    return new FileNetworkState(join(resolve(options.stateDir), NETWORK_STATE_FILE), { optional: true });
  }
  return new EmptyNetworkState();
}

// The network state a source in the options names; certificate files are read now, so a bad path fails at construction.
function stateFromSource(source: HostStateSourceOptions, baseDir: string): NetworkState {
  if (source.type === "file") return new FileNetworkState(resolve(baseDir, source.file));
  const pem = (file: string | undefined, what: string) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(resolve(baseDir, file), "utf8");
    } catch (error) {
      throw new IncusxError(ErrorCode.InvalidConfig, `State source: cannot read the ${what} "${file}": ${(error as Error).message}`, { cause: error });
    }
  };
  if (source.url !== undefined && (source.clientCert === undefined || source.clientKey === undefined)) {
    throw new IncusxError(ErrorCode.InvalidConfig, `State source "${source.url}": HTTPS needs a client certificate and key ("clientCert", "clientKey")`);
  }
  const options = {
    ...(source.socket === undefined ? {} : { socket: resolve(baseDir, source.socket) }),
    ...(source.url === undefined ? {} : { url: source.url }),
    ...(source.clientCert === undefined ? {} : { clientCert: pem(source.clientCert, "client certificate") }),
    ...(source.clientKey === undefined ? {} : { clientKey: pem(source.clientKey, "client key") }),
    ...(source.serverCert === undefined ? {} : { serverCert: pem(source.serverCert, "server certificate") }),
  };
  try {
    return new IncusNetworkState(options);
  } catch (error) {
    throw toIncusxError(error, "host");
  }
}

function describeSource(source: PluginSource | BundledSource): string {
  if ("module" in source) return source.module;
  if ("bundled" in source) return `bundle:${source.bundled.package}`;
  const id = (source.manifest as { id?: unknown } | undefined)?.id;
  return typeof id === "string" ? `inline:${id}` : "inline";
}

// Keeps our typed errors; anything a plugin throws becomes PLUGIN_FAILED.
function wrap(error: unknown, pluginId: string, phase: string): IncusxError {
  if (isIncusxError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PluginFailedError(pluginId, `Plugin "${pluginId}" failed to ${phase}: ${message}`, error);
}

async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  work.catch(() => undefined); // a late rejection after the timeout must not go unhandled
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
