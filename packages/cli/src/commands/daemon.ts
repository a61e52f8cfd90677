import { resolve } from "node:path";
import { jsonLinesSink } from "@incusx/host";
import { DEFAULT_DAEMON_SOCKET, MAX_REQUEST_BODY_BYTES, serveDaemon, type DaemonSignals } from "@incusx/daemon";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_OK, UsageError } from "../errors.js";
import type { CliIo } from "../io.js";

const NAME = "incusx daemon";

/** What `incusx daemon` can be given instead of the real thing (tests). */
export interface DaemonCommandDeps {
  /** Where SIGTERM, SIGINT and SIGHUP come from; default `process`. */
  readonly signals?: DaemonSignals;
}

/** `incusx daemon` with its signals replaced (tests); {@link daemonCommand} is the real one. */
export function createDaemonCommand(deps: DaemonCommandDeps = {}): Command {
  return {
    name: NAME,
    summary: "Serve one network runtime for every container on a local API socket",
    description: [
      "Loads the plugins of --config (or --bundle), starts the network runtime and",
      `serves the incusx API on --socket (default ${DEFAULT_DAEMON_SOCKET}, mode 0600,`,
      "root only): HTTP + JSON under /1.0 in Incus's style. `incusx nic attach|detach|list",
      "--daemon SOCKET` and `incusx forknet dhcp --daemon SOCKET` talk to it.",
      "",
      `Request bodies are limited to ${MAX_REQUEST_BODY_BYTES} bytes. SIGHUP re-reads the config:`,
      "NICs attached afterwards use the new plugins, attached NICs keep running, and",
      "an invalid config is refused with a log line. SIGTERM or SIGINT stops the",
      "runners (leases kept, released only for NICs attached with release_on_stop),",
      "removes the socket and exits 0. See docs/daemon.md.",
      "",
      "Prometheus metrics are on the socket at GET /1.0/metrics; --metrics-listen",
      "HOST:PORT (e.g. 127.0.0.1:9464) also serves them, and only them, at",
      "http://HOST:PORT/metrics, without authentication (off by default). The config's",
      "daemon.metricsListen does the same; --metrics-listen wins over it, and SIGHUP",
      "applies a changed config address (bound before the old one closes).",
      "",
      "Exit status: 0 after SIGTERM/SIGINT; 1 when the daemon cannot start (invalid",
      "config, a plugin failed, the socket is in use), with `incusx: error[CODE]:",
      "message` on stderr; 2 for a wrong command line.",
    ].join("\n"),
    options: {
      config: { type: "string", valueName: "FILE", description: "Host config naming the plugins to load (schemas/host-config.schema.json)" },
      bundle: { type: "string", valueName: "DIR", description: "Load the plugins of this bundle (without --config)" },
      socket: { type: "string", valueName: "PATH", description: `Unix socket to serve the API on; default ${DEFAULT_DAEMON_SOCKET}` },
      "metrics-listen": { type: "string", valueName: "HOST:PORT", description: "Also serve GET /metrics on this TCP address (IP or localhost); default the config's daemon.metricsListen, else off" },
    },
    run: (args, io) => runDaemon(args, io, deps),
  };
}

/** `incusx daemon`: the reference host process; the work is `@incusx/daemon`'s `serveDaemon`. */
export const daemonCommand: Command = createDaemonCommand();

async function runDaemon(args: ParsedArgs, io: CliIo, deps: DaemonCommandDeps): Promise<number> {
  const path = (name: string): string | undefined => (typeof args.values[name] === "string" ? resolve(io.cwd, args.values[name] as string) : undefined);
  const config = path("config");
  const bundle = path("bundle");
  if (config === undefined && bundle === undefined) throw new UsageError('Option "--config" or "--bundle" is required', NAME);
  if (config !== undefined && bundle !== undefined) throw new UsageError('Options "--config" and "--bundle" cannot be combined; name the bundle in the config', NAME);
  await serveDaemon({
    ...(config === undefined ? {} : { config }),
    ...(bundle === undefined ? {} : { bundle }),
    socket: path("socket") ?? DEFAULT_DAEMON_SOCKET,
    ...(typeof args.values["metrics-listen"] === "string" ? { metricsListen: args.values["metrics-listen"] } : {}),
    logSink: jsonLinesSink(io.stderr),
    ...(deps.signals === undefined ? {} : { signals: deps.signals }),
    onReady: (server, metrics) => {
      io.stderr.write(`incusx: daemon listening on ${server.socket}\n`);
      if (metrics !== undefined) io.stderr.write(`incusx: metrics on ${metrics.url}\n`);
    },
    onMetricsChange: (metrics) => io.stderr.write(metrics === undefined ? "incusx: metrics no longer on TCP\n" : `incusx: metrics on ${metrics.url}\n`),
  });
  return EXIT_OK;
}
