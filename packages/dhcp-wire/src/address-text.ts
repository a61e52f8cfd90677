// IPv6 addresses between 16 wire bytes and RFC 5952 text. Hand-written
// rather than ipaddr.js because this runs for every address of every packet
// and ipaddr.js's parser reads "::192.0.2.1" as an IPv4-mapped address; the
// text matches ipaddr.js's toString() (checked by a property test).

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

const groups = new Uint16Array(8); // scratch: parsing allocates nothing

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
      if (count > 6 || !parseIpv4Tail(text, groupStart, count)) return false;
      count += 2;
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

/** Four decimal octets without leading zeros from `from` to the end, into groups[index..index+1]. */
function parseIpv4Tail(text: string, from: number, index: number): boolean {
  let octets = 0;
  let value = 0;
  let digits = 0;
  let packed = 0;
  for (let i = from; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false;
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 0x2e && digits > 0 && octets < 4) {
      packed = packed * 256 + value;
      octets++;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (octets !== 4) return false;
  groups[index] = Math.floor(packed / 0x10000);
  groups[index + 1] = packed % 0x10000;
  return true;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
