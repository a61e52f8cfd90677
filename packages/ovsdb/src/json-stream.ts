// OVSDB's JSON-RPC has no framing: JSON texts follow each other on the
// stream, and a chunk can end anywhere (inside a string, an escape, a
// multi-byte UTF-8 character). The splitter scans bytes: every byte that
// matters for nesting ({ } [ ] " \) is ASCII, and UTF-8 never uses ASCII
// values inside a multi-byte character, so byte scanning is exact and the
// text is decoded only once a whole value has arrived.

import { OvsdbInvalidArgumentError, OvsdbProtocolError } from "./errors.js";

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Deepest nesting of arrays and objects accepted: OVS's JSON parser refuses deeper input (JSON_MAX_HEIGHT). */
export const MAX_JSON_DEPTH = 1000;

/**
 * Default largest JSON-RPC message accepted: 256 MiB. OVS itself sets no
 * receive limit, and one reply can hold a whole database (a monitor's
 * initial contents): at about 1 KiB of JSON per logical switch port with
 * OpenStack-style `external_ids`, a 20 000-port northbound database with
 * its ACLs is some 50 MiB (our estimate), and this leaves several times
 * that. It stays well under the longest string V8 can decode (512 MiB).
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/**
 * `maxMessageBytes` (default {@link DEFAULT_MAX_MESSAGE_BYTES}) after
 * checking it is a positive safe integer: every comparison with NaN is
 * false, so a NaN limit (a misread configuration) let any message through.
 * Throws {@link OvsdbInvalidArgumentError} otherwise.
 */
export function checkMaxMessageBytes(maxMessageBytes: number | undefined): number {
  if (maxMessageBytes === undefined) return DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1) {
    throw new OvsdbInvalidArgumentError(`maxMessageBytes must be a positive whole number of bytes, not ${String(maxMessageBytes)}`);
  }
  return maxMessageBytes;
}

/**
 * Splits a byte stream into complete JSON values (objects or arrays, as
 * RFC 7047 sends them) and parses each one. Feed chunks as they arrive;
 * every complete value is returned in order.
 *
 * @example
 * const splitter = new JsonStreamSplitter();
 * socket.on("data", (chunk) => { for (const msg of splitter.push(chunk)) handle(msg); });
 */
export class JsonStreamSplitter {
  #chunks: Buffer[] = [];
  #pending = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  readonly #maxBytes: number;

  /** `maxMessageBytes`: largest message accepted (default {@link DEFAULT_MAX_MESSAGE_BYTES}); see {@link checkMaxMessageBytes}. */
  constructor(options: { readonly maxMessageBytes?: number } = {}) {
    this.#maxBytes = checkMaxMessageBytes(options.maxMessageBytes);
  }

  /** Bytes buffered of a value not yet complete. */
  get bufferedBytes(): number {
    return this.#pending;
  }

  /**
   * Consumes `chunk` and returns every value it completes. Throws
   * {@link OvsdbProtocolError} on text that is not JSON, a message larger
   * than the limit or nested deeper than {@link MAX_JSON_DEPTH}; the
   * splitter is then unusable (the stream has lost sync).
   */
  push(chunk: Uint8Array): unknown[] {
    const out: unknown[] = [];
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    // Strings are most of the bytes: jump through them with indexOf instead
    // of a byte loop. Both positions are kept and searched again only once
    // passed, so the two searches pass over each byte once each: searching
    // for the quote afresh at every escape made a string of escapes
    // quadratic (64 KiB of "\\\\..." searched ~1 GiB).
    let nextBackslash = buf.indexOf(BACKSLASH);
    let nextQuote = buf.indexOf(QUOTE);
    for (let i = 0; i < buf.length; i++) {
      if (this.#inString) {
        if (this.#escaped) {
          this.#escaped = false;
          continue;
        }
        if (nextBackslash >= 0 && nextBackslash < i) nextBackslash = buf.indexOf(BACKSLASH, i);
        if (nextQuote >= 0 && nextQuote < i) nextQuote = buf.indexOf(QUOTE, i);
        const quote = nextQuote < 0 ? buf.length : nextQuote;
        if (nextBackslash >= 0 && nextBackslash < quote) {
          i = nextBackslash;
          this.#escaped = true;
        } else {
          i = quote;
          if (quote < buf.length) this.#inString = false;
        }
        continue;
      }
      const byte = buf[i]!;
      if (this.#depth === 0) {
        if (isWhitespace(byte)) {
          start = i + 1;
          continue;
        }
        if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET) {
          throw new OvsdbProtocolError(`Unexpected byte 0x${byte.toString(16)} between JSON-RPC messages`);
        }
        start = i;
        this.#depth = 1;
        continue;
      }
      if (byte === QUOTE) this.#inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        // Refused here, while scanning: nothing recursive ever sees such a value.
        if (++this.#depth > MAX_JSON_DEPTH) throw new OvsdbProtocolError(`JSON-RPC message nested deeper than ${MAX_JSON_DEPTH} levels`);
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.#depth--;
        if (this.#depth === 0) {
          this.#checkSize(i + 1 - start);
          out.push(this.#complete(buf.subarray(start, i + 1)));
          start = i + 1;
        }
      }
    }
    if (this.#depth > 0 && start < buf.length) {
      // Checked before keeping the bytes: at most the limit is ever buffered.
      this.#checkSize(buf.length - start);
      this.#chunks.push(buf.subarray(start));
      this.#pending += buf.length - start;
    }
    return out;
  }

  /** Throws when the value in progress would exceed the limit with `more` bytes of this chunk. */
  #checkSize(more: number): void {
    if (this.#pending + more > this.#maxBytes) {
      throw new OvsdbProtocolError(`JSON-RPC message larger than ${this.#maxBytes} bytes (the maxMessageBytes limit)`);
    }
  }

  #complete(tail: Buffer): unknown {
    let bytes = tail;
    if (this.#chunks.length > 0) {
      this.#chunks.push(tail);
      bytes = Buffer.concat(this.#chunks, this.#pending + tail.length);
      this.#chunks = [];
      this.#pending = 0;
    }
    const text = bytes.toString("utf8");
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new OvsdbProtocolError(`Invalid JSON from the server: ${(error as Error).message}`, { cause: error });
    }
  }
}
