import { request as httpRequest } from "node:http";
import WebSocket from "ws";
import { realClearTimeout, realSetTimeout } from "../internal/real-time.js";

/** The envelope of every `/1.0` answer (sync, async or error), as LXD and Incus send it. */
export interface LxdResponse<T = unknown> {
  /** `sync`, `async` or `error`. */
  readonly type: string;
  /** `Success`, `Operation created`, ... (empty for errors). */
  readonly status?: string;
  /** 200, 100, ... (0 for errors). */
  readonly status_code?: number;
  /** The HTTP-like error code of an `error` answer. */
  readonly error_code?: number;
  /** The message of an `error` answer. */
  readonly error?: string;
  /** The operation URL of an `async` answer. */
  readonly operation?: string;
  /** The payload. */
  readonly metadata: T;
}

/** An LXD answer of type `error` (or a non-2xx status), with the server's own message. */
export class LxdRequestError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The server's whole `error` envelope, when it sent JSON. */
  readonly response: LxdResponse | undefined;

  constructor(method: string, path: string, status: number, message: string, response?: LxdResponse) {
    super(`LXD ${method} "${path}" failed with ${status}: ${message}`);
    this.name = "LxdRequestError";
    this.status = status;
    this.response = response;
  }
}

/** Answers larger than this are refused: a test harness, not a streaming client. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * One request to the `/1.0` API over the server's unix socket, with node's
 * own `http` client (`socketPath`). Resolves with the whole envelope;
 * rejects with an {@link LxdRequestError} on an `error` answer.
 *
 * @example
 * const root = await lxdRequest<{ server_version: string }>(lxd.socketPath, "GET", "/1.0");
 */
export function lxdRequest<T = unknown>(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 20_000,
): Promise<LxdResponse<T>> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpRequest(
      {
        socketPath,
        method,
        path,
        headers: {
          host: "lxd",
          ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": payload.length }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new Error(`LXD ${method} "${path}" answered more than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          let parsed: LxdResponse<T>;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as LxdResponse<T>;
          } catch (cause) {
            reject(new LxdRequestError(method, path, status, `not JSON (${String(cause)})`));
            return;
          }
          if (parsed.type === "error" || status >= 400) {
            reject(new LxdRequestError(method, path, parsed.error_code ?? status, parsed.error ?? "unknown error", parsed));
            return;
          }
          resolve(parsed);
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`LXD ${method} "${path}" did not answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** One event of `/1.0/events`, as LXD 5.0 sends it. */
export interface LxdEvent {
  /** `lifecycle`, `logging` or `operation`. */
  readonly type: string;
  /** RFC 3339 time. */
  readonly timestamp: string;
  /** Cluster member name (`none` when not clustered). */
  readonly location?: string;
  /** Project of the entity (LXD 5.0: `default` unless projects are used). */
  readonly project?: string;
  /** For lifecycle events: `action` (e.g. `network-forward-created`), `source` (the entity's URL), `context`, `requestor`. */
  readonly metadata: {
    readonly action?: string;
    readonly source?: string;
    readonly context?: Record<string, unknown> | null;
    readonly requestor?: Record<string, unknown> | null;
    readonly [key: string]: unknown;
  };
}

/** Which events {@link subscribeLxdEvents} asks for besides their types. */
export interface LxdEventOptions {
  /** Events of this project only (`?project=`); the server's default is `default`. */
  readonly project?: string;
  /** Events of every project (`?all-projects=true`). */
  readonly allProjects?: boolean;
  /** How long the websocket handshake may take (default 10 000 ms). */
  readonly timeoutMs?: number;
}

/** A websocket subscription to `/1.0/events` that keeps every event it received. */
export interface LxdEventStream {
  /** Every event received so far, oldest first. */
  readonly events: readonly LxdEvent[];
  /** Resolves with the first event (old or new) matching `test`; rejects after `timeoutMs` or when the socket closes first. */
  waitFor(test: (event: LxdEvent) => boolean, timeoutMs?: number): Promise<LxdEvent>;
  /** Resolves when the server has closed the socket (LXD stopped). */
  closed(): Promise<void>;
  /** Closes the websocket; harmless twice. */
  close(): Promise<void>;
}

/**
 * Subscribes to `/1.0/events?type=TYPES` over the unix socket with the `ws`
 * package (`ws+unix://`). Resolves once the websocket is open, so every
 * change made afterwards is delivered.
 *
 * @example
 * const stream = await subscribeLxdEvents(lxd.socketPath, ["lifecycle"]);
 * await lxd.createForward("198.51.100.10");
 * await stream.waitFor((e) => e.metadata.action === "network-forward-created");
 */
export function subscribeLxdEvents(socketPath: string, types: readonly string[] = ["lifecycle"], options: LxdEventOptions = {}): Promise<LxdEventStream> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const query = new URLSearchParams({ type: types.join(",") });
  if (options.project !== undefined) query.set("project", options.project);
  if (options.allProjects === true) query.set("all-projects", "true");
  const url = `ws+unix://${socketPath}:/1.0/events?${query.toString()}`;
  const socket = new WebSocket(url, { handshakeTimeout: timeoutMs, maxPayload: 16 * 1024 * 1024 });
  const events: LxdEvent[] = [];
  const waiters = new Set<() => void>();
  let isClosed = false;
  const closedPromise = new Promise<void>((resolve) => {
    socket.on("close", () => {
      isClosed = true;
      for (const waiter of [...waiters]) waiter();
      resolve();
    });
  });
  socket.on("message", (data: Buffer) => {
    try {
      events.push(JSON.parse(data.toString("utf8")) as LxdEvent);
    } catch {
      return;
    }
    for (const waiter of [...waiters]) waiter();
  });
  const stream: LxdEventStream = {
    events,
    waitFor(test, waitMs = 10_000) {
      return new Promise((resolve, reject) => {
        const done = (outcome: () => void): void => {
          waiters.delete(check);
          realClearTimeout(timer);
          outcome();
        };
        const check = (): void => {
          const found = events.find(test);
          if (found !== undefined) done(() => resolve(found));
          else if (isClosed) done(() => reject(new Error("The LXD event websocket closed before a matching event arrived")));
        };
        const timer = realSetTimeout(
          () => done(() => reject(new Error(`No matching LXD event within ${waitMs} ms; got ${events.map((e) => e.metadata.action ?? e.type).join(", ") || "none"}`))),
          waitMs,
        );
        waiters.add(check);
        check();
      });
    },
    closed: () => closedPromise,
    close() {
      if (!isClosed) socket.terminate();
      return closedPromise;
    },
  };
  return new Promise((resolve, reject) => {
    socket.once("open", () => {
      socket.off("error", reject);
      // Errors after the handshake end in "close", which `closed()` reports.
      socket.on("error", () => undefined);
      resolve(stream);
    });
    socket.once("error", reject);
  });
}
