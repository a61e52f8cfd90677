// Generated from schemas/host-config.schema.json by scripts/gen-types.mjs. Do not edit:
// change the schema, then run `pnpm gen:types`.

/**
 * Where the host reads its networks, forwards and NICs. Default: the state file "network-state.json" in stateDir when it exists, else nothing.
 */
export type HostStateSource = HostStateFileSource | HostStateIncusSource;

/**
 * The incusx host config file: which plugins to load, with their config and failure policies.
 */
export interface HostConfig {
  /**
   * URL or path of this schema, for editors. Ignored by the host.
   */
  $schema?: string;
  /**
   * The cluster member name this host runs as (Incus's server name). Rows the host writes to stores every member shares (the OVN northbound database's NAT rows) record it, and each member lists, removes and reconciles only its own. Letters, digits, '.', '-' and '_', at most 253 characters. Default: the host name (os.hostname()).
   */
  member?: string;
  /**
   * Directory for persistent state (leases, DUIDs, owned NAT rules). Relative paths are resolved from the config file's directory.
   */
  stateDir?: string;
  state?: HostStateSource;
  /**
   * Plugins to load, in any order: the host orders them by their manifests' "requires".
   */
  plugins?: HostPluginEntry[];
  /**
   * Path of a bundle manifest (bundle.schema.json) whose enabled plugins are loaded too. Relative paths are resolved from the config file's directory.
   */
  bundle?: string;
  daemon?: HostDaemonConfig;
  defaults?: HostDefaults;
}
/**
 * A state file (schemas/host-state.schema.json), re-read when it changes.
 */
export interface HostStateFileSource {
  /**
   * "file".
   */
  type: "file";
  /**
   * Path of the state file; relative paths are resolved from the config file's directory.
   */
  file: string;
}
/**
 * A live Incus-compatible server (Incus, LXD) read over its REST API and kept current by its lifecycle events (@incusx/state-incus).
 */
export interface HostStateIncusSource {
  /**
   * "incus".
   */
  type: "incus";
  /**
   * Unix socket of the server. Default: the first that exists of /var/lib/incus/unix.socket, /var/snap/lxd/common/lxd/unix.socket, /var/lib/lxd/unix.socket. Relative paths are resolved from the config file's directory.
   */
  socket?: string;
  /**
   * HTTPS address of the server ("https://incus.example:8443") instead of a unix socket; needs clientCert and clientKey.
   */
  url?: string;
  /**
   * PEM file of the client certificate (HTTPS).
   */
  clientCert?: string;
  /**
   * PEM file of the client certificate's key (HTTPS).
   */
  clientKey?: string;
  /**
   * PEM file of the server's certificate or its CA (HTTPS). Default: the system's CAs.
   */
  serverCert?: string;
}
/**
 * One plugin to load and how to treat it.
 */
export interface HostPluginEntry {
  /**
   * Package name ("@incusx/plugin-dhcpv4") or path of the package directory ("./plugins/my-plugin"); relative paths are resolved from the config file's directory.
   */
  module: string;
  /**
   * The plugin's config, checked against the config schema in its manifest.
   */
  config?: unknown;
  /**
   * What the host does when this plugin fails to load, register or start: "abort" undoes startup, "continue" reports the failure and starts the rest. Default: defaults.onFailure.
   */
  onFailure?: "abort" | "continue";
  /**
   * Milliseconds the plugin's start() may take before it counts as hung. Default: defaults.startTimeoutMs.
   */
  startTimeoutMs?: number;
  /**
   * Milliseconds the plugin's stop() may take. Default: defaults.stopTimeoutMs.
   */
  stopTimeoutMs?: number;
}
/**
 * Settings only `incusx daemon` reads; other hosts ignore them.
 */
export interface HostDaemonConfig {
  /**
   * Also serve the Prometheus metrics over plain HTTP at http://HOST:PORT/metrics, without authentication: HOST is an IP address (IPv6 in brackets) or localhost, PORT 0 to 65535, e.g. "127.0.0.1:9464" or "[::1]:9464". The command line's --metrics-listen wins over it. A reload (SIGHUP) applies a changed, added or removed address. Default: off (metrics only on the API socket's GET /1.0/metrics).
   */
  metricsListen?: string;
}
/**
 * Settings for every plugin entry that does not set them itself.
 */
export interface HostDefaults {
  /**
   * Default failure policy: "abort" or "continue". Default: "continue", so one failing plugin never stops the others.
   */
  onFailure?: "abort" | "continue";
  /**
   * Default start timeout in milliseconds. Default: 10000.
   */
  startTimeoutMs?: number;
  /**
   * Default stop timeout in milliseconds. Default: 10000.
   */
  stopTimeoutMs?: number;
}
