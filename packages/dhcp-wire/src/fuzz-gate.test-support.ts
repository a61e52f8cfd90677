// The codec fuzz gate, shared by v4/fuzz.test.ts and v6/fuzz.test.ts: seeded
// generators of hostile datagrams up to the 65,507-byte maximum (random
// bytes, structured attacks, mutated real packets) and a check that fails
// on anything but "decodes and re-encodes byte for byte" or
// "throws DhcpDecodeError", and also on a slow decode or a result much
// larger than its input.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { DhcpDecodeError } from "./decode-error.js";
import { longName, MAX_DATAGRAM } from "./testing/hostile.js";

/** Decode time over which an input fails the gate (on an idle machine; see {@link FuzzGate}). */
export const SLOW_DECODE_MS = 5;
/** Result cost (string characters + array elements + object keys) allowed per input byte, plus a constant. */
export const COST_PER_BYTE = 16;
const COST_BASE = 4096;
/** Timings of a slow input taken again before it counts as slow (GC pauses and the shared machine's scheduler). */
const RETRIES = 8;

/** xorshift32: small, deterministic from its seed. */
export function random(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/** One fuzz input: which generator made it, and the bytes. */
export interface FuzzInput {
  readonly kind: string;
  readonly bytes: Uint8Array;
}

/** A generator of inputs from a random source. */
export type InputGenerator = (rand: () => number) => Uint8Array;

/** A length: mostly small, sometimes up to the datagram maximum. */
export function size(rand: () => number, max = MAX_DATAGRAM): number {
  const r = rand();
  if (r < 0.7) return Math.floor(rand() * 700);
  if (r < 0.9) return Math.floor(rand() * 8192);
  return max - Math.floor(rand() * 64);
}

/** Random bytes of a random length. */
export const randomBytes: InputGenerator = (rand) => {
  const p = new Uint8Array(size(rand));
  for (let i = 0; i < p.length; i++) p[i] = rand() * 256;
  return p;
};

/** Real packets from the fixture directories (`{ hex }` JSON files). */
export function loadFixtures(dirs: readonly string[]): Uint8Array[] {
  return dirs.flatMap((dir) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith(".json") && !f.endsWith(".decoded.json"))
          .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as { hex?: string })
          .filter((j) => typeof j.hex === "string")
          .map((j) => Uint8Array.from(Buffer.from(j.hex!, "hex")))
      : [],
  );
}

/** A fixture with a few bytes changed, sometimes truncated or extended with random bytes. */
export function mutated(fixtures: readonly Uint8Array[]): InputGenerator {
  return (rand) => {
    let p = fixtures[Math.floor(rand() * fixtures.length)]!.slice();
    const n = 1 + Math.floor(rand() * 8);
    for (let k = 0; k < n; k++) p[Math.floor(rand() * p.length)] = rand() * 256;
    const r = rand();
    if (r < 0.25) p = p.subarray(0, Math.floor(rand() * (p.length + 1)));
    else if (r < 0.35) {
      const longer = new Uint8Array(p.length + size(rand, MAX_DATAGRAM - p.length));
      longer.set(p);
      for (let i = p.length; i < longer.length; i++) longer[i] = rand() * 256;
      p = longer;
    }
    return p;
  };
}

/**
 * A domain-name list of about `length` bytes built to hurt: a long name and
 * pointers to it, pointer chains (each pointer to the one before), many
 * one-letter names, or random labels with escapes.
 */
export function hostileNames(rand: () => number, length: number, compression: boolean): number[] {
  const out: number[] = longName();
  const style = Math.floor(rand() * 4);
  while (out.length + 3 <= length) {
    if (compression && style === 0) out.push(0xc0, 0x00);
    else if (compression && style === 1) out.push(0xc0 | ((out.length - 2) >> 8), (out.length - 2) & 0xff);
    else if (style === 2 || !compression) out.push(1, 0x61 + Math.floor(rand() * 26), 0);
    else {
      const label = 1 + Math.floor(rand() * 63);
      if (out.length + label + 2 > length) break;
      out.push(label);
      for (let i = 0; i < label; i++) out.push(rand() < 0.2 ? Math.floor(rand() * 256) : 0x61);
      out.push(0);
    }
  }
  return out;
}

/**
 * The gate: decode `input` with `decode`; it must throw only DhcpDecodeError
 * or return a message that `encode` turns back into the same bytes. A decode
 * over {@link SLOW_DECODE_MS} is timed again, alternating with a reference
 * linear workload (GC and scheduler noise); it fails when its fastest time
 * is still over that bound scaled by how much slower the reference runs now
 * than at its best in this process (the machine is shared). A result costing more than
 * {@link COST_PER_BYTE} per input byte (amplification) fails too.
 */
export class FuzzGate {
  readonly failures: string[] = [];
  readonly counts = new Map<string, { inputs: number; decoded: number; slowestMs: number; largest: number }>();
  readonly #decode: (bytes: Uint8Array) => unknown;
  readonly #encode: (message: never) => Uint8Array;
  #referenceBest = Infinity;

  constructor(decode: (bytes: Uint8Array) => unknown, encode: (message: never) => Uint8Array) {
    this.#decode = decode;
    this.#encode = encode;
    for (let i = 0; i < 5; i++) this.#referenceBest = Math.min(this.#referenceBest, reference());
  }

  check({ kind, bytes }: FuzzInput): void {
    const stats = this.counts.get(kind) ?? { inputs: 0, decoded: 0, slowestMs: 0, largest: 0 };
    this.counts.set(kind, stats);
    stats.inputs++;
    const hex = (): string =>
      bytes.length > 512 ? `${bytes.length} bytes, starting ${Buffer.from(bytes.subarray(0, 512)).toString("hex")}` : Buffer.from(bytes).toString("hex");
    let message: unknown;
    let elapsed: number;
    let failed: unknown;
    [message, elapsed, failed] = this.#timedDecode(bytes);
    if (elapsed > SLOW_DECODE_MS) {
      // Again, alternating with the reference workload; the fastest of each counts.
      let referenceNow = Infinity;
      for (let i = 0; i < RETRIES && elapsed > SLOW_DECODE_MS; i++) {
        referenceNow = Math.min(referenceNow, reference());
        elapsed = Math.min(elapsed, this.#timedDecode(bytes)[1]);
      }
      const load = Math.max(1, referenceNow / this.#referenceBest);
      if (elapsed > SLOW_DECODE_MS * load) {
        this.failures.push(`${kind}: decode took ${elapsed.toFixed(1)} ms (bound ${(SLOW_DECODE_MS * load).toFixed(1)} ms): ${hex()}`);
      }
    }
    stats.slowestMs = Math.max(stats.slowestMs, elapsed);
    if (failed !== undefined) {
      if (!(failed instanceof DhcpDecodeError)) this.failures.push(`${kind}: ${String(failed)}: ${hex()}`);
      return;
    }
    stats.decoded++;
    const cost = costOf(message);
    stats.largest = Math.max(stats.largest, cost / Math.max(1, bytes.length));
    if (cost > COST_PER_BYTE * bytes.length + COST_BASE) {
      this.failures.push(`${kind}: decoded to a result of cost ${cost} from ${bytes.length} bytes: ${hex()}`);
    }
    try {
      const again = this.#encode(message as never);
      if (Buffer.compare(Buffer.from(again), Buffer.from(bytes)) !== 0) this.failures.push(`${kind}: re-encode differs: ${hex()}`);
    } catch (e) {
      this.failures.push(`${kind}: encode threw ${String(e)}: ${hex()}`);
    }
  }

  #timedDecode(bytes: Uint8Array): [unknown, number, unknown] {
    const started = process.hrtime.bigint();
    try {
      const message = this.#decode(bytes);
      return [message, Number(process.hrtime.bigint() - started) / 1e6, undefined];
    } catch (e) {
      return [undefined, Number(process.hrtime.bigint() - started) / 1e6, e];
    }
  }

  /** One line per generator: inputs, decoded, slowest decode, largest cost per byte. */
  summary(): string {
    return [...this.counts]
      .map(([kind, s]) => `${kind}: ${s.inputs} inputs, ${s.decoded} decoded, slowest ${s.slowestMs.toFixed(2)} ms, cost/byte ${s.largest.toFixed(1)}`)
      .join("\n");
  }
}

/** A fixed linear workload (allocating, like a decode) in ms: how loaded the machine is now. */
function reference(): number {
  const started = process.hrtime.bigint();
  const list: string[] = [];
  for (let i = 0; i < 20_000; i++) list.push(String.fromCharCode(97 + (i % 26)));
  if (list.length !== 20_000) throw new Error("unreachable");
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** What a decoded result holds: string characters, array elements and object keys, recursively; byte views count 1. */
export function costOf(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (value === null || typeof value !== "object") return 1;
  if (ArrayBuffer.isView(value)) return 1;
  if (Array.isArray(value)) {
    let cost = value.length;
    for (const item of value) cost += costOf(item);
    return cost;
  }
  let cost = 0;
  for (const key in value) cost += 1 + costOf((value as Record<string, unknown>)[key]);
  return cost;
}

/** `count` inputs from `generators` (round robin), deterministic from `seed`. */
export function* inputs(seed: number, count: number, generators: Readonly<Record<string, InputGenerator>>): Generator<FuzzInput, void, unknown> {
  const rand = random(seed);
  const kinds = Object.keys(generators);
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length]!;
    yield { kind, bytes: generators[kind]!(rand) };
  }
}

/** Runs `count` inputs of `generators` from `seed` through a new gate, stopping after 10 failures. */
export function runGate(
  decode: (bytes: Uint8Array) => unknown,
  encode: (message: never) => Uint8Array,
  generators: Readonly<Record<string, InputGenerator>>,
  seed: number,
  count: number,
): FuzzGate {
  const gate = new FuzzGate(decode, encode);
  for (const input of inputs(seed, count, generators)) {
    gate.check(input);
    if (gate.failures.length >= 10) break;
  }
  return gate;
}

/**
 * The gate's two tests for one codec: a fixed slice of `slice` inputs
 * (seed 12345) in the normal suite, and the long run of `${env}` inputs
 * (seed `${env}_SEED`, default 12345) when that variable is set.
 */
export function fuzzGateTests(options: {
  readonly family: string;
  readonly env: string;
  readonly decode: (bytes: Uint8Array) => unknown;
  readonly encode: (message: never) => Uint8Array;
  readonly generators: Readonly<Record<string, InputGenerator>>;
  readonly slice: number;
}): void {
  const { family, env, decode, encode, generators, slice } = options;
  const run = (seed: number, count: number) => runGate(decode, encode, generators, seed, count);

  it("passes the fuzz gate on a fixed slice of hostile inputs up to 65,507 bytes", () => {
    const gate = run(12345, slice);
    expect(gate.failures).toEqual([]);
    expect([...gate.counts.keys()]).toHaveLength(Object.keys(generators).length);
  });

  const runs = Number(process.env[env] ?? 0);
  it.skipIf(!runs)(`passes the fuzz gate on ${runs} inputs`, { timeout: 0 }, () => {
    const gate = run(Number(process.env[`${env}_SEED`] ?? 12345), runs);
    console.log(`${family} fuzz gate: ${runs} inputs\n${gate.summary()}`);
    expect(gate.failures).toEqual([]);
  });
}
