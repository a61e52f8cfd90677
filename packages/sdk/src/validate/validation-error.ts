import { ErrorCode, IncusxError } from "../errors.js";

/**
 * What a {@link Validator} throws when a value is bad. The message is the
 * cause alone (`Not an IPv4 address "x"`); {@link checkRules} adds the
 * `Invalid value for device option "k": ` prefix.
 *
 * @example
 * const isEven: Validator = (value) => {
 *   if (Number(value) % 2 !== 0) throw new ValidationError(`Not an even number ${quote(value)}`);
 * };
 */
export class ValidationError extends IncusxError {
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(ErrorCode.InvalidConfig, message, options);
  }
}

/**
 * A value quoted the way Incus quotes it (Go's `%q`), for messages:
 * `quote('a"b')` is `"a\"b"`. Control characters are escaped as JSON
 * does, which differs from Go only in their spelling.
 */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** The message of anything thrown, for wrapping it in a new message. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
