// The codec's address parser: IPv4 and IPv6 between wire bytes and text,
// the only place in @incusx/dhcp-wire that reads or writes address text.
//
// Hand-written rather than ipaddr.js because every packet carries several
// addresses each way: test/bench/address-parse.bench.mjs runs the codec
// over the real fixtures with this module and with an ipaddr.js one in the
// same process, and with ipaddr.js decode and encode run about 1.7 to 6
// times slower (README, "Address text"). The syntax is ipaddr.js's, kept
// in step by property tests in address-text.test.ts: text out is
// ipaddr.js's toString(); IPv4 text in is ipaddr.IPv4.isValidFourPartDecimal's
// (four decimal parts, no leading zeros); IPv6 text in is any RFC 4291
// form, a dotted IPv4 tail included and read as RFC 4291 does (ipaddr.js
// reads "::192.0.2.1" as IPv4-mapped), with no zone.

const DECIMAL: string[] = [];
for (let i = 0; i < 256; i++) DECIMAL.push(String(i));

const ZERO_ADDRESS = "0.0.0.0";

// Direct-mapped cache from an address (as a 32-bit value) to its text. A
// packet repeats a handful of addresses (server, router, DNS, the lease) and
// a server sees the same ones packet after packet, so most lookups hit:
// that saves building the string (three concatenations, and a cons string
// for addresses of 13+ characters that encode then has to flatten). A pure
// memo: any slot may be overwritten at any time without changing results.
const IPV4_CACHE_SIZE = 256;
const ipv4Keys = new Int32Array(IPV4_CACHE_SIZE); // every slot starts as 0 -> "0.0.0.0", which is true
const ipv4Texts: string[] = new Array<string>(IPV4_CACHE_SIZE).fill(ZERO_ADDRESS);

/** Dotted-quad text of the 4 bytes at `at`. */
export function ipv4Text(bytes: Uint8Array, at: number): string {
  const value = (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
  if (value === 0) return ZERO_ADDRESS; // unset header addresses, on-link routes
  const slot = Math.imul(value, 0x9e3779b1) >>> 24; // Fibonacci hashing: the top 8 bits
  if (ipv4Keys[slot] === value) return ipv4Texts[slot]!;
  const text =
    DECIMAL[bytes[at]!] + "." + DECIMAL[bytes[at + 1]!] + "." + DECIMAL[bytes[at + 2]!] + "." + DECIMAL[bytes[at + 3]!];
  ipv4Keys[slot] = value;
  ipv4Texts[slot] = text;
  return text;
}

/**
 * Writes dotted-quad `text` as 4 bytes at `at`; returns false (writing
 * nothing useful) when it is not a canonical IPv4 address.
 */
export function writeIpv4(text: unknown, out: Uint8Array, at: number): boolean {
  if (typeof text !== "string") return false;
  if (text === ZERO_ADDRESS) {
    // Most header addresses; decoded ones are this very string, so the test is a pointer compare.
    out[at] = out[at + 1] = out[at + 2] = out[at + 3] = 0;
    return true;
  }
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[at + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + (c - 0x30);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** Writes IPv4 `text` or throws a RangeError naming `what` . */
export function putIpv4(text: unknown, out: Uint8Array, at: number, what: string): void {
  if (!writeIpv4(text, out, at)) {
    throw new RangeError(`${what} "${String(text)}" is not an IPv4 address (like "192.0.2.1")`);
  }
}

const HEX: string[] = []; // 0 -> "0", 0xab -> "ab"
const HEX_PADDED: string[] = []; // 0 -> "00"
for (let i = 0; i < 256; i++) {
  HEX.push(i.toString(16));
  HEX_PADDED.push(i.toString(16).padStart(2, "0"));
}

/** Formats the 16 bytes at `at` as compressed lower-case IPv6 text. */
export function formatIpv6(bytes: Uint8Array, at: number): string {
  // Longest run of zero groups (at least two), first one on a tie (RFC 5952 section 4.2).
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = bytes[at + 2 * g] === 0 && bytes[at + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      if (g - runStart + 1 > bestLength) {
        bestStart = runStart;
        bestLength = g - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  let s = "";
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      s += g === 0 ? "::" : ":";
      g += bestLength - 1;
      continue;
    }
    const high = bytes[at + 2 * g]!;
    const low = bytes[at + 2 * g + 1]!;
    s += high === 0 ? HEX[low] : HEX[high]! + HEX_PADDED[low];
    if (g < 7) s += ":";
  }
  return s;
}

/**
 * Writes IPv6 text (any RFC 4291 form, including an embedded dotted IPv4
 * tail; no zone) as 16 bytes at `at`. Throws `RangeError` naming `what` for
 * anything else.
 */
export function writeIpv6(text: string, out: Uint8Array, at: number, what: string): void {
  if (typeof text !== "string" || !parseInto(text, out, at)) {
    throw new RangeError(`${what} "${String(text)}" is not an IPv6 address`);
  }
}

// Scratch space: parsing allocates nothing (but the rare dotted tail's slice).
const groups = new Uint16Array(8);
const tail = new Uint8Array(4);

function parseInto(text: string, out: Uint8Array, at: number): boolean {
  const n = text.length;
  if (n < 2 || n > 45) return false;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    if (count === 8) return false;
    const groupStart = i;
    let value = 0;
    while (i < n && i - groupStart < 5) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) break;
      value = value * 16 + d;
      i++;
    }
    if (i < n && text.charCodeAt(i) === 0x2e) {
      // Dotted IPv4 tail: re-read this group as its first octet.
      if (count > 6 || !writeIpv4(text.slice(groupStart), tail, 0)) return false;
      groups[count++] = (tail[0]! << 8) | tail[1]!;
      groups[count++] = (tail[2]! << 8) | tail[3]!;
      break;
    }
    const digits = i - groupStart;
    if (digits === 0 || digits > 4) return false;
    groups[count++] = value;
    if (i === n) break;
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < n && text.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === n) {
      return false;
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  const zeros = 8 - count;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    const value = gap >= 0 && k >= gap && k < gap + zeros ? 0 : groups[g++]!;
    out[at + 2 * k] = value >>> 8;
    out[at + 2 * k + 1] = value & 0xff;
  }
  return true;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
