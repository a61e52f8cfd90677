import { chmodSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { dirname } from "node:path";
import { jsonLinesSink, type LogSink } from "@incusx/host";
import { peerCredentials, type PeerCredentials } from "@incusx/linux-net";
import type { AttachedNic } from "@incusx/network-runtime";
import { ErrorCode, IncusxError } from "@incusx/sdk";
import type { Daemon } from "./daemon.js";
import { EVENT_TYPES, type DaemonEvent, type DaemonEventType } from "./event-hub.js";
import { sendScrape } from "./metrics.js";
import { nicSpecOf } from "./nic-request.js";
import { ApiError, errorResponse, syncResponse } from "./responses.js";

/** Where `incusx daemon` listens when no `--socket` is given. */
export const DEFAULT_DAEMON_SOCKET = "/run/incusx/daemon.sock";

/** Largest request body the API reads, in bytes (an attach request is a few hundred). */
export const MAX_REQUEST_BODY_BYTES = 16 * 1024;

/**
 * Most bytes of events an event stream may have waiting for a slow client
 * before the daemon drops that stream (the client reconnects), so a stalled
 * reader cannot make the daemon's memory grow without bound.
 */
export const MAX_EVENT_BACKLOG_BYTES = 1024 * 1024;

/** The `code` of the 403 answer to a peer that is not root (its `SO_PEERCRED` uid is not 0, or unreadable). */
export const FORBIDDEN = "FORBIDDEN";

/** The API version in every path, as Incus has it. */
export const API_VERSION = "1.0";

/** What a {@link DaemonServer} is built from. */
export interface DaemonServerOptions {
  /** The unix socket to listen on; default {@link DEFAULT_DAEMON_SOCKET}. */
  readonly socket?: string;
  /** Largest request body, in bytes; default {@link MAX_REQUEST_BODY_BYTES}. */
  readonly maxBodyBytes?: number;
  /** Where a refused peer is logged; default JSON lines on stderr. */
  readonly logSink?: LogSink;
  /**
   * Who connected (`SO_PEERCRED`); default `@incusx/linux-net`'s
   * `peerCredentials`. Tests stand in another uid with it.
   */
  readonly peerCredentials?: (socket: Socket) => PeerCredentials;
}

// What the kernel said about one connection's peer: root, or why not.
type PeerCheck = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * Serves a {@link Daemon} over a unix socket in Incus's style: HTTP with
 * JSON under `/1.0`, sync responses `{ type, status, status_code,
 * metadata }` and errors `{ type: "error", error, error_code }`. Only root
 * gets in, twice over: the socket is created with mode 0600 (umask set
 * around `listen`, so it never exists with a wider mode), and every
 * connection's peer credentials (`SO_PEERCRED`, read when it is accepted)
 * must say uid 0, or each of its requests is answered 403 {@link FORBIDDEN}
 * and one warning is logged: a socket made or chmodded wider by mistake
 * still lets no user in.
 *
 * @example
 * const server = await DaemonServer.listen(daemon, { socket: "/run/incusx/daemon.sock" });
 */
export class DaemonServer {
  private readonly streams = new Set<ServerResponse>();
  private readonly peers = new WeakMap<Socket, PeerCheck>();
  private readonly logSink: LogSink;
  private readonly readPeer: (socket: Socket) => PeerCredentials;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly daemon: Daemon,
    private readonly server: Server,
    /** The socket it listens on. */
    readonly socket: string,
    private readonly maxBodyBytes: number,
    options: DaemonServerOptions,
  ) {
    this.logSink = options.logSink ?? jsonLinesSink(process.stderr);
    this.readPeer = options.peerCredentials ?? peerCredentials;
    server.on("connection", (connection: Socket) => this.checkPeer(connection));
  }

  /**
   * Listens on the socket. Throws `IN_USE` when another process answers on
   * it, `INVALID_CONFIG` when something that is not a socket is there; a
   * stale socket (nobody listening) is replaced.
   */
  static async listen(daemon: Daemon, options: DaemonServerOptions = {}): Promise<DaemonServer> {
    const socket = options.socket ?? DEFAULT_DAEMON_SOCKET;
    await clearStaleSocket(socket);
    mkdirSync(dirname(socket), { recursive: true, mode: 0o755 });
    let instance: DaemonServer | undefined;
    const server = createServer((req, res) => void instance!.handle(req, res));
    instance = new DaemonServer(daemon, server, socket, options.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES, options);
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(socket, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } finally {
      process.umask(umask);
    }
    chmodSync(socket, 0o600);
    return instance;
  }

  /** Ends the event streams, stops listening and removes the socket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const stream of this.streams) stream.end();
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
      try {
        unlinkSync(this.socket);
      } catch {
        // node:net removes the socket file itself when the server closes.
      }
    })();
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      this.assertPeerAllowed(req);
      const url = new URL(req.url ?? "/", "http://incusx");
      const parts = url.pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
      if (parts[0] !== API_VERSION) {
        if (parts.length === 0 && req.method === "GET") return send(res, 200, syncResponse([`/${API_VERSION}`]));
        throw new ApiError(404, `Not found: "${url.pathname}"`, ErrorCode.NotFound);
      }
      const [, collection, instance, device, ...rest] = parts;
      if (collection === undefined) {
        allow(req, ["GET"]);
        return send(res, 200, syncResponse(this.serverInfo()));
      }
      if (collection === "events" && instance === undefined) {
        allow(req, ["GET"]);
        return this.streamEvents(url, req, res);
      }
      if (collection === "metrics" && instance === undefined) {
        allow(req, ["GET"]);
        return sendScrape(res, await this.daemon.metrics.scrape());
      }
      if (collection === "state" && instance === undefined) {
        allow(req, ["GET"]);
        return send(res, 200, syncResponse(await this.daemon.state()));
      }
      if (collection === "nics" && instance === undefined) {
        allow(req, ["GET", "POST"]);
        if (req.method === "GET") return send(res, 200, syncResponse(this.daemon.list().map(nicJson)));
        const spec = nicSpecOf(await this.readJson(req));
        await this.daemon.attach(spec);
        return send(res, 200, syncResponse(nicJson(this.daemon.nic(spec)!)));
      }
      if (collection === "nics" && instance !== undefined && device !== undefined && rest.length === 0) {
        allow(req, ["GET", "DELETE"]);
        const nic = { instance, device };
        if (req.method === "GET") {
          const found = this.daemon.nic(nic);
          if (found === undefined) throw new IncusxError(ErrorCode.NotFound, `NIC "${device}" of instance "${instance}" is not attached`);
          return send(res, 200, syncResponse(nicJson(found)));
        }
        await this.daemon.detach(nic, releaseParam(url));
        return send(res, 200, syncResponse({}));
      }
      throw new ApiError(404, `Not found: "${url.pathname}"`, ErrorCode.NotFound);
    } catch (error) {
      const body = errorResponse(error);
      // A body left unread (too large) is not drained: the connection closes after the answer.
      if (!req.complete) res.setHeader("Connection", "close");
      send(res, body.error_code, body);
    }
  }

  // Read once per connection, when accepted: the kernel's record of who connected, not anything the client says.
  private checkPeer(connection: Socket): void {
    let check: PeerCheck;
    try {
      const peer = this.readPeer(connection);
      check = peer.uid === 0 ? { allowed: true } : { allowed: false, reason: `uid ${peer.uid} (pid ${peer.pid}) is not root` };
      if (!check.allowed) this.log("warn", `Refused a connection: its peer is not root (uid ${peer.uid}, gid ${peer.gid}, pid ${peer.pid})`, { ...peer });
    } catch (error) {
      // Unknown is not root: without the kernel's word nobody gets in.
      check = { allowed: false, reason: `its credentials cannot be read (${error instanceof Error ? error.message : String(error)})` };
      this.log("error", `Refused a connection: its peer's credentials (SO_PEERCRED) cannot be read: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.peers.set(connection, check);
  }

  private assertPeerAllowed(req: IncomingMessage): void {
    const check = this.peers.get(req.socket) ?? { allowed: false, reason: "it was never checked" };
    if (!check.allowed) throw new ApiError(403, `Only root may use the incusx daemon API; this client is refused: ${check.reason}`, FORBIDDEN);
  }

  private log(level: "warn" | "error", message: string, fields: Record<string, unknown> = {}): void {
    this.logSink({ time: Date.now(), level, message, fields: { component: "daemon-server", socket: this.socket, ...fields } });
  }

  private serverInfo(): Record<string, unknown> {
    return {
      api_version: API_VERSION,
      api_extensions: [],
      api_status: "stable",
      auth: "trusted",
      environment: {
        server: "incusx",
        server_pid: process.pid,
        socket: this.socket,
        max_request_body: this.maxBodyBytes,
        ...this.daemon.info(),
      },
    };
  }

  // The body as JSON, read up to the limit; nothing is done with a request that breaks it.
  private async readJson(req: IncomingMessage): Promise<unknown> {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > this.maxBodyBytes) throw this.tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.maxBodyBytes) throw this.tooLarge();
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    if (text.trim() === "") throw new ApiError(400, "The request has no body; a JSON object is expected", ErrorCode.InvalidConfig);
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ApiError(400, `The request body is not valid JSON: ${(error as Error).message}`, ErrorCode.InvalidConfig);
    }
  }

  private tooLarge(): ApiError {
    return new ApiError(413, `The request body is larger than ${this.maxBodyBytes} bytes`, ErrorCode.InvalidConfig);
  }

  // Incus's /1.0/events: one JSON event per line for as long as the client stays.
  private streamEvents(url: URL, req: IncomingMessage, res: ServerResponse): void {
    const wanted = eventTypes(url);
    res.writeHead(200, { "Content-Type": "application/jsonl", "Cache-Control": "no-store" });
    res.flushHeaders();
    this.streams.add(res);
    const unsubscribe = this.daemon.events.subscribe((event: DaemonEvent) => {
      if (!wanted.has(event.type)) return;
      if (res.writableLength > MAX_EVENT_BACKLOG_BYTES) {
        res.destroy();
        return;
      }
      res.write(JSON.stringify(event) + "\n");
    });
    const done = (): void => {
      unsubscribe();
      this.streams.delete(res);
    };
    req.once("close", done);
    res.once("close", done);
  }
}

/** The JSON of an attached NIC in the API. */
function nicJson(nic: AttachedNic): Record<string, unknown> {
  return {
    instance: nic.instance,
    device: nic.device,
    interface: nic.interface,
    ...(nic.netns === undefined ? {} : { netns: nic.netns }),
    // As the attach request names it.
    ...(nic.resolvConf === undefined ? {} : { resolv_conf: nic.resolvConf }),
    families: nic.families,
  };
}

function allow(req: IncomingMessage, methods: readonly string[]): void {
  if (!methods.includes(req.method ?? "")) throw new ApiError(405, `Method "${req.method}" not allowed here; use ${methods.join(" or ")}`);
}

function releaseParam(url: URL): { release?: boolean } {
  const value = url.searchParams.get("release");
  if (value === null) return {};
  if (value === "1" || value === "true") return { release: true };
  if (value === "0" || value === "false") return { release: false };
  throw new ApiError(400, `Invalid value for "release": "${value}" (use 1 or 0)`, ErrorCode.InvalidConfig);
}

function eventTypes(url: URL): Set<DaemonEventType> {
  const value = url.searchParams.get("type");
  if (value === null || value === "") return new Set(EVENT_TYPES);
  const types = value.split(",");
  for (const type of types) {
    if (!(EVENT_TYPES as readonly string[]).includes(type)) {
      throw new ApiError(400, `Unknown event type "${type}" (known: ${EVENT_TYPES.join(", ")})`, ErrorCode.InvalidConfig);
    }
  }
  return new Set(types as DaemonEventType[]);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

// A socket file nobody answers on is what a killed daemon leaves; anything else is refused.
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (!isSocket) throw new IncusxError(ErrorCode.InvalidConfig, `"${path}" exists and is not a socket; refusing to replace it`);
  const answered = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (answered) throw new IncusxError(ErrorCode.InUse, `Another daemon is listening on "${path}"`);
  unlinkSync(path);
}
