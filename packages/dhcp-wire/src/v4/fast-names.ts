import { encodeDomainNames, type DomainNameOptions } from "../domain-name.js";
import { sameBytes } from "./primitives.js";

// Option 119 decoding encodes every received list to see whether it is
// canonical, so name encoding sits on the decode hot path: names are
// written into this scratch buffer and only copied out when needed.
let scratch = new Uint8Array(1024);
// Suffixes written so far and their offsets; only the first `known` entries
// count (a counter rather than `length = 0`, which reallocated per call).
const suffixes: string[] = [];
const offsets: number[] = [];
let known = 0;
let many: Map<string, number> | undefined; // replaces the arrays past LINEAR_LIMIT suffixes
const LINEAR_LIMIT = 32;

/**
 * Same bytes as {@link encodeDomainNames}, for the everyday case of plain
 * ASCII names without `\` escapes; anything else goes to encodeDomainNames,
 * which also produces its error messages. The result starts with
 * `headroom` zero bytes (room for a caller's prefix, saving it a copy).
 */
export function encodeNames(names: readonly string[], options: DomainNameOptions, headroom = 0): Uint8Array {
  const length = writeNames(names, options);
  const source = length === -1 ? encodeDomainNames(names, options) : scratch;
  const size = length === -1 ? source.length : length;
  const out = new Uint8Array(headroom + size);
  for (let i = 0; i < size; i++) out[headroom + i] = source[i]!;
  return out;
}

/** Whether `names` encode to exactly `data` (as {@link encodeNames} would). */
export function namesEncodeTo(names: readonly string[], options: DomainNameOptions, data: Uint8Array): boolean {
  const length = writeNames(names, options);
  if (length === -1) return sameBytes(encodeDomainNames(names, options), data);
  if (length !== data.length) return false;
  for (let i = 0; i < length; i++) if (scratch[i] !== data[i]) return false;
  return true;
}

/**
 * Writes plain names into `scratch`; returns the length, or -1 when a name
 * is not plain (printable ASCII without `\`, no empty label, labels up to
 * 63, at most 254 characters, fully qualified unless `allowPartial`). The
 * checks happen while writing: this runs twice per option 119 round trip
 * (decode checks the received bytes are canonical, encode writes them).
 */
function writeNames(names: readonly string[], options: DomainNameOptions): number {
  let bound = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (typeof name !== "string") return -1;
    bound += name.length + 1;
  }
  if (bound > scratch.length) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  const out = scratch;
  const compression = options.compression;
  const allowPartial = options.allowPartial === true;
  known = 0;
  many = undefined;
  let at = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name === ".") {
      out[at++] = 0;
      continue;
    }
    const n = name.length;
    if (n === 0 || n > 254) return -1;
    const qualified = name.charCodeAt(n - 1) === 0x2e;
    if (!qualified && !allowPartial) return -1;
    const key = compression && qualified ? lowerAscii(name) : "";
    let pos = 0;
    let pointed = false;
    while (pos < n) {
      if (compression && qualified) {
        const suffix = key.substring(pos);
        const offset = offsetOf(suffix);
        if (offset !== -1) {
          out[at++] = 0xc0 | (offset >> 8);
          out[at++] = offset & 0xff;
          pointed = true;
          break;
        }
        if (at <= 0x3fff) remember(suffix, at);
      }
      const lengthAt = at++;
      let k = pos;
      for (; k < n; k++) {
        const c = name.charCodeAt(k);
        if (c === 0x2e) break;
        if (c <= 0x20 || c >= 0x7f || c === 0x5c) return -1;
        out[at++] = c;
      }
      const label = k - pos;
      if (label === 0 || label > 63) return -1;
      out[lengthAt] = label;
      pos = k + 1;
    }
    if (qualified && !pointed) out[at++] = 0;
  }
  return at;
}

// Search lists are short, so a linear scan beats building a Map per call;
// a long (hostile) list switches to a Map to stay linear overall.
function offsetOf(suffix: string): number {
  if (many !== undefined) return many.get(suffix) ?? -1;
  for (let i = 0; i < known; i++) if (suffixes[i] === suffix) return offsets[i]!;
  return -1;
}

function remember(suffix: string, at: number): void {
  if (many !== undefined) {
    many.set(suffix, at);
    return;
  }
  suffixes[known] = suffix;
  offsets[known] = at;
  known++;
  if (known > LINEAR_LIMIT) {
    many = new Map();
    for (let i = 0; i < known; i++) many.set(suffixes[i]!, offsets[i]!);
  }
}

function lowerAscii(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return name.toLowerCase();
  }
  return name;
}
