import { DhcpDecodeError } from "../decode-error.js";
import { decodeDomainNamesInto } from "../domain-name.js";
import { DHCP_MAX_INVALID_OPTIONS, DhcpValueError, asDecodeError, invalidOption } from "../invalid-option.js";
import { readDuid } from "./duid.js";
import { formatIpv6 } from "../address-text.js";
import type { Dhcpv6Message, Dhcpv6NtpSuboption, Dhcpv6Option } from "./message.js";

/**
 * How many Relay Message options may nest inside each other: RFC 8415
 * section 19.1.1 lets a relay forward a Relay-Forward whose hop count is
 * below HOP_COUNT_LIMIT (8), so a legitimate chain has at most 9 relay
 * agents. Deeper nesting is an error on decode and encode.
 */
export const DHCPV6_MAX_RELAY_NESTING = 9;

/**
 * How many levels of options one message may have: its own options are
 * level 1, options inside IA_NA/IA_TA/IA_PD level 2, inside IAADDR/IAPREFIX
 * level 3; one level is spare. Deeper encapsulation is an error.
 */
export const DHCPV6_MAX_OPTION_NESTING = 4;

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// Invalid options of the message being decoded, see DHCP_MAX_INVALID_OPTIONS
// (decoding never re-enters).
let invalidCount = 0;

/**
 * Decodes one DHCPv6 message (the UDP payload). Throws
 * {@link DhcpDecodeError}, and never any other error, when the message's
 * structure is broken: a header cut short, an option (at any level)
 * running past its message or enclosing option, relay or option nesting
 * over the bounds, a domain list over its bounds. A value that breaks its
 * option's rules (wrong length, bad name, text or range) only marks that
 * option invalid (a `DhcpInvalidOption`); the message is kept.
 * Byte fields in the result are views into `bytes`.
 *
 * @example
 * const message = decodeDhcpv6(udpPayload);
 * if (message.messageType === Dhcpv6MessageType.REPLY) ...
 */
export function decodeDhcpv6(bytes: Uint8Array): Dhcpv6Message {
  if (!(bytes instanceof Uint8Array)) throw new DhcpDecodeError(0, "input is not a Uint8Array");
  invalidCount = 0;
  try {
    return decodeMessage(bytes, 0, bytes.length, 0);
  } catch (e) {
    if (e instanceof DhcpDecodeError) throw e;
    if (e instanceof DhcpValueError) throw asDecodeError(e);
    // Last resort: the decoder is written so that this never happens.
    throw new DhcpDecodeError(0, `unexpected decoder failure: ${String(e)}`);
  }
}

/** The fixed fields of a client/server message, see {@link peekDhcpv6Header}. */
export interface Dhcpv6Header {
  readonly messageType: number;
  /** The 3-byte transaction id; meaningless for relay messages (types 12 and 13). */
  readonly transactionId: number;
}

/**
 * Reads the message type and transaction id without looking at the
 * options, or `undefined` when `bytes` is shorter than the 4-byte header.
 * A client checks these first, so a packet for another transaction costs
 * a few byte reads, not a decode.
 *
 * @example
 * const h = peekDhcpv6Header(bytes);
 * if (h === undefined || h.messageType !== Dhcpv6MessageType.REPLY || h.transactionId !== id) return;
 */
export function peekDhcpv6Header(bytes: Uint8Array): Dhcpv6Header | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < 4) return undefined;
  return { messageType: bytes[0]!, transactionId: (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]! };
}

function decodeMessage(bytes: Uint8Array, start: number, end: number, relayDepth: number): Dhcpv6Message {
  const length = end - start;
  if (length < 1) throw new DhcpDecodeError(start, "empty DHCPv6 message");
  const messageType = bytes[start]!;
  if (messageType === 12 || messageType === 13) {
    if (length < 34) throw new DhcpDecodeError(start, `relay message of ${length} bytes is shorter than its 34-byte header`);
    return {
      messageType,
      hopCount: bytes[start + 1]!,
      linkAddress: formatIpv6(bytes, start + 2),
      peerAddress: formatIpv6(bytes, start + 18),
      options: decodeOptions(bytes, start + 34, end, relayDepth, 1, -1),
    };
  }
  if (length < 4) throw new DhcpDecodeError(start, `message of ${length} bytes is shorter than its 4-byte header`);
  return {
    messageType,
    transactionId: (bytes[start + 1]! << 16) | (bytes[start + 2]! << 8) | bytes[start + 3]!,
    options: decodeOptions(bytes, start + 4, end, relayDepth, 1, -1),
  };
}

/** `parent` is the enclosing option code, -1 for a message's own options. */
function decodeOptions(
  bytes: Uint8Array,
  start: number,
  end: number,
  relayDepth: number,
  level: number,
  parent: number,
): Dhcpv6Option[] {
  const options: Dhcpv6Option[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 4) {
      throw new DhcpDecodeError(at, `option header of ${end - at} bytes runs past the end of ${container(parent)}`);
    }
    const code = (bytes[at]! << 8) | bytes[at + 1]!;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const from = at + 4;
    const to = from + length;
    if (to > end) throw new DhcpDecodeError(at, `option ${code} of ${length} bytes runs past the end of ${container(parent)}`);
    let option: Dhcpv6Option;
    try {
      option = decodeOption(bytes, code, from, to, relayDepth, level);
    } catch (e) {
      // A bad value spoils this option only; structure and bounds errors reject the message.
      if (!(e instanceof DhcpValueError)) throw e;
      if (++invalidCount > DHCP_MAX_INVALID_OPTIONS) throw new DhcpDecodeError(at, `more than ${DHCP_MAX_INVALID_OPTIONS} invalid options`);
      option = invalidOption(code, length === 0 ? EMPTY : bytes.subarray(from, to), e, e.offset);
    }
    options.push(option);
    at = to;
  }
  return options;
}

function container(parent: number): string {
  return parent < 0 ? "the message" : `its enclosing option ${parent}`;
}

function decodeOption(bytes: Uint8Array, code: number, from: number, to: number, relayDepth: number, level: number): Dhcpv6Option {
  const length = to - from;
  // Errors about an option's value point at its header.
  const at = from - 4;
  switch (code) {
    case 1:
    case 2:
      return { code, duid: readDuid(bytes, from, to) } as Dhcpv6Option;
    case 3:
    case 25:
      atLeast(at, code, length, 12);
      return {
        code,
        iaid: u32(bytes, from),
        t1: u32(bytes, from + 4),
        t2: u32(bytes, from + 8),
        options: nested(bytes, code, from + 12, to, relayDepth, level),
      } as Dhcpv6Option;
    case 4:
      atLeast(at, code, length, 4);
      return { code, iaid: u32(bytes, from), options: nested(bytes, code, from + 4, to, relayDepth, level) };
    case 5:
      atLeast(at, code, length, 24);
      return {
        code,
        address: formatIpv6(bytes, from),
        preferredLifetime: u32(bytes, from + 16),
        validLifetime: u32(bytes, from + 20),
        options: nested(bytes, code, from + 24, to, relayDepth, level),
      };
    case 6: {
      if (length % 2 !== 0) throw new DhcpValueError(at, `option request option of odd length ${length}`, "length");
      // Sized up front: growing by push is slow for a datagram-sized list.
      const codes = new Array<number>(length / 2);
      for (let k = 0, i = from; i < to; k++, i += 2) codes[k] = (bytes[i]! << 8) | bytes[i + 1]!;
      return { code, codes };
    }
    case 7:
      exactly(at, code, length, 1);
      return { code, preference: bytes[from]! };
    case 8:
      exactly(at, code, length, 2);
      return { code, elapsedTime: (bytes[from]! << 8) | bytes[from + 1]! };
    case 9:
      if (relayDepth >= DHCPV6_MAX_RELAY_NESTING) {
        throw new DhcpDecodeError(at, `relay messages nested deeper than ${DHCPV6_MAX_RELAY_NESTING}`);
      }
      return { code, message: decodeMessage(bytes, from, to, relayDepth + 1) };
    case 12:
      exactly(at, code, length, 16);
      return { code, address: formatIpv6(bytes, from) };
    case 13:
      atLeast(at, code, length, 2);
      return { code, statusCode: (bytes[from]! << 8) | bytes[from + 1]!, message: text(bytes, from + 2, to) };
    case 14:
    case 20:
      if (length !== 0) throw new DhcpValueError(at, `option ${code} must be empty but has ${length} bytes`, "length");
      return { code } as Dhcpv6Option;
    case 19:
      exactly(at, code, length, 1);
      return { code, messageType: bytes[from]! };
    case 23: {
      if (length === 0 || length % 16 !== 0) {
        throw new DhcpValueError(at, `option 23 of ${length} bytes is not a non-empty list of 16-byte addresses`, "length");
      }
      const servers: string[] = [];
      for (let i = from; i < to; i += 16) servers.push(formatIpv6(bytes, i));
      return { code, servers };
    }
    case 24:
      atLeast(at, code, length, 1);
      return { code, domains: domainList(bytes, from, to) };
    case 26: {
      atLeast(at, code, length, 25);
      const prefixLength = bytes[from + 8]!;
      if (prefixLength > 128) throw new DhcpValueError(from + 8, `IA prefix length ${prefixLength} is over 128`, "value");
      return {
        code,
        preferredLifetime: u32(bytes, from),
        validLifetime: u32(bytes, from + 4),
        prefixLength,
        prefix: formatIpv6(bytes, from + 9),
        options: nested(bytes, code, from + 25, to, relayDepth, level),
      };
    }
    case 32:
    case 82:
    case 83:
      exactly(at, code, length, 4);
      return { code, seconds: u32(bytes, from) } as Dhcpv6Option;
    case 39: {
      atLeast(at, code, length, 1);
      const names = decodeDomainNamesInto([], bytes, from + 1, to, { compression: false, allowPartial: true });
      if (names.length > 1) throw new DhcpValueError(from + 1, `client FQDN option holds ${names.length} names, want one`, "name");
      return { code, flags: bytes[from]!, name: names.length === 0 ? "" : names[0]! };
    }
    case 56:
      atLeast(at, code, length, 1);
      return { code, suboptions: ntpSuboptions(bytes, from, to) };
    default:
      return { code, data: length === 0 ? EMPTY : bytes.subarray(from, to) };
  }
}

function nested(bytes: Uint8Array, code: number, from: number, to: number, relayDepth: number, level: number): Dhcpv6Option[] {
  if (from === to) return [];
  if (level >= DHCPV6_MAX_OPTION_NESTING) {
    throw new DhcpDecodeError(from, `options nested deeper than ${DHCPV6_MAX_OPTION_NESTING} levels`);
  }
  return decodeOptions(bytes, from, to, relayDepth, level + 1, code);
}

function ntpSuboptions(bytes: Uint8Array, start: number, end: number): Dhcpv6NtpSuboption[] {
  const suboptions: Dhcpv6NtpSuboption[] = [];
  let at = start;
  while (at < end) {
    if (end - at < 4) throw new DhcpValueError(at, `NTP sub-option header of ${end - at} bytes runs past the end of option 56`, "length");
    const code = (bytes[at]! << 8) | bytes[at + 1]!;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const from = at + 4;
    const to = from + length;
    if (to > end) throw new DhcpValueError(at, `NTP sub-option ${code} of ${length} bytes runs past the end of option 56`, "length");
    if (code === 1 || code === 2) {
      if (length !== 16) throw new DhcpValueError(at, `NTP sub-option ${code} has ${length} bytes, want 16`, "length");
      suboptions.push({ code, address: formatIpv6(bytes, from) } as Dhcpv6NtpSuboption);
    } else if (code === 3) {
      const names = decodeDomainNamesInto([], bytes, from, to, { compression: false });
      if (names.length !== 1) throw new DhcpValueError(at, `NTP server FQDN sub-option holds ${names.length} names, want one`, "name");
      suboptions.push({ code, name: names[0]! });
    } else {
      suboptions.push({ code, data: length === 0 ? EMPTY : bytes.subarray(from, to) });
    }
    at = to;
  }
  return suboptions;
}

/** Option 24; when a name fails, the error carries the complete names before it. */
function domainList(bytes: Uint8Array, from: number, to: number): string[] {
  const names: string[] = [];
  try {
    return decodeDomainNamesInto(names, bytes, from, to, NO_COMPRESSION);
  } catch (e) {
    if (e instanceof DhcpValueError) e.names = names;
    throw e;
  }
}

const NO_COMPRESSION = { compression: false } as const;

function atLeast(at: number, code: number, length: number, minimum: number): void {
  if (length < minimum) throw new DhcpValueError(at, `option ${code} of ${length} bytes is too short (at least ${minimum})`, "length");
}

function exactly(at: number, code: number, length: number, want: number): void {
  if (length !== want) throw new DhcpValueError(at, `option ${code} has ${length} bytes, want ${want}`, "length");
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function text(bytes: Uint8Array, from: number, to: number): string {
  if (from === to) return "";
  if (to - from <= 256) {
    let ascii = true;
    for (let i = from; i < to; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[]);
  }
  try {
    return utf8.decode(bytes.subarray(from, to));
  } catch {
    throw new DhcpValueError(from, "status message is not valid UTF-8", "text");
  }
}
