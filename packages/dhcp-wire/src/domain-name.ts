import { DhcpDecodeError } from "./decode-error.js";
import { DhcpValueError, asDecodeError } from "./invalid-option.js";

/** RFC 1035: a name is at most 255 octets on the wire, a label at most 63. */
const MAX_NAME_WIRE = 255;
const MAX_LABEL = 63;

/**
 * Most names one decoded domain-name list may hold (DHCPv4 option 119,
 * DHCPv6 options 24, 39, 56...). Far above any real search list; it is what
 * keeps a 65 KB datagram of compression pointers from decoding to tens of
 * thousands of names.
 */
export const DHCP_MAX_DOMAIN_LIST_NAMES = 256;
/**
 * Most presentation characters (escapes and dots included) one decoded
 * domain-name list may hold, for the same reason: without it one pointer
 * per name repeats a 254-character name thousands of times.
 */
export const DHCP_MAX_DOMAIN_LIST_CHARS = 4096;
/**
 * Most compression pointers one name may follow. Real encoders write at
 * most one per name; chains of pointers to pointers would otherwise cost
 * time quadratic in the option length.
 */
export const DHCP_MAX_NAME_POINTERS = 127;

/** How names are laid out in the option being decoded or encoded. */
export interface DomainNameOptions {
  /**
   * RFC 1035 compression pointers (DHCPv4 option 119, RFC 3397). DHCPv6
   * forbids them (RFC 8415 section 10), so there a pointer is an error.
   */
  readonly compression: boolean;
  /**
   * Accept a last name without the terminating root label, as DHCPv6 FQDN
   * (RFC 4704) and DHCPv4 FQDN (RFC 4702) allow for a partial name. Such a
   * name is returned without a trailing dot; complete names end with ".".
   */
  readonly allowPartial?: boolean;
}

/**
 * Decodes the names stored back to back in `bytes[start, end)`. Offsets in
 * errors are absolute in `bytes`. Compression pointers are relative to
 * `start` (RFC 3397: the option data, concatenated) and must point
 * backwards, so no input can loop.
 *
 * Names are returned in presentation form with a trailing dot when fully
 * qualified (`example.com.`); a byte that is not a letter, digit, `-` or `_`
 * is written as `\DDD` and a dot or backslash inside a label as `\.`/`\\`,
 * so {@link encodeDomainNames} gives back the same bytes.
 *
 * A list of more than {@link DHCP_MAX_DOMAIN_LIST_NAMES} names or
 * {@link DHCP_MAX_DOMAIN_LIST_CHARS} characters, or a name following more
 * than {@link DHCP_MAX_NAME_POINTERS} pointers, is a `DhcpDecodeError`,
 * thrown at the name that passes the bound (nothing after it is decoded).
 */
export function decodeDomainNames(
  bytes: Uint8Array,
  start: number,
  end: number,
  options: DomainNameOptions,
): string[] {
  try {
    return decodeDomainNamesInto([], bytes, start, end, options);
  } catch (e) {
    throw asDecodeError(e);
  }
}

/**
 * {@link decodeDomainNames} into `names`, for the message decoders: a name
 * that does not decode is a `DhcpValueError` (its option is invalid, the
 * bounds stay `DhcpDecodeError`), and `names` still holds the complete ones
 * before it.
 */
export function decodeDomainNamesInto(
  names: string[],
  bytes: Uint8Array,
  start: number,
  end: number,
  options: DomainNameOptions,
): string[] {
  let characters = 0;
  let at = start;
  while (at < end) {
    if (names.length === DHCP_MAX_DOMAIN_LIST_NAMES) {
      throw new DhcpDecodeError(at, `domain name list of more than ${DHCP_MAX_DOMAIN_LIST_NAMES} names`);
    }
    const name = decodeOne(bytes, start, end, at, options);
    characters += name.length;
    if (characters > DHCP_MAX_DOMAIN_LIST_CHARS) {
      throw new DhcpDecodeError(at, `domain name list longer than ${DHCP_MAX_DOMAIN_LIST_CHARS} characters`);
    }
    names.push(name);
    at = decodedNext;
  }
  return names;
}

// decodeOne's second result (where the caller continues), returned through
// module state rather than a { name, next } object per name. Decoding never
// re-enters, and the caller reads it straight after the call.
let decodedNext = 0;

// Character codes of the name being decoded: the name is built with one
// String.fromCharCode call instead of a concatenation per character.
// Bounded: the wire length is checked before a label is added, and 255
// octets expand to at most 4 characters each (\DDD).
const chars = new Uint16Array(4 * MAX_NAME_WIRE);
const BACKSLASH = 0x5c;
const DOT = 0x2e;

function decodeOne(bytes: Uint8Array, base: number, end: number, first: number, options: DomainNameOptions): string {
  let n = 0; // characters of presentation text in `chars`
  let wire = 0;
  let at = first;
  let next = -1; // where the caller continues, set at the first pointer
  let lowest = first; // pointers must go strictly below every label seen so far
  let pointers = 0;
  for (;;) {
    if (at >= end) {
      if (options.allowPartial && next === -1 && at === end && n !== 0) {
        decodedNext = end;
        return text(n);
      }
      throw nameError(at, "domain name runs past the end of its option");
    }
    const length = bytes[at]!;
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (!options.compression) throw nameError(at, "compression pointer in a domain name where none is allowed");
      if (at + 1 >= end) throw nameError(at, "truncated domain name compression pointer");
      const target = base + (((length & 0x3f) << 8) | bytes[at + 1]!);
      if (target >= lowest) throw nameError(at, "domain name compression pointer does not point backwards");
      if (++pointers > DHCP_MAX_NAME_POINTERS) {
        throw new DhcpDecodeError(first, `domain name follows more than ${DHCP_MAX_NAME_POINTERS} compression pointers`);
      }
      if (next === -1) next = at + 2;
      lowest = target;
      at = target;
      continue;
    }
    if (kind !== 0) throw nameError(at, `reserved domain name label type 0x${kind.toString(16)}`);
    if (length === 0) {
      wire += 1;
      if (wire > MAX_NAME_WIRE) throw nameError(at, "domain name longer than 255 octets");
      decodedNext = next === -1 ? at + 1 : next;
      return n === 0 ? "." : text(n);
    }
    if (at + 1 + length > end) throw nameError(at, "domain name label runs past the end of its option");
    wire += 1 + length;
    if (wire > MAX_NAME_WIRE) throw nameError(at, "domain name longer than 255 octets");
    n = labelChars(bytes, at + 1, at + 1 + length, n);
    chars[n++] = DOT;
    if (at < lowest) lowest = at;
    at += 1 + length;
    if (options.allowPartial && at === end && next === -1) {
      decodedNext = end;
      return text(n - 1); // without the trailing dot
    }
  }
}

// A name that does not decode spoils its option, not the message; the
// bounds above stay DhcpDecodeError and reject the message.
function nameError(at: number, reason: string): DhcpValueError {
  return new DhcpValueError(at, reason, "name");
}

/** The first `n` codes of `chars` as a string. */
function text(n: number): string {
  return String.fromCharCode.apply(null, chars.subarray(0, n) as unknown as number[]);
}

/** Appends the presentation form of one label to `chars` from index `n`; returns the new count. */
function labelChars(bytes: Uint8Array, from: number, to: number, n: number): number {
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f) {
      chars[n++] = b;
    } else if (b === DOT || b === BACKSLASH) {
      chars[n++] = BACKSLASH;
      chars[n++] = b;
    } else {
      // \DDD, three decimal digits
      chars[n++] = BACKSLASH;
      chars[n++] = 0x30 + ((b / 100) | 0);
      chars[n++] = 0x30 + (((b / 10) | 0) % 10);
      chars[n++] = 0x30 + (b % 10);
    }
  }
  return n;
}

// One label of a host name in presentation form: letters, digits, `_` and
// inner hyphens, 1 to 63 octets.
const HOST_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * Tolerance for OVN (23.03 and others): its DHCPv6 option 24 writes each
 * search domain as ONE label holding the dotted name (`0b "ovn.example" 00`
 * on the wire), which {@link decodeDomainNames} returns, faithfully, as
 * `ovn\.example.`. This reads such a name as the dotted name the server
 * meant (`ovn.example.`), but only when every other character is plain and
 * the dotted reading is a valid host name (labels of 1 to 63 letters,
 * digits, `_` or inner `-`, at most 253 characters); any other name is
 * returned unchanged. Kept out of the decoder so decoded packets still
 * re-encode byte for byte.
 */
export function dottedLabelName(name: string): string {
  if (!name.includes("\\.") || /\\[^.]/.test(name)) return name;
  const dotted = name.replace(/\\\./g, ".");
  const bare = dotted.endsWith(".") ? dotted.slice(0, -1) : dotted;
  if (bare.length === 0 || bare.length > 253) return name;
  return bare.split(".").every((label) => HOST_LABEL.test(label)) ? dotted : name;
}

/**
 * Encodes names in wire form, back to back. With `compression`, a suffix
 * already written is replaced by a pointer (relative to the start of the
 * output, as RFC 3397 wants). A name without a trailing dot is written
 * without the root label (partial FQDN) only when `allowPartial` is set;
 * otherwise every name is written fully qualified.
 *
 * Throws a `RangeError` for a label over 63 octets, a name over 255, an
 * empty label, or a bad `\` escape.
 */
export function encodeDomainNames(names: readonly string[], options: DomainNameOptions): Uint8Array {
  const out: number[] = [];
  const written = new Map<string, number>(); // lower-cased suffix -> offset
  for (const name of names) {
    const { labels, qualified } = parseName(name, options.allowPartial === true);
    let wire = 1;
    for (const l of labels) wire += 1 + l.length;
    if (wire > MAX_NAME_WIRE) throw new RangeError(`Domain name "${name}" is longer than 255 octets`);
    for (let i = 0; i < labels.length; i++) {
      if (options.compression && qualified) {
        const key = suffixKey(labels, i);
        const offset = written.get(key);
        if (offset !== undefined) {
          out.push(0xc0 | (offset >> 8), offset & 0xff);
          break;
        }
        if (out.length <= 0x3fff) written.set(key, out.length);
      }
      out.push(labels[i]!.length, ...labels[i]!);
      if (i === labels.length - 1 && qualified) out.push(0);
    }
    if (labels.length === 0) out.push(0);
  }
  return Uint8Array.from(out);
}

function suffixKey(labels: readonly number[][], from: number): string {
  let key = "";
  for (let i = from; i < labels.length; i++) {
    key += String.fromCharCode(...labels[i]!.map((b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b))) + "\u0000";
  }
  return key;
}

function parseName(name: string, allowPartial: boolean): { labels: number[][]; qualified: boolean } {
  if (name === "." || name === "") return { labels: [], qualified: true };
  const labels: number[][] = [];
  let label: number[] = [];
  let qualified = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      if (label.length === 0) throw new RangeError(`Domain name "${name}" has an empty label`);
      labels.push(label);
      label = [];
      if (i === name.length - 1) qualified = true;
      continue;
    }
    if (c === 0x5c) {
      const digits = name.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(digits) && Number(digits) <= 255) {
        label.push(Number(digits));
        i += 3;
      } else if (i + 1 < name.length) {
        label.push(name.charCodeAt(i + 1) & 0xff);
        i += 1;
      } else {
        throw new RangeError(`Domain name "${name}" ends with a lone backslash`);
      }
    } else if (c > 0x7f) {
      throw new RangeError(`Domain name "${name}" has a non-ASCII character; use \\DDD escapes`);
    } else {
      label.push(c);
    }
    if (label.length > MAX_LABEL) throw new RangeError(`Domain name "${name}" has a label longer than 63 octets`);
  }
  if (label.length > 0) labels.push(label);
  if (!qualified && !allowPartial) qualified = true;
  return { labels, qualified };
}
