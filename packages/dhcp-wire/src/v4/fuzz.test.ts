import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fuzzGateTests, hostileNames, loadFixtures, mutated, randomBytes, size, type InputGenerator } from "../fuzz-gate.test-support.js";
import { MAX_DATAGRAM } from "../testing/hostile.js";
import { decodeDhcpv4 } from "./decode.js";
import { encodeDhcpv4 } from "./encode.js";

// The DHCPv4 codec fuzz gate (see fuzz-gate.test-support.ts): every input,
// up to the 65,507-byte datagram maximum, must throw DhcpDecodeError or
// decode and re-encode byte for byte, within 5 ms and without a result many
// times its size. A short deterministic slice runs in the normal suite; the
// long run is opt-in:
//   DHCPV4_FUZZ=1000000 [DHCPV4_FUZZ_SEED=n] pnpm exec vitest run packages/dhcp-wire/src/v4/fuzz.test.ts
const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = loadFixtures([join(here, "../fixtures/v4"), join(here, "__fixtures__/handmade")]);

/** A BOOTREPLY header with the magic cookie, then `options` up to `length` bytes (no END unless written). */
function packet(options: readonly number[]): Uint8Array {
  const p = new Uint8Array(Math.min(MAX_DATAGRAM, 240 + options.length));
  p.set([2, 1, 6, 0, 1, 2, 3, 4]);
  p.set([99, 130, 83, 99], 236);
  p.set(options.slice(0, p.length - 240), 240);
  return p;
}

/** `value` split into instances of `code` of at most 255 bytes (RFC 3396), then END. */
function split(code: number, value: readonly number[]): number[] {
  const out: number[] = [];
  for (let at = 0; at < value.length; at += 255) {
    const chunk = value.slice(at, at + 255);
    out.push(code, chunk.length, ...chunk);
  }
  out.push(255);
  return out;
}

const room = (rand: () => number) => Math.max(16, size(rand) - 241) * (255 / 257);
const TYPED = [1, 3, 6, 12, 15, 26, 28, 42, 50, 51, 52, 53, 54, 55, 57, 58, 59, 61, 81, 119, 121, 224];

const generators: Record<string, InputGenerator> = {
  random: randomBytes,
  "random after a header": (rand) => {
    const p = packet([]);
    const out = new Uint8Array(240 + Math.floor(rand() * (size(rand) + 1)));
    out.set(p.subarray(0, 240));
    for (let i = 240; i < out.length; i++) out[i] = rand() < 0.3 ? 0 : rand() * 256;
    return out;
  },
  mutated: mutated(fixtures),
  "option 119 bomb": (rand) => packet(split(119, hostileNames(rand, room(rand), true))),
  "option 81 names": (rand) => packet(split(81, [rand() < 0.5 ? 0x04 : 0x05, 0, 0, ...hostileNames(rand, room(rand), false)])),
  "tiny options": (rand) => {
    const out: number[] = [];
    const n = size(rand) - 241;
    while (out.length + 3 <= n) {
      const length = Math.floor(rand() * 3);
      out.push(rand() < 0.5 ? TYPED[Math.floor(rand() * TYPED.length)]! : 1 + Math.floor(rand() * 254), length);
      for (let i = 0; i < length; i++) out.push(Math.floor(rand() * 256));
    }
    out.push(255);
    return packet(out);
  },
  "long concatenation": (rand) => {
    const code = TYPED[Math.floor(rand() * TYPED.length)]!;
    const length = room(rand);
    const value: number[] = [];
    if (code === 121) while (value.length + 9 <= length) value.push(32, 192, 0, 2, Math.floor(rand() * 256), 192, 0, 2, 1);
    else while (value.length < length) value.push(rand() < 0.9 ? 1 : Math.floor(rand() * 256));
    return packet(split(code, value.slice(0, Math.max(1, value.length))));
  },
  overload: (rand) => {
    const p = packet([52, 1, 3, ...split(224, Array.from({ length: Math.floor(rand() * 4000) }, () => 7))]);
    for (let i = 44; i < 236; i++) p[i] = rand() < 0.5 ? 0 : Math.floor(rand() * 256);
    return p;
  },
};

fuzzGateTests({
  family: "DHCPv4",
  env: "DHCPV4_FUZZ",
  decode: decodeDhcpv4,
  encode: encodeDhcpv4 as (m: never) => Uint8Array,
  generators,
  slice: 400,
});
