import type {
  Clock,
  HostMetrics,
  LeaseEventStream,
  LinkConfigurator,
  NetworkState,
  StateStore,
} from "@incusx/sdk";
import type { LogSink } from "@incusx/sdk/host";

export type { LogRecord, LogSink } from "@incusx/sdk/host";

/** What the host does when a plugin fails to load, register or start. */
export type FailurePolicy = "abort" | "continue";

/** Settings every plugin entry can override. */
export interface PluginPolicy {
  /** What to do when this plugin fails; default from {@link HostOptions.defaults}. */
  readonly onFailure?: FailurePolicy;
  /** Milliseconds `start()` may take before the plugin counts as hung. */
  readonly startTimeoutMs?: number;
  /** Milliseconds `stop()` may take. */
  readonly stopTimeoutMs?: number;
}

/** A plugin installed as a package or a directory, found by name or path. */
export interface ModulePluginSource extends PluginPolicy {
  /** Package name (`@incusx/plugin-dhcpv4`) or path to the package directory. */
  readonly module: string;
  /** The plugin's config, checked against its manifest's config schema. */
  readonly config?: unknown;
}

/** A plugin object handed over directly (tests, embedding hosts). */
export interface InlinePluginSource extends PluginPolicy {
  /** The module's default export, normally made by `definePlugin`. */
  readonly plugin: unknown;
  /** Its manifest, as it would appear in the `incusx` field of package.json. */
  readonly manifest: unknown;
  /** Version reported for it; default `0.0.0`. */
  readonly version?: string;
  /** The plugin's config. */
  readonly config?: unknown;
}

/** Where a plugin comes from. */
export type PluginSource = ModulePluginSource | InlinePluginSource;

/** Host services a caller may replace (tests, embedding hosts). */
export interface HostServices {
  /** Time source; default: the system clock. */
  readonly clock: Clock;
  /** Where log records go; default: JSON lines on stderr. */
  readonly logSink: LogSink;
  /**
   * Networks, forwards and NICs; default: the host state file
   * ({@link HostOptions.networkStateFile}, else `stateDir/network-state.json`
   * when it exists), else empty.
   */
  readonly networkState: NetworkState;
  /** Applies addresses and routes; default: one that refuses with a clear error. */
  readonly linkConfigurator: LinkConfigurator;
  /** Lease event bus; default: an in-process bus. */
  readonly leaseEvents: LeaseEventStream;
  /** Per-plugin state store; default: files under `stateDir/plugins/<id>/`. */
  readonly stateStore: (pluginId: string) => StateStore;
  /** Where plugins report host-level events for metrics (`HostMetricsToken`); default: dropped. */
  readonly hostMetrics: HostMetrics;
}

/** Defaults applied to every plugin entry that does not override them. */
export interface HostDefaults {
  /** Default failure policy; `continue` unless set, so one plugin never stops the others. */
  readonly onFailure?: FailurePolicy;
  /** Default start timeout in milliseconds; 10 000 unless set. */
  readonly startTimeoutMs?: number;
  /** Default stop timeout in milliseconds; 10 000 unless set. */
  readonly stopTimeoutMs?: number;
}

/**
 * A state source as {@link HostOptions.state} takes it: the host config's
 * `"state"` (schemas/host-config.schema.json) with paths, not file contents.
 */
export type HostStateSourceOptions =
  | { readonly type: "file"; readonly file: string }
  | {
      readonly type: "incus";
      /** Unix socket; default the first of Incus's and LXD's usual sockets that exists. */
      readonly socket?: string;
      /** HTTPS address instead of the socket. */
      readonly url?: string;
      /** PEM file of the client certificate (HTTPS). */
      readonly clientCert?: string;
      /** PEM file of its key (HTTPS). */
      readonly clientKey?: string;
      /** PEM file of the server's certificate or CA (HTTPS). */
      readonly serverCert?: string;
    };

/** Everything needed to build a {@link Host}. */
export interface HostOptions {
  /** Plugins to load, in any order (the host orders them by `requires`). */
  readonly plugins: readonly PluginSource[];
  /**
   * The cluster member name this host runs as, given to plugins as
   * `HostIdentityToken`; default the host name (`os.hostname()`). Letters,
   * digits, `.`, `-`, `_` (not first `.`/`-`), at most 253 characters.
   */
  readonly member?: string;
  /** Directory for persistent state; needed unless `services.stateStore` is given. */
  readonly stateDir?: string;
  /**
   * Host state file (schemas/host-state.schema.json) the default network
   * state reads; relative to `baseDir`. Without it the host reads
   * `stateDir/network-state.json` when that file exists. Ignored when
   * `services.networkState` is given.
   */
  readonly networkStateFile?: string;
  /**
   * Where the host reads its networks, forwards and NICs (the host config's
   * `"state"`): a state file, or a live Incus-compatible server
   * (`@incusx/state-incus`, kept current by its events; the host's member
   * name defaults to the server's own cluster member name). Relative paths
   * are resolved from `baseDir`. Wins over `networkStateFile`; ignored when
   * `services.networkState` is given.
   */
  readonly state?: HostStateSourceOptions;
  /** Host config file these options came from, named in error messages. */
  readonly configFile?: string;
  /** Directory module names and relative paths are resolved from; default: the working directory. */
  readonly baseDir?: string;
  /** Defaults for every plugin. */
  readonly defaults?: HostDefaults;
  /** Services to use instead of the defaults. */
  readonly services?: Partial<HostServices>;
  /**
   * A bundle (its directory or bundle.json, relative to `baseDir`) whose
   * enabled plugins are loaded too, their manifests read from the bundle
   * manifest. `start()` first verifies the bundle's files and throws a
   * `BundleError` naming each bad file.
   */
  readonly bundle?: string;
  /** Whether `start()` checks the bundle's file digests; default `true`. `false` only for a bundle on a verified read-only filesystem. */
  readonly verifyBundle?: boolean;
  /**
   * Settings laid over plugins' own configs (from `plugins`, a config file
   * or a bundle), by plugin id, key by key; the result is checked against
   * the plugin's config schema as usual. For a command line option that
   * sets one plugin setting, such as `--resolv-conf` for `incusx.dns`.
   *
   * @example
   * new Host({ bundle: "/usr/lib/incusx/bundle", pluginConfig: { "incusx.dns": { resolvConf: "/run/c1/resolv.conf" } } })
   */
  readonly pluginConfig?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** API versions this host speaks; default: the SDK's `API_VERSION`. For tests. */
  readonly apiVersions?: readonly string[];
}
