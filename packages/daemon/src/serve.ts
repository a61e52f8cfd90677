import { Daemon, type DaemonOptions } from "./daemon.js";
import { DaemonServer, type DaemonServerOptions } from "./daemon-server.js";
import { MetricsServer } from "./metrics-server.js";

/** Process signals {@link serveDaemon} acts on; `process` in production, an emitter in tests. */
export interface DaemonSignals {
  on(signal: "SIGTERM" | "SIGINT" | "SIGHUP", listener: () => void): unknown;
  off(signal: "SIGTERM" | "SIGINT" | "SIGHUP", listener: () => void): unknown;
}

/** What {@link serveDaemon} is given: the daemon's and the socket's options, and where signals come from. */
export interface ServeDaemonOptions extends DaemonOptions, DaemonServerOptions {
  /** Default `process`. */
  readonly signals?: DaemonSignals;
  /**
   * Also serve `GET /metrics` over plain HTTP on this TCP address
   * (`HOST:PORT`, e.g. `127.0.0.1:9464`); default: not at all (the metrics
   * stay on the socket's `GET /1.0/metrics`).
   */
  readonly metricsListen?: string;
  /** Called once the socket (and the metrics listener, when asked for) accept requests (`incusx daemon` prints a line). */
  readonly onReady?: (server: DaemonServer, metrics?: MetricsServer) => void;
}

/**
 * Runs a daemon until SIGTERM or SIGINT: starts it, serves it on the
 * socket, re-reads the config on SIGHUP ({@link Daemon.reload}), and on
 * SIGTERM/SIGINT closes the socket (removing it) and stops the daemon
 * gracefully ({@link Daemon.stop}: leases kept unless a NIC asked for
 * release). Rejects when the daemon cannot start or the socket cannot be
 * served; nothing is left running then.
 *
 * @example
 * await serveDaemon({ config: "/etc/incusx/host.json", socket: "/run/incusx/daemon.sock" });
 */
export async function serveDaemon(options: ServeDaemonOptions): Promise<void> {
  const signals = options.signals ?? process;
  const daemon = await Daemon.start(options);
  let server: DaemonServer | undefined;
  let metrics: MetricsServer | undefined;
  try {
    server = await DaemonServer.listen(daemon, options);
    if (options.metricsListen !== undefined) metrics = await MetricsServer.listen(daemon.metrics, options.metricsListen);
  } catch (error) {
    await server?.close();
    await daemon.stop();
    throw error;
  }
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onHup = (): void => void daemon.reload();
  signals.on("SIGTERM", stop);
  signals.on("SIGINT", stop);
  signals.on("SIGHUP", onHup);
  options.onReady?.(server, metrics);
  try {
    await stopped;
  } finally {
    signals.off("SIGHUP", onHup);
    // New requests are refused first, so nothing is attached while the NICs stop.
    await metrics?.close();
    await server.close();
    await daemon.stop();
    signals.off("SIGTERM", stop);
    signals.off("SIGINT", stop);
  }
}
