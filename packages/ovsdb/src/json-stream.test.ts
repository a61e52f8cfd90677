import { describe, expect, it } from "vitest";
import { OvsdbClient } from "./client.js";
import { OvsdbErrorCode, OvsdbInvalidArgumentError, OvsdbProtocolError } from "./errors.js";
import { JsonStreamSplitter, MAX_JSON_DEPTH } from "./json-stream.js";

const MESSAGES: unknown[] = [
  { id: 1, result: ["OVN_Northbound", "_Server"], error: null },
  { method: "echo", params: [], id: "echo" },
  { id: 2, result: [{ rows: [{ name: "lr-{weird}[name]\"quoted\"\\", note: "€ ü 😀 日本" }] }], error: null },
  [1, [2, [3, {}]], "]}", "\\\"", "\\"],
  { method: "update3", params: ["m", "00000000-0000-0000-0000-000000000000", { NAT: { "a": { insert: { logical_ip: "10.0.0.5" } } } }], id: null },
  { s: "\u0000\u001f\t\n \"}{" },
];

function wire(): Buffer {
  // Back to back, with the whitespace a server may put between messages.
  return Buffer.from(MESSAGES.map((m, i) => JSON.stringify(m) + (i % 2 === 0 ? "" : "\n  ")).join(""), "utf8");
}

function feed(chunks: Buffer[]): unknown[] {
  const splitter = new JsonStreamSplitter();
  const out: unknown[] = [];
  for (const c of chunks) out.push(...splitter.push(c));
  expect(splitter.bufferedBytes).toBe(0);
  return out;
}

describe("JsonStreamSplitter", () => {
  it("parses messages sent back to back in one chunk", () => {
    expect(feed([wire()])).toEqual(MESSAGES);
  });

  it("parses the same messages when the stream is split at every byte offset (also inside UTF-8 characters)", () => {
    const bytes = wire();
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(feed([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(MESSAGES);
    }
  });

  it("parses the same messages when split at every pair of offsets", () => {
    const bytes = Buffer.from(JSON.stringify(MESSAGES[2]) + JSON.stringify(MESSAGES[3]), "utf8");
    for (let a = 1; a < bytes.length; a++) {
      for (let b = a; b < bytes.length; b++) {
        expect(feed([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)])).toEqual([MESSAGES[2], MESSAGES[3]]);
      }
    }
  });

  it("parses the stream fed one byte at a time", () => {
    const bytes = wire();
    expect(feed([...bytes].map((b) => Buffer.from([b])))).toEqual(MESSAGES);
  });

  it("keeps a 4-byte UTF-8 character intact when each of its bytes comes alone", () => {
    const bytes = Buffer.from(JSON.stringify({ s: "😀" }), "utf8");
    const start = bytes.indexOf(0xf0);
    const chunks = [bytes.subarray(0, start + 1), bytes.subarray(start + 1, start + 2), bytes.subarray(start + 2, start + 3), bytes.subarray(start + 3)];
    expect(feed(chunks)).toEqual([{ s: "😀" }]);
  });

  it("returns nothing until a value is complete, then exactly that value", () => {
    const splitter = new JsonStreamSplitter();
    expect(splitter.push(Buffer.from('{"a": "}'))).toEqual([]);
    expect(splitter.bufferedBytes).toBeGreaterThan(0);
    expect(splitter.push(Buffer.from('"}{"b":'))).toEqual([{ a: "}" }]);
    expect(splitter.push(Buffer.from("[1]}"))).toEqual([{ b: [1] }]);
  });

  it("rejects bytes that cannot start a message with a protocol error", () => {
    const splitter = new JsonStreamSplitter();
    expect(() => splitter.push(Buffer.from('{"a":1} x'))).toThrow(OvsdbProtocolError);
    try {
      new JsonStreamSplitter().push(Buffer.from("42"));
    } catch (error) {
      expect((error as OvsdbProtocolError).code).toBe(OvsdbErrorCode.Protocol);
    }
  });

  it("rejects a balanced value that is not JSON", () => {
    expect(() => new JsonStreamSplitter().push(Buffer.from("{a:1}"))).toThrow(/Invalid JSON/);
  });

  it("rejects a message larger than the limit", () => {
    const splitter = new JsonStreamSplitter({ maxMessageBytes: 16 });
    expect(() => splitter.push(Buffer.from('{"a":"0123456789abcdef'))).toThrow(/larger than 16 bytes/);
  });
});

describe("JsonStreamSplitter limits", () => {
  it("never buffers more than the limit of a message that grows past it", () => {
    const splitter = new JsonStreamSplitter({ maxMessageBytes: 100 });
    expect(splitter.push(Buffer.from('{"a":"' + "x".repeat(54)))).toEqual([]);
    expect(splitter.bufferedBytes).toBe(60);
    expect(() => splitter.push(Buffer.from("y".repeat(60)))).toThrow(OvsdbProtocolError);
    expect(splitter.bufferedBytes).toBeLessThanOrEqual(100);
  });

  it("refuses a message over the limit that arrives whole in one chunk", () => {
    const splitter = new JsonStreamSplitter({ maxMessageBytes: 100 });
    const big = JSON.stringify({ a: "x".repeat(200) });
    expect(() => splitter.push(Buffer.from(big))).toThrow(/larger than 100 bytes/);
  });

  // Every comparison with NaN is false: such a limit let any message through.
  it.each([Number.NaN, 0, -1, 1.5, Number.POSITIVE_INFINITY, "65536"])("refuses a maxMessageBytes of %s instead of running without a limit", async (bad) => {
    const maxMessageBytes = bad as number;
    expect(() => new JsonStreamSplitter({ maxMessageBytes })).toThrow(OvsdbInvalidArgumentError);
    // Before any connection is attempted (the endpoint does not exist).
    await expect(OvsdbClient.connect("unix:/nonexistent/incusx-ovsdb.sock", { maxMessageBytes })).rejects.toThrow(OvsdbInvalidArgumentError);
  });

  it("accepts a message of exactly the limit", () => {
    const text = JSON.stringify({ a: "x".repeat(50) });
    const splitter = new JsonStreamSplitter({ maxMessageBytes: text.length });
    expect(splitter.push(Buffer.from(text.slice(0, 10)))).toEqual([]);
    expect(splitter.push(Buffer.from(text.slice(10)))).toEqual([{ a: "x".repeat(50) }]);
  });

  it(`accepts nesting ${MAX_JSON_DEPTH} deep, as OVS does`, () => {
    const text = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
    expect(new JsonStreamSplitter().push(Buffer.from(text))).toHaveLength(1);
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} while scanning, before the message is complete`, () => {
    const splitter = new JsonStreamSplitter();
    // Only openers: the value is nowhere near complete, so nothing was parsed.
    const error = (() => {
      try {
        splitter.push(Buffer.from('{"a":' + "[".repeat(100_000)));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(OvsdbProtocolError);
    expect((error as Error).message).toMatch(/nested deeper than 1000/);
    expect(splitter.bufferedBytes).toBeLessThanOrEqual(1100);
  });

  it("counts depth across chunks and ignores brackets inside strings", () => {
    const splitter = new JsonStreamSplitter();
    const opener = '{"s":"' + "[".repeat(5000) + '","a":' + "[".repeat(MAX_JSON_DEPTH - 2);
    expect(splitter.push(Buffer.from(opener))).toEqual([]);
    expect(() => splitter.push(Buffer.from("[["))).toThrow(/nested deeper than 1000/);
  });
});

describe("JsonStreamSplitter work", () => {
  // Bytes the splitter's indexOf searches look at while splitting `chunk`:
  // counted, not timed, so the bound holds however loaded the machine is.
  function scannedBytes(chunk: Buffer): number {
    let scanned = 0;
    const search = Buffer.prototype.indexOf;
    Object.defineProperty(chunk, "indexOf", {
      value(this: Buffer, value: number, from = 0) {
        const found = search.call(this, value, from);
        scanned += (found === -1 ? this.length : found) - from;
        return found;
      },
    });
    new JsonStreamSplitter().push(chunk);
    return scanned;
  }

  it("looks at each byte of a string full of escapes a bounded number of times (no search per escape to the closing quote)", () => {
    const escapes = Buffer.from(`["${"\\\\".repeat(32 * 1024)}"]`);
    // Linear: each search starts where the last ended. Searching from every
    // escape to the far quote looked at ~1 GiB for these 64 KiB.
    expect(scannedBytes(escapes)).toBeLessThanOrEqual(4 * escapes.length);
    const quotes = Buffer.from(`[${'"a",'.repeat(16 * 1024)}"\\\\"]`);
    expect(scannedBytes(quotes)).toBeLessThanOrEqual(4 * quotes.length);
  });
});
