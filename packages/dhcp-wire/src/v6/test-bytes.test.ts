import { expect, it } from "vitest";
import { DhcpDecodeError } from "../decode-error.js";
import { invalidDhcpv6Options, type DhcpOptionInvalidity } from "../invalid-option.js";
import { decodeDhcpv6 } from "./decode.js";
import { encodeDhcpv6 } from "./encode.js";

// Helpers shared by the DHCPv6 tests (a .test.ts file so the build skips it).

/** Bytes from hex text; spaces and newlines are ignored. */
export const hex = (s: string): Uint8Array =>
  Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16));

/** Hex text of bytes. */
export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");

/** One option on the wire: code, length, value (hex). */
export const opt = (code: number, value = ""): string => {
  const v = value.replace(/\s+/g, "");
  return code.toString(16).padStart(4, "0") + (v.length / 2).toString(16).padStart(4, "0") + v;
};

/** A client/server message: type, transaction id 0x010203, then options (hex). */
export const msg = (type: number, ...options: string[]): Uint8Array =>
  hex(type.toString(16).padStart(2, "0") + "010203" + options.join(""));

/** The DhcpDecodeError `f` throws, failing the test if it throws anything else or nothing. */
export const decodeError = (f: () => unknown): DhcpDecodeError => {
  try {
    f();
  } catch (e) {
    if (e instanceof DhcpDecodeError) return e;
    throw e;
  }
  throw new Error("expected a DhcpDecodeError, nothing was thrown");
};

/**
 * Why decoding `bytes` marked its one invalid option: the message must
 * still decode, hold exactly one invalid option and re-encode byte for byte.
 */
export const optionFault = (bytes: Uint8Array): DhcpOptionInvalidity => {
  const message = decodeDhcpv6(bytes);
  const invalid = invalidDhcpv6Options(message);
  expect(invalid).toHaveLength(1);
  expect(toHex(encodeDhcpv6(message))).toBe(toHex(bytes));
  return invalid[0]!.invalid;
};

it("builds option bytes", () => {
  expect(toHex(msg(1, opt(8, "0000")))).toBe("01010203000800020000");
});
