// The client callers use: picks a usable endpoint (for a clustered
// database: a member connected to its cluster and not behind), reconnects
// with exponential backoff when it goes away, and re-establishes monitors.
// It never re-sends a transact: writes are at-least-once, so a caller
// retries its own idempotent (wait-guarded) transaction.

import { EventEmitter } from "node:events";
import { RpcConnection, type RequestOptions } from "./connection.js";
import { parseEndpoints, type OvsdbEndpoint } from "./endpoint.js";
import { checkMaxMessageBytes } from "./json-stream.js";
import {
  OvsdbAbortedError,
  OvsdbClosedError,
  OvsdbConnectionLostError,
  OvsdbError,
  OvsdbErrorCode,
  OvsdbProtocolError,
  OvsdbTimeoutError,
  OvsdbUnavailableError,
} from "./errors.js";
import type { Monitor, MonitorCondRequests, MonitorUpdate, TableUpdates2 } from "./monitor.js";
import { op, type OperationResult, type OvsdbOperation, type SelectResult } from "./operations.js";
import { checkDatabaseNames, checkDatabaseSchema, checkMonitorCondSinceReply, checkTableUpdates2, checkTransactResult } from "./replies.js";
import { pruneOperations, type DatabaseSchema } from "./schema.js";
import { optionalAtom } from "./values.js";

/** Options of an {@link OvsdbClient}. */
export interface OvsdbClientOptions {
  /**
   * The database the caller works on. When it is clustered, the client only
   * uses a member whose `_Server.Database` row says connected and whose raft
   * index is not behind the highest seen, and leaves a member that loses
   * its cluster.
   */
  readonly database?: string;
  /** Only use the cluster leader (default false: any member forwards writes). */
  readonly leaderOnly?: boolean;
  /** Give up connecting to one endpoint after this many milliseconds (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Default request time limit (default 30 000). */
  readonly requestTimeoutMs?: number;
  /** Inactivity probe interval (default 5000; 0 disables). */
  readonly probeIntervalMs?: number;
  /** Let the process exit while no request is pending (for short-lived commands); default false. */
  readonly unrefWhenIdle?: boolean;
  /** First reconnect delay after every endpoint failed (default 50), doubled up to {@link maxBackoffMs}. */
  readonly initialBackoffMs?: number;
  /** Largest reconnect delay (default 2000). */
  readonly maxBackoffMs?: number;
  /**
   * Largest message accepted from the server, in bytes (default
   * `DEFAULT_MAX_MESSAGE_BYTES`, 256 MiB). A larger one ends the session
   * with `OvsdbProtocolError` once the limit is reached, without buffering
   * more; the next request or monitor reconnects.
   */
  readonly maxMessageBytes?: number;
}

interface MonitorState {
  readonly id: string;
  readonly db: string;
  readonly requests: MonitorCondRequests;
  readonly since: boolean;
  readonly listener: (update: MonitorUpdate) => void;
  lastTxnId: string;
}

const ZERO_TXN = "00000000-0000-0000-0000-000000000000";
const SERVER_MONITOR = "incusx-server-db";

/**
 * An RFC 7047 client over one or more endpoints.
 *
 * Events: `"connect"` (endpoint text) after every (re)connection,
 * `"reconnect"` (endpoint text) once a connection lost earlier is
 * replaced and every monitor runs again (not for the first connection),
 * `"disconnect"` ({@link OvsdbError}) when the current connection is lost,
 * `"update"` (monitor id, {@link MonitorUpdate}) for every monitor update,
 * after the monitor's own listener.
 *
 * @example
 * const client = await OvsdbClient.connect("unix:/run/ovn/ovnnb_db.sock", { database: "OVN_Northbound" });
 * const [res] = await client.transact("OVN_Northbound", [op.select("Logical_Router", [], ["name"])]);
 * client.close();
 */
export class OvsdbClient extends EventEmitter {
  readonly #endpoints: readonly OvsdbEndpoint[];
  readonly #options: OvsdbClientOptions;
  readonly #monitors = new Map<string, MonitorState>();
  readonly #schemas = new Map<string, Promise<DatabaseSchema>>();
  /** Updates that came for a monitor whose reply is not handled yet, by monitor id. */
  readonly #starting = new Map<string, MonitorUpdate[]>();
  #conn: RpcConnection | undefined;
  #ready: Promise<RpcConnection> | undefined;
  #next = 0;
  #maxIndex = 0;
  #closed = false;
  #monitorSeq = 0;
  #wake: (() => void) | undefined;
  /** When the current connection was adopted (performance.now()). */
  #adoptedAt = -Infinity;
  /** Delay before redialling after a connection that was lost soon after it was set up; 0 after a lasting one. */
  #flapDelay = 0;
  #waiting = 0;

  private constructor(endpoints: readonly OvsdbEndpoint[], options: OvsdbClientOptions) {
    super();
    // Refused now, not at the first connection attempt, where it would read as an unusable server.
    checkMaxMessageBytes(options.maxMessageBytes);
    this.#endpoints = endpoints;
    this.#options = options;
  }

  /**
   * Connects to the first usable endpoint of `connection` (comma-separated
   * `unix:PATH` / `tcp:HOST:PORT`). Rejects with {@link OvsdbUnavailableError}
   * when none is usable in one pass.
   */
  static async connect(connection: string, options: OvsdbClientOptions = {}): Promise<OvsdbClient> {
    const client = new OvsdbClient(parseEndpoints(connection), options);
    const conn = await client.#tryAll();
    client.#adopt(conn);
    return client;
  }

  /** The endpoint in use, or `undefined` while reconnecting. */
  get endpoint(): string | undefined {
    return this.#conn?.closed === false ? this.#conn.endpoint.text : undefined;
  }

  /** Names of the server's databases. */
  async listDbs(options?: RequestOptions): Promise<string[]> {
    return checkDatabaseNames(await this.request("list_dbs", [], options));
  }

  /** The schema of `db`. Fetched once per client (a cluster's members share the schema). */
  getSchema(db: string, options?: RequestOptions): Promise<DatabaseSchema> {
    let schema = this.#schemas.get(db);
    if (schema === undefined) {
      schema = this.request("get_schema", [db], options).then(checkDatabaseSchema);
      this.#schemas.set(db, schema);
      schema.catch(() => this.#schemas.delete(db));
    }
    return schema;
  }

  /**
   * Runs `ops` as one atomic transaction and returns one result per op.
   * Throws {@link OvsdbOperationError} naming the failed op,
   * {@link OvsdbCommitError} when the commit failed, {@link OvsdbProtocolError}
   * when the reply does not match the operations (see `checkTransactResult`),
   * or a connection error (then the transaction may or may not have been applied).
   */
  async transact(db: string, ops: readonly OvsdbOperation[], options?: RequestOptions): Promise<OperationResult[]> {
    const result = await this.request("transact", [db, ...ops], options);
    return checkTransactResult(ops, result);
  }

  /**
   * Like {@link transact}, but first drops the columns the server's schema
   * of `db` does not have (see `pruneOperations`).
   */
  async transactPruned(db: string, ops: readonly OvsdbOperation[], options?: RequestOptions): Promise<OperationResult[]> {
    return this.transact(db, pruneOperations(await this.getSchema(db, options), ops), options);
  }

  /**
   * Starts a conditional monitor (`monitor_cond_since` when `since` is true,
   * the default; `monitor_cond` otherwise). The listener receives the
   * initial contents, then every change; after a reconnection the monitor is
   * re-established and the listener gets a new initial update (with
   * `found: true` when the server could resume from the last transaction).
   */
  async monitor(
    db: string,
    requests: MonitorCondRequests,
    listener: (update: MonitorUpdate) => void,
    options: { readonly since?: boolean } & RequestOptions = {},
  ): Promise<Monitor> {
    const state: MonitorState = {
      id: `incusx-monitor-${++this.#monitorSeq}`,
      db,
      requests,
      since: options.since ?? true,
      listener,
      lastTxnId: ZERO_TXN,
    };
    const conn = await this.#connection(options);
    await this.#startMonitor(conn, state, options);
    this.#monitors.set(state.id, state);
    return {
      id: state.id,
      cancel: async () => {
        if (!this.#monitors.delete(state.id)) return;
        const current = this.#conn;
        if (current !== undefined && !current.closed) await current.request("monitor_cancel", [state.id]).catch(() => {});
      },
    };
  }

  /**
   * Sends any request on the current connection (waiting for a reconnection
   * if needed). Its result is returned unchecked: check a raw `transact`
   * with `checkTransactResult`.
   */
  async request(method: string, params: readonly unknown[], options: RequestOptions = {}): Promise<unknown> {
    const conn = await this.#connection(options);
    return conn.request(method, params, { ...options, timeoutMs: options.timeoutMs ?? this.#options.requestTimeoutMs });
  }

  /** Closes the client: pending requests fail with `OVSDB_CLOSED`, no reconnection. Harmless twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    this.#conn?.close();
    this.#monitors.clear();
  }

  async #connection(options: RequestOptions): Promise<RpcConnection> {
    if (this.#closed) throw new OvsdbClosedError();
    if (this.#conn !== undefined && !this.#conn.closed) return this.#conn;
    const ready = this.#ready ?? this.#reconnect();
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs ?? 30_000;
    this.#waiting++;
    return new Promise<RpcConnection>((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => reject(new OvsdbTimeoutError("connect", timeoutMs)), timeoutMs) : undefined;
      const onAbort = (): void => reject(new OvsdbAbortedError("connect", options.signal?.reason));
      options.signal?.addEventListener("abort", onAbort, { once: true });
      ready.then(resolve, reject).finally(() => {
        if (timer !== undefined) clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      });
    }).finally(() => this.#waiting--);
  }

  #reconnect(): Promise<RpcConnection> {
    const ready = (async () => {
      const initial = this.#options.initialBackoffMs ?? 50;
      const max = this.#options.maxBackoffMs ?? 2000;
      let delay = initial;
      // A connection lost soon after it was set up counts as a failed attempt:
      // a server that accepts and then drops must not be redialled in a tight loop.
      if (performance.now() - this.#adoptedAt < max) {
        delay = this.#flapDelay = Math.min(this.#flapDelay === 0 ? initial : this.#flapDelay * 2, max);
        await this.#sleep(delay);
        delay = Math.min(delay * 2, max);
      } else this.#flapDelay = 0;
      for (;;) {
        if (this.#closed) throw new OvsdbClosedError();
        let conn: RpcConnection | undefined;
        try {
          conn = await this.#tryAll();
          if (this.#closed) {
            conn.close();
            throw new OvsdbClosedError();
          }
          this.#adopt(conn);
          await this.#restoreMonitors(conn);
          // Only now is the lost connection truly replaced (its monitors run again): one event per loss healed.
          this.emit("reconnect", conn.endpoint.text);
          return conn;
        } catch (error) {
          // Adopted but its monitors were refused: close it, or every retry leaks a socket.
          conn?.close(error instanceof OvsdbError ? error : undefined);
          if (error instanceof OvsdbClosedError) throw error;
          // Nobody waits and no monitor needs the connection: stop trying until the next request.
          if (this.#waiting === 0 && this.#monitors.size === 0) throw error;
        }
        await this.#sleep(delay);
        delay = Math.min(delay * 2, max);
      }
    })();
    this.#ready = ready;
    ready.then(
      () => (this.#ready = undefined),
      () => (this.#ready = undefined),
    );
    return ready;
  }

  /** Waits `ms` (cut short by {@link close}). */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      if (this.#options.unrefWhenIdle === true) timer.unref();
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** One pass over the endpoints, starting after the last one used. */
  async #tryAll(): Promise<RpcConnection> {
    const attempts: string[] = [];
    for (let i = 0; i < this.#endpoints.length; i++) {
      const endpoint = this.#endpoints[(this.#next + i) % this.#endpoints.length]!;
      let conn: RpcConnection | undefined;
      try {
        conn = await RpcConnection.open(endpoint, {
          connectTimeoutMs: this.#options.connectTimeoutMs,
          requestTimeoutMs: this.#options.requestTimeoutMs,
          probeIntervalMs: this.#options.probeIntervalMs,
          unrefWhenIdle: this.#options.unrefWhenIdle,
          maxMessageBytes: this.#options.maxMessageBytes,
          onNotification: (method, params) => this.#onNotification(conn!, method, params),
          onClose: (error) => this.#onClose(conn!, error),
        });
        await this.#checkMember(conn);
        this.#next = (this.#next + i) % this.#endpoints.length;
        return conn;
      } catch (error) {
        conn?.close();
        attempts.push(`${endpoint.text}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // Start the next pass at the member after the first one tried.
    this.#next = (this.#next + 1) % this.#endpoints.length;
    throw new OvsdbUnavailableError(attempts);
  }

  /** Refuses a member of a clustered database that is disconnected, behind, or (leaderOnly) a follower. */
  async #checkMember(conn: RpcConnection): Promise<void> {
    const db = this.#options.database;
    if (db === undefined) return;
    const where = [["name", "==", db]] as const;
    const result = await conn.request("transact", ["_Server", op.select("Database", where)], {
      timeoutMs: this.#options.connectTimeoutMs ?? 5000,
    });
    const [select] = checkTransactResult([op.select("Database", where)], result) as [SelectResult];
    const row = select.rows[0];
    if (row === undefined) throw new OvsdbError(OvsdbErrorCode.Unavailable, `server has no database "${db}"`);
    this.#judgeMember(row);
    await conn.request("monitor_cond", ["_Server", SERVER_MONITOR, { Database: [{ where, columns: ["connected", "leader", "index", "model"] }] }]);
  }

  #judgeMember(row: Readonly<Record<string, unknown>>): void {
    if (row.model !== "clustered") return;
    if (row.connected === false) throw new OvsdbError(OvsdbErrorCode.Unavailable, "member is not connected to its cluster");
    if (this.#options.leaderOnly === true && row.leader === false) throw new OvsdbError(OvsdbErrorCode.Unavailable, "member is not the leader");
    const index = optionalAtom(row.index);
    if (typeof index === "number") {
      if (index < this.#maxIndex) throw new OvsdbError(OvsdbErrorCode.Unavailable, `member is behind (raft index ${index} < ${this.#maxIndex})`);
      this.#maxIndex = index;
    }
  }

  #adopt(conn: RpcConnection): void {
    this.#conn = conn;
    this.#adoptedAt = performance.now();
    this.emit("connect", conn.endpoint.text);
  }

  async #restoreMonitors(conn: RpcConnection): Promise<void> {
    for (const state of this.#monitors.values()) await this.#startMonitor(conn, state, {});
  }

  async #startMonitor(conn: RpcConnection, state: MonitorState, options: RequestOptions): Promise<void> {
    // Updates can follow the reply in the same chunk, before this function
    // resumes: they wait here and go out after the initial contents.
    const held: MonitorUpdate[] = [];
    this.#starting.set(state.id, held);
    try {
      let initial: MonitorUpdate;
      if (state.since) {
        const result = await conn.request("monitor_cond_since", [state.db, state.id, state.requests, state.lastTxnId], options);
        const [found, lastTxnId, updates] = checkMonitorCondSinceReply(result);
        initial = { updates, initial: true, found, lastTxnId };
      } else {
        const reply = await conn.request("monitor_cond", [state.db, state.id, state.requests], options);
        initial = { updates: checkTableUpdates2(reply, "monitor_cond reply"), initial: true, found: false, lastTxnId: undefined };
      }
      for (const update of [initial, ...held]) this.#apply(state, update);
    } finally {
      this.#starting.delete(state.id);
    }
  }

  // Throwing here (a malformed update) ends the session with a protocol
  // error: a monitor that skipped an update would be out of step.
  #onNotification(conn: RpcConnection, method: string, params: readonly unknown[]): void {
    if (conn !== this.#conn) return;
    if (method === "update2" && params[0] === SERVER_MONITOR) {
      this.#onServerUpdate(conn, checkTableUpdates2(params[1], "_Server update2"));
      return;
    }
    if (typeof params[0] !== "string") return;
    const held = this.#starting.get(params[0]);
    const state = this.#monitors.get(params[0]);
    if (held === undefined && state === undefined) return;
    let update: MonitorUpdate;
    if (method === "update3") {
      if (typeof params[1] !== "string") throw new OvsdbProtocolError("OVSDB update3: the last transaction id is not a string");
      update = { updates: checkTableUpdates2(params[2], "update3"), initial: false, found: true, lastTxnId: params[1] };
    } else if (method === "update2") {
      update = { updates: checkTableUpdates2(params[1], "update2"), initial: false, found: true, lastTxnId: undefined };
    } else return;
    if (held !== undefined) held.push(update);
    else this.#apply(state!, update);
  }

  /** Hands `update` to the monitor's listeners, after noting its transaction id. */
  #apply(state: MonitorState, update: MonitorUpdate): void {
    if (update.lastTxnId !== undefined) state.lastTxnId = update.lastTxnId;
    this.#deliver(state, update);
  }

  /** Leaves a member that stops being usable (lost its cluster, or no longer leader when leaderOnly). */
  #onServerUpdate(conn: RpcConnection, updates: TableUpdates2): void {
    for (const change of Object.values(updates.Database ?? {})) {
      const row = "modify" in change ? change.modify : "initial" in change ? change.initial : undefined;
      if (row === undefined) continue;
      const bad = row.connected === false || (this.#options.leaderOnly === true && row.leader === false);
      if (bad) conn.close(new OvsdbConnectionLostError(conn.endpoint.text, "member left its cluster or stopped leading"));
    }
  }

  #deliver(state: MonitorState, update: MonitorUpdate): void {
    for (const notify of [() => state.listener(update), () => this.emit("update", state.id, update)]) {
      try {
        notify();
      } catch {
        // A throwing listener must not break the connection's dispatch loop.
      }
    }
  }

  #onClose(conn: RpcConnection, error: OvsdbError): void {
    if (conn !== this.#conn) return;
    this.#next = (this.#next + 1) % this.#endpoints.length;
    this.emit("disconnect", error);
    if (!this.#closed && this.#monitors.size > 0 && this.#ready === undefined) this.#reconnect().catch(() => {});
  }
}
