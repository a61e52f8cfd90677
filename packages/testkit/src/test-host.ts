import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readPluginPackage } from "@incusx/bundle";
import {
  FileStateStore,
  Host,
  type FailurePolicy,
  type HostDefaults,
  type InlinePluginSource,
  type StartupReport,
  type StopReport,
} from "@incusx/host";
import {
  API_VERSION,
  PluginConfigToken,
  type ExtensionPoint,
  type JsonValue,
  type Plugin,
  type PluginManifest,
  type StateStore,
} from "@incusx/sdk";
import {
  FakeClock,
  MemoryHostMetrics,
  MemoryLeaseEventStream,
  MemoryLogSink,
  MemoryNetworkState,
  MemoryStateStore,
  RecordingLinkConfigurator,
  type NetworkStateData,
} from "@incusx/sdk/testing";

/** One plugin for {@link startTestHost}. */
export interface TestPluginEntry {
  /** The plugin, as made by `definePlugin` (normally your module's default export). */
  readonly plugin: Plugin<never>;
  /**
   * Its manifest. Without it (and without `packageDir`), one is derived:
   * id from `plugin.id`, `apiVersions: [API_VERSION]`, and `provides` from
   * a dry run of `plugin.register` recording which extension points it
   * contributes to. A derived manifest has no config schema, so config is
   * not checked; pass `packageDir` to test your real manifest.
   */
  readonly manifest?: PluginManifest;
  /**
   * Directory (or `file:` URL) of the plugin's package: its manifest and
   * version are read from package.json exactly as a real host reads them.
   *
   * @example
   * { plugin, packageDir: new URL("..", import.meta.url) }
   */
  readonly packageDir?: string | URL;
  /** The plugin's config, checked against the manifest's config schema. */
  readonly config?: unknown;
  /** Failure policy; default `abort`, so a broken plugin fails the test loudly. */
  readonly onFailure?: FailurePolicy;
  /** Milliseconds `start()` may take; default 2000. */
  readonly startTimeoutMs?: number;
  /** Milliseconds `stop()` may take; default 2000. */
  readonly stopTimeoutMs?: number;
}

/** Fakes to use instead of fresh ones; pass them to prepare state before the host starts. */
export interface TestHostServices {
  /** Default: a FakeClock at 2025-01-01T00:00:00Z. */
  readonly clock?: FakeClock;
  /** A ready state, or plain data to build one from. Default: empty. */
  readonly networkState?: MemoryNetworkState | NetworkStateData;
  /** Default: a RecordingLinkConfigurator where every interface exists. */
  readonly linkConfigurator?: RecordingLinkConfigurator;
  /** Default: a fresh MemoryLogSink. */
  readonly logs?: MemoryLogSink;
  /** Default: a fresh MemoryLeaseEventStream. */
  readonly leaseEvents?: MemoryLeaseEventStream;
  /** Default: a fresh MemoryHostMetrics. */
  readonly hostMetrics?: MemoryHostMetrics;
  /** State each plugin finds in its store at start, by plugin id (memory stores only). */
  readonly state?: Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;
}

/** Options of {@link startTestHost}. */
export interface TestHostOptions {
  /** Plugins to load. */
  readonly plugins: readonly TestPluginEntry[];
  /** Fakes to use instead of fresh ones. */
  readonly services?: TestHostServices;
  /**
   * Keep plugin state in files under this directory (`plugins/<id>/`, as a
   * real host does), to test a restart. Default: one MemoryStateStore per plugin.
   */
  readonly stateDir?: string;
  /** Defaults for every plugin entry. */
  readonly defaults?: HostDefaults;
  /** The cluster member name the host runs as (`HostIdentityToken`); default `test-member`. */
  readonly member?: string;
  /**
   * Resolve even when a plugin failed, to test failure handling through
   * `report`. By default `startTestHost` rejects with the failures listed.
   */
  readonly allowFailures?: boolean;
}

/** A started host and the fakes it runs on. */
export interface TestHost {
  /** The real host, started. */
  readonly host: Host;
  /** What `host.start()` reported. */
  readonly report: StartupReport;
  /** The host's clock; advance it to drive plugins' timers. */
  readonly clock: FakeClock;
  /** The host's network state; change it between calls. */
  readonly networkState: MemoryNetworkState;
  /** The host's link configurator; read back what plugins applied. */
  readonly link: RecordingLinkConfigurator;
  /** Every log record of the host and its plugins. */
  readonly logs: MemoryLogSink;
  /** The host's lease-event stream. */
  readonly leaseEvents: MemoryLeaseEventStream;
  /** What plugins reported for the host's metrics (`HostMetricsToken`). */
  readonly hostMetrics: MemoryHostMetrics;
  /** The state store plugin `pluginId` gets (the same instance). */
  stateStore(pluginId: string): StateStore;
  /** Stops the host (plugins in reverse start order); later calls return the first report. */
  stop(): Promise<StopReport>;
}

/** When test time starts: a fixed instant, so log times and lease times are reproducible. */
const TEST_EPOCH_MS = Date.UTC(2025, 0, 1);
const TEST_TIMEOUT_MS = 2_000;

/**
 * Builds a real `Host` from `@incusx/host` on fake services, starts it
 * and hands back the host with its fakes. By default it rejects when any
 * plugin fails to start, naming the plugin and the error.
 *
 * @example
 * const t = await startTestHost({
 *   plugins: [{ plugin: mtuLimit, packageDir: new URL("..", import.meta.url), config: { defaultMaxMtu: 1500 } }],
 *   services: { networkState: { networks: [{ name: "br0", type: "bridge", config: {} }] } },
 * });
 * expect(await t.host.validateNic({ instance: "c1", device: "eth0", type: "bridged", config: { network: "br0", mtu: "9000" } }))
 *   .toHaveLength(1);
 * await t.stop();
 */
export async function startTestHost(options: TestHostOptions): Promise<TestHost> {
  const given = options.services ?? {};
  const clock = given.clock ?? new FakeClock(TEST_EPOCH_MS);
  const networkState =
    given.networkState instanceof MemoryNetworkState ? given.networkState : new MemoryNetworkState(given.networkState);
  const link = given.linkConfigurator ?? new RecordingLinkConfigurator();
  const logs = given.logs ?? new MemoryLogSink();
  const leaseEvents = given.leaseEvents ?? new MemoryLeaseEventStream();
  const hostMetrics = given.hostMetrics ?? new MemoryHostMetrics();

  const stores = new Map<string, StateStore>();
  const stateStore = (pluginId: string): StateStore => {
    let store = stores.get(pluginId);
    if (store === undefined) {
      store =
        options.stateDir === undefined
          ? new MemoryStateStore(given.state?.[pluginId])
          : new FileStateStore(join(resolve(options.stateDir), "plugins", pluginId));
      stores.set(pluginId, store);
    }
    return store;
  };

  const plugins = await Promise.all(options.plugins.map((entry) => toSource(entry)));
  const host = new Host({
    plugins,
    member: options.member ?? "test-member",
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    defaults: {
      onFailure: "abort",
      startTimeoutMs: TEST_TIMEOUT_MS,
      stopTimeoutMs: TEST_TIMEOUT_MS,
      ...options.defaults,
    },
    services: {
      clock,
      logSink: logs.sink,
      networkState,
      linkConfigurator: link,
      leaseEvents,
      stateStore,
      hostMetrics,
    },
  });

  const report = await host.start();
  if (!report.ok && options.allowFailures !== true) {
    await host.stop();
    const failed = report.plugins
      .filter((p) => p.state !== "started")
      .map((p) => `  ${p.id}: ${p.state}${p.error === undefined ? "" : ` (${p.error.code}) ${p.error.message}`}`);
    throw new Error(`startTestHost: not every plugin started (pass allowFailures to test this):\n${failed.join("\n")}`);
  }

  let stopped: Promise<StopReport> | undefined;
  return {
    host,
    report,
    clock,
    networkState,
    link,
    logs,
    leaseEvents,
    hostMetrics,
    stateStore,
    stop: () => (stopped ??= host.stop()),
  };
}

async function toSource(entry: TestPluginEntry): Promise<InlinePluginSource> {
  let manifest: PluginManifest;
  let version: string | undefined;
  if (entry.manifest !== undefined) {
    manifest = entry.manifest;
  } else if (entry.packageDir !== undefined) {
    const dir = entry.packageDir instanceof URL ? fileURLToPath(entry.packageDir) : entry.packageDir;
    const pkg = await readPluginPackage(resolve(dir));
    manifest = pkg.manifest;
    version = pkg.version;
  } else {
    manifest = deriveManifest(entry.plugin, entry.config);
  }
  return {
    plugin: entry.plugin,
    manifest,
    ...(version === undefined ? {} : { version }),
    ...(entry.config === undefined ? {} : { config: entry.config }),
    ...(entry.onFailure === undefined ? {} : { onFailure: entry.onFailure }),
    ...(entry.startTimeoutMs === undefined ? {} : { startTimeoutMs: entry.startTimeoutMs }),
    ...(entry.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: entry.stopTimeoutMs }),
  };
}

/**
 * The manifest a plugin would need to load as it is: its id, this SDK's API
 * version, and the extension points its `register` contributes to (found by
 * a dry run; `register` must not do I/O, so running it twice is harmless).
 *
 * @example
 * deriveManifest(definePlugin({ id: "example.x", register: (r) => r.contribute(NicValidatorExtension, V) }));
 * // { id: "example.x", apiVersions: ["1"], provides: ["nic-validator"] }
 */
export function deriveManifest(plugin: Plugin<never>, config: unknown = {}): PluginManifest {
  const provides = new Set<string>();
  try {
    plugin.register?.({
      pluginId: plugin.id,
      config: structuredClone(config) as never,
      configToken: PluginConfigToken as never,
      contribute: <T>(point: ExtensionPoint<T>) => void provides.add(point.id),
      provide: () => undefined,
    });
  } catch {
    // The host runs register again and reports the failure properly.
  }
  return { id: plugin.id, apiVersions: [API_VERSION], provides: [...provides] };
}
