// Value codecs for the DHCPv4 options this package types. Decoders read
// a whole (RFC 3396-concatenated) value in bytes[start, end) and report
// offsets inside `bytes`; the message decoder maps them back to the packet.

import { DhcpDecodeError } from "../decode-error.js";
import { decodeDomainNames, decodeDomainNamesInto } from "../domain-name.js";
import { DhcpValueError, type DhcpOptionProblem } from "../invalid-option.js";
import { encodeNames, namesEncodeTo } from "./fast-names.js";
import { duidSize, readDuid, writeDuid } from "../v6/duid.js";
import type {
  Dhcpv4ClasslessRoute,
  Dhcpv4ClientFqdn,
  Dhcpv4ClientIdentifier,
  Dhcpv4Option,
} from "./message.js";
import { ipv4Text, putIpv4 } from "../address-text.js";
import {
  checkUint,
  latin1Text,
  readU16,
  readU32,
  writeLatin1,
  writeU16,
  writeU32,
} from "./primitives.js";

const NAMES: Record<number, string> = {
  1: "subnet mask",
  3: "routers",
  6: "domain name servers",
  12: "host name",
  15: "domain name",
  26: "interface MTU",
  28: "broadcast address",
  42: "NTP servers",
  50: "requested IP address",
  51: "lease time",
  52: "option overload",
  53: "DHCP message type",
  54: "server identifier",
  55: "parameter request list",
  57: "maximum message size",
  58: "renewal time",
  59: "rebinding time",
  61: "client identifier",
  81: "client FQDN",
  119: "domain search",
  121: "classless static routes",
};

const LABELS: string[] = [];
for (let code = 0; code < 256; code++) {
  const name = NAMES[code];
  LABELS.push(name === undefined ? `option ${code}` : `option ${code} (${name})`);
}

/** `option 51 (lease time)`, for messages (precomputed, so naming an option costs nothing on the hot path). */
export function optionLabel(code: number): string {
  return LABELS[code] ?? `option ${String(code)}`;
}

const FQDN_S = 0x01;
const FQDN_O = 0x02;
const FQDN_E = 0x04;
const FQDN_N = 0x08;
const COMPRESSED = { compression: true } as const;
const FQDN_NAMES = { compression: false, allowPartial: true } as const;

// The switch in decodeOptionValue pairs each code with its value type;
// TypeScript cannot follow a numeric `code` through it, hence one cast here.
function typed(code: number, value: unknown): Dhcpv4Option {
  return { code, value } as Dhcpv4Option;
}

/** A bad value: the option is kept as invalid, the message decodes. */
function fail(at: number, code: number, reason: string, problem: DhcpOptionProblem = "length"): never {
  throw new DhcpValueError(at, `${optionLabel(code)} ${reason}`, problem);
}

function exact(code: number, start: number, end: number, want: number): void {
  const length = end - start;
  if (length === want) return;
  if (length === 0) fail(start, code, `is empty; it needs a value`);
  fail(start, code, `has length ${length}, expected ${want}`);
}

function atLeast(code: number, start: number, end: number, min: number): void {
  const length = end - start;
  if (length >= min) return;
  if (length === 0) fail(start, code, `is empty; it needs a value`);
  fail(start, code, `has length ${length}, expected at least ${min}`);
}

/**
 * Decodes the value of option `code` in `bytes[start, end)`: typed for the
 * codes in {@link Dhcpv4OptionValues}, raw bytes (a view) otherwise.
 */
export function decodeOptionValue(code: number, bytes: Uint8Array, start: number, end: number): Dhcpv4Option {
  switch (code) {
    case 1:
    case 28:
    case 50:
    case 54:
      exact(code, start, end, 4);
      return typed(code, ipv4Text(bytes, start));
    case 3:
    case 6:
    case 42: {
      atLeast(code, start, end, 4);
      if ((end - start) % 4 !== 0) fail(start, code, `has length ${end - start}, not a multiple of 4`);
      const list: string[] = [];
      for (let at = start; at < end; at += 4) list.push(ipv4Text(bytes, at));
      return typed(code, list);
    }
    case 12:
    case 15:
      atLeast(code, start, end, 1);
      return typed(code, latin1Text(bytes, start, end));
    case 26:
    case 57:
      exact(code, start, end, 2);
      return typed(code, readU16(bytes, start));
    case 51:
    case 58:
    case 59:
      exact(code, start, end, 4);
      return typed(code, readU32(bytes, start));
    case 52: {
      // Option overload says where the other options are: structure, so a
      // bad one rejects the message (DhcpDecodeError, not a value error).
      const value = bytes[start]!;
      if (end - start !== 1) {
        const problem = end === start ? "is empty; it needs a value" : `has length ${end - start}, expected 1`;
        throw new DhcpDecodeError(start, `${optionLabel(code)} ${problem}`);
      }
      if (value < 1 || value > 3) {
        throw new DhcpDecodeError(start, `${optionLabel(code)} has value ${value}, expected 1 (file), 2 (sname) or 3 (both)`);
      }
      return typed(code, value);
    }
    case 53:
      exact(code, start, end, 1);
      return typed(code, bytes[start]!);
    case 55: {
      atLeast(code, start, end, 1);
      // Sized up front: growing by push cost ~5 ms for a 65 KB list (RFC 3396 concatenation).
      const list = new Array<number>(end - start);
      for (let i = 0; i < list.length; i++) list[i] = bytes[start + i]!;
      return typed(code, list);
    }
    case 61:
      return typed(code, decodeClientIdentifier(bytes, start, end));
    case 81:
      return typed(code, decodeClientFqdn(bytes, start, end));
    case 119: {
      atLeast(code, start, end, 1);
      const names: string[] = [];
      try {
        decodeDomainNamesInto(names, bytes, start, end, COMPRESSED);
      } catch (e) {
        if (e instanceof DhcpValueError) e.names = names;
        throw e;
      }
      const data = bytes.subarray(start, end);
      // Another encoder may compress differently (or not at all); keep its
      // bytes so the packet re-encodes as received.
      if (encodesTo(names, data)) return typed(code, names);
      const option = { code: 119 as const, value: names, wire: data };
      receivedNames.set(option, names.slice());
      return option;
    }
    case 121:
      return typed(code, decodeClasslessRoutes(bytes, start, end));
    default:
      return { code, data: bytes.subarray(start, end) };
  }
}

function encodesTo(names: string[], data: Uint8Array): boolean {
  try {
    return namesEncodeTo(names, COMPRESSED, data);
  } catch {
    return false;
  }
}

function decodeClientIdentifier(bytes: Uint8Array, start: number, end: number): Dhcpv4ClientIdentifier {
  atLeast(61, start, end, 2);
  const type = bytes[start]!;
  if (type === 255) {
    if (end - start < 7) fail(start, 61, `of ${end - start} bytes is too short for an RFC 4361 IAID and DUID (at least 7)`);
    return { form: "duid", iaid: readU32(bytes, start + 1), duid: readDuid(bytes, start + 5, end) };
  }
  if (type === 0) return { form: "other", identifier: bytes.subarray(start + 1, end) };
  return { form: "hardware", hardwareType: type, address: bytes.subarray(start + 1, end) };
}

function decodeClientFqdn(bytes: Uint8Array, start: number, end: number): Dhcpv4ClientFqdn {
  atLeast(81, start, end, 3);
  const flags = bytes[start]!;
  const canonicalEncoding = (flags & FQDN_E) !== 0;
  let name = "";
  if (canonicalEncoding) {
    const names = decodeDomainNamesInto([], bytes, start + 3, end, FQDN_NAMES);
    if (names.length > 1) fail(start + 3, 81, `holds ${names.length} names, expected one`, "name");
    name = names[0] ?? "";
  } else {
    name = latin1Text(bytes, start + 3, end);
  }
  return {
    serverUpdate: (flags & FQDN_S) !== 0,
    serverOverride: (flags & FQDN_O) !== 0,
    canonicalEncoding,
    noServerUpdate: (flags & FQDN_N) !== 0,
    reservedFlags: flags & 0xf0,
    rcode1: bytes[start + 1]!,
    rcode2: bytes[start + 2]!,
    name,
  };
}

function decodeClasslessRoutes(bytes: Uint8Array, start: number, end: number): Dhcpv4ClasslessRoute[] {
  atLeast(121, start, end, 5);
  const routes: Dhcpv4ClasslessRoute[] = [];
  const dest = new Uint8Array(4);
  let at = start;
  while (at < end) {
    const prefixLength = bytes[at]!;
    if (prefixLength > 32) fail(at, 121, `has a destination prefix length of ${prefixLength}, over 32`, "value");
    const significant = (prefixLength + 7) >> 3;
    if (at + 1 + significant + 4 > end) fail(at, 121, `has a route running past the end of the option`);
    dest.fill(0);
    for (let i = 0; i < significant; i++) dest[i] = bytes[at + 1 + i]!;
    routes.push({ destination: ipv4Text(dest, 0), prefixLength, router: ipv4Text(bytes, at + 1 + significant) });
    at += 1 + significant + 4;
  }
  return routes;
}

// Encoding. Values of simple shape (addresses, integers, strings) are
// sized first and written straight into the packet; the rest are encoded
// to bytes once (complexValue) and copied.

/**
 * The bytes of a value whose size needs encoding to know (raw data, FQDN,
 * domain search); undefined for the values that
 * {@link simpleValueSize} and {@link writeSimpleValue} handle.
 */
export function complexValue(option: Dhcpv4Option): Uint8Array | undefined {
  if ("data" in option) {
    if (!(option.data instanceof Uint8Array)) throw new TypeError(`${optionLabel(option.code)} data is not a Uint8Array`);
    return option.data;
  }
  switch (option.code) {
    case 81:
      // The ASCII form's size is known up front: it is written in place.
      return option.value.canonicalEncoding ? encodeClientFqdn(option.value) : undefined;
    case 119: {
      const names = checkArray(option.value, 119);
      if (names.length === 0) throw new RangeError(`${optionLabel(119)} needs at least one name`);
      const wire = option.wire;
      if (wire instanceof Uint8Array && wireStillMatches(option, wire, names)) return wire;
      try {
        return encodeNames(names, COMPRESSED);
      } catch (e) {
        throw new RangeError(`${optionLabel(119)}: ${(e as Error).message}`);
      }
    }
    default:
      return undefined;
  }
}

// Option 119 objects made by the decoder, with the names their `wire`
// decodes to: lets encode skip decoding `wire` again. Only a shortcut; an
// option not found here is checked by decoding.
const receivedNames = new WeakMap<object, readonly string[]>();

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function wireStillMatches(option: object, wire: Uint8Array, names: readonly string[]): boolean {
  const known = receivedNames.get(option);
  if (known !== undefined && (option as { wire?: unknown }).wire === wire) return sameNames(known, names);
  try {
    const decoded = decodeDomainNames(wire, 0, wire.length, COMPRESSED);
    return sameNames(decoded, names);
  } catch {
    return false;
  }
}

function checkArray<T>(value: readonly T[], code: number): readonly T[] {
  if (!Array.isArray(value)) throw new TypeError(`${optionLabel(code)} value is not an array`);
  return value;
}

/** Size of a value written in place (see {@link complexValue}); throws TypeError for an unknown code or a value of the wrong type. */
export function simpleValueSize(option: Dhcpv4Option): number {
  const code = option.code;
  const value = (option as { value: unknown }).value;
  switch (code) {
    case 1:
    case 28:
    case 50:
    case 54:
    case 51:
    case 58:
    case 59:
      return 4;
    case 3:
    case 6:
    case 42: {
      const n = checkArray(value as string[], code).length;
      if (n === 0) throw new RangeError(`${optionLabel(code)} needs at least one address`);
      return 4 * n;
    }
    case 12:
    case 15:
      if (typeof value !== "string") throw new TypeError(`${optionLabel(code)} value is not a string`);
      if (value.length === 0) throw new RangeError(`${optionLabel(code)} is empty; RFC 2132 requires at least one character`);
      return value.length;
    case 26:
    case 57:
      return 2;
    case 52:
    case 53:
      return 1;
    case 55: {
      const n = checkArray(value as number[], code).length;
      if (n === 0) throw new RangeError(`${optionLabel(code)} needs at least one code`);
      return n;
    }
    case 61:
      return clientIdentifierSize(value as Dhcpv4ClientIdentifier);
    case 81:
      checkClientFqdn(value as Dhcpv4ClientFqdn);
      return 3 + (value as Dhcpv4ClientFqdn).name.length;
    case 121:
      return classlessRoutesSize(value as readonly Dhcpv4ClasslessRoute[]);
    default:
      if (!Number.isInteger(code) || code < 1 || code > 254) {
        throw new RangeError(`Option code "${String(code)}" is not between 1 and 254`);
      }
      throw new TypeError(`${optionLabel(code)} has no "data" bytes and is not a typed option`);
  }
}

/** Writes a value in place at `at`, validating it; the caller sized the buffer with {@link simpleValueSize}. */
export function writeSimpleValue(option: Dhcpv4Option, out: Uint8Array, at: number): void {
  const code = option.code;
  const value = (option as { value: unknown }).value;
  const what = optionLabel(code);
  switch (code) {
    case 1:
    case 28:
    case 50:
    case 54:
      putIpv4(value, out, at, what);
      return;
    case 3:
    case 6:
    case 42: {
      const list = value as readonly unknown[];
      for (let i = 0; i < list.length; i++) putIpv4(list[i], out, at + 4 * i, what);
      return;
    }
    case 12:
    case 15:
      writeLatin1(value as string, out, at, what);
      return;
    case 26:
    case 57:
      checkUint(value, 0xffff, what);
      writeU16(out, at, value);
      return;
    case 51:
    case 58:
    case 59:
      checkUint(value, 0xffffffff, what);
      writeU32(out, at, value);
      return;
    case 52:
      checkUint(value, 3, what);
      if (value === 0) throw new RangeError(`${optionLabel(code)} "0" is not 1 (file), 2 (sname) or 3 (both)`);
      out[at] = value;
      return;
    case 53:
      checkUint(value, 0xff, what);
      out[at] = value;
      return;
    case 55: {
      const list = value as readonly unknown[];
      for (let i = 0; i < list.length; i++) {
        const c = list[i];
        checkUint(c, 0xff, `${what} entry`);
        out[at + i] = c;
      }
      return;
    }
    case 61:
      writeClientIdentifier(value as Dhcpv4ClientIdentifier, out, at);
      return;
    case 81: {
      const fqdn = value as Dhcpv4ClientFqdn;
      writeFqdnHeader(fqdn, out, at);
      writeLatin1(fqdn.name, out, at + 3, `${what} name`);
      return;
    }
    case 121:
      writeClasslessRoutes(value as readonly Dhcpv4ClasslessRoute[], out, at);
      return;
  }
}

function clientIdentifierSize(id: Dhcpv4ClientIdentifier): number {
  const what = optionLabel(61);
  switch (id?.form) {
    case "duid":
      return 5 + duidSize(id.duid);
    case "hardware":
      if (!(id.address instanceof Uint8Array) || id.address.length === 0) {
        throw new RangeError(`${what} hardware address is empty or not a Uint8Array`);
      }
      return 1 + id.address.length;
    case "other":
      if (!(id.identifier instanceof Uint8Array) || id.identifier.length === 0) {
        throw new RangeError(`${what} identifier is empty or not a Uint8Array`);
      }
      return 1 + id.identifier.length;
    default:
      throw new TypeError(`${what} form "${String((id as { form?: unknown })?.form)}" is not "duid", "hardware" or "other"`);
  }
}

function writeClientIdentifier(id: Dhcpv4ClientIdentifier, out: Uint8Array, at: number): void {
  const what = optionLabel(61);
  switch (id.form) {
    case "duid":
      checkUint(id.iaid, 0xffffffff, `${what} IAID`);
      out[at] = 255;
      writeU32(out, at + 1, id.iaid);
      writeDuid(id.duid, out, at + 5);
      return;
    case "hardware":
      checkUint(id.hardwareType, 0xff, `${what} hardware type`);
      if (id.hardwareType === 0 || id.hardwareType === 255) {
        throw new RangeError(`${what} hardware type "${id.hardwareType}" is reserved; use form "other" or "duid"`);
      }
      out[at] = id.hardwareType;
      out.set(id.address, at + 1);
      return;
    case "other":
      out[at] = 0;
      out.set(id.identifier, at + 1);
      return;
  }
}

/** Validates the fields of an option 81 value other than how its name encodes. */
function checkClientFqdn(fqdn: Dhcpv4ClientFqdn): void {
  const what = optionLabel(81);
  checkUint(fqdn.reservedFlags, 0xff, `${what} reserved flags`);
  if ((fqdn.reservedFlags & 0x0f) !== 0) throw new RangeError(`${what} reserved flags "${fqdn.reservedFlags}" overlap S, O, E or N`);
  checkUint(fqdn.rcode1, 0xff, `${what} RCODE1`);
  checkUint(fqdn.rcode2, 0xff, `${what} RCODE2`);
  if (typeof fqdn.name !== "string") throw new TypeError(`${what} name is not a string`);
}

function writeFqdnHeader(fqdn: Dhcpv4ClientFqdn, out: Uint8Array, at: number): void {
  out[at] =
    fqdn.reservedFlags |
    (fqdn.serverUpdate ? FQDN_S : 0) |
    (fqdn.serverOverride ? FQDN_O : 0) |
    (fqdn.canonicalEncoding ? FQDN_E : 0) |
    (fqdn.noServerUpdate ? FQDN_N : 0);
  out[at + 1] = fqdn.rcode1;
  out[at + 2] = fqdn.rcode2;
}

/** Option 81 with a canonical (DNS wire format) name; the ASCII form is a simple value. */
function encodeClientFqdn(fqdn: Dhcpv4ClientFqdn): Uint8Array {
  const what = optionLabel(81);
  checkClientFqdn(fqdn);
  let out: Uint8Array;
  if (fqdn.name === "") {
    out = new Uint8Array(3);
  } else {
    try {
      out = encodeNames([fqdn.name], FQDN_NAMES, 3);
    } catch (e) {
      throw new RangeError(`${what}: ${(e as Error).message}`);
    }
  }
  writeFqdnHeader(fqdn, out, 0);
  return out;
}

function classlessRoutesSize(routes: readonly Dhcpv4ClasslessRoute[]): number {
  const what = optionLabel(121);
  checkArray(routes, 121);
  if (routes.length === 0) throw new RangeError(`${what} needs at least one route`);
  let size = 0;
  for (let i = 0; i < routes.length; i++) {
    const prefixLength = routes[i]!.prefixLength;
    checkUint(prefixLength, 32, `${what} prefix length`);
    size += 1 + ((prefixLength + 7) >> 3) + 4;
  }
  return size;
}

const routeDestination = new Uint8Array(4);

function writeClasslessRoutes(routes: readonly Dhcpv4ClasslessRoute[], out: Uint8Array, at: number): void {
  const what = optionLabel(121);
  const destinationWhat = `${what} destination`;
  const routerWhat = `${what} router`;
  const dest = routeDestination;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!;
    putIpv4(r.destination, dest, 0, destinationWhat);
    const significant = (r.prefixLength + 7) >> 3;
    for (let k = significant; k < 4; k++) {
      if (dest[k] !== 0) {
        throw new RangeError(`${what} destination "${r.destination}" has bits set beyond its /${r.prefixLength} octets`);
      }
    }
    out[at] = r.prefixLength;
    for (let k = 0; k < significant; k++) out[at + 1 + k] = dest[k]!;
    putIpv4(r.router, out, at + 1 + significant, routerWhat);
    at += 1 + significant + 4;
  }
}
