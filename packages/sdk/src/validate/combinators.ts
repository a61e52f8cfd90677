import { messageOf, quote, ValidationError } from "./validation-error.js";

/**
 * Checks one config value. Returns nothing when the value is good and
 * throws a {@link ValidationError} with an Incus-style message when it is
 * not. Anything else a validator throws also counts as "bad value", with
 * its message, as every `error` does in Incus; throw `ValidationError` so
 * callers can tell a bad value from a crash when they care.
 *
 * Validators are synchronous: a plugin that needs host state (forwards,
 * other NICs) loads it first and closes over it.
 *
 * @example
 * const rules = { mtu: optional(isNetworkMTU) };
 */
export type Validator = (value: string) => void;

/**
 * All validators must pass; the first failure is thrown as is.
 * `and()` with no validators accepts everything.
 *
 * @example
 * and(isNetworkAddressV4, isNotInUse)("10.0.0.5");
 */
export function and(...validators: readonly Validator[]): Validator {
  return (value) => {
    for (const validator of validators) validator(value);
  };
}

/**
 * At least one validator must pass. Like Incus the causes are dropped and
 * the message is `"x" isn't a valid value`.
 *
 * @example
 * or(isOneOf("auto"), isNetworkAddressV4)("auto"); // passes
 */
export function or(...validators: readonly Validator[]): Validator {
  return (value) => {
    for (const validator of validators) {
      try {
        validator(value);
        return;
      } catch {
        // Try the next one; only the overall failure is reported.
      }
    }
    throw new ValidationError(`${quote(value)} isn't a valid value`);
  };
}

/**
 * An empty value is accepted; any other value must pass every validator.
 * This is how Incus treats keys that may be left unset.
 *
 * @example
 * optional(isNetworkMTU)(""); // passes
 */
export function optional(...validators: readonly Validator[]): Validator {
  const all = and(...validators);
  return (value) => {
    if (value === "") return;
    all(value);
  };
}

/**
 * An empty value fails with Incus's `Required value`; any other value must
 * pass every validator. (Incus's own `Required` only chains validators;
 * the empty check is what `nicValidationRules` adds for required fields,
 * folded in here so a rule reads like the requirement.)
 *
 * @example
 * const rules = { network: required() };
 */
export function required(...validators: readonly Validator[]): Validator {
  return and(isNotEmpty, ...validators);
}

/**
 * Rejects the empty string with `Required value`.
 */
export const isNotEmpty: Validator = (value) => {
  if (value === "") throw new ValidationError("Required value");
};

/**
 * A comma separated list whose items, trimmed of white space, each pass
 * `validator`. Empty items are checked too (`a,,b` gives an item `""`),
 * as in Incus. The message names the item: `Item "x": <cause>`.
 *
 * @example
 * optional(isListOf(isNetworkV4))("10.0.0.0/24, 10.0.1.0/24"); // passes
 */
export function isListOf(validator: Validator): Validator {
  return (value) => {
    for (const raw of value.split(",")) {
      const item = raw.trim();
      try {
        validator(item);
      } catch (error) {
        throw new ValidationError(`Item ${quote(item)}: ${messageOf(error)}`, { cause: error });
      }
    }
  };
}
