#!/usr/bin/env node
// How fast does the OVN NAT backend write SNAT rules, against ovn-nbctl?
//
// Ensures SNAT for NICS NICs (default 1000) on one logical router, each
// variant on a fresh real NB database (ovsdb-server with OVN's NB schema,
// started by @incusx/testkit/ovsdb), all in the same run:
//   (a) nbctl per call   `ovn-nbctl lr-nat-add lr0 snat EXT LOGICAL` once per NIC
//   (b) nbctl chained    one `ovn-nbctl` call chaining NICS `-- lr-nat-add ...`
//   (c) ours per NIC     OvnNatBackend.ensure(rule) per NIC: one read and one
//                        wait-guarded write transaction each, over one connection
//   (d) ours batched     OvnNatBackend.ensureAll(rules): one read, one transaction
// and checks every variant left exactly NICS snat rows. Targets: (c) at least
// 20x faster per rule than (a); (d) at least as fast as (b).
// Then reconcile with RECONCILE_ROWS (default 10 000) owned rows: the time of
// a reconcile that finds nothing to do, and of one repairing 1% drift
// (rows deleted behind its back with ovn-nbctl) in one transaction.
//
// Usage: node test/bench/ovn-snat.bench.mjs   (needs `pnpm run build`)
// (b), (c) and (d) run BENCH_ROUNDS times (default 5), interleaved, and report
// their median round; (a) runs once (it takes tens of seconds).
// Env:   BENCH_NICS (default 1000)  BENCH_RECONCILE_ROWS (default 10000)  BENCH_ROUNDS (default 5)
//        BENCH_ENFORCE=1 exits 1 when a target is missed.
// The last line printed is a JSON summary for CI.

import { spawnSync } from "node:child_process";
import { importDists, logicalIp, positiveInt } from "./ovn-bench-support.mjs";

const NICS = positiveInt("BENCH_NICS", 1000);
const RECONCILE_ROWS = positiveInt("BENCH_RECONCILE_ROWS", 10000);
const ROUNDS = positiveInt("BENCH_ROUNDS", 5);

const dists = await importDists({
  ovsdb: "packages/ovsdb/dist/index.js",
  plugin: "plugins/ovn-external-address/dist/index.js",
  harness: "packages/testkit/dist/ovsdb/index.js",
});
const { OvsdbClient } = dists.ovsdb;
const { OvnNatBackend } = dists.plugin;
const { startOvnNorthbound } = dists.harness;

function rules(count) {
  return Array.from({ length: count }, (_, i) => ({
    owner: { instance: `c${i}`, device: "eth0" },
    network: "ovn0",
    family: "ipv4",
    logicalIp: logicalIp(i),
    externalIp: `198.51.100.${(i % 200) + 1}`,
  }));
}

// The host state the backend reads: one OVN network on router lr0 (the testkit's root needs vitest).
const network = { name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr0" };
const state = {
  networks: async () => [network],
  network: async (name) => (name === network.name ? network : undefined),
  forwards: async () => [],
  nics: async () => [],
};

/** Runs `body(nb)` on a fresh NB holding router lr0; returns its result and the number of snat rows left. */
async function onFreshNb(body) {
  const nb = await startOvnNorthbound();
  try {
    await nb.nbctl("lr-add", "lr0");
    const result = await body(nb);
    const rows = (await nb.nbctl("--bare", "--columns=_uuid", "find", "NAT", "type=snat")).split("\n").filter((l) => l.trim() !== "").length;
    return { ...result, rows };
  } finally {
    await nb.stop();
  }
}

function nbctlSync(nb, args) {
  const r = spawnSync("ovn-nbctl", [`--db=${nb.connection}`, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ovn-nbctl failed: ${r.stderr}`);
}

async function withBackend(nb, body) {
  const client = await OvsdbClient.connect(nb.connection, { database: "OVN_Northbound" });
  try {
    return await body(OvnNatBackend.withClient(client, state));
  } finally {
    client.close();
  }
}

const list = rules(NICS);
const results = {};

results.nbctlPerCall = await onFreshNb(async (nb) => {
  const start = performance.now();
  for (const r of list) nbctlSync(nb, ["lr-nat-add", "lr0", "snat", r.externalIp, r.logicalIp]);
  return { ms: performance.now() - start };
});

const chained = () =>
  onFreshNb(async (nb) => {
    const args = list.flatMap((r) => ["--", "lr-nat-add", "lr0", "snat", r.externalIp, r.logicalIp]).slice(1);
    const start = performance.now();
    nbctlSync(nb, args);
    return { ms: performance.now() - start };
  });

const perNic = () =>
  onFreshNb((nb) =>
    withBackend(nb, async (backend) => {
      const start = performance.now();
      for (const r of list) await backend.ensure(r);
      const ms = performance.now() - start;
      return { ms, transactions: backend.writeTransactions };
    }),
  );

const batched = () =>
  onFreshNb((nb) =>
    withBackend(nb, async (backend) => {
      const start = performance.now();
      const result = await backend.ensureAll(list);
      return { ms: performance.now() - start, transactions: result.transactions };
    }),
  );

// The cheap variants run ROUNDS times, interleaved, so machine noise hits them alike; each reports its median round.
const rounds = { nbctlChained: [], oursPerNic: [], oursBatched: [] };
for (let i = 0; i < ROUNDS; i++) {
  rounds.nbctlChained.push(await chained());
  rounds.oursBatched.push(await batched());
  rounds.oursPerNic.push(await perNic());
}
for (const [name, runs] of Object.entries(rounds)) {
  const sorted = [...runs].sort((x, y) => x.ms - y.ms);
  results[name] = { ...sorted[Math.floor(sorted.length / 2)], rows: Math.min(...runs.map((r) => r.rows)), maxRows: Math.max(...runs.map((r) => r.rows)) };
  if (results[name].maxRows !== results[name].rows) throw new Error(`${name} left different row counts across rounds`);
}

const reconcile = await onFreshNb((nb) =>
  withBackend(nb, async (backend) => {
    const desired = rules(RECONCILE_ROWS);
    let start = performance.now();
    await backend.ensureAll(desired);
    const setupMs = performance.now() - start;
    // Median of three: the first can meet the server compacting its log after the big insert.
    const idleRuns = [];
    let idle;
    for (let i = 0; i < 3; i++) {
      start = performance.now();
      idle = await backend.reconcile(desired);
      idleRuns.push(performance.now() - start);
      if (idle.transactions !== 0) break;
    }
    const idleMs = idleRuns.sort((x, y) => x - y)[1] ?? idleRuns[0];
    // Drift: delete 1% of the rows behind the backend's back, in one ovn-nbctl call.
    const drifted = desired.filter((_, i) => i % 100 === 0);
    nbctlSync(nb, drifted.flatMap((r) => ["--", "lr-nat-del", "lr0", "snat", r.logicalIp]).slice(1));
    start = performance.now();
    const repair = await backend.reconcile(desired);
    const repairMs = performance.now() - start;
    if (idle.transactions !== 0 || repair.transactions !== 1 || repair.ensured.length !== drifted.length) {
      throw new Error(`reconcile did not do exactly what was needed: idle ${idle.transactions} txns, repair ${repair.transactions} txns, ${repair.ensured.length} ensured`);
    }
    return { setupMs, idleMs, repairMs, repaired: repair.ensured.length };
  }),
);

for (const [name, r] of Object.entries(results)) {
  if (r.rows !== NICS) throw new Error(`${name} left ${r.rows} snat rows, expected ${NICS}`);
}
if (reconcile.rows !== RECONCILE_ROWS) throw new Error(`reconcile left ${reconcile.rows} rows, expected ${RECONCILE_ROWS}`);

const perRule = (r) => r.ms / NICS;
const perCallRatio = perRule(results.nbctlPerCall) / perRule(results.oursPerNic);
const batchedRatio = perRule(results.nbctlChained) / perRule(results.oursBatched);
const fmt = (ms) => `${ms.toFixed(3)} ms`;
console.log(`SNAT for ${NICS} NICs, each variant on a fresh NB, median of ${ROUNDS} rounds for (b)-(d) (ovsdb-server ${version("ovsdb-server")}, ovn-nbctl ${version("ovn-nbctl")})`);
console.log(`  (a) ovn-nbctl per call     ${fmt(perRule(results.nbctlPerCall))} per rule   (${fmt(results.nbctlPerCall.ms)} total)`);
console.log(`  (b) ovn-nbctl chained      ${fmt(perRule(results.nbctlChained))} per rule   (${fmt(results.nbctlChained.ms)} total)`);
console.log(`  (c) ours, ensure per NIC   ${fmt(perRule(results.oursPerNic))} per rule   (${fmt(results.oursPerNic.ms)} total, ${results.oursPerNic.transactions} write txns)`);
console.log(`  (d) ours, ensureAll        ${fmt(perRule(results.oursBatched))} per rule   (${fmt(results.oursBatched.ms)} total, ${results.oursBatched.transactions} write txn)`);
console.log(`  (a)/(c) = ${perCallRatio.toFixed(1)}x  (target >= 20x)   (b)/(d) = ${batchedRatio.toFixed(2)}x  (target >= 1x)`);
console.log(
  `Reconcile with ${RECONCILE_ROWS} owned rows: nothing to do ${fmt(reconcile.idleMs)} (0 txns, median of 3); repairing ${reconcile.repaired} deleted rows ${fmt(reconcile.repairMs)} (1 txn); initial ensureAll ${fmt(reconcile.setupMs)}`,
);
const pass = perCallRatio >= 20 && batchedRatio >= 1;
console.log(
  JSON.stringify({
    bench: "ovn-snat",
    nics: NICS,
    perRuleMs: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, Number(perRule(r).toFixed(4))])),
    perCallRatio: Number(perCallRatio.toFixed(2)),
    batchedRatio: Number(batchedRatio.toFixed(2)),
    reconcile: { rows: RECONCILE_ROWS, idleMs: Math.round(reconcile.idleMs), repairMs: Math.round(reconcile.repairMs), repaired: reconcile.repaired },
    pass,
  }),
);
if (process.env.BENCH_ENFORCE === "1" && !pass) process.exit(1);

function version(tool) {
  const r = spawnSync(tool, ["--version"], { encoding: "utf8" });
  return r.stdout.split("\n")[0]?.split(" ").pop() ?? "?";
}
