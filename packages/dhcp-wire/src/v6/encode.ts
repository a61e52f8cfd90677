import { encodeDomainNames } from "../domain-name.js";
import { DHCPV6_MAX_OPTION_NESTING, DHCPV6_MAX_RELAY_NESTING } from "./decode.js";
import { duidSize, writeDuid } from "./duid.js";
import { writeIpv6 } from "../address-text.js";
import { allocateOutput, copyBytes } from "./output-buffer.js";
import type { Dhcpv6Message, Dhcpv6NtpSuboption, Dhcpv6Option, Dhcpv6RelayMessage } from "./message.js";

const utf8 = new TextEncoder();

/**
 * Bytes computed in the sizing pass (domain names, non-ASCII text) and
 * consumed in the same order by the writing pass, so each is built once.
 */
interface Pending {
  readonly blobs: Uint8Array[];
  next: number;
}

/**
 * Encodes a DHCPv6 message to its UDP payload. Encoding a decoded message
 * gives back the bytes it was decoded from. Throws `RangeError` or
 * `TypeError` for a message that cannot be written or would not decode back
 * (field out of range, bad address text, option over 65535 bytes, an empty
 * list where the option needs one entry, nesting over the decoder's bounds).
 *
 * @example
 * encodeDhcpv6({ messageType: Dhcpv6MessageType.SOLICIT, transactionId: 0x123456, options: [{ code: 8, elapsedTime: 0 }] })
 */
export function encodeDhcpv6(message: Dhcpv6Message): Uint8Array {
  const pending: Pending = { blobs: [], next: 0 };
  const size = messageSize(message, pending, 0);
  const out = allocateOutput(size);
  // Every byte must be written: the output buffer is not zeroed.
  const end = writeMessage(message, out, 0, pending);
  if (end !== size) throw new Error(`DHCPv6 encoder wrote ${end} bytes of ${size}`);
  return out;
}

function isRelay(message: Dhcpv6Message): message is Dhcpv6RelayMessage {
  return message.messageType === 12 || message.messageType === 13;
}

function messageSize(message: Dhcpv6Message, pending: Pending, relayDepth: number): number {
  if (message === null || typeof message !== "object") throw new TypeError("DHCPv6 message must be an object");
  checkUint(message.messageType, 0xff, "DHCPv6 message type");
  if (!Array.isArray(message.options)) throw new TypeError(`DHCPv6 message has no "options" array`);
  return (isRelay(message) ? 34 : 4) + optionsSize(message.options, pending, relayDepth, 1);
}

function optionsSize(options: readonly Dhcpv6Option[], pending: Pending, relayDepth: number, level: number): number {
  if (level > DHCPV6_MAX_OPTION_NESTING) throw new RangeError(`Options nested deeper than ${DHCPV6_MAX_OPTION_NESTING} levels`);
  let size = 0;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    const body = optionSize(option, pending, relayDepth, level);
    if (body > 0xffff) throw new RangeError(`Option ${option.code} value of ${body} bytes is over 65535`);
    size += 4 + body;
  }
  return size;
}

function nestedSize(options: readonly Dhcpv6Option[] | undefined, code: number, pending: Pending, relayDepth: number, level: number): number {
  if (!Array.isArray(options)) throw new TypeError(`Option ${code} has no "options" array`);
  return options.length === 0 ? 0 : optionsSize(options, pending, relayDepth, level + 1);
}

// Typed fields are read through this loose view: the switch on `code` keeps
// the cases honest, and a raw option for a known code is handled first.
type Loose = Record<string, any>;

function optionSize(option: Dhcpv6Option, pending: Pending, relayDepth: number, level: number): number {
  if (option === null || typeof option !== "object") throw new TypeError("DHCPv6 option must be an object");
  checkUint(option.code, 0xffff, "DHCPv6 option code");
  const o = option as Loose;
  if (o.data !== undefined) {
    if (!(o.data instanceof Uint8Array)) throw new TypeError(`Option ${option.code} "data" must be a Uint8Array`);
    return o.data.length;
  }
  switch (option.code) {
    case 1:
    case 2:
      return duidSize(o.duid);
    case 3:
    case 25:
      return 12 + nestedSize(o.options, option.code, pending, relayDepth, level);
    case 4:
      return 4 + nestedSize(o.options, option.code, pending, relayDepth, level);
    case 5:
      return 24 + nestedSize(o.options, option.code, pending, relayDepth, level);
    case 6:
      if (!Array.isArray(o.codes)) throw new TypeError(`Option 6 has no "codes" array`);
      return 2 * o.codes.length;
    case 7:
    case 19:
      return 1;
    case 8:
      return 2;
    case 9:
      if (relayDepth >= DHCPV6_MAX_RELAY_NESTING) throw new RangeError(`Relay messages nested deeper than ${DHCPV6_MAX_RELAY_NESTING}`);
      return messageSize(o.message, pending, relayDepth + 1);
    case 12:
      return 16;
    case 13:
      if (typeof o.message !== "string") throw new TypeError(`Option 13 "message" must be a string`);
      return 2 + textSize(o.message, pending);
    case 14:
    case 20:
      return 0;
    case 23:
      if (!Array.isArray(o.servers) || o.servers.length === 0) throw new RangeError(`Option 23 needs a non-empty "servers" array`);
      return 16 * o.servers.length;
    case 24:
      if (!Array.isArray(o.domains) || o.domains.length === 0) throw new RangeError(`Option 24 needs a non-empty "domains" array`);
      return namesSize(o.domains, false, pending);
    case 26:
      return 25 + nestedSize(o.options, option.code, pending, relayDepth, level);
    case 32:
    case 82:
    case 83:
      return 4;
    case 39:
      if (typeof o.name !== "string") throw new TypeError(`Option 39 "name" must be a string`);
      return 1 + (o.name === "" ? 0 : namesSize([o.name], true, pending));
    case 56:
      return ntpSize(o.suboptions, pending);
    default:
      throw new TypeError(`Option ${option.code} is not a typed option and has no "data"`);
  }
}

function ntpSize(suboptions: readonly Dhcpv6NtpSuboption[] | undefined, pending: Pending): number {
  if (!Array.isArray(suboptions) || suboptions.length === 0) throw new RangeError(`Option 56 needs a non-empty "suboptions" array`);
  let size = 0;
  for (const sub of suboptions) {
    checkUint(sub.code, 0xffff, "NTP sub-option code");
    const s = sub as Loose;
    let body: number;
    if (s.data !== undefined) {
      if (!(s.data instanceof Uint8Array)) throw new TypeError(`NTP sub-option ${sub.code} "data" must be a Uint8Array`);
      body = s.data.length;
    } else if (sub.code === 1 || sub.code === 2) {
      body = 16;
    } else if (sub.code === 3) {
      if (typeof s.name !== "string" || s.name === "") throw new TypeError(`NTP sub-option 3 "name" must be a non-empty string`);
      body = namesSize([s.name], false, pending);
    } else {
      throw new TypeError(`NTP sub-option ${sub.code} is not typed and has no "data"`);
    }
    if (body > 0xffff) throw new RangeError(`NTP sub-option ${sub.code} of ${body} bytes is over 65535`);
    size += 4 + body;
  }
  return size;
}

// Names made of letters, digits, "-" and "_" (nearly all of them) are written
// straight into the output; anything else goes through encodeDomainNames,
// which handles escapes and reports errors.

/** Wire size of names without escapes, or -1 when encodeDomainNames must handle them. */
function plainNamesSize(names: readonly unknown[], allowPartial: boolean): number {
  let size = 0;
  for (let n = 0; n < names.length; n++) {
    const name = names[n];
    if (typeof name !== "string" || name.length < 2 || name.length > 254) return -1;
    let label = 0;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c === 0x2e) {
        if (label === 0) return -1;
        label = 0;
      } else if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || (c >= 0x41 && c <= 0x5a) || c === 0x5f) {
        if (++label > 63) return -1;
      } else {
        return -1;
      }
    }
    // Only the last name of a list may be partial (RFC 4704 FQDN).
    if (label !== 0 && (!allowPartial || n !== names.length - 1)) return -1;
    size += name.length + 1;
  }
  return size;
}

function namesSize(names: readonly string[], allowPartial: boolean, pending: Pending): number {
  const size = plainNamesSize(names, allowPartial);
  return size >= 0 ? size : push(pending, encodeDomainNames(names, { compression: false, allowPartial }));
}

function writeNames(names: readonly string[], allowPartial: boolean, out: Uint8Array, at: number, pending: Pending): number {
  if (plainNamesSize(names, allowPartial) < 0) return writeBlob(out, at, pending);
  for (const name of names) {
    let lengthAt = at;
    at++;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c === 0x2e) {
        out[lengthAt] = at - lengthAt - 1;
        lengthAt = at++;
      } else {
        out[at++] = c;
      }
    }
    if (name.charCodeAt(name.length - 1) === 0x2e) out[lengthAt] = 0;
    else out[lengthAt] = at - lengthAt - 1;
  }
  return at;
}

function push(pending: Pending, blob: Uint8Array): number {
  pending.blobs.push(blob);
  return blob.length;
}

function textSize(text: string, pending: Pending): number {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) return push(pending, utf8.encode(text));
  }
  return text.length;
}

function writeMessage(message: Dhcpv6Message, out: Uint8Array, at: number, pending: Pending): number {
  out[at] = message.messageType;
  if (isRelay(message)) {
    checkUint(message.hopCount, 0xff, "Relay hop count");
    out[at + 1] = message.hopCount;
    writeIpv6(message.linkAddress, out, at + 2, "Relay link address");
    writeIpv6(message.peerAddress, out, at + 18, "Relay peer address");
    return writeOptions(message.options, out, at + 34, pending);
  }
  checkUint(message.transactionId, 0xffffff, "DHCPv6 transaction id");
  out[at + 1] = message.transactionId >>> 16;
  out[at + 2] = (message.transactionId >>> 8) & 0xff;
  out[at + 3] = message.transactionId & 0xff;
  return writeOptions(message.options, out, at + 4, pending);
}

function writeOptions(options: readonly Dhcpv6Option[], out: Uint8Array, at: number, pending: Pending): number {
  for (let i = 0; i < options.length; i++) at = writeOption(options[i]!, out, at, pending);
  return at;
}

function writeOption(option: Dhcpv6Option, out: Uint8Array, start: number, pending: Pending): number {
  const code = option.code;
  out[start] = code >>> 8;
  out[start + 1] = code & 0xff;
  const at = start + 4;
  const end = writeValue(option as Loose, code, out, at, pending);
  const length = end - at;
  out[start + 2] = length >>> 8;
  out[start + 3] = length & 0xff;
  return end;
}

function writeValue(o: Loose, code: number, out: Uint8Array, at: number, pending: Pending): number {
  if (o.data !== undefined) return copyBytes(out, at, o.data);
  switch (code) {
    case 1:
    case 2:
      return writeDuid(o.duid, out, at);
    case 3:
    case 25:
      writeU32(out, at, o.iaid, `Option ${code} IAID`);
      writeU32(out, at + 4, o.t1, `Option ${code} T1`);
      writeU32(out, at + 8, o.t2, `Option ${code} T2`);
      return writeOptions(o.options, out, at + 12, pending);
    case 4:
      writeU32(out, at, o.iaid, "Option 4 IAID");
      return writeOptions(o.options, out, at + 4, pending);
    case 5:
      writeIpv6(o.address, out, at, "Option 5 address");
      writeU32(out, at + 16, o.preferredLifetime, "Option 5 preferred lifetime");
      writeU32(out, at + 20, o.validLifetime, "Option 5 valid lifetime");
      return writeOptions(o.options, out, at + 24, pending);
    case 6:
      for (const requested of o.codes as unknown[]) {
        writeU16(out, at, requested, "Option 6 requested code");
        at += 2;
      }
      return at;
    case 7:
      checkUint(o.preference, 0xff, "Option 7 preference");
      out[at] = o.preference;
      return at + 1;
    case 8:
      writeU16(out, at, o.elapsedTime, "Option 8 elapsed time");
      return at + 2;
    case 9:
      return writeMessage(o.message, out, at, pending);
    case 12:
      writeIpv6(o.address, out, at, "Option 12 address");
      return at + 16;
    case 13:
      writeU16(out, at, o.statusCode, "Option 13 status code");
      return writeText(o.message, out, at + 2, pending);
    case 14:
    case 20:
      return at;
    case 19:
      checkUint(o.messageType, 0xff, "Option 19 message type");
      out[at] = o.messageType;
      return at + 1;
    case 23:
      for (const server of o.servers as unknown[]) {
        writeIpv6(server as string, out, at, "Option 23 server");
        at += 16;
      }
      return at;
    case 24:
      return writeNames(o.domains, false, out, at, pending);
    case 26:
      writeU32(out, at, o.preferredLifetime, "Option 26 preferred lifetime");
      writeU32(out, at + 4, o.validLifetime, "Option 26 valid lifetime");
      checkUint(o.prefixLength, 128, "Option 26 prefix length");
      out[at + 8] = o.prefixLength;
      writeIpv6(o.prefix, out, at + 9, "Option 26 prefix");
      return writeOptions(o.options, out, at + 25, pending);
    case 32:
    case 82:
    case 83:
      writeU32(out, at, o.seconds, `Option ${code} seconds`);
      return at + 4;
    case 39:
      checkUint(o.flags, 0xff, "Option 39 flags");
      out[at] = o.flags;
      return o.name === "" ? at + 1 : writeNames([o.name], true, out, at + 1, pending);
    default: // 56: the sizing pass let nothing else through
      return writeNtp(o.suboptions, out, at, pending);
  }
}

function writeNtp(suboptions: readonly Dhcpv6NtpSuboption[], out: Uint8Array, at: number, pending: Pending): number {
  for (const sub of suboptions) {
    const s = sub as Loose;
    out[at] = sub.code >>> 8;
    out[at + 1] = sub.code & 0xff;
    const from = at + 4;
    let to: number;
    if (s.data !== undefined) {
      to = copyBytes(out, from, s.data);
    } else if (sub.code === 3) {
      to = writeNames([s.name], false, out, from, pending);
    } else {
      writeIpv6(s.address, out, from, `NTP sub-option ${sub.code} address`);
      to = from + 16;
    }
    out[at + 2] = (to - from) >>> 8;
    out[at + 3] = (to - from) & 0xff;
    at = to;
  }
  return at;
}

function writeBlob(out: Uint8Array, at: number, pending: Pending): number {
  return copyBytes(out, at, pending.blobs[pending.next++]!);
}

function writeText(text: string, out: Uint8Array, at: number, pending: Pending): number {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) return writeBlob(out, at, pending);
  }
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

function checkUint(value: unknown, max: number, what: string): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} "${String(value)}" is not an integer between 0 and ${max}`);
  }
}

function writeU16(out: Uint8Array, at: number, value: unknown, what: string): void {
  checkUint(value, 0xffff, what);
  out[at] = value >>> 8;
  out[at + 1] = value & 0xff;
}

function writeU32(out: Uint8Array, at: number, value: unknown, what: string): void {
  checkUint(value, 0xffffffff, what);
  out[at] = value >>> 24;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}
