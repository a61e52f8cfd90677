import { isIP } from "node:net";
import { jsonLinesSink } from "@incusx/host";
import { ErrorCode, IncusxError, type LogLevel } from "@incusx/sdk";
import { Daemon, type DaemonOptions, type ReloadResult } from "./daemon.js";
import { DaemonServer, type DaemonServerOptions } from "./daemon-server.js";
import { MetricsServer, parseListenAddress } from "./metrics-server.js";

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
   * (`HOST:PORT`, e.g. `127.0.0.1:9464`; `incusx daemon --metrics-listen`).
   * It wins over the config's `daemon.metricsListen`, also across reloads.
   * Default: the config's address, else none (the metrics stay on the
   * socket's `GET /1.0/metrics`).
   */
  readonly metricsListen?: string;
  /** Called once the socket (and the metrics listener, when asked for) accept requests (`incusx daemon` prints a line). */
  readonly onReady?: (server: DaemonServer, metrics?: MetricsServer) => void;
  /** Called when a reload moved, added or removed the metrics listener: the new one, or `undefined` when there is none now. */
  readonly onMetricsChange?: (metrics: MetricsServer | undefined) => void;
  /** Called once a SIGHUP is dealt with (the config taken or refused, the metrics listener changed or not). */
  readonly onReload?: (result: ReloadResult) => void;
}

/**
 * Runs a daemon until SIGTERM or SIGINT: starts it, serves it on the
 * socket (and the metrics on TCP when the options or the config say),
 * re-reads the config on SIGHUP ({@link Daemon.reload}), and on
 * SIGTERM/SIGINT closes the socket (removing it) and stops the daemon
 * gracefully ({@link Daemon.stop}: leases kept unless a NIC asked for
 * release). Rejects when the daemon cannot start or the socket cannot be
 * served; nothing is left running then.
 *
 * A reload that changes the config's `daemon.metricsListen` (and no
 * `metricsListen` option overrides it) moves the TCP listener: the new
 * address is bound before the old one closes, so a scrape never finds
 * neither; when the new one cannot be bound, the error is logged and the
 * listener stays where it was (the plugins' new config is taken all the
 * same).
 *
 * @example
 * await serveDaemon({ config: "/etc/incusx/host.json", socket: "/run/incusx/daemon.sock" });
 */
export async function serveDaemon(options: ServeDaemonOptions): Promise<void> {
  const signals = options.signals ?? process;
  const logSink = options.logSink ?? jsonLinesSink(process.stderr);
  const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void =>
    logSink({ time: Date.now(), level, message, fields: { component: "metrics-listener", ...fields } });
  const daemon = await Daemon.start({ ...options, logSink });
  let server: DaemonServer | undefined;
  let metrics: MetricsServer | undefined;
  // The address `metrics` was asked for, as written (the config's text, not the bound port).
  let served: string | undefined;
  try {
    server = await DaemonServer.listen(daemon, options);
    served = options.metricsListen ?? daemon.metricsListen;
    if (options.metricsListen !== undefined && daemon.metricsListen !== undefined && daemon.metricsListen !== options.metricsListen) {
      log("info", `Metrics address "${options.metricsListen}" of the command line wins over the config's "${daemon.metricsListen}"`);
    }
    if (served !== undefined) metrics = await MetricsServer.listen(daemon.metrics, served);
  } catch (error) {
    await server?.close();
    await daemon.stop();
    throw error;
  }

  // Makes the listener match the current config's address (no-op with the command line's).
  const follow = async (): Promise<void> => {
    const wanted = options.metricsListen ?? daemon.metricsListen;
    if (wanted === served) return;
    const old = metrics;
    let next: MetricsServer | undefined;
    if (wanted !== undefined) {
      try {
        next = await listenReplacing(daemon, wanted, old, () => (metrics = undefined));
      } catch (error) {
        const reason = error instanceof ListenerLost ? error.reason : (error as Error);
        const back = error instanceof ListenerLost ? error.back : old;
        log("error", `Cannot serve metrics on "${wanted}", they stay ${back === undefined ? "off TCP" : `on ${back.url}`}: ${reason.message}`, reason instanceof IncusxError ? { code: reason.code } : {});
        if (back !== old) {
          metrics = back;
          options.onMetricsChange?.(back);
        }
        return;
      }
    }
    if (old !== undefined && next !== old) await old.close();
    metrics = next;
    served = wanted;
    log("info", next === undefined ? "Stopped serving metrics on TCP" : `Serving metrics on ${next.url}`);
    options.onMetricsChange?.(next);
  };
  let reloading: Promise<void> = Promise.resolve();
  const onHup = (): void => {
    reloading = reloading.then(async () => {
      const result = await daemon.reload();
      if (result.ok) await follow();
      options.onReload?.(result);
    });
  };

  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  signals.on("SIGTERM", stop);
  signals.on("SIGINT", stop);
  signals.on("SIGHUP", onHup);
  options.onReady?.(server, metrics);
  try {
    await stopped;
  } finally {
    signals.off("SIGHUP", onHup);
    await reloading;
    // New requests are refused first, so nothing is attached while the NICs stop.
    await metrics?.close();
    await server.close();
    await daemon.stop();
    signals.off("SIGTERM", stop);
    signals.off("SIGINT", stop);
  }
}

// A move of the listener that failed after the old listener had to close
// first: `back` is the listener on the previous address again, if it could be.
class ListenerLost extends Error {
  constructor(
    readonly reason: Error,
    readonly back: MetricsServer | undefined,
  ) {
    super(reason.message);
  }
}

// Binds `address` while `old` still serves. Only when `old` holds that very
// port (another host on the same port, such as 127.0.0.1 to 0.0.0.0) does it
// close first (`closing` is told), coming back on the previous address if the
// new one still cannot be bound (ListenerLost).
async function listenReplacing(daemon: Daemon, address: string, old: MetricsServer | undefined, closing: () => void): Promise<MetricsServer> {
  try {
    return await MetricsServer.listen(daemon.metrics, address);
  } catch (error) {
    const port = parseListenAddress(address).port;
    if (old === undefined || port === 0 || port !== old.address.port || !(error instanceof IncusxError) || error.code !== ErrorCode.InUse) throw error;
    const previous = `${isIP(old.address.host) === 6 ? `[${old.address.host}]` : old.address.host}:${old.address.port}`;
    closing();
    await old.close();
    try {
      return await MetricsServer.listen(daemon.metrics, address);
    } catch (retry) {
      throw new ListenerLost(retry as Error, await MetricsServer.listen(daemon.metrics, previous).catch(() => undefined));
    }
  }
}
