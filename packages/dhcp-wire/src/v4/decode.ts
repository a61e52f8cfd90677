import { DhcpDecodeError } from "../decode-error.js";
import type { Dhcpv4AreaLayout, Dhcpv4Layout, Dhcpv4Message, Dhcpv4Option } from "./message.js";
import { decodeOptionValue, optionLabel } from "./options.js";
import { DHCP_MAX_INVALID_OPTIONS, DhcpValueError, asDecodeError, invalidOption } from "../invalid-option.js";
import { ipv4Text } from "../address-text.js";
import { allZero, latin1Text, readU16, readU32 } from "./primitives.js";

/** Offset of the 64-byte sname field (RFC 2131 figure 1). */
export const SNAME_AT = 44;
/** Offset of the 128-byte file field. */
export const FILE_AT = 108;
/** Size of the fixed BOOTP header; the magic cookie follows. */
export const HEADER_SIZE = 236;
/** Offset of the first option, after the magic cookie. */
export const OPTIONS_AT = 240;
/** RFC 1542: relays may drop BOOTP messages shorter than this; encode pads up to it. */
export const MIN_PACKET = 300;
/** The DHCP magic cookie 99.130.83.99 (RFC 2131 section 3). */
export const COOKIE = [99, 130, 83, 99] as const;

const AREA_NAMES = ["options field", "file field", "sname field"] as const;

// Scratch tables reused across calls (decoding never re-enters): one row
// per option instance or PAD run, and per-code chains through them. They
// grow with the largest packet seen, so a decode allocates only its result.
let instCode = new Int32Array(64);
let instStart = new Int32Array(64);
let instLength = new Int32Array(64);
let instNext = new Int32Array(64);
let instCount = 0;
const head = new Int32Array(256); // valid while count[code] > 0
const tail = new Int32Array(256);
const count = new Int32Array(256);
const total = new Int32Array(256);
// Codes in order of first appearance: a fixed table and a counter, not an
// array reset with `length = 0` (which showed in profiles).
const order = new Int32Array(256);
let orderCount = 0;
// Invalid options of the packet being decoded, see DHCP_MAX_INVALID_OPTIONS.
let invalidCount = 0;

/**
 * Decodes a DHCPv4 packet (the UDP payload). Throws {@link DhcpDecodeError},
 * and nothing else, when the packet's structure is broken: a header or
 * cookie cut short or wrong, an option running past its area, a bad option
 * overload (52), a domain list over its bounds. A value that breaks its
 * option's rules (wrong length, bad name, a prefix length over 32) only
 * marks that option invalid (a `DhcpInvalidOption`); the message is kept.
 *
 * The magic cookie is required, except that a bare 236-byte BOOTP header
 * (no vendor area at all) decodes with no options and `layout.cookie`
 * false. Every instance of a code is concatenated in wire order (options
 * field, then `file`, then `sname` when option 52 overloads them) before it
 * is typed (RFC 3396). A missing END at the end of an area is tolerated.
 *
 * @example
 * const message = decodeDhcpv4(udpPayload);
 * if (dhcpv4OptionValue(message, 53) === Dhcpv4MessageType.Offer) ...
 */
export function decodeDhcpv4(bytes: Uint8Array): Dhcpv4Message {
  try {
    return decode(bytes);
  } catch (e) {
    if (e instanceof DhcpDecodeError) throw e;
    if (e instanceof DhcpValueError) throw asDecodeError(e);
    // Not expected for any input; the contract is that only DhcpDecodeError escapes.
    throw new DhcpDecodeError(0, `unexpected decoder failure: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The fixed BOOTP fields a client matches a reply on, see {@link peekDhcpv4Header}. */
export interface Dhcpv4Header {
  /** 1 BOOTREQUEST, 2 BOOTREPLY. */
  readonly op: number;
  readonly xid: number;
  readonly hlen: number;
  /** The first `min(hlen, 16)` bytes of chaddr, a view into the packet. */
  readonly chaddr: Uint8Array;
}

/**
 * Reads op, xid, hlen and chaddr from the fixed header without looking at
 * the options, or `undefined` when `bytes` is shorter than the 236-byte
 * header (decodeDhcpv4 would refuse it). A client checks these first, so
 * a packet for another transaction costs a few byte reads, not a decode:
 * anyone on the link can send datagrams whose options are costly to decode.
 *
 * @example
 * const h = peekDhcpv4Header(bytes);
 * if (h === undefined || h.op !== 2 || h.xid !== xid) return; // not ours: do not decode
 */
export function peekDhcpv4Header(bytes: Uint8Array): Dhcpv4Header | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER_SIZE) return undefined;
  const hlen = bytes[2]!;
  return { op: bytes[0]!, xid: readU32(bytes, 4), hlen, chaddr: bytes.subarray(28, 28 + (hlen < 16 ? hlen : 16)) };
}

function decode(bytes: Uint8Array): Dhcpv4Message {
  if (!(bytes instanceof Uint8Array)) throw new DhcpDecodeError(0, "input is not a Uint8Array");
  const length = bytes.length;
  if (length < HEADER_SIZE) {
    throw new DhcpDecodeError(length, `truncated BOOTP header: ${length} bytes, need at least ${OPTIONS_AT}`);
  }
  const hlen = bytes[2]!;
  const significant = hlen < 16 ? hlen : 16;
  const chaddr = bytes.subarray(28, 28 + significant);

  // Clear only the codes the previous call touched (it may have thrown midway).
  for (let i = 0; i < orderCount; i++) {
    count[order[i]!] = 0;
    total[order[i]!] = 0;
  }
  instCount = 0;
  orderCount = 0;
  invalidCount = 0;

  let cookie = true;
  let overload = 0;
  let optionsEnd = -1;
  let fileEnd = -1;
  let snameEnd = -1;
  let fileFirst = 0;
  let snameFirst = 0;
  if (length === HEADER_SIZE) {
    cookie = false;
  } else {
    if (length < OPTIONS_AT) throw new DhcpDecodeError(HEADER_SIZE, `truncated magic cookie: ${length} bytes, need ${OPTIONS_AT}`);
    if (bytes[236] !== COOKIE[0] || bytes[237] !== COOKIE[1] || bytes[238] !== COOKIE[2] || bytes[239] !== COOKIE[3]) {
      throw new DhcpDecodeError(HEADER_SIZE, `wrong magic cookie 0x${hex(bytes, 236, 240)}, expected 0x63825363`);
    }
    optionsEnd = scanArea(bytes, OPTIONS_AT, length, 0);
    if (count[52]! > 0) overload = (optionValue(bytes, 52) as { value: number }).value;
    fileFirst = instCount;
    if (overload & 1) fileEnd = scanArea(bytes, FILE_AT, HEADER_SIZE, 1);
    snameFirst = instCount;
    if (overload & 2) snameEnd = scanArea(bytes, SNAME_AT, FILE_AT, 2);
  }

  const options: Dhcpv4Option[] = [];
  for (let i = 0; i < orderCount; i++) options.push(optionValue(bytes, order[i]!));

  const flags = readU16(bytes, 10);
  const message: {
    -readonly [K in keyof Dhcpv4Message]: Dhcpv4Message[K];
  } = {
    op: bytes[0]!,
    htype: bytes[1]!,
    hlen,
    hops: bytes[3]!,
    xid: readU32(bytes, 4),
    secs: readU16(bytes, 8),
    broadcast: (flags & 0x8000) !== 0,
    reservedFlags: flags & 0x7fff,
    ciaddr: ipv4Text(bytes, 12),
    yiaddr: ipv4Text(bytes, 16),
    siaddr: ipv4Text(bytes, 20),
    giaddr: ipv4Text(bytes, 24),
    chaddr,
    sname: "",
    file: "",
    options,
  };
  if (significant < 16 && !allZero(bytes, 28 + significant, SNAME_AT)) {
    message.chaddrPadding = bytes.subarray(28 + significant, SNAME_AT);
  }
  // Most packets leave sname and file empty: one zero test settles each.
  if ((overload & 2) === 0 && !allZero(bytes, SNAME_AT, FILE_AT)) {
    const nul = indexOfZero(bytes, SNAME_AT, FILE_AT);
    message.sname = latin1Text(bytes, SNAME_AT, nul);
    if (!allZero(bytes, nul, FILE_AT)) message.snameBytes = bytes.subarray(SNAME_AT, FILE_AT);
  }
  if ((overload & 1) === 0 && !allZero(bytes, FILE_AT, HEADER_SIZE)) {
    const nul = indexOfZero(bytes, FILE_AT, HEADER_SIZE);
    message.file = latin1Text(bytes, FILE_AT, nul);
    if (!allZero(bytes, nul, HEADER_SIZE)) message.fileBytes = bytes.subarray(FILE_AT, HEADER_SIZE);
  }

  const isDefault =
    cookie &&
    defaultOptionsArea(bytes, optionsEnd, fileFirst) &&
    ((overload & 1) === 0 || (fileEnd === FILE_AT && snameFirst === fileFirst && allZero(bytes, FILE_AT + 1, HEADER_SIZE))) &&
    ((overload & 2) === 0 || (snameEnd === SNAME_AT && instCount === snameFirst && allZero(bytes, SNAME_AT + 1, FILE_AT)));
  if (!isDefault) {
    const layout: { -readonly [K in keyof Dhcpv4Layout]: Dhcpv4Layout[K] } = {
      cookie,
      options: areaLayout(bytes, 0, fileFirst, optionsEnd, cookie ? length : HEADER_SIZE),
    };
    if (overload & 1) layout.file = areaLayout(bytes, fileFirst, snameFirst, fileEnd, HEADER_SIZE);
    if (overload & 2) layout.sname = areaLayout(bytes, snameFirst, instCount, snameEnd, FILE_AT);
    message.layout = layout;
  }
  return message;
}

/**
 * Records the option instances of bytes[start, end) in the scratch tables.
 * Returns the offset of END, or -1 when the area ran out without one.
 */
function scanArea(bytes: Uint8Array, start: number, end: number, area: number): number {
  let at = start;
  while (at < end) {
    const code = bytes[at]!;
    if (code === 0) {
      const from = at;
      while (at < end && bytes[at] === 0) at++;
      addInstance(0, from, at - from);
      continue;
    }
    if (code === 255) return at;
    if (at + 1 >= end) throw new DhcpDecodeError(at, `${optionLabel(code)} has no length byte before the end of the ${AREA_NAMES[area]}`);
    const size = bytes[at + 1]!;
    if (at + 2 + size > end) {
      throw new DhcpDecodeError(at, `${optionLabel(code)} of length ${size} runs past the end of the ${AREA_NAMES[area]}`);
    }
    const row = addInstance(code, at + 2, size);
    if (count[code] === 0) {
      head[code] = row;
      order[orderCount++] = code;
    } else {
      instNext[tail[code]!] = row;
    }
    tail[code] = row;
    count[code]!++;
    total[code]! += size;
    at += 2 + size;
  }
  return -1;
}

function addInstance(code: number, start: number, size: number): number {
  if (instCount === instCode.length) grow();
  const row = instCount++;
  instCode[row] = code;
  instStart[row] = start;
  instLength[row] = size;
  instNext[row] = -1;
  return row;
}

function grow(): void {
  const n = instCode.length * 2;
  const widen = (a: Int32Array) => {
    const b = new Int32Array(n);
    b.set(a);
    return b;
  };
  instCode = widen(instCode);
  instStart = widen(instStart);
  instLength = widen(instLength);
  instNext = widen(instNext);
}

/**
 * The typed option `code`, its instances concatenated; errors point into
 * the packet. A bad value gives the option as invalid (raw bytes and why);
 * any other error rejects the message.
 */
function optionValue(bytes: Uint8Array, code: number): Dhcpv4Option {
  const first = head[code]!;
  if (count[code] === 1) {
    const start = instStart[first]!;
    const end = start + instLength[first]!;
    try {
      return decodeOptionValue(code, bytes, start, end);
    } catch (e) {
      const error = named(e, code, (offset) => offset);
      if (error instanceof DhcpValueError) return invalid(code, bytes.subarray(start, end), error);
      throw error;
    }
  }
  const value = new Uint8Array(total[code]!);
  let at = 0;
  for (let row = first; row !== -1; row = instNext[row]!) {
    const start = instStart[row]!;
    value.set(bytes.subarray(start, start + instLength[row]!), at);
    at += instLength[row]!;
  }
  try {
    return decodeOptionValue(code, value, 0, value.length);
  } catch (e) {
    const error = named(e, code, (offset) => packetOffset(code, offset));
    if (error instanceof DhcpValueError) return invalid(code, value, error);
    throw error;
  }
}

function invalid(code: number, data: Uint8Array, error: DhcpValueError): Dhcpv4Option {
  if (++invalidCount > DHCP_MAX_INVALID_OPTIONS) {
    throw new DhcpDecodeError(error.offset, `more than ${DHCP_MAX_INVALID_OPTIONS} invalid options`);
  }
  return invalidOption(code, data, error, error.offset);
}

/** Where byte `offset` of the concatenated value of `code` sits in the packet. */
function packetOffset(code: number, offset: number): number {
  let before = 0;
  let last = -1;
  for (let row = head[code]!; row !== -1; row = instNext[row]!) {
    const size = instLength[row]!;
    if (offset < before + size) return instStart[row]! + (offset - before);
    before += size;
    last = row;
  }
  return last === -1 ? 0 : instStart[last]! + instLength[last]!;
}

function named(e: unknown, code: number, where: (offset: number) => number): unknown {
  if (!(e instanceof DhcpDecodeError) && !(e instanceof DhcpValueError)) return e;
  const reason = e.reason.startsWith("option ") ? e.reason : `${optionLabel(code)}: ${e.reason}`;
  if (!(e instanceof DhcpValueError)) return new DhcpDecodeError(where(e.offset), reason);
  const value = new DhcpValueError(where(e.offset), reason, e.problem);
  if (e.names !== undefined) value.names = e.names;
  return value;
}

/**
 * Whether the options field is as encodeDhcpv4 writes it: no PAD, each
 * code's instances adjacent and split at 255 bytes, END, zero padding to
 * exactly the 300-byte minimum.
 */
function defaultOptionsArea(bytes: Uint8Array, endAt: number, rows: number): boolean {
  if (endAt === -1) return false;
  const length = bytes.length;
  if (length !== Math.max(MIN_PACKET, endAt + 1) || !allZero(bytes, endAt + 1, length)) return false;
  let row = 0;
  while (row < rows) {
    const code = instCode[row]!;
    if (code === 0) return false;
    const n = count[code]!;
    if (row + n > rows) return false;
    for (let k = 0; k < n; k++) {
      if (instCode[row + k] !== code) return false;
      const size = instLength[row + k]!;
      if (k < n - 1 ? size !== 255 : n > 1 && size === 0) return false;
    }
    row += n;
  }
  return true;
}

function areaLayout(bytes: Uint8Array, from: number, to: number, endAt: number, areaEnd: number): Dhcpv4AreaLayout {
  const instances: number[] = [];
  for (let row = from; row < to; row++) instances.push(instCode[row]!, instLength[row]!);
  return {
    instances,
    end: endAt !== -1,
    trailing: endAt === -1 ? bytes.subarray(areaEnd, areaEnd) : bytes.subarray(endAt + 1, areaEnd),
  };
}

function indexOfZero(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (bytes[i] === 0) return i;
  return end;
}

function hex(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += bytes[i]!.toString(16).padStart(2, "0");
  return s;
}
