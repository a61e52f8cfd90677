import { encodeDomainNames, type DomainNameOptions } from "../domain-name.js";
import { sameBytes } from "./primitives.js";

// Option 119 decoding encodes every received list to see whether it is
// canonical, so name encoding sits on the decode hot path: names are
// written into this scratch buffer and only copied out when needed.
let scratch = new Uint8Array(1024);
const suffixes: string[] = [];
const offsets: number[] = [];
let many: Map<string, number> | undefined; // replaces the arrays past LINEAR_LIMIT suffixes
const LINEAR_LIMIT = 32;

/**
 * Same bytes as {@link encodeDomainNames}, for the everyday case of plain
 * ASCII names without `\` escapes; anything else goes to encodeDomainNames,
 * which also produces its error messages.
 */
export function encodeNames(names: readonly string[], options: DomainNameOptions): Uint8Array {
  const length = writeNames(names, options);
  return length === -1 ? encodeDomainNames(names, options) : scratch.slice(0, length);
}

/** Whether `names` encode to exactly `data` (as {@link encodeNames} would). */
export function namesEncodeTo(names: readonly string[], options: DomainNameOptions, data: Uint8Array): boolean {
  const length = writeNames(names, options);
  if (length === -1) return sameBytes(encodeDomainNames(names, options), data);
  if (length !== data.length) return false;
  for (let i = 0; i < length; i++) if (scratch[i] !== data[i]) return false;
  return true;
}

/** Writes plain names into `scratch`; returns the length, or -1 when a name is not plain. */
function writeNames(names: readonly string[], options: DomainNameOptions): number {
  let bound = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (typeof name !== "string" || !isPlain(name, options.allowPartial === true)) return -1;
    bound += name.length + 1;
  }
  if (bound > scratch.length) scratch = new Uint8Array(Math.max(bound, scratch.length * 2));
  const out = scratch;
  const compression = options.compression;
  suffixes.length = 0;
  offsets.length = 0;
  many = undefined;
  let at = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name === "." || name === "") {
      out[at++] = 0;
      continue;
    }
    const qualified = name.charCodeAt(name.length - 1) === 0x2e;
    const key = compression ? lowerAscii(name) : "";
    let pos = 0;
    let pointed = false;
    while (pos < name.length) {
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
      let dot = name.indexOf(".", pos);
      if (dot === -1) dot = name.length;
      out[at++] = dot - pos;
      for (let k = pos; k < dot; k++) out[at++] = name.charCodeAt(k);
      pos = dot + 1;
    }
    if (qualified && !pointed) out[at++] = 0;
  }
  return at;
}

// Search lists are short, so a linear scan beats building a Map per call;
// a long (hostile) list switches to a Map to stay linear overall.
function offsetOf(suffix: string): number {
  if (many !== undefined) return many.get(suffix) ?? -1;
  for (let i = 0; i < suffixes.length; i++) if (suffixes[i] === suffix) return offsets[i]!;
  return -1;
}

function remember(suffix: string, at: number): void {
  if (many !== undefined) {
    many.set(suffix, at);
    return;
  }
  suffixes.push(suffix);
  offsets.push(at);
  if (suffixes.length > LINEAR_LIMIT) {
    many = new Map();
    for (let i = 0; i < suffixes.length; i++) many.set(suffixes[i]!, offsets[i]!);
  }
}

function lowerAscii(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return name.toLowerCase();
  }
  return name;
}

/** Printable ASCII without escapes or empty labels, labels up to 63, at most 255 octets on the wire. */
function isPlain(name: string, allowPartial: boolean): boolean {
  const n = name.length;
  if (name === ".") return true;
  if (n === 0 || n > 254) return false;
  if (!allowPartial && name.charCodeAt(n - 1) !== 0x2e) return false;
  let label = 0;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      if (label === 0) return false;
      label = 0;
    } else if (c <= 0x20 || c >= 0x7f || c === 0x5c) {
      return false;
    } else if (++label > 63) {
      return false;
    }
  }
  return true;
}
