import { createServer, type Server, type ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { ErrorCode, IncusxError } from "@incusx/sdk";
import { sendScrape, type DaemonMetrics } from "./metrics.js";

/** The only path the TCP metrics listener serves. */
export const METRICS_PATH = "/metrics";

/**
 * Most connections the TCP metrics listener keeps open at once; more wait
 * in the kernel's backlog. A Prometheus server uses one; the cap keeps a
 * misbehaving client on the network from holding many sockets open.
 */
export const MAX_METRICS_CONNECTIONS = 16;

/**
 * Milliseconds a client of the TCP metrics listener has to send its whole
 * request; a scrape request is one line of headers, so a client slower
 * than this is holding a connection, not scraping.
 */
export const METRICS_REQUEST_TIMEOUT_MS = 10_000;

/** What {@link MetricsServer.listen} may be told besides the address. */
export interface MetricsServerOptions {
  /** Milliseconds a client has to send its request; default {@link METRICS_REQUEST_TIMEOUT_MS}. */
  readonly requestTimeoutMs?: number;
}

/** A TCP address to listen on. */
export interface ListenAddress {
  /** An IP address (`127.0.0.1`, `::1`) or `localhost`. */
  readonly host: string;
  /** 1 to 65535; 0 asks the kernel for a free port (tests). */
  readonly port: number;
}

/**
 * Reads `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `localhost:9464`).
 * Throws `INVALID_CONFIG` naming the value for anything else: the host must
 * be an IP address or `localhost` (no name lookups at startup), the port an
 * integer from 0 to 65535.
 *
 * @example
 * parseListenAddress("[::1]:9464"); // { host: "::1", port: 9464 }
 */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  const v6InBrackets = match?.[1] === undefined || isIP(match[1]) === 6;
  if (host === undefined || !v6InBrackets || (host !== "localhost" && isIP(host) === 0) || !(port >= 0 && port <= 65535)) {
    throw new IncusxError(ErrorCode.InvalidConfig, `Invalid metrics address "${text}": expected HOST:PORT with an IP address or localhost, e.g. "127.0.0.1:9464" or "[::1]:9464"`);
  }
  return { host, port };
}

/**
 * Serves a daemon's metrics over plain HTTP on a TCP address, for a
 * Prometheus server that cannot reach the root-only unix socket: `GET
 * /metrics` only (404 for any other path, 405 for another method), nothing
 * of the API. It has no authentication: bind it to loopback or a network
 * only your monitoring reaches. Off unless asked for (`--metrics-listen`).
 *
 * @example
 * const server = await MetricsServer.listen(daemon.metrics, "127.0.0.1:9464");
 */
export class MetricsServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    /** The address it listens on, with the port the kernel chose when 0 was asked for. */
    readonly address: ListenAddress,
  ) {}

  /**
   * Listens on `address` (`HOST:PORT`, see {@link parseListenAddress}).
   * Throws `INVALID_CONFIG` for a malformed address or one that cannot be
   * bound, `IN_USE` when the port is taken.
   */
  static async listen(metrics: DaemonMetrics, address: string, options: MetricsServerOptions = {}): Promise<MetricsServer> {
    const { host, port } = parseListenAddress(address);
    const timeoutMs = options.requestTimeoutMs ?? METRICS_REQUEST_TIMEOUT_MS;
    // Node looks for timed-out requests every connectionsCheckingInterval (30 s by default): far too rarely for this limit.
    const server = createServer({ connectionsCheckingInterval: Math.max(10, Math.min(1000, timeoutMs / 4)) }, (req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (path !== METRICS_PATH) return plain(res, 404, `Not found: only ${METRICS_PATH} is served here\n`);
      if (req.method !== "GET" && req.method !== "HEAD") return plain(res, 405, `Method "${req.method}" not allowed; use GET\n`, { Allow: "GET, HEAD" });
      metrics.scrape().then(
        (text) => sendScrape(res, text),
        (error: unknown) => plain(res, 500, `Cannot collect the metrics: ${error instanceof Error ? error.message : String(error)}\n`),
      );
    });
    server.maxConnections = MAX_METRICS_CONNECTIONS;
    server.headersTimeout = timeoutMs;
    server.requestTimeout = timeoutMs;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) => {
        const code = error.code === "EADDRINUSE" ? ErrorCode.InUse : ErrorCode.InvalidConfig;
        reject(new IncusxError(code, `Cannot serve metrics on "${address}": ${error.message}`, { cause: error }));
      });
      server.listen(port, host, () => resolve());
    });
    const bound = server.address() as AddressInfo;
    return new MetricsServer(server, { host, port: bound.port });
  }

  /** The scrape URL, `http://HOST:PORT/metrics`. */
  get url(): string {
    const host = isIP(this.address.host) === 6 ? `[${this.address.host}]` : this.address.host;
    return `http://${host}:${this.address.port}${METRICS_PATH}`;
  }

  /** Stops listening and closes every connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
