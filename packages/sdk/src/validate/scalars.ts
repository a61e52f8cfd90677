import type { Validator } from "./combinators.js";
import { quote, ValidationError } from "./validation-error.js";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT32_MAX = 2n ** 32n - 1n;

/**
 * Decimal integer text as Go's `strconv.ParseInt(value, 10, 64)` reads it,
 * or `undefined`. Shared with the link validators; not part of the API.
 */
export function parseInt64(value: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(value)) return undefined;
  const n = BigInt(value);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/**
 * Why Go's `strconv.ParseUint(value, 10, bits)` refuses `value`, or
 * `undefined` when it accepts it. Incus puts this text in some messages.
 * Shared with the link validators; not part of the API.
 */
export function parseUintError(value: string, max: bigint): string | undefined {
  if (!/^\d+$/.test(value)) return `strconv.ParseUint: parsing ${quote(value)}: invalid syntax`;
  if (BigInt(value) > max) return `strconv.ParseUint: parsing ${quote(value)}: value out of range`;
  return undefined;
}

/**
 * Accepts every value, the empty string included. For keys that are
 * known but free-form (`host_name`, `parent`).
 */
export const isAny: Validator = () => {};

/**
 * A boolean as Incus understands it: `true`, `false`, `yes`, `no`, `on`,
 * `off`, `1`, `0`, in any case.
 *
 * @example
 * isBool("Yes"); // passes
 * isBool("y");   // throws: Invalid value for a boolean "y"
 */
export const isBool: Validator = (value) => {
  if (!["true", "false", "yes", "no", "on", "off", "1", "0"].includes(value.toLowerCase())) {
    throw new ValidationError(`Invalid value for a boolean ${quote(value)}`);
  }
};

/**
 * A signed 64-bit decimal integer (an optional sign, then digits).
 *
 * @example
 * isInt64("-42"); // passes
 */
export const isInt64: Validator = (value) => {
  if (parseInt64(value) === undefined) throw new ValidationError(`Invalid value for an integer ${quote(value)}`);
};

/**
 * An unsigned 32-bit decimal integer, no sign. The message carries Go's
 * parse error as Incus's does:
 * `Invalid value for uint32 "x": strconv.ParseUint: parsing "x": invalid syntax`.
 */
export const isUint32: Validator = (value) => {
  const cause = parseUintError(value, UINT32_MAX);
  if (cause !== undefined) throw new ValidationError(`Invalid value for uint32 ${quote(value)}: ${cause}`);
};

/** An unsigned 8-bit decimal integer (0 to 255), no sign. */
export const isUint8: Validator = (value) => {
  if (parseUintError(value, 255n) !== undefined) {
    throw new ValidationError(`Invalid value for an integer ${quote(value)}. Must be between 0 and 255`);
  }
};

/**
 * A signed 64-bit integer between `min` and `max`, both included.
 *
 * @example
 * isInRange(1, 10)("11"); // throws: Value isn't within valid range. Must be between 1 and 10
 */
export function isInRange(min: number | bigint, max: number | bigint): Validator {
  const lo = BigInt(min);
  const hi = BigInt(max);
  return (value) => {
    const n = parseInt64(value);
    if (n === undefined) throw new ValidationError(`Invalid value for an integer ${quote(value)}`);
    if (n < lo || n > hi) {
      throw new ValidationError(`Value isn't within valid range. Must be between ${lo} and ${hi}`);
    }
  };
}

/**
 * One of `values`, compared exactly (case matters). The message lists the
 * choices as Go prints a string slice:
 * `Invalid value "x" (not one of [none sriov vdpa])`.
 */
export function isOneOf(...values: readonly string[]): Validator {
  const choices = [...values];
  return (value) => {
    if (!choices.includes(value)) {
      throw new ValidationError(`Invalid value ${quote(value)} (not one of [${choices.join(" ")}])`);
    }
  };
}
