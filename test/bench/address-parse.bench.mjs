#!/usr/bin/env node
// Is ipaddr.js the bottleneck of the DHCP codec? Justifies (or not) the
// hand-written address text of @incusx/dhcp-wire (src/address-text.ts).
//
// Runs the built codec twice in one process over every real captured packet
// in packages/dhcp-wire/src/fixtures/<family>/*.json: as built, and as a
// copy of its dist whose address-text.js is replaced by the same functions
// written with ipaddr.js (test/bench/address-text-ipaddr.mjs: parse and
// toString, same accepted syntax). Both must decode every fixture alike and
// re-encode it byte for byte, or the bench stops. Then it times, for each
// family, decode+encode round trips, decode alone (address bytes to text)
// and encode alone (text to bytes), rounds of the two codecs alternating so
// machine noise hits both alike, and prints the medians and the ratio
// codec/ipaddr.js (above 1: the hand-written text is faster).
//
// Usage: pnpm build && pnpm bench:address-parse
//        (node test/bench/address-parse.bench.mjs)
// Env:   BENCH_ITERATIONS  passes over the fixture set per timed loop (default 1000)
//        BENCH_ROUNDS      timed rounds per codec (default 15; short rounds, so both codecs meet the same load)
// The last line printed is a JSON summary.

import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { fmt, loadFixtures, median, pkgDir, positiveInt } from "./dhcp-bench-support.mjs";

const ITERATIONS = positiveInt("BENCH_ITERATIONS", 1000);
const ROUNDS = positiveInt("BENCH_ROUNDS", 15);
const here = dirname(fileURLToPath(import.meta.url));
const dist = join(pkgDir, "dist");
const TEXT_MODULE = "address-text.js";

if (!existsSync(join(dist, "index.js")) || !existsSync(join(dist, TEXT_MODULE))) {
  fail(`${join(dist, TEXT_MODULE)} is missing: run "pnpm build" first.`);
}

// The ipaddr.js copy: dist as built, but its address text from ipaddr.js.
// ipaddr.js is a dev dependency of @incusx/dhcp-wire, so it resolves from there.
const ipaddrUrl = pathToFileURL(createRequire(join(pkgDir, "package.json")).resolve("ipaddr.js")).href;
const variantDir = mkdtempSync(join(tmpdir(), "incusx-address-parse-"));
process.on("exit", () => rmSync(variantDir, { recursive: true, force: true }));
cpSync(dist, variantDir, { recursive: true });
writeFileSync(
  join(variantDir, TEXT_MODULE),
  `import ipaddr from ${JSON.stringify(ipaddrUrl)};\n` +
    `import { ipaddrAddressText } from ${JSON.stringify(pathToFileURL(join(here, "address-text-ipaddr.mjs")).href)};\n` +
    `export const { ipv4Text, writeIpv4, putIpv4, formatIpv6, writeIpv6 } = ipaddrAddressText(ipaddr);\n`,
);
const builtText = Object.keys(await import(pathToFileURL(join(dist, TEXT_MODULE)).href)).sort();
const variantText = Object.keys(await import(pathToFileURL(join(variantDir, TEXT_MODULE)).href)).sort();
if (!isDeepStrictEqual(builtText, variantText)) {
  fail(`${TEXT_MODULE} exports ${builtText.join(", ")}; address-text-ipaddr.mjs has ${variantText.join(", ")}: bring it in step.`);
}
const codecs = {
  codec: await import(pathToFileURL(join(dist, "index.js")).href),
  "ipaddr.js": await import(pathToFileURL(join(variantDir, "index.js")).href),
};
const names = Object.keys(codecs);

const summary = { bench: "address-parse", iterations: ITERATIONS, rounds: ROUNDS, families: {} };
for (const family of ["v4", "v6"]) {
  const decodeName = family === "v4" ? "decodeDhcpv4" : "decodeDhcpv6";
  const encodeName = family === "v4" ? "encodeDhcpv4" : "encodeDhcpv6";
  const fixtures = loadFixtures(family);
  if (fixtures.length === 0) fail(`No fixtures in ${join(pkgDir, "src", "fixtures", family)}.`);
  const sides = names.map((name) => {
    const decode = codecs[name][decodeName];
    const encode = codecs[name][encodeName];
    return { name, decode, encode, decoded: fixtures.map((f) => decode(f.bytes)) };
  });
  for (const [i, f] of fixtures.entries()) {
    const [a, b] = sides;
    if (!isDeepStrictEqual(a.decoded[i], b.decoded[i])) fail(`[${family}] ${f.name}: the two codecs decode it differently.`);
    for (const side of sides) {
      if (Buffer.compare(side.encode(side.decoded[i]), f.bytes) !== 0) fail(`[${family}] ${f.name}: ${side.name} does not re-encode it byte for byte.`);
    }
  }

  const loops = {
    "round trip": (side) => () => {
      let n = 0;
      for (const f of fixtures) n += side.encode(side.decode(f.bytes)).length;
      return n;
    },
    decode: (side) => () => {
      let n = 0;
      for (const f of fixtures) n += side.decode(f.bytes).options.length;
      return n;
    },
    encode: (side) => () => {
      let n = 0;
      for (const message of side.decoded) n += side.encode(message).length;
      return n;
    },
  };
  const result = {};
  console.log(`${family}: ${fixtures.length} fixtures, ${ITERATIONS} passes per loop, median of ${ROUNDS} rounds (messages per second)`);
  for (const [what, loop] of Object.entries(loops)) {
    const bodies = sides.map(loop);
    // Warm-up: let V8 optimise both before anything is timed.
    for (const body of bodies) time(body, Math.max(1, Math.ceil(ITERATIONS / 10)));
    const samples = sides.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const s of order) samples[s].push((ITERATIONS * fixtures.length) / time(bodies[s], ITERATIONS));
    }
    const [ours, theirs] = samples.map(median);
    const ratio = ours / theirs;
    console.log(`  ${what.padEnd(10)}  codec ${fmt(ours)}/s   ipaddr.js ${fmt(theirs)}/s   ratio codec/ipaddr.js ${ratio.toFixed(2)}`);
    result[what] = { codecPerSec: Math.round(ours), ipaddrPerSec: Math.round(theirs), ratio: Number(ratio.toFixed(3)) };
  }
  summary.families[family] = { fixtures: fixtures.length, ...result };
}
console.log(JSON.stringify(summary));

// Seconds for `iterations` calls of `body`; its results are summed and
// checked so the work cannot be optimised away.
function time(body, iterations) {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += body();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink === 0) throw new Error("The timed loop did nothing");
  return seconds;
}

function fail(message) {
  console.error(`address-parse bench: ${message}`);
  process.exit(1);
}
