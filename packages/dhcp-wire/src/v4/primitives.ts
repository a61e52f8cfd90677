// Small readers and writers shared by the DHCPv4 header and option codecs.
// IPv4 text is handled here rather than with ipaddr.js: the codec formats
// and parses several addresses per packet and ipaddr.js's regex-based
// parser would dominate the profile; the accepted syntax is the one
// ipaddr.js prints (four decimal octets, no leading zeros).

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

/** Big-endian unsigned 16-bit integer at `at`. */
export function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

/** Big-endian unsigned 32-bit integer at `at`. */
export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Writes a big-endian 16-bit integer at `at`. */
export function writeU16(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 8;
  out[at + 1] = value & 0xff;
}

/** Writes a big-endian 32-bit integer at `at`. */
export function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}

/** Throws a RangeError unless `value` is an integer in [0, max]. */
export function checkUint(value: unknown, max: number, what: string): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} "${String(value)}" is not an integer between 0 and ${max}`);
  }
}

/** Bytes [start, end) as a string of Latin-1 characters, one per byte (lossless, unlike TextDecoder's "latin1"). */
export function latin1Text(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  if (end - start <= 24) {
    // Short host names and file names: a loop beats creating a subarray for apply.
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  for (let at = start; at < end; at += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(at, Math.min(end, at + 4096)) as unknown as number[]);
  }
  return s;
}

/** Writes `text` one byte per character; throws a RangeError naming `what` for a character over U+00FF. */
export function writeLatin1(text: string, out: Uint8Array, at: number, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) {
        throw new RangeError(`${what} "${text}" has a character over U+00FF; each character is one byte`);
    }
    out[at + i] = c;
  }
}

/** Whether bytes [start, end) are all zero. */
export function allZero(bytes: Uint8Array, start: number, end: number): boolean {
  // Decode checks ~250 bytes per packet (sname, file, padding): OR eight
  // bytes per test rather than branching on each.
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const any =
      bytes[i]! | bytes[i + 1]! | bytes[i + 2]! | bytes[i + 3]! | bytes[i + 4]! | bytes[i + 5]! | bytes[i + 6]! | bytes[i + 7]!;
    if (any !== 0) return false;
  }
  for (; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
