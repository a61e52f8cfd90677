import { expect, it } from "vitest";
import { DhcpDecodeError } from "../decode-error.js";
import { invalidDhcpv4Options, type DhcpOptionInvalidity } from "../invalid-option.js";
import { decodeDhcpv4 } from "./decode.js";
import { encodeDhcpv4 } from "./encode.js";

// Builders shared by the DHCPv4 tests (a .test.ts file so the build skips it).

/** Bytes from numbers and ASCII strings. */
export const bytes = (...parts: (number | string | Uint8Array | number[])[]): Uint8Array =>
  Uint8Array.from(
    parts.flatMap((x) =>
      typeof x === "string" ? [...x].map((c) => c.charCodeAt(0)) : typeof x === "number" ? [x] : [...x],
    ),
  );

/** One option instance: code, length, value. */
export const opt = (code: number, ...value: (number | string | Uint8Array | number[])[]): Uint8Array => {
  const data = bytes(...value);
  return bytes(code, data.length, data);
};

/** A 236-byte BOOTREQUEST header (Ethernet, chaddr 00:16:3e:00:00:01, xid 0x01020304). */
export function header(): Uint8Array {
  const h = new Uint8Array(236);
  h.set([1, 1, 6, 0, 1, 2, 3, 4]);
  h.set([0x00, 0x16, 0x3e, 0, 0, 1], 28);
  return h;
}

/** Header, magic cookie, then `options` exactly as given (add END yourself). */
export function packet(...options: (number | string | Uint8Array | number[])[]): Uint8Array {
  return bytes(header(), 99, 130, 83, 99, ...options);
}

/** `packet` with the options area closed by END and zero padding to 300 bytes. */
export function padded(...options: (number | string | Uint8Array | number[])[]): Uint8Array {
  const p = packet(...options, 255);
  const out = new Uint8Array(Math.max(300, p.length));
  out.set(p);
  return out;
}

/** Hex of bytes, for readable comparisons. */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** The DhcpDecodeError `f` throws, failing the test if it throws anything else or nothing. */
export const decodeError = (f: () => unknown): DhcpDecodeError => {
  try {
    f();
  } catch (e) {
    if (e instanceof DhcpDecodeError) return e;
    throw e;
  }
  throw new Error("Expected a DhcpDecodeError, but nothing was thrown");
};

/**
 * Why decoding `p` marked its one invalid option: the message must still
 * decode, hold exactly one invalid option and re-encode byte for byte.
 */
export const optionFault = (p: Uint8Array): DhcpOptionInvalidity => {
  const message = decodeDhcpv4(p);
  const invalid = invalidDhcpv4Options(message);
  expect(invalid).toHaveLength(1);
  expect(hex(encodeDhcpv4(message))).toBe(hex(p));
  return invalid[0]!.invalid;
};

it("builds a padded packet with the magic cookie after the 236-byte header", () => {
  const p = padded(opt(53, 1));
  expect(p.length).toBe(300);
  expect([...p.subarray(236, 244)]).toEqual([99, 130, 83, 99, 53, 1, 1, 255]);
});
