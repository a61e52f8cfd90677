import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fuzzGateTests, hostileNames, loadFixtures, mutated, randomBytes, size, type InputGenerator } from "../fuzz-gate.test-support.js";
import { MAX_DATAGRAM } from "../testing/hostile.js";
import { decodeDhcpv6 } from "./decode.js";
import { encodeDhcpv6 } from "./encode.js";

// The DHCPv6 codec fuzz gate (see fuzz-gate.test-support.ts), as for
// DHCPv4: a short deterministic slice in the normal suite, the long run
// opt-in:
//   DHCPV6_FUZZ=1000000 [DHCPV6_FUZZ_SEED=n] pnpm exec vitest run packages/dhcp-wire/src/v6/fuzz.test.ts
const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = loadFixtures([join(here, "../fixtures/v6")]);

const KNOWN = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 19, 20, 23, 24, 25, 26, 32, 39, 56, 82, 83];

/** One option: code, 16-bit length, value (the length is cut to what fits). */
const option = (code: number, value: readonly number[]): number[] => {
  const v = value.slice(0, 0xffff);
  return [code >> 8, code & 0xff, v.length >> 8, v.length & 0xff, ...v];
};

/** A Reply (transaction id 0x010203) holding `options`, cut to the datagram maximum. */
const reply = (options: readonly number[]): Uint8Array => Uint8Array.from([7, 1, 2, 3, ...options.slice(0, MAX_DATAGRAM - 4)]);

const room = (rand: () => number) => Math.max(8, size(rand) - 8);

const generators: Record<string, InputGenerator> = {
  random: randomBytes,
  mutated: mutated(fixtures),
  "tiny options": (rand) => {
    const out: number[] = [];
    const n = size(rand) - 4;
    while (out.length + 6 <= n) {
      const length = Math.floor(rand() * 3);
      const code = rand() < 0.5 ? KNOWN[Math.floor(rand() * KNOWN.length)]! : Math.floor(rand() * 0x10000);
      out.push(...option(code, Array.from({ length }, () => Math.floor(rand() * 256))));
    }
    return reply(out);
  },
  "domain lists": (rand) => {
    const code = [24, 39, 56][Math.floor(rand() * 3)]!;
    const names = hostileNames(rand, room(rand), false);
    if (code === 39) return reply(option(39, [0, ...names]));
    if (code === 56) return reply(option(56, option(3, names)));
    return reply(option(24, names));
  },
  "long options": (rand) => {
    const code = KNOWN[Math.floor(rand() * KNOWN.length)]!;
    const length = room(rand);
    const value: number[] = [];
    // Values that go deep before failing: lists of addresses, option codes, nested IAADDRs.
    if (code === 3) {
      value.push(0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);
      while (value.length + 28 <= length) value.push(...option(5, Array.from({ length: 24 }, () => 0x20)));
    } else {
      while (value.length < length) value.push(rand() < 0.9 ? 0x20 : Math.floor(rand() * 256));
    }
    return reply(option(code, value));
  },
  "relay nesting": (rand) => {
    const depth = Math.floor(rand() * 20);
    let inner: number[] = [7, 1, 2, 3, ...option(8, [0, 0])];
    for (let i = 0; i < depth; i++) inner = [12, i, ...Array<number>(32).fill(0), ...option(9, inner)];
    return Uint8Array.from(inner);
  },
  "option nesting": (rand) => {
    let ia: number[] = option(4, [0, 0, 0, 0]);
    const depth = Math.floor(rand() * 8);
    for (let i = 0; i < depth; i++) ia = option(rand() < 0.5 ? 4 : 3, [...(Array<number>(rand() < 0.5 ? 4 : 12).fill(0)), ...ia]);
    return reply(ia);
  },
};

fuzzGateTests({
  family: "DHCPv6",
  env: "DHCPV6_FUZZ",
  decode: decodeDhcpv6,
  encode: encodeDhcpv6 as (m: never) => Uint8Array,
  generators,
  slice: 350,
});
