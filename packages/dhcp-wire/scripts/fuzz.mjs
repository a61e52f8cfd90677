#!/usr/bin/env node
// Fuzzes the built DHCPv4 and DHCPv6 decoders (not run in CI).
//
// Feeds random byte strings and mutations of the real captured fixtures
// (bit flips, byte sets, truncation, extension, option-length tampering,
// option duplication, splicing) to decodeDhcpv4/decodeDhcpv6 and checks that:
//   - decode only ever returns a message or throws DhcpDecodeError;
//   - a decoded message encodes without throwing;
//   - decode(encode(decode(x))) deep-equals decode(x).
// Byte-identical re-encode (encode(decode(x)) equal to x) is counted but not
// asserted: mutated input may legitimately be normalised.
//
// Usage: node packages/dhcp-wire/scripts/fuzz.mjs [SEED] [COUNT]   (needs `pnpm build`)
//   SEED   integer, default 1: the same seed replays the same inputs
//   COUNT  inputs to run, default 1000000
// Env: FUZZ_FAMILY=v4|v6 to fuzz one family only; FUZZ_MAX_FINDINGS (default 50).
// Exits 1 if anything failed; every failing input is printed as hex.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(pkgDir, "dist", "index.js");
if (!existsSync(dist)) {
  console.error(`${dist} is missing: run "pnpm build" first.`);
  process.exit(1);
}
const wire = await import(pathToFileURL(dist).href);
const { DhcpDecodeError } = wire;

const seed = parseIntArg(process.argv[2], 1, "SEED");
const count = parseIntArg(process.argv[3], 1_000_000, "COUNT");
const maxFindings = parseIntArg(process.env.FUZZ_MAX_FINDINGS, 50, "FUZZ_MAX_FINDINGS");
const only = process.env.FUZZ_FAMILY;
const SLOW_MS = 50;

const families = ["v4", "v6"]
  .filter((f) => !only || f === only)
  .map((name) => ({
    name,
    decode: name === "v4" ? wire.decodeDhcpv4 : wire.decodeDhcpv6,
    encode: name === "v4" ? wire.encodeDhcpv4 : wire.encodeDhcpv6,
    fixtures: loadFixtures(name),
  }));
for (const f of families) {
  if (f.fixtures.length === 0) console.error(`warning: no ${f.name} fixtures; only random inputs for ${f.name}`);
}

// sfc32: small, fast and deterministic from the seed.
let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
function rand() {
  a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
  const t = (((a + b) | 0) + d) | 0;
  d = (d + 1) | 0;
  a = b ^ (b >>> 9);
  b = (c + (c << 3)) | 0;
  c = (c << 21) | (c >>> 11);
  c = (c + t) | 0;
  return (t >>> 0) / 4294967296;
}
for (let i = 0; i < 20; i++) rand();
const int = (n) => Math.floor(rand() * n);
const pick = (arr) => arr[int(arr.length)];
const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80, 0xfe, 0xff, 0x35, 0x34, 0x37, 0x52, 0x63, 0x0c];
const V4_COOKIE = [0x63, 0x82, 0x53, 0x63];

function randomBytes(len) {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = int(256);
  return out;
}

// Where the option length fields are, so mutations can lie about lengths.
function v4LengthFields(p) {
  const fields = [];
  for (let i = 240; i + 1 < p.length; ) {
    const code = p[i];
    if (code === 0) { i++; continue; }
    if (code === 255) break;
    fields.push({ at: i + 1, size: 1, start: i, end: i + 2 + p[i + 1] });
    i += 2 + p[i + 1];
  }
  return fields;
}
// Offsets of nested options inside the v6 options that carry them.
const V6_NESTED = { 3: 12, 4: 4, 5: 24, 25: 12, 26: 25 };
function v6LengthFields(p, start = p[0] === 12 || p[0] === 13 ? 34 : 4, end = p.length, depth = 0, fields = []) {
  for (let i = start; i + 4 <= end; ) {
    const code = (p[i] << 8) | p[i + 1];
    const len = (p[i + 2] << 8) | p[i + 3];
    const stop = Math.min(end, i + 4 + len);
    fields.push({ at: i + 2, size: 2, start: i, end: stop });
    if (depth < 4) {
      if (code === 9 && len >= 4) v6LengthFields(p, i + 4 + (p[i + 4] === 12 || p[i + 4] === 13 ? 34 : 4), stop, depth + 1, fields);
      else if (V6_NESTED[code] !== undefined) v6LengthFields(p, i + 4 + V6_NESTED[code], stop, depth + 1, fields);
    }
    i += 4 + len;
  }
  return fields;
}

const GENERATORS = [
  ["random", 1, (fam) => randomBytes(int(rand() < 0.5 ? 64 : 700))],
  ["random-with-header", 2, (fam) => {
    if (fam.name === "v4") {
      const p = randomBytes(240 + int(400));
      p[0] = 1 + int(2);
      p.set(V4_COOKIE, 236);
      return p;
    }
    const p = randomBytes(4 + int(300));
    p[0] = 1 + int(13);
    return p;
  }],
  ["random-options", 2, (fam) => {
    // Well-formed TLVs with random codes and contents: exercises the typed decoders.
    const parts = [];
    if (fam.name === "v4") {
      const head = randomBytes(240);
      head[0] = 1 + int(2);
      head.set(V4_COOKIE, 236);
      parts.push(head, Uint8Array.of(53, 1, 1 + int(18)));
      for (let n = int(12); n > 0; n--) {
        const code = rand() < 0.8 ? pick([1, 3, 6, 12, 15, 26, 28, 42, 50, 51, 52, 54, 55, 57, 58, 59, 61, 81, 119, 121]) : 1 + int(254);
        const len = rand() < 0.5 ? int(8) : int(256);
        parts.push(Uint8Array.of(code, len), randomBytes(len));
      }
      if (rand() < 0.8) parts.push(Uint8Array.of(255));
    } else {
      const relay = rand() < 0.15;
      parts.push(relay ? Uint8Array.of(12 + int(2), ...randomBytes(33)) : Uint8Array.of(1 + int(11), ...randomBytes(3)));
      for (let n = int(10); n > 0; n--) {
        const code = rand() < 0.8 ? pick([1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 20, 23, 24, 25, 26, 32, 39, 56, 82, 83]) : int(65536);
        const len = rand() < 0.5 ? int(12) : int(120);
        parts.push(Uint8Array.of(code >> 8, code & 255, len >> 8, len & 255), randomBytes(len));
      }
    }
    return concat(parts);
  }],
  ["bit-flips", 3, (fam, x) => {
    const p = x.slice();
    for (let n = 1 + int(8); n > 0 && p.length; n--) p[int(p.length)] ^= 1 << int(8);
    return p;
  }],
  ["byte-sets", 3, (fam, x) => {
    const p = x.slice();
    for (let n = 1 + int(4); n > 0 && p.length; n--) p[int(p.length)] = rand() < 0.6 ? pick(INTERESTING) : int(256);
    return p;
  }],
  ["truncation", 2, (fam, x) => x.slice(0, int(x.length + 1))],
  ["extension", 1, (fam, x) => concat([x, randomBytes(1 + int(300))])],
  ["option-length", 4, (fam, x) => {
    const p = x.slice();
    const fields = fam.name === "v4" ? v4LengthFields(p) : v6LengthFields(p);
    if (fields.length === 0) return p;
    const f = pick(fields);
    const old = f.size === 1 ? p[f.at] : (p[f.at] << 8) | p[f.at + 1];
    const max = f.size === 1 ? 255 : 65535;
    const v = pick([0, 1, old - 1, old + 1, old + 2, old * 2, max, int(max + 1)]);
    const nv = Math.max(0, Math.min(max, v));
    if (f.size === 1) p[f.at] = nv;
    else { p[f.at] = nv >> 8; p[f.at + 1] = nv & 255; }
    return p;
  }],
  ["option-duplicate", 2, (fam, x) => {
    const fields = fam.name === "v4" ? v4LengthFields(x) : v6LengthFields(x);
    if (fields.length === 0) return x.slice();
    const f = pick(fields);
    const chunk = x.subarray(f.start, f.end);
    const at = pick(fields).start;
    const copies = rand() < 0.1 ? 2 + int(300) : 1;
    const parts = [x.subarray(0, at)];
    for (let i = 0; i < copies; i++) parts.push(chunk);
    parts.push(x.subarray(at));
    return concat(parts);
  }],
  ["option-delete", 1, (fam, x) => {
    const fields = fam.name === "v4" ? v4LengthFields(x) : v6LengthFields(x);
    if (fields.length === 0) return x.slice();
    const f = pick(fields);
    return concat([x.subarray(0, f.start), x.subarray(f.end)]);
  }],
  ["splice", 1, (fam, x) => {
    const y = pick(fam.fixtures);
    return concat([x.subarray(0, int(x.length + 1)), y.subarray(int(y.length + 1))]);
  }],
];
const weighted = [];
for (const g of GENERATORS) for (let i = 0; i < g[1]; i++) weighted.push(g);

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const stats = { total: 0, decoded: 0, rejected: 0, byteIdentical: 0, failures: 0, slow: 0 };
const perGenerator = new Map();
const perFamily = new Map();
const reasons = new Map();
const findings = [];
const findingKeys = new Set();

function report(kind, fam, gen, input, detail) {
  stats.failures++;
  const key = `${fam.name}|${kind}|${detail.split("\n")[0].replace(/\d+/g, "N")}`;
  if (findingKeys.has(key) || findings.length >= maxFindings) return;
  findingKeys.add(key);
  findings.push({ family: fam.name, kind, generator: gen, detail, hex: Buffer.from(input).toString("hex") });
}

const started = process.hrtime.bigint();
let lastProgress = Date.now();
for (let i = 0; i < count; i++) {
  const fam = families[i % families.length];
  let [gen, , make] = pick(weighted);
  let input;
  if (make.length > 1) {
    if (fam.fixtures.length === 0) { gen = "random-with-header"; input = GENERATORS[1][2](fam); }
    else input = make(fam, pick(fam.fixtures));
  } else input = make(fam);
  stats.total++;
  perGenerator.set(gen, (perGenerator.get(gen) ?? 0) + 1);
  perFamily.set(fam.name, (perFamily.get(fam.name) ?? 0) + 1);

  const t0 = process.hrtime.bigint();
  let message;
  try {
    message = fam.decode(input);
  } catch (e) {
    if (e instanceof DhcpDecodeError) {
      stats.rejected++;
      const r = `${fam.name}: ${String(e.reason).replace(/\d+/g, "N")}`;
      reasons.set(r, (reasons.get(r) ?? 0) + 1);
    } else {
      report("decode threw a non-DhcpDecodeError", fam, gen, input, describe(e));
    }
    checkSlow(t0, fam, gen, input);
    continue;
  }
  if (message === null || typeof message !== "object") {
    report("decode returned a non-object", fam, gen, input, String(message));
    continue;
  }
  stats.decoded++;
  let encoded;
  try {
    encoded = fam.encode(message);
  } catch (e) {
    report("encode of a decoded message threw", fam, gen, input, describe(e));
    continue;
  }
  if (Buffer.compare(Buffer.from(encoded), Buffer.from(input)) === 0) stats.byteIdentical++;
  let again;
  try {
    again = fam.decode(encoded);
  } catch (e) {
    report("decode(encode(decode(x))) threw", fam, gen, input, `${describe(e)}\nre-encoded: ${Buffer.from(encoded).toString("hex")}`);
    continue;
  }
  if (!isDeepStrictEqual(again, message)) {
    report("decode(encode(decode(x))) differs from decode(x)", fam, gen, input,
      `first difference: ${firstDifference(message, again)}\nre-encoded: ${Buffer.from(encoded).toString("hex")}`);
  }
  checkSlow(t0, fam, gen, input);
  if (Date.now() - lastProgress > 10_000) {
    lastProgress = Date.now();
    console.error(`... ${stats.total} inputs, ${stats.failures} failures`);
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

function checkSlow(t0, fam, gen, input) {
  let ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // A GC pause or a deoptimisation can make any input look slow once: time it again.
  for (let i = 0; i < 3 && ms > SLOW_MS; i++) {
    const t = process.hrtime.bigint();
    try { fam.encode(fam.decode(input)); } catch {}
    ms = Math.min(ms, Number(process.hrtime.bigint() - t) / 1e6);
  }
  if (ms > SLOW_MS) {
    stats.slow++;
    report(`slow (${ms.toFixed(0)} ms for ${input.length} bytes)`, fam, gen, input, "");
  }
}

function describe(e) {
  return e instanceof Error ? `${e.name}: ${e.message}\n${(e.stack ?? "").split("\n").slice(1, 4).join("\n")}` : `non-Error thrown: ${String(e)}`;
}

function firstDifference(x, y, path = "$") {
  if (isDeepStrictEqual(x, y)) return "(none)";
  if (x && y && typeof x === "object" && typeof y === "object" && !(x instanceof Uint8Array)) {
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (!isDeepStrictEqual(x[k], y[k])) return firstDifference(x[k], y[k], Array.isArray(x) ? `${path}[${k}]` : `${path}.${k}`);
    }
  }
  const show = (v) => (v instanceof Uint8Array ? `bytes ${Buffer.from(v).toString("hex")}` : JSON.stringify(v, (_, w) => (typeof w === "bigint" ? `${w}n` : w)));
  return `${path}: ${show(x)} became ${show(y)}`;
}

function loadFixtures(family) {
  const dir = join(pkgDir, "src", "fixtures", family);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => new Uint8Array(Buffer.from(JSON.parse(readFileSync(join(dir, n), "utf8")).hex, "hex")));
}

function parseIntArg(raw, fallback, name) {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`${name} must be a non-negative integer, got "${raw}".`);
    process.exit(2);
  }
  return n;
}

console.log(`dhcp-wire fuzz: seed ${seed}, ${stats.total} inputs in ${seconds.toFixed(1)} s (${Math.round(stats.total / seconds)}/s)`);
console.log(`  per family: ${[...perFamily].map(([k, v]) => `${k} ${v}`).join(", ")}; fixtures v4 ${families.find((f) => f.name === "v4")?.fixtures.length ?? 0}, v6 ${families.find((f) => f.name === "v6")?.fixtures.length ?? 0}`);
console.log(`  per generator: ${[...perGenerator].map(([k, v]) => `${k} ${v}`).join(", ")}`);
console.log(`  decoded ${stats.decoded} (re-encoded byte-identically ${stats.byteIdentical}), rejected with DhcpDecodeError ${stats.rejected}`);
console.log(`  most common rejection reasons:`);
for (const [r, n] of [...reasons].sort((x, y) => y[1] - x[1]).slice(0, 12)) console.log(`    ${n}\t${r}`);
console.log(`  failures ${stats.failures} (slow inputs ${stats.slow}), distinct shown ${findings.length}`);
for (const f of findings) {
  console.log(`\nFAIL [${f.family}] ${f.kind} (generator ${f.generator})`);
  if (f.detail) console.log(`  ${f.detail.split("\n").join("\n  ")}`);
  console.log(`  input: ${f.hex}`);
}
process.exit(stats.failures > 0 ? 1 : 0);
