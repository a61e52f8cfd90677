import type { NicProblem } from "../extension-points.js";
import type { Validator } from "./combinators.js";
import { messageOf, quote } from "./validation-error.js";

/**
 * Validation rules of a device: config key to validator, as Incus's NIC
 * types declare theirs. A rule runs whether or not its key is set (an
 * unset key is checked as `""`), so `required(...)` catches a missing key
 * and `optional(...)` lets it be.
 *
 * @example
 * const rules: Rules = {
 *   network: required(),
 *   "ipv4.address.external": optional(isNetworkAddressV4),
 * };
 */
export type Rules = Readonly<Record<string, Validator>>;

/** How {@link checkRules} treats keys no rule covers. */
export interface CheckRulesOptions {
  /**
   * Report a set key that no rule covers as `Invalid device option "k"`.
   * Off by default: the host knows every validator's keys and rejects
   * unknown keys itself, so a plugin checking only its own keys leaves
   * this off.
   */
  readonly rejectUnknown?: boolean;
  /** Keys known elsewhere, never reported as unknown. */
  readonly knownKeys?: Iterable<string>;
}

/**
 * Incus's message for a bad value, as a {@link NicProblem}: `Invalid
 * value for device option "k": <cause>`. For plugins that check a value
 * outside a {@link Validator} (against host state, say).
 *
 * @example
 * invalidOption("ipv4.address.external", `External address "198.51.100.9" is not a network forward on network "ovn0"`, "198.51.100.9");
 */
export function invalidOption(key: string, cause: string, value?: string): NicProblem {
  const message = `Invalid value for device option ${quote(key)}: ${cause}`;
  return value === undefined ? { key, message } : { key, value, message };
}

/** Incus's message for a key nothing knows, as a {@link NicProblem}: `Invalid device option "k"`. */
export function unknownOption(key: string, value?: string): NicProblem {
  const message = `Invalid device option ${quote(key)}`;
  return value === undefined ? { key, message } : { key, value, message };
}

/**
 * Whether Incus accepts `key` on any device without a rule: `user.*` keys
 * are free for users to set.
 */
export function isUserKey(key: string): boolean {
  return key.startsWith("user.");
}

/**
 * Runs every rule against `config` and returns every problem, sorted by
 * key, instead of stopping at the first as Incus does. A set value that
 * fails gives `Invalid value for device option "k": <cause>` with the
 * value; a missing key that fails (a `required` rule) gives the same
 * message without a value. With `rejectUnknown`, set keys that no rule,
 * no `knownKeys` entry and no `user.` prefix covers give `Invalid device
 * option "k"`.
 *
 * @example
 * checkRules({ mtu: optional(isNetworkMTU) }, { mtu: "100" });
 * // [{ key: "mtu", value: "100", message: 'Invalid value for device option "mtu": Out of MTU range (1280-16384) "100"' }]
 */
export function checkRules(
  rules: Rules,
  config: Readonly<Record<string, string>>,
  options: CheckRulesOptions = {},
): NicProblem[] {
  const problems: NicProblem[] = [];
  for (const [key, validator] of Object.entries(rules)) {
    const isSet = Object.prototype.hasOwnProperty.call(config, key);
    const value = isSet ? config[key]! : "";
    try {
      validator(value);
    } catch (error) {
      problems.push(invalidOption(key, messageOf(error), isSet ? value : undefined));
    }
  }
  if (options.rejectUnknown === true) {
    const known = new Set(options.knownKeys ?? []);
    for (const [key, value] of Object.entries(config)) {
      if (Object.prototype.hasOwnProperty.call(rules, key) || known.has(key) || isUserKey(key)) continue;
      problems.push(unknownOption(key, value));
    }
  }
  return sortProblems(problems);
}

/**
 * `problems` sorted by key, keeping the order of problems with the same
 * key (code-unit order, so it does not depend on the locale).
 */
export function sortProblems<T extends NicProblem>(problems: readonly T[]): T[] {
  return [...problems].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
