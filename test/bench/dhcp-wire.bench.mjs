#!/usr/bin/env node
// Is our DHCP codec at least as fast as the Go library Incus uses?
//
// For DHCPv4 and DHCPv6, over every real captured packet in
// packages/dhcp-wire/src/fixtures/<family>/*.json, measures decode+encode
// round trips per second of the built @incusx/dhcp-wire and of
// github.com/insomniacslk/dhcp (through ../shared/peers/insomniacslk-bench/
// run.sh, which builds the Go peer from Debian packages on first use).
// Rounds of the two alternate so machine noise hits both alike; each side
// reports the median of its rounds. Packets the Go library cannot parse (or
// that we cannot) are left out on BOTH sides and counted in the output.
//
// Usage: node test/bench/dhcp-wire.bench.mjs   (needs `pnpm build`)
// Env:   BENCH_ITERATIONS  passes over the fixture set per round (default 20000)
//        BENCH_ROUNDS      timed rounds per side (default 5)
//        BENCH_PEER        path of the peer's run.sh (default /work/shared/peers/insomniacslk-bench/run.sh)
//        BENCH_ENFORCE=1   exits 1 when a family misses the target
// The last line printed is a JSON summary for CI.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fmt, loadFixtures, median, pkgDir, positiveInt } from "./dhcp-bench-support.mjs";

const ITERATIONS = positiveInt("BENCH_ITERATIONS", 20000);
const ROUNDS = positiveInt("BENCH_ROUNDS", 5);
const TARGET_RATIO = 1.0;
const peer = process.env.BENCH_PEER ?? "/work/shared/peers/insomniacslk-bench/run.sh";

const dist = join(pkgDir, "dist", "index.js");
if (!existsSync(dist)) {
  console.error(`${dist} is missing: run "pnpm build" first.`);
  process.exit(1);
}
const wire = await import(pathToFileURL(dist).href);
for (const name of ["decodeDhcpv4", "encodeDhcpv4", "decodeDhcpv6", "encodeDhcpv6"]) {
  if (typeof wire[name] !== "function") {
    console.error(`The built @incusx/dhcp-wire does not export "${name}": rebuild with "pnpm build".`);
    process.exit(1);
  }
}
if (!existsSync(peer)) {
  console.error(`Go peer harness "${peer}" not found (set BENCH_PEER).`);
  process.exit(1);
}

const families = {
  v4: { decode: wire.decodeDhcpv4, encode: wire.encodeDhcpv4 },
  v6: { decode: wire.decodeDhcpv6, encode: wire.encodeDhcpv6 },
};

const summary = { iterations: ITERATIONS, rounds: ROUNDS, target: TARGET_RATIO, families: {} };
let missed = false;
for (const [family, codec] of Object.entries(families)) {
  const fixtures = loadFixtures(family);
  if (fixtures.length === 0) {
    console.error(`No fixtures in ${join(pkgDir, "src", "fixtures", family)}: run scripts/capture-fixtures.sh.`);
    process.exit(1);
  }
  const oursRejects = [];
  const goRejects = [];
  const usable = [];
  for (const f of fixtures) {
    let ok = true;
    try {
      codec.encode(codec.decode(f.bytes));
    } catch (e) {
      oursRejects.push(`${f.name}: ${e instanceof Error ? e.message : String(e)}`);
      ok = false;
    }
    const go = runPeer(family, 1, [f.hex]);
    if (go.status !== 0) {
      goRejects.push(`${f.name}: ${firstLine(go.stderr || go.stdout)}`);
      ok = false;
    }
    if (ok) usable.push(f);
  }
  for (const r of oursRejects) console.error(`[${family}] excluded, ours rejects ${r}`);
  for (const r of goRejects) console.error(`[${family}] excluded, Go rejects ${r}`);
  if (usable.length === 0) {
    console.error(`[${family}] no fixture is accepted by both sides: nothing to compare.`);
    process.exit(1);
  }

  const messages = usable.map((f) => f.bytes);
  const hexes = usable.map((f) => f.hex);
  // Warm-up: let V8 optimise the hot paths before anything is timed.
  timeOurs(codec, messages, Math.max(1, Math.ceil(ITERATIONS / 10)));
  const ours = [];
  const go = [];
  for (let round = 0; round < ROUNDS; round++) {
    ours.push(timeOurs(codec, messages, ITERATIONS));
    go.push(timeGo(family, hexes));
  }
  const oursPerSec = median(ours);
  const goPerSec = median(go);
  const ratio = oursPerSec / goPerSec;
  const pass = ratio >= TARGET_RATIO;
  if (!pass) missed = true;
  console.log(
    `${family}: ${usable.length}/${fixtures.length} fixtures (Go rejects ${goRejects.length}, ours rejects ${oursRejects.length}), ` +
      `${ITERATIONS} x ${usable.length} round trips x ${ROUNDS} rounds\n` +
      `  ours ${fmt(oursPerSec)}/s   go ${fmt(goPerSec)}/s   ratio ours/go ${ratio.toFixed(2)}   target >= ${TARGET_RATIO.toFixed(1)} ${pass ? "ok" : "MISSED"}`,
  );
  summary.families[family] = {
    fixtures: fixtures.length,
    used: usable.length,
    excludedGoRejects: goRejects.length,
    excludedOursRejects: oursRejects.length,
    oursPerSec: Math.round(oursPerSec),
    goPerSec: Math.round(goPerSec),
    ratio: Number(ratio.toFixed(3)),
    pass,
  };
}
console.log(JSON.stringify({ bench: "dhcp-wire", ...summary }));
process.exit(missed && process.env.BENCH_ENFORCE === "1" ? 1 : 0);

// Round trips per second of one timed loop; the byte count is consumed so
// the work cannot be optimised away.
function timeOurs(codec, messages, iterations) {
  const { decode, encode } = codec;
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    for (let m = 0; m < messages.length; m++) bytes += encode(decode(messages[m])).length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (bytes === 0) throw new Error("Encoded nothing");
  return (iterations * messages.length) / seconds;
}

function timeGo(family, hexes) {
  const r = runPeer(family, ITERATIONS, hexes);
  if (r.status !== 0) throw new Error(`Go peer failed: ${firstLine(r.stderr || r.stdout)}`);
  const m = /per_sec=(\d+(?:\.\d+)?)/.exec(r.stdout);
  if (!m) throw new Error(`Unexpected Go peer output: ${r.stdout}`);
  return Number(m[1]);
}

function runPeer(family, iterations, hexes) {
  return spawnSync("bash", [peer, family, String(iterations), ...hexes], { encoding: "utf8", timeout: 600_000 });
}

function firstLine(text) {
  return (text ?? "").trim().split("\n")[0] ?? "";
}
