// One JSON-RPC 1.0 session with one server (RFC 7047 section 4): requests
// matched to responses by id, the server's echo answered, an echo probe
// sent when the line has been quiet, and every pending request failed
// with a typed error when the connection goes away.

import { connect as netConnect, type Socket } from "node:net";
import type { OvsdbEndpoint } from "./endpoint.js";
import {
  OvsdbAbortedError,
  OvsdbClosedError,
  OvsdbConnectionLostError,
  OvsdbError,
  OvsdbProtocolError,
  OvsdbRpcError,
  OvsdbTimeoutError,
} from "./errors.js";
import { JsonStreamSplitter } from "./json-stream.js";

/** Per-request options. */
export interface RequestOptions {
  /** Fail with {@link OvsdbTimeoutError} after this many milliseconds (default: the client's). */
  readonly timeoutMs?: number;
  /** Fail with {@link OvsdbAbortedError} when aborted. */
  readonly signal?: AbortSignal;
}

/** Options of one {@link RpcConnection}. */
export interface RpcConnectionOptions {
  /** Give up connecting after this many milliseconds (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Default request time limit (default 30 000; 0 for none). */
  readonly requestTimeoutMs?: number;
  /** Send an echo after this many quiet milliseconds; the connection is lost when it is not answered within as long again (default 5000; 0 disables). */
  readonly probeIntervalMs?: number;
  /** Called with every notification (`update2`, `update3`, `locked`, ...). */
  readonly onNotification?: (method: string, params: readonly unknown[]) => void;
  /** Let the process exit while no request is pending (the socket is unref'd when idle). */
  readonly unrefWhenIdle?: boolean;
  /** Called once when the connection ends, with the reason. */
  readonly onClose?: (error: OvsdbError) => void;
  /** Largest message accepted, in bytes (default `DEFAULT_MAX_MESSAGE_BYTES`); a larger one ends the session with {@link OvsdbProtocolError}. */
  readonly maxMessageBytes?: number;
}

interface Pending {
  readonly method: string;
  resolve(value: unknown): void;
  reject(error: OvsdbError): void;
}

/**
 * A JSON-RPC session with one OVSDB server. Most callers want
 * {@link OvsdbClient}, which adds endpoints, reconnection and monitors.
 *
 * @example
 * const conn = await RpcConnection.open(parseEndpoints("unix:/run/ovn/ovnnb_db.sock")[0]!);
 * const dbs = await conn.request("list_dbs", []);
 */
export class RpcConnection {
  readonly #socket: Socket;
  readonly #endpoint: OvsdbEndpoint;
  readonly #options: RpcConnectionOptions;
  readonly #splitter: JsonStreamSplitter;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed: OvsdbError | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  #probeOutstanding = false;

  private constructor(socket: Socket, endpoint: OvsdbEndpoint, options: RpcConnectionOptions) {
    this.#socket = socket;
    this.#endpoint = endpoint;
    this.#options = options;
    this.#splitter = new JsonStreamSplitter({ maxMessageBytes: options.maxMessageBytes });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (error) => this.#fail(new OvsdbConnectionLostError(endpoint.text, error.message, error)));
    socket.on("close", () => this.#fail(new OvsdbConnectionLostError(endpoint.text, "closed by the server")));
    if (options.unrefWhenIdle === true) socket.unref();
    this.#armProbe();
  }

  /** Connects to `endpoint`; rejects with {@link OvsdbConnectionLostError} when it cannot. */
  static open(endpoint: OvsdbEndpoint, options: RpcConnectionOptions = {}): Promise<RpcConnection> {
    return new Promise((resolve, reject) => {
      const socket =
        endpoint.kind === "unix" ? netConnect({ path: endpoint.path }) : netConnect({ host: endpoint.host, port: endpoint.port });
      socket.setNoDelay?.(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new OvsdbConnectionLostError(endpoint.text, `connect timed out after ${options.connectTimeoutMs ?? 5000} ms`));
      }, options.connectTimeoutMs ?? 5000);
      const onError = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new OvsdbConnectionLostError(endpoint.text, error.message, error));
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        resolve(new RpcConnection(socket, endpoint, options));
      });
    });
  }

  /** The endpoint this connection talks to. */
  get endpoint(): OvsdbEndpoint {
    return this.#endpoint;
  }

  /** Whether the connection is closed. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /**
   * Sends a request and resolves with its `result`; rejects with
   * {@link OvsdbRpcError} when the response carries an error.
   */
  request(method: string, params: readonly unknown[], options: RequestOptions = {}): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new OvsdbAbortedError(method, signal.reason));
    const id = this.#nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      // Given up on: tell the server (RFC 7047 4.1.4), so a transaction blocked in a `wait` is dropped, not applied later.
      const giveUp = (error: OvsdbError): void =>
        settle(() => {
          this.notify("cancel", [id]);
          reject(error);
        });
      const onAbort = (): void => giveUp(new OvsdbAbortedError(method, signal?.reason));
      const settle = (outcome: () => void): void => {
        if (!this.#pending.delete(id)) return;
        if (this.#pending.size === 0 && this.#options.unrefWhenIdle === true) this.#socket.unref();
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        outcome();
      };
      this.#pending.set(id, {
        method,
        resolve: (value) => settle(() => resolve(value)),
        reject: (error) => settle(() => reject(error)),
      });
      if (timeoutMs > 0) timer = setTimeout(() => giveUp(new OvsdbTimeoutError(method, timeoutMs)), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (this.#options.unrefWhenIdle === true) this.#socket.ref();
      this.#send({ method, params, id });
    });
  }

  /** Sends a notification (no answer expected). */
  notify(method: string, params: readonly unknown[]): void {
    if (this.#closed === undefined) this.#send({ method, params, id: null });
  }

  /** Closes the connection; pending requests fail with {@link OvsdbClosedError}. Harmless twice. */
  close(reason: OvsdbError = new OvsdbClosedError()): void {
    this.#fail(reason);
  }

  #send(message: unknown): void {
    this.#socket.write(JSON.stringify(message));
  }

  #armProbe(): void {
    const interval = this.#options.probeIntervalMs ?? 5000;
    if (interval <= 0 || this.#closed !== undefined) return;
    if (this.#probeTimer !== undefined) clearTimeout(this.#probeTimer);
    this.#probeTimer = setTimeout(() => this.#probe(), interval);
    this.#probeTimer.unref();
  }

  #probe(): void {
    if (this.#closed !== undefined) return;
    if (this.#probeOutstanding) {
      const interval = this.#options.probeIntervalMs ?? 5000;
      this.#fail(new OvsdbConnectionLostError(this.#endpoint.text, `no answer to an echo probe within ${interval} ms`));
      return;
    }
    this.#probeOutstanding = true;
    this.#armProbe();
    // Any data counts as an answer (#onData clears the flag); the echo just provokes some.
    this.request("echo", ["incusx-probe"], { timeoutMs: 0 }).catch(() => {});
  }

  #onData(chunk: Buffer): void {
    this.#probeOutstanding = false;
    this.#armProbe();
    let messages: unknown[];
    try {
      messages = this.#splitter.push(chunk);
    } catch (error) {
      this.#fail(error as OvsdbError);
      this.#socket.destroy();
      return;
    }
    for (const message of messages) {
      if (this.#closed !== undefined) return;
      // RFC 7047 messages are objects; anything else (ovsdb-server drops such a peer too) would leave a request unanswered.
      if (typeof message !== "object" || message === null || Array.isArray(message)) {
        this.#fail(new OvsdbProtocolError(`JSON-RPC message is ${Array.isArray(message) ? "an array" : "not an object"}`));
        return;
      }
      this.#dispatch(message as Record<string, unknown>);
    }
  }

  #dispatch(message: Record<string, unknown>): void {
    if (typeof message.method === "string") {
      // RFC 7047 and OVS's own parser require an array; a notification we cannot read would otherwise be lost silently.
      if (!Array.isArray(message.params)) {
        this.#fail(new OvsdbProtocolError(`JSON-RPC "${message.method}" has params that are not an array`));
        return;
      }
      const params = message.params;
      if (message.method === "echo" && message.id !== undefined && message.id !== null) {
        this.#send({ id: message.id, result: params, error: null });
        return;
      }
      try {
        this.#options.onNotification?.(message.method, params);
      } catch (error) {
        // Thrown out of a socket handler it would crash the process: a notification we cannot read ends the session.
        const why = error instanceof Error ? error.message : String(error);
        this.#fail(new OvsdbProtocolError(`Notification "${message.method}" could not be handled: ${why}`, { cause: error }));
      }
      return;
    }
    if (typeof message.id !== "number") return;
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    if (message.error !== null && message.error !== undefined) pending.reject(new OvsdbRpcError(pending.method, message.error));
    else pending.resolve(message.result);
  }

  #fail(error: OvsdbError): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    if (this.#probeTimer !== undefined) clearTimeout(this.#probeTimer);
    this.#socket.destroy();
    for (const pending of [...this.#pending.values()]) pending.reject(error);
    this.#pending.clear();
    this.#options.onClose?.(error);
  }
}
