import { DhcpValueError, asDecodeError } from "../invalid-option.js";
import { copyBytes } from "./output-buffer.js";

/**
 * A DHCP Unique Identifier (RFC 8415 section 11), as carried in DHCPv6
 * Client/Server Identifier options and in RFC 4361 DHCPv4 client ids.
 *
 * Byte fields are views into the decoded packet (no copy): copy them if the
 * packet buffer is reused. A DUID type this codec does not know is kept as
 * `raw` (its type code and the bytes after it) and re-encoded unchanged.
 *
 * Length: RFC 8415 section 11.1 caps a DUID at 128 octets after the type
 * code, but also says DUIDs are opaque and only compared for equality. The
 * decoder accepts longer ones and the encoder writes them back, so a packet
 * from a peer that ignores the cap still decodes and re-encodes byte for byte.
 *
 * @example
 * const duid: Duid = { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0, 0, 0, 0, 1) };
 */
export type Duid = DuidLlt | DuidEn | DuidLl | DuidUuid | DuidRaw;

/** DUID-LLT (type 1): link-layer address plus the time it was generated. */
export interface DuidLlt {
  readonly type: "llt";
  /** IANA hardware type (1 = Ethernet). */
  readonly hardwareType: number;
  /** Seconds since 2000-01-01 00:00 UTC, modulo 2^32. */
  readonly time: number;
  readonly linkLayerAddress: Uint8Array;
}

/** DUID-EN (type 2): vendor enterprise number plus a vendor-chosen identifier. */
export interface DuidEn {
  readonly type: "en";
  readonly enterpriseNumber: number;
  readonly identifier: Uint8Array;
}

/** DUID-LL (type 3): a link-layer address alone. */
export interface DuidLl {
  readonly type: "ll";
  readonly hardwareType: number;
  readonly linkLayerAddress: Uint8Array;
}

/** DUID-UUID (type 4, RFC 6355): a UUID as lower-case `8-4-4-4-12` hex text. */
export interface DuidUuid {
  readonly type: "uuid";
  readonly uuid: string;
}

/** A DUID of a type this codec does not interpret: its type code and the bytes after it. */
export interface DuidRaw {
  readonly type: "raw";
  readonly typeCode: number;
  readonly data: Uint8Array;
}

/** DUID type codes on the wire (RFC 8415 section 11, RFC 6355). */
export const DuidTypeCode = { LLT: 1, EN: 2, LL: 3, UUID: 4 } as const;

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

/**
 * Decodes the DUID in `bytes[start, end)`. Offsets in errors are absolute.
 * Throws `DhcpDecodeError` when the DUID is shorter than its type
 * needs (a DUID-UUID must be exactly 16 octets after the type code).
 *
 * @example
 * decodeDuid(Uint8Array.of(0, 3, 0, 1, 2, 0, 0, 0, 0, 1), 0, 10) // { type: "ll", hardwareType: 1, ... }
 */
export function decodeDuid(bytes: Uint8Array, start: number, end: number): Duid {
  try {
    return readDuid(bytes, start, end);
  } catch (e) {
    throw asDecodeError(e);
  }
}

/** {@link decodeDuid} for the message decoders: a short DUID is a `DhcpValueError` (its option is invalid). */
export function readDuid(bytes: Uint8Array, start: number, end: number): Duid {
  if (end - start < 2) throw new DhcpValueError(start, `DUID of ${end - start} bytes is too short (at least 2)`, "length");
  const typeCode = (bytes[start]! << 8) | bytes[start + 1]!;
  const length = end - start;
  switch (typeCode) {
    case DuidTypeCode.LLT:
      if (length < 8) throw new DhcpValueError(start, `DUID-LLT of ${length} bytes is too short (at least 8)`, "length");
      return {
        type: "llt",
        hardwareType: (bytes[start + 2]! << 8) | bytes[start + 3]!,
        time: readU32(bytes, start + 4),
        linkLayerAddress: bytes.subarray(start + 8, end),
      };
    case DuidTypeCode.EN:
      if (length < 6) throw new DhcpValueError(start, `DUID-EN of ${length} bytes is too short (at least 6)`, "length");
      return { type: "en", enterpriseNumber: readU32(bytes, start + 2), identifier: bytes.subarray(start + 6, end) };
    case DuidTypeCode.LL:
      if (length < 4) throw new DhcpValueError(start, `DUID-LL of ${length} bytes is too short (at least 4)`, "length");
      return {
        type: "ll",
        hardwareType: (bytes[start + 2]! << 8) | bytes[start + 3]!,
        linkLayerAddress: bytes.subarray(start + 4, end),
      };
    case DuidTypeCode.UUID:
      if (length !== 18) throw new DhcpValueError(start, `DUID-UUID of ${length} bytes, want 18`, "length");
      return { type: "uuid", uuid: uuidText(bytes, start + 2) };
    default:
      return { type: "raw", typeCode, data: bytes.subarray(start + 2, end) };
  }
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function uuidText(bytes: Uint8Array, at: number): string {
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += HEX[bytes[at + i]!];
  }
  return s;
}

/**
 * Bytes {@link writeDuid} will write for `duid`. Throws like {@link encodeDuid}
 * for an invalid DUID.
 */
export function duidSize(duid: Duid): number {
  switch (duid.type) {
    case "llt":
      return 8 + duid.linkLayerAddress.length;
    case "en":
      return 6 + duid.identifier.length;
    case "ll":
      return 4 + duid.linkLayerAddress.length;
    case "uuid":
      return 18;
    case "raw":
      return 2 + duid.data.length;
    default:
      throw new TypeError(`Unknown DUID type "${String((duid as { type: unknown }).type)}"`);
  }
}

/**
 * Writes `duid` into `out` at `at` (the caller sized `out` with
 * {@link duidSize}) and returns the offset after it. Throws `RangeError` for
 * a field out of range (hardware type, enterprise number, time, UUID text, or
 * a `raw` DUID using a known type code, which would not decode back to `raw`).
 */
export function writeDuid(duid: Duid, out: Uint8Array, at: number): number {
  switch (duid.type) {
    case "llt":
      checkUint(duid.hardwareType, 0xffff, "DUID-LLT hardware type");
      checkUint(duid.time, 0xffffffff, "DUID-LLT time");
      writeU16(out, at, DuidTypeCode.LLT);
      writeU16(out, at + 2, duid.hardwareType);
      writeU32(out, at + 4, duid.time);
      return copyBytes(out, at + 8, duid.linkLayerAddress);
    case "en":
      checkUint(duid.enterpriseNumber, 0xffffffff, "DUID-EN enterprise number");
      writeU16(out, at, DuidTypeCode.EN);
      writeU32(out, at + 2, duid.enterpriseNumber);
      return copyBytes(out, at + 6, duid.identifier);
    case "ll":
      checkUint(duid.hardwareType, 0xffff, "DUID-LL hardware type");
      writeU16(out, at, DuidTypeCode.LL);
      writeU16(out, at + 2, duid.hardwareType);
      return copyBytes(out, at + 4, duid.linkLayerAddress);
    case "uuid":
      writeU16(out, at, DuidTypeCode.UUID);
      writeUuid(duid.uuid, out, at + 2);
      return at + 18;
    case "raw":
      checkUint(duid.typeCode, 0xffff, "DUID type code");
      if (duid.typeCode >= DuidTypeCode.LLT && duid.typeCode <= DuidTypeCode.UUID) {
        throw new RangeError(`Raw DUID with known type code "${duid.typeCode}"; use its typed form`);
      }
      writeU16(out, at, duid.typeCode);
      return copyBytes(out, at + 2, duid.data);
    default:
      throw new TypeError(`Unknown DUID type "${String((duid as { type: unknown }).type)}"`);
  }
}

function writeUuid(uuid: string, out: Uint8Array, at: number): void {
  let ok = typeof uuid === "string" && uuid.length === 36;
  let i = 0;
  for (let b = 0; ok && b < 16; b++) {
    if (b === 4 || b === 6 || b === 8 || b === 10) ok = uuid.charCodeAt(i++) === 0x2d;
    const high = lowerHex(uuid.charCodeAt(i++));
    const low = lowerHex(uuid.charCodeAt(i++));
    ok &&= high >= 0 && low >= 0;
    out[at + b] = (high << 4) | low;
  }
  if (!ok) throw new RangeError(`DUID-UUID "${String(uuid)}" is not lower-case 8-4-4-4-12 hex`);
}

function lowerHex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Encodes a DUID to its wire bytes (type code first).
 *
 * @example
 * encodeDuid({ type: "en", enterpriseNumber: 32473, identifier: Uint8Array.of(1) }) // 00 02 00 00 7e d9 01
 */
export function encodeDuid(duid: Duid): Uint8Array {
  const out = new Uint8Array(duidSize(duid));
  writeDuid(duid, out, 0);
  return out;
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} "${String(value)}" is not an integer between 0 and ${max}`);
  }
}

function writeU16(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 8;
  out[at + 1] = value & 0xff;
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}
