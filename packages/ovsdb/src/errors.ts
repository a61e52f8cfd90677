/**
 * Stable codes of {@link OvsdbError}s. Branch on `code`, never on message
 * text; codes are never renamed once released.
 */
export const OvsdbErrorCode = {
  /** The response to a request carried an `error` (unknown database, bad method, ...). */
  Rpc: "OVSDB_RPC_ERROR",
  /** One operation of a `transact` failed (its result has `error`). */
  Operation: "OVSDB_OPERATION_ERROR",
  /** A `transact` failed at commit: constraint violation, referential integrity, ... */
  Commit: "OVSDB_COMMIT_ERROR",
  /** No answer within the request's time limit. */
  Timeout: "OVSDB_TIMEOUT",
  /** The request was aborted by its AbortSignal. */
  Aborted: "OVSDB_ABORTED",
  /** The connection closed (or missed an echo probe) before the answer came. */
  ConnectionLost: "OVSDB_CONNECTION_LOST",
  /** No endpoint could be used (all unreachable, not connected to their cluster, or behind). */
  Unavailable: "OVSDB_UNAVAILABLE",
  /** The server sent something that is not RFC 7047 JSON-RPC. */
  Protocol: "OVSDB_PROTOCOL_ERROR",
  /** A connection string or argument is invalid. */
  InvalidArgument: "OVSDB_INVALID_ARGUMENT",
  /** The client was closed. */
  Closed: "OVSDB_CLOSED",
} as const;

/** One of the codes in {@link OvsdbErrorCode}. */
export type OvsdbErrorCode = (typeof OvsdbErrorCode)[keyof typeof OvsdbErrorCode];

/**
 * Base class of every error the client raises, with a stable `code`.
 *
 * @example
 * try { await client.transact("OVN_Northbound", ops); }
 * catch (e) { if (e instanceof OvsdbError && e.code === OvsdbErrorCode.ConnectionLost) retry(); }
 */
export class OvsdbError extends Error {
  /** Stable machine-readable code. */
  readonly code: OvsdbErrorCode;

  constructor(code: OvsdbErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** The server answered a request with an error object (RFC 7047 section 4.1.1). */
export class OvsdbRpcError extends OvsdbError {
  /** The method called. */
  readonly method: string;
  /** The `error` member of the response, as sent. */
  readonly error: unknown;

  constructor(method: string, error: unknown) {
    super(OvsdbErrorCode.Rpc, `OVSDB "${method}" failed: ${describe(error)}`);
    this.method = method;
    this.error = error;
  }
}

/** An operation result of a failed transaction (`{"error": ..., "details": ...}`). */
export interface OvsdbOperationFailure {
  /** Short error string (`"constraint violation"`, `"timed out"`, ...). */
  readonly error: string;
  /** Free text from the server. */
  readonly details?: string;
}

/**
 * One operation of a transaction failed; the transaction was not committed.
 * A `wait` that did not hold reports `error: "timed out"`.
 */
export class OvsdbOperationError extends OvsdbError {
  /** Index of the failed operation in the ops array. */
  readonly index: number;
  /** The failed operation's `op` (`"wait"`, `"insert"`, ...). */
  readonly op: string;
  /** The server's error string. */
  readonly error: string;
  /** The server's details, if any. */
  readonly details: string | undefined;

  constructor(index: number, op: string, failure: OvsdbOperationFailure) {
    super(
      OvsdbErrorCode.Operation,
      `OVSDB operation ${index} ("${op}") failed: ${failure.error}${failure.details ? ` (${failure.details})` : ""}`,
    );
    this.index = index;
    this.op = op;
    this.error = failure.error;
    this.details = failure.details;
  }
}

/**
 * Every operation succeeded but the commit failed: the result array is
 * longer than the ops array (RFC 7047 section 4.1.3), for example a
 * constraint violation or a referential integrity violation.
 */
export class OvsdbCommitError extends OvsdbError {
  /** The server's error string (`"referential integrity violation"`). */
  readonly error: string;
  /** The server's details, if any. */
  readonly details: string | undefined;

  constructor(failure: OvsdbOperationFailure) {
    super(OvsdbErrorCode.Commit, `OVSDB commit failed: ${failure.error}${failure.details ? ` (${failure.details})` : ""}`);
    this.error = failure.error;
    this.details = failure.details;
  }
}

/** No answer within the request's time limit. The request may still have been applied. */
export class OvsdbTimeoutError extends OvsdbError {
  /** The method called. */
  readonly method: string;
  /** The limit in milliseconds. */
  readonly timeoutMs: number;

  constructor(method: string, timeoutMs: number) {
    super(OvsdbErrorCode.Timeout, `OVSDB "${method}" got no answer within ${timeoutMs} ms`);
    this.method = method;
    this.timeoutMs = timeoutMs;
  }
}

/** The request was aborted by its signal. The request may still have been applied. */
export class OvsdbAbortedError extends OvsdbError {
  constructor(method: string, reason: unknown) {
    super(OvsdbErrorCode.Aborted, `OVSDB "${method}" was aborted`, { cause: reason });
  }
}

/**
 * The connection went away before the answer came. A `transact` may or may
 * not have been applied: writes are at-least-once, so retry only idempotent
 * transactions (guard them with `wait`).
 */
export class OvsdbConnectionLostError extends OvsdbError {
  /** The endpoint that was lost. */
  readonly endpoint: string;

  constructor(endpoint: string, reason: string, cause?: unknown) {
    super(OvsdbErrorCode.ConnectionLost, `OVSDB connection to ${endpoint} lost: ${reason}`, { cause });
    this.endpoint = endpoint;
  }
}

/** No endpoint could be used; `attempts` says why for each. */
export class OvsdbUnavailableError extends OvsdbError {
  /** One line per endpoint tried. */
  readonly attempts: readonly string[];

  constructor(attempts: readonly string[], cause?: unknown) {
    super(OvsdbErrorCode.Unavailable, `No usable OVSDB endpoint: ${attempts.join("; ") || "none given"}`, { cause });
    this.attempts = attempts;
  }
}

/** The server sent text that is not JSON-RPC as RFC 7047 defines it. */
export class OvsdbProtocolError extends OvsdbError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(OvsdbErrorCode.Protocol, message, options);
  }
}

/** A connection string or argument is invalid. */
export class OvsdbInvalidArgumentError extends OvsdbError {
  constructor(message: string) {
    super(OvsdbErrorCode.InvalidArgument, message);
  }
}

/** The client was closed; it makes no further requests. */
export class OvsdbClosedError extends OvsdbError {
  constructor() {
    super(OvsdbErrorCode.Closed, "OVSDB client is closed");
  }
}

function describe(error: unknown): string {
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null) {
    const e = error as { error?: unknown; details?: unknown };
    if (typeof e.error === "string") return typeof e.details === "string" ? `${e.error} (${e.details})` : e.error;
  }
  return JSON.stringify(error);
}
