import { DhcpDecodeError } from "./decode-error.js";
import type { Dhcpv4Message } from "./v4/message.js";
import type { Dhcpv6Message, Dhcpv6Option } from "./v6/message.js";

/**
 * What was wrong with an option's value:
 * - `length`: not the fixed length, or shorter than the option needs;
 * - `name`: a domain name that does not decode (unterminated, reserved
 *   label type, bad compression pointer, over 255 octets, several names
 *   where one is wanted);
 * - `text`: a Status Code message that is not UTF-8;
 * - `value`: a field out of its range (a prefix length over 128 or 32).
 */
export type DhcpOptionProblem = "length" | "name" | "text" | "value";

/** Why a decoder marked one option invalid, see {@link DhcpInvalidOption}. */
export interface DhcpOptionInvalidity {
  readonly problem: DhcpOptionProblem;
  /** The same sentence a `DhcpDecodeError` would carry, for logs. */
  readonly reason: string;
  /** Byte offset in the packet where the problem was found. */
  readonly offset: number;
  /**
   * Domain lists only (DHCPv6 24, DHCPv4 119): the names that decoded
   * completely before the problem, in order (may be empty).
   */
  readonly names?: readonly string[];
}

/**
 * An option whose value breaks a rule of its RFC inside an otherwise sound
 * message: the decoders keep the message and give the option as its raw
 * value bytes (`data`, as received, so the message re-encodes byte for
 * byte) with `invalid` saying why. `findDhcpv4Option`, `dhcpv4OptionValue`,
 * `findDhcpv6Option` and `findDhcpv6Options` skip such options, so a
 * caller that only asks for typed options never reads half-understood data.
 *
 * @example
 * for (const option of invalidDhcpv6Options(reply)) log.debug(`option ${option.code}: ${option.invalid.reason}`);
 */
export interface DhcpInvalidOption {
  readonly code: number;
  readonly data: Uint8Array;
  readonly invalid: DhcpOptionInvalidity;
}

/**
 * Whether `option` is one a decoder marked invalid.
 *
 * @example
 * if (isDhcpInvalidOption(option)) continue;
 */
export function isDhcpInvalidOption(option: { readonly code: number }): option is DhcpInvalidOption {
  return (option as { invalid?: unknown }).invalid !== undefined;
}

/**
 * The invalid options of a decoded DHCPv4 message, in wire order.
 *
 * @example
 * invalidDhcpv4Options(decodeDhcpv4(bytes)).map((o) => o.code) // [61]
 */
export function invalidDhcpv4Options(message: Pick<Dhcpv4Message, "options">): DhcpInvalidOption[] {
  const found: DhcpInvalidOption[] = [];
  for (const option of message.options) if (isDhcpInvalidOption(option)) found.push(option);
  return found;
}

/**
 * The invalid options of a decoded DHCPv6 message at every level (inside
 * IA_NA, IA_TA, IA_PD, IAADDR, IAPREFIX and relayed messages too), depth
 * first in wire order.
 *
 * @example
 * invalidDhcpv6Options(decodeDhcpv6(bytes)).map((o) => o.code) // [14]
 */
export function invalidDhcpv6Options(message: Dhcpv6Message): DhcpInvalidOption[] {
  const found: DhcpInvalidOption[] = [];
  collect(message.options, found);
  return found;
}

function collect(options: readonly Dhcpv6Option[], found: DhcpInvalidOption[]): void {
  for (const option of options) {
    if (isDhcpInvalidOption(option)) {
      found.push(option);
      continue;
    }
    const o = option as { options?: readonly Dhcpv6Option[]; message?: Dhcpv6Message };
    if (Array.isArray(o.options)) collect(o.options, found);
    else if (option.code === 9 && o.message !== undefined) collect(o.message.options, found);
  }
}

/**
 * Most options one decoded message may hold marked invalid (all levels of
 * a DHCPv6 message, relayed ones included). Real messages carry one or two;
 * more is a `DhcpDecodeError` at the option that passes the bound. It keeps
 * a 65 KB datagram of 16,000 four-byte bad options from decoding to as
 * many objects.
 */
export const DHCP_MAX_INVALID_OPTIONS = 64;

/**
 * Internal: a problem in one option's value. Decoders throw it where the
 * value is read and catch it where the option is, turning it into a
 * {@link DhcpInvalidOption}; every `DhcpDecodeError` (structure, bounds)
 * still rejects the message. Not an `Error`: it never leaves the codec,
 * and an `Error` captures a stack, which cost about 4 us per invalid
 * option, more than decoding a whole message. The public value decoders
 * (`decodeDuid`, `decodeDomainNames`) turn it into a `DhcpDecodeError`
 * ({@link asDecodeError}).
 */
export class DhcpValueError {
  readonly offset: number;
  readonly reason: string;
  readonly problem: DhcpOptionProblem;
  /** Complete names before the problem, set by the domain-list decoders. */
  names?: readonly string[];

  constructor(offset: number, reason: string, problem: DhcpOptionProblem) {
    this.offset = offset;
    this.reason = reason;
    this.problem = problem;
  }
}

/** `e` as what a public decoder may throw: a {@link DhcpValueError} becomes a `DhcpDecodeError`. */
export function asDecodeError(e: unknown): unknown {
  return e instanceof DhcpValueError ? new DhcpDecodeError(e.offset, e.reason) : e;
}

/** The invalid form of an option whose value threw `error`. */
export function invalidOption(code: number, data: Uint8Array, error: DhcpValueError, offset: number): DhcpInvalidOption {
  const invalid: { -readonly [K in keyof DhcpOptionInvalidity]: DhcpOptionInvalidity[K] } = {
    problem: error.problem,
    reason: error.reason,
    offset,
  };
  if (error.names !== undefined) invalid.names = error.names;
  return { code, data, invalid };
}
