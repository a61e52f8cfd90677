import { ErrorCode, IncusxError } from "@incusx/sdk";

/**
 * What went wrong talking to the server: `connect` (no server on the socket
 * or address), `timeout` (no complete answer in time), `status` (the server
 * answered with an error, `status` says which), `too-large` (a body or event
 * over its size limit), `malformed` (not JSON, or not the shape Incus's API
 * documents), `events` (the event stream failed or sent something that is
 * not an event).
 */
export type IncusStateErrorKind = "connect" | "timeout" | "status" | "too-large" | "malformed" | "events";

/** Where an {@link IncusStateError} came from. */
export interface IncusStateErrorOptions {
  /** The API path asked (`/1.0/networks?recursion=1`). */
  readonly path?: string;
  /** HTTP status or Incus `error_code`, for `status` errors. */
  readonly status?: number;
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * The Incus-compatible server could not give the host its state. Code
 * `STATE_UNAVAILABLE`; `kind` says why, so callers can tell a missing
 * instance (`status` 404) from a server that is down or misbehaving.
 *
 * @example
 * if (error instanceof IncusStateError && error.kind === "status" && error.status === 404) forget(name);
 */
export class IncusStateError extends IncusxError {
  /** Why the state could not be read. */
  readonly kind: IncusStateErrorKind;
  /** The API path asked, when there was one. */
  readonly path: string | undefined;
  /** HTTP status or Incus `error_code`, for `status` errors. */
  readonly status: number | undefined;

  constructor(kind: IncusStateErrorKind, message: string, options: IncusStateErrorOptions = {}) {
    super(ErrorCode.StateUnavailable, message, options.cause === undefined ? {} : { cause: options.cause });
    this.kind = kind;
    this.path = options.path;
    this.status = options.status;
  }
}

/** Whether `error` is the server saying "not found" (the object is gone). */
export function isNotFound(error: unknown): boolean {
  return error instanceof IncusStateError && error.kind === "status" && error.status === 404;
}
