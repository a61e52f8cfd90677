import { Agent, request } from "undici";
import WebSocket from "ws";
import { endpointName, type IncusEndpoint } from "./endpoint.js";
import { IncusStateError } from "./errors.js";

/** Size and time limits on what the server sends; every answer is bounded by them. */
export interface IncusLimits {
  /** Largest response body read, in bytes; a larger one fails with `too-large` and is not read further. */
  readonly maxResponseBytes: number;
  /** Milliseconds a request may take, headers and body together; also the websocket handshake's limit. */
  readonly requestTimeoutMs: number;
  /** Largest event message, in bytes (the websocket's `maxPayload`). */
  readonly maxEventBytes: number;
}

/** The limits used unless told otherwise: 64 MiB bodies, 10 s per request, 1 MiB events. */
export const DEFAULT_LIMITS: IncusLimits = Object.freeze({
  maxResponseBytes: 64 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  maxEventBytes: 1024 * 1024,
});

// A full read asks for every network's forwards, load balancers and state at
// once; at most this many requests are in flight, the rest wait their turn.
const MAX_CONNECTIONS = 8;

// Incus answers a unix-socket request whatever the host name; this one shows in its logs.
const SOCKET_ORIGIN = "http://unix.socket";

/**
 * GET requests to an Incus-compatible server's REST API and its event
 * websocket, over a unix socket or HTTPS, with {@link IncusLimits} on every
 * answer. HTTP is undici's and websocket framing is `ws`'s.
 */
export class IncusClient {
  readonly #endpoint: IncusEndpoint;
  readonly #limits: IncusLimits;
  readonly #agent: Agent;
  readonly #origin: string;

  constructor(endpoint: IncusEndpoint, limits: IncusLimits = DEFAULT_LIMITS) {
    this.#endpoint = endpoint;
    this.#limits = limits;
    if ("socket" in endpoint) {
      this.#agent = new Agent({ connections: MAX_CONNECTIONS, connect: { socketPath: endpoint.socket } });
      this.#origin = SOCKET_ORIGIN;
    } else {
      this.#agent = new Agent({
        connections: MAX_CONNECTIONS,
        connect: { cert: endpoint.cert, key: endpoint.key, ...(endpoint.ca === undefined ? {} : { ca: endpoint.ca }) },
      });
      this.#origin = endpoint.url.replace(/\/+$/, "");
    }
  }

  /** The endpoint as messages name it. */
  get name(): string {
    return endpointName(this.#endpoint);
  }

  /**
   * The `metadata` of the server's sync answer to `GET path`. Throws
   * {@link IncusStateError}: `status` for an error answer (404 for a missing
   * object), `timeout`, `connect`, `too-large` or `malformed`.
   */
  async get(path: string): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#limits.requestTimeoutMs);
    const where = `GET ${path} on ${this.name}`;
    try {
      const response = await request(this.#origin + path, {
        method: "GET",
        dispatcher: this.#agent,
        signal: timeout,
        headersTimeout: this.#limits.requestTimeoutMs,
        bodyTimeout: this.#limits.requestTimeoutMs,
      });
      const text = await this.readBody(response.body, response.headers["content-length"], where);
      return envelopeMetadata(text, response.statusCode, where, path);
    } catch (error) {
      if (error instanceof IncusStateError) throw error;
      if (timeout.aborted) {
        throw new IncusStateError("timeout", `${where}: no complete answer within ${this.#limits.requestTimeoutMs} ms`, { path, cause: error });
      }
      throw new IncusStateError("connect", `${where}: ${(error as Error).message}`, { path, cause: error });
    }
  }

  /**
   * Opens the lifecycle event stream of every project. The caller listens
   * for `open`, `message`, `close` and `error`; messages over
   * `maxEventBytes` close it with an error.
   */
  openEvents(): WebSocket {
    const query = "/1.0/events?type=lifecycle&all-projects=true";
    const options = { maxPayload: this.#limits.maxEventBytes, handshakeTimeout: this.#limits.requestTimeoutMs, perMessageDeflate: false };
    if ("socket" in this.#endpoint) return new WebSocket(`ws+unix://${this.#endpoint.socket}:${query}`, options);
    const { cert, key, ca } = this.#endpoint;
    return new WebSocket(this.#origin.replace(/^https:/, "wss:") + query, { ...options, cert, key, ...(ca === undefined ? {} : { ca }) });
  }

  /** Closes the connections; later requests fail. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  private async readBody(body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown }, length: string | string[] | undefined, where: string): Promise<string> {
    const max = this.#limits.maxResponseBytes;
    const tooLarge = () => new IncusStateError("too-large", `${where}: answer larger than ${max} bytes`);
    if (typeof length === "string" && Number(length) > max) {
      body.destroy();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > max) {
        body.destroy();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size).toString("utf8");
  }
}

// Incus wraps every answer: { type: "sync", metadata } or { type: "error", error, error_code }.
function envelopeMetadata(text: string, statusCode: number, where: string, path: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (statusCode >= 400) throw new IncusStateError("status", `${where}: HTTP ${statusCode}`, { path, status: statusCode });
    throw new IncusStateError("malformed", `${where}: answer is not JSON: ${(error as Error).message}`, { path, cause: error });
  }
  const envelope = isRecord(value) ? value : undefined;
  if (envelope?.type === "error" || statusCode >= 400) {
    const status = typeof envelope?.error_code === "number" && envelope.error_code > 0 ? envelope.error_code : statusCode;
    const message = typeof envelope?.error === "string" && envelope.error !== "" ? envelope.error : `HTTP ${statusCode}`;
    throw new IncusStateError("status", `${where}: ${message}`, { path, status });
  }
  if (envelope?.type !== "sync" || !("metadata" in envelope)) {
    throw new IncusStateError("malformed", `${where}: answer is not a sync response with metadata`, { path });
  }
  return envelope.metadata;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
