import { ErrorCode, isIncusxError } from "@incusx/sdk";

/** A successful answer of the daemon API, shaped as Incus's sync responses. */
export interface SyncResponse<T = unknown> {
  readonly type: "sync";
  readonly status: "Success";
  readonly status_code: 200;
  readonly metadata: T;
}

/** A failed request, shaped as Incus's error responses; `error_code` is the HTTP status. */
export interface ErrorResponse {
  readonly type: "error";
  readonly error: string;
  readonly error_code: number;
  /** The incusx error code (`NOT_FOUND`, `INVALID_CONFIG`, ...); an addition to Incus's shape, for clients that branch on it. */
  readonly code?: string;
}

/**
 * A request the API refuses, with its HTTP status. Thrown by handlers,
 * turned into an {@link ErrorResponse} by the server.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The body of a successful answer. */
export function syncResponse<T>(metadata: T): SyncResponse<T> {
  return { type: "sync", status: "Success", status_code: 200, metadata };
}

// IncusxError codes the API maps to a client-side status; everything else is the daemon's fault.
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  [ErrorCode.NotFound]: 404,
  [ErrorCode.InUse]: 409,
  [ErrorCode.InvalidConfig]: 400,
};

/** The {@link ErrorResponse} of anything a handler threw. */
export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof ApiError) {
    return { type: "error", error: error.message, error_code: error.status, ...(error.code === undefined ? {} : { code: error.code }) };
  }
  if (isIncusxError(error)) {
    return { type: "error", error: error.message, error_code: STATUS_OF_CODE[error.code] ?? 500, code: error.code };
  }
  return { type: "error", error: error instanceof Error ? error.message : String(error), error_code: 500 };
}
