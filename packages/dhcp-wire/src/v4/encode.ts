import { COOKIE, FILE_AT, HEADER_SIZE, MIN_PACKET, OPTIONS_AT, SNAME_AT } from "./decode.js";
import type { Dhcpv4AreaLayout, Dhcpv4Layout, Dhcpv4Message, Dhcpv4Option } from "./message.js";
import { complexValue, optionLabel, simpleValueSize, writeSimpleValue } from "./options.js";
import { putIpv4 } from "../address-text.js";
import { checkUint, writeLatin1, writeU16, writeU32 } from "./primitives.js";

// Per-call scratch (encoding never re-enters): each option's value size,
// and its bytes when it had to be encoded ahead of writing. Both are only
// ever indexed below the current option count, so they grow but are never
// resized down (an `array.length = n` per call reallocated and showed in
// profiles).
let sizes = new Int32Array(64);
const blobs: (Uint8Array | undefined)[] = [];
// seen[code] === stamp marks a code met in the current call: bumping the
// stamp forgets the previous call without clearing the table.
const seen = new Uint32Array(256);
let stamp = 0;

/**
 * Encodes a DHCPv4 message to the UDP payload. Throws `RangeError` or
 * `TypeError` for a message that cannot be encoded (a field out of range, an
 * address that is not dotted-quad text, a code given twice, ...).
 *
 * A decoded message comes back byte for byte: its `layout`, `chaddrPadding`,
 * `snameBytes`/`fileBytes` and option 119 `wire` are honoured while they
 * still match the message. Otherwise options go in the options field in
 * array order, values over 255 bytes split into several instances
 * (RFC 3396), then END and zero padding to 300 bytes. With option 52 but no
 * layout, the overloaded fields hold just END.
 *
 * The result is a view into a shared, pooled ArrayBuffer (as with Node's
 * `Buffer`): send or copy it, but do not transfer its buffer.
 *
 * @example
 * socket.send(encodeDhcpv4({ ...discover, xid: 0x1234 }));
 */
export function encodeDhcpv4(message: Dhcpv4Message): Uint8Array {
  const options = message.options;
  if (!Array.isArray(options)) throw new TypeError("Message options is not an array");
  const n = options.length;
  if (n > sizes.length) sizes = new Int32Array(Math.max(n, 2 * sizes.length));
  if (++stamp === 0xffffffff) {
    seen.fill(0);
    stamp = 1;
  }
  let overload = 0;
  try {
    for (let i = 0; i < n; i++) {
      const option = options[i] as Dhcpv4Option;
      const code = option?.code;
      if (typeof code !== "number" || !Number.isInteger(code) || code < 1 || code > 254) {
        throw new RangeError(`Option code "${String(code)}" is not between 1 and 254`);
      }
      if (seen[code] === stamp) {
        throw new RangeError(
          `${optionLabel(code)} appears twice; DHCPv4 concatenates repeated options (RFC 3396), so give one value`,
        );
      }
      seen[code] = stamp;
      const blob = complexValue(option);
      blobs[i] = blob;
      sizes[i] = blob === undefined ? simpleValueSize(option) : blob.length;
      if (code === 52) {
        if ("data" in option) throw new TypeError(`${optionLabel(52)} must be typed, it decides where options go`);
        overload = option.value;
      }
    }
    const layout = message.layout;
    if (layout !== undefined && layoutMatches(layout, options, overload)) return encodeWithLayout(message, layout, overload);
    return encodeDefault(message, overload);
  } finally {
    // Do not keep the caller's option bytes alive until the next call.
    for (let i = 0; i < n && i < blobs.length; i++) blobs[i] = undefined;
  }
}

// Output buffers are carved from a shared zero-filled pool, as Node's
// Buffer does: allocating a fresh ArrayBuffer per packet costs more than
// encoding it. Regions are never reused, so every packet starts zeroed.
const POOL_SIZE = 64 * 1024;
let pool = new ArrayBuffer(POOL_SIZE);
let poolUsed = 0;

function allocate(size: number): Uint8Array {
  if (size > POOL_SIZE / 4) return new Uint8Array(size);
  if (poolUsed + size > POOL_SIZE) {
    pool = new ArrayBuffer(POOL_SIZE);
    poolUsed = 0;
  }
  const out = new Uint8Array(pool, poolUsed, size);
  poolUsed += (size + 7) & ~7;
  return out;
}

function encodeDefault(message: Dhcpv4Message, overload: number): Uint8Array {
  const options = message.options;
  let size = OPTIONS_AT + 1;
  for (let i = 0; i < options.length; i++) {
    const s = sizes[i]!;
    size += s + (s === 0 ? 2 : 2 * Math.ceil(s / 255));
  }
  const out = allocate(Math.max(size, MIN_PACKET));
  writeHeader(message, out, overload);
  out.set(COOKIE, HEADER_SIZE);
  let at = OPTIONS_AT;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    const s = sizes[i]!;
    const blob = blobs[i];
    if (s <= 255) {
      out[at] = option.code;
      out[at + 1] = s;
      if (blob === undefined) writeSimpleValue(option, out, at + 2);
      else out.set(blob, at + 2);
      at += 2 + s;
      continue;
    }
    const bytes = blob ?? simpleBytes(option, s);
    for (let from = 0; from < s; from += 255) {
      const chunk = Math.min(255, s - from);
      out[at] = option.code;
      out[at + 1] = chunk;
      out.set(bytes.subarray(from, from + chunk), at + 2);
      at += 2 + chunk;
    }
  }
  out[at] = 255;
  if (overload & 1) out[FILE_AT] = 255;
  if (overload & 2) out[SNAME_AT] = 255;
  return out;
}

function simpleBytes(option: Dhcpv4Option, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  writeSimpleValue(option, bytes, 0);
  return bytes;
}

/**
 * Whether `layout` describes exactly these options: the same codes in the
 * same order of first appearance, each with as many bytes as its value now
 * encodes to, overloaded areas matching option 52 and their field sizes.
 */
function layoutMatches(layout: Dhcpv4Layout, options: readonly Dhcpv4Option[], overload: number): boolean {
  if (typeof layout !== "object" || layout === null) return false;
  if (layout.cookie === false) return options.length === 0 && areaBytes(layout.options) === 0 && !layout.options.end;
  if ((overload & 1) !== 0 !== (layout.file !== undefined)) return false;
  if ((overload & 2) !== 0 !== (layout.sname !== undefined)) return false;
  if (layout.file !== undefined && areaBytes(layout.file) !== HEADER_SIZE - FILE_AT) return false;
  if (layout.sname !== undefined && areaBytes(layout.sname) !== FILE_AT - SNAME_AT) return false;
  if (areaBytes(layout.options) < 0) return false;
  const totals = new Int32Array(256);
  const firsts: number[] = [];
  for (const area of [layout.options, layout.file, layout.sname]) {
    if (area === undefined) continue;
    const list = area.instances;
    for (let k = 0; k < list.length; k += 2) {
      const code = list[k]!;
      if (code === 0) continue;
      if (totals[code] === 0 && !firsts.includes(code)) firsts.push(code);
      totals[code] = totals[code]! + list[k + 1]!;
    }
  }
  if (firsts.length !== options.length) return false;
  for (let i = 0; i < options.length; i++) {
    const code = options[i]!.code;
    if (firsts[i] !== code || totals[code] !== sizes[i]) return false;
  }
  return true;
}

/** Bytes an area occupies on the wire, or -1 when it is not well formed. */
function areaBytes(area: Dhcpv4AreaLayout | undefined): number {
  if (typeof area !== "object" || area === null) return -1;
  const list = area.instances;
  if (!Array.isArray(list) || list.length % 2 !== 0 || !(area.trailing instanceof Uint8Array)) return -1;
  let size = (area.end ? 1 : 0) + area.trailing.length;
  for (let k = 0; k < list.length; k += 2) {
    const code = list[k];
    const length = list[k + 1];
    if (!Number.isInteger(code) || !Number.isInteger(length) || code < 0 || code > 254) return -1;
    if (code === 0 ? length < 1 : length < 0 || length > 255) return -1;
    size += code === 0 ? length : 2 + length;
  }
  return size;
}

function encodeWithLayout(message: Dhcpv4Message, layout: Dhcpv4Layout, overload: number): Uint8Array {
  if (!layout.cookie) {
    const out = allocate(HEADER_SIZE);
    writeHeader(message, out, 0);
    return out;
  }
  const out = allocate(OPTIONS_AT + areaBytes(layout.options));
  writeHeader(message, out, overload);
  out.set(COOKIE, HEADER_SIZE);
  const values: (Uint8Array | undefined)[] = new Array(256);
  const options = message.options;
  for (let i = 0; i < options.length; i++) values[options[i]!.code] = blobs[i] ?? simpleBytes(options[i]!, sizes[i]!);
  const taken = new Int32Array(256);
  writeArea(layout.options, out, OPTIONS_AT, values, taken);
  if (layout.file !== undefined) writeArea(layout.file, out, FILE_AT, values, taken);
  if (layout.sname !== undefined) writeArea(layout.sname, out, SNAME_AT, values, taken);
  return out;
}

function writeArea(
  area: Dhcpv4AreaLayout,
  out: Uint8Array,
  start: number,
  values: (Uint8Array | undefined)[],
  taken: Int32Array,
): void {
  let at = start;
  const list = area.instances;
  for (let k = 0; k < list.length; k += 2) {
    const code = list[k]!;
    const length = list[k + 1]!;
    if (code === 0) {
      out.fill(0, at, at + length);
      at += length;
      continue;
    }
    out[at] = code;
    out[at + 1] = length;
    const from = taken[code]!;
    out.set(values[code]!.subarray(from, from + length), at + 2);
    taken[code] = from + length;
    at += 2 + length;
  }
  if (area.end) out[at++] = 255;
  out.set(area.trailing, at);
}

function writeHeader(message: Dhcpv4Message, out: Uint8Array, overload: number): void {
  checkUint(message.op, 0xff, "Message op");
  checkUint(message.htype, 0xff, "Message htype");
  checkUint(message.hlen, 0xff, "Message hlen");
  checkUint(message.hops, 0xff, "Message hops");
  checkUint(message.xid, 0xffffffff, "Message xid");
  checkUint(message.secs, 0xffff, "Message secs");
  checkUint(message.reservedFlags, 0x7fff, "Message reservedFlags");
  out[0] = message.op;
  out[1] = message.htype;
  out[2] = message.hlen;
  out[3] = message.hops;
  writeU32(out, 4, message.xid);
  writeU16(out, 8, message.secs);
  writeU16(out, 10, (message.broadcast ? 0x8000 : 0) | message.reservedFlags);
  putIpv4(message.ciaddr, out, 12, "Message ciaddr");
  putIpv4(message.yiaddr, out, 16, "Message yiaddr");
  putIpv4(message.siaddr, out, 20, "Message siaddr");
  putIpv4(message.giaddr, out, 24, "Message giaddr");

  const chaddr = message.chaddr;
  const significant = Math.min(message.hlen, 16);
  if (!(chaddr instanceof Uint8Array) || chaddr.length !== significant) {
    throw new RangeError(`Message chaddr must hold min(hlen, 16) = ${significant} bytes, not ${String(chaddr?.length)}`);
  }
  out.set(chaddr, 28);
  const padding = message.chaddrPadding;
  if (padding !== undefined) {
    if (!(padding instanceof Uint8Array) || padding.length !== 16 - significant) {
      throw new RangeError(`Message chaddrPadding must hold 16 - ${significant} = ${16 - significant} bytes`);
    }
    out.set(padding, 28 + significant);
  }
  writeTextField(message.sname, message.snameBytes, out, SNAME_AT, FILE_AT - SNAME_AT, "sname", (overload & 2) !== 0);
  writeTextField(message.file, message.fileBytes, out, FILE_AT, HEADER_SIZE - FILE_AT, "file", (overload & 1) !== 0);
}

function writeTextField(
  text: string,
  asReceived: Uint8Array | undefined,
  out: Uint8Array,
  at: number,
  size: number,
  what: string,
  overloaded: boolean,
): void {
  if (typeof text !== "string") throw new TypeError(`Message ${what} is not a string`);
  if (overloaded) {
    if (text !== "") throw new RangeError(`Message ${what} "${text}" must be empty: option 52 puts options there`);
    return;
  }
  if (text.length > size) throw new RangeError(`Message ${what} "${text}" is longer than ${size} bytes`);
  if (text.includes("\u0000")) throw new RangeError(`Message ${what} contains a NUL character`);
  if (asReceived instanceof Uint8Array && asReceived.length === size && textMatches(asReceived, text)) {
    out.set(asReceived, at);
    return;
  }
  writeLatin1(text, out, at, `Message ${what}`);
}

/** Whether `bytes` read up to their first NUL are `text`. */
function textMatches(bytes: Uint8Array, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (bytes[i] !== text.charCodeAt(i)) return false;
  return text.length === bytes.length || bytes[text.length] === 0;
}
