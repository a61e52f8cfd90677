// Small readers and writers shared by the DHCPv4 header and option codecs.
// Address text is in ../address-text.ts.

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
