#!/usr/bin/env node
// Continuous reconcile (the NAT keeper) against a real NB (ovsdb-server with
// OVN's NB schema, started by @incusx/testkit/ovsdb), in the composition the
// daemon runs: a Host with the OVN plugin, a host state file, host.natKeeper().
//
//   1. idle: ROWS owned rows (default 10 000), nothing drifting, for
//      IDLE_SECONDS (default 60): this process's CPU time (process.cpuUsage)
//      as % of one core, and NB transactions counted by a monitor on NAT and
//      Logical_Router (one update per transaction), measured after
//      SETTLE_SECONDS (default 5) past the start. Targets: <= 1 %, 0.
//   2. drift repair: REPAIRS times (default 20), one owned row deleted by hand
//      (`ovn-nbctl lr-nat-del lr-ovn0 snat IP`), timed from the moment the
//      deletion is in the NB (seen by the monitor) until the row is back.
//      Run with ROWS owned rows and with SMALL_ROWS (default 100).
//      Targets: median <= 100 ms, max <= 1 s.
//
// Usage: node test/bench/nat-keeper.bench.mjs   (needs `pnpm run build`)
//        pnpm run bench:nat-keeper
// Env:   BENCH_ROWS (10000) BENCH_SMALL_ROWS (100) BENCH_IDLE_SECONDS (60) BENCH_REPAIRS (20)
//        BENCH_SETTLE_SECONDS (5)
//        BENCH_ENFORCE=1 exits 1 when a target is missed.
// The last line printed is a JSON summary.

import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importDists, logicalIp, positiveInt, root } from "./ovn-bench-support.mjs";

const ROWS = positiveInt("BENCH_ROWS", 10_000);
const SMALL_ROWS = positiveInt("BENCH_SMALL_ROWS", 100);
const IDLE_SECONDS = positiveInt("BENCH_IDLE_SECONDS", 60);
const REPAIRS = positiveInt("BENCH_REPAIRS", 20);
const SETTLE_SECONDS = positiveInt("BENCH_SETTLE_SECONDS", 5);

const dists = await importDists({
  host: "packages/host/dist/index.js",
  ovsdb: "packages/ovsdb/dist/index.js",
  harness: "packages/testkit/dist/ovsdb/index.js",
});
const { Host } = dists.host;
const { OvsdbClient, mapRecord } = dists.ovsdb;
const { startOvnNorthbound } = dists.harness;

function hostState(count) {
  return {
    networks: [
      { name: "ovn0", type: "ovn", ovn_router: "lr-ovn0", config: { "ipv4.address": "10.0.0.1/8" }, forwards: [{ listen_address: "198.51.100.9" }] },
    ],
    instances: Array.from({ length: count }, (_, i) => ({
      name: `c${i}`,
      devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": logicalIp(i), "ipv4.address.external": "198.51.100.9" } },
    })),
  };
}

/** Every NB transaction touching NAT rows or routers is one update; owned rows by logical address. */
async function observe(connection) {
  const client = await OvsdbClient.connect(connection, { database: "OVN_Northbound", requestTimeoutMs: 60_000 });
  const byUuid = new Map();
  const byIp = new Map();
  /** When (performance.now(), at its monitor update) each address lost and got back its row. */
  const deletedAt = new Map();
  const insertedAt = new Map();
  let waiters = [];
  const seen = { transactions: 0 };
  await client.monitor(
    "OVN_Northbound",
    { NAT: { columns: ["logical_ip", "external_ids"] }, Logical_Router: { columns: ["name", "nat"] } },
    (u) => {
      if (!u.initial) seen.transactions++;
      for (const [id, change] of Object.entries(u.updates.NAT ?? {})) {
        if ("delete" in change) {
          const ip = byUuid.get(id);
          byUuid.delete(id);
          if (ip !== undefined) {
            byIp.delete(ip);
            deletedAt.set(ip, performance.now());
          }
        } else if (!("modify" in change)) {
          const row = change.initial ?? change.insert;
          if (mapRecord(row.external_ids)["incusx:instance"] === undefined) continue;
          byUuid.set(id, row.logical_ip);
          byIp.set(row.logical_ip, id);
          if (!u.initial) insertedAt.set(row.logical_ip, performance.now());
        }
      }
      for (const wake of waiters.splice(0)) wake();
    },
  );
  const until = async (predicate, timeoutMs = 120_000) => {
    const started = performance.now();
    while (!predicate()) {
      if (performance.now() - started > timeoutMs) throw new Error("timed out waiting on the NB");
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 1000);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return performance.now() - started;
  };
  return { client, byIp, deletedAt, insertedAt, seen, until };
}

async function run(count, { idle }) {
  const nb = await startOvnNorthbound();
  const dir = await mkdtemp(join(tmpdir(), "incusx-keeper-bench-"));
  let host;
  let keeper;
  let observer;
  try {
    await nb.nbctl("lr-add", "lr-ovn0");
    const stateFile = join(dir, "state.json");
    await writeFile(`${stateFile}.tmp`, JSON.stringify(hostState(count)));
    await rename(`${stateFile}.tmp`, stateFile);
    observer = await observe(nb.connection);
    host = new Host({
      baseDir: join(root, "test"),
      stateDir: dir,
      networkStateFile: stateFile,
      plugins: [{ module: "@incusx/plugin-ovn-external-address", config: { northbound: nb.connection }, onFailure: "abort" }],
      services: { logSink: () => undefined },
    });
    const report = await host.start();
    if (!report.ok) throw new Error("host did not start");
    keeper = host.natKeeper();
    const reports = [];
    keeper.onReport((r) => reports.push(r));
    const t0 = performance.now();
    keeper.start();
    await observer.until(() => observer.byIp.size === count);
    const startMs = performance.now() - t0;
    await observer.until(() => reports.length > 0);
    const result = { rows: count, startReconcileMs: Math.round(startMs) };

    if (idle) {
      // The start's garbage is collected first: idle is the steady state after it.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_SECONDS * 1000));
      const reportsBefore = reports.length;
      const transactionsBefore = observer.seen.transactions;
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
      const cpu = process.cpuUsage(cpuBefore);
      const wallMs = performance.now() - wallBefore;
      result.idle = {
        seconds: IDLE_SECONDS,
        cpuPercent: Number((((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(3)),
        transactions: observer.seen.transactions - transactionsBefore,
        reconciles: reports.length - reportsBefore,
      };
    }

    const repairs = [];
    const transactionsBefore = observer.seen.transactions;
    const reportsBefore = reports.length;
    for (let k = 0; k < REPAIRS; k++) {
      const ip = logicalIp(Math.floor(((k + 0.5) / REPAIRS) * count));
      const uuid = observer.byIp.get(ip);
      observer.deletedAt.delete(ip);
      observer.insertedAt.delete(ip);
      await nb.nbctl("lr-nat-del", "lr-ovn0", "snat", ip);
      await observer.until(() => observer.byIp.has(ip) && observer.byIp.get(ip) !== uuid && observer.deletedAt.has(ip));
      // Timed at the monitor updates: from the deletion reaching the NB to the row being back.
      repairs.push(observer.insertedAt.get(ip) - observer.deletedAt.get(ip));
    }
    repairs.sort((a, b) => a - b);
    result.repair = {
      count: REPAIRS,
      medianMs: Number(repairs[Math.floor(repairs.length / 2)].toFixed(1)),
      maxMs: Number(repairs.at(-1).toFixed(1)),
      // One deletion and one repair each.
      transactionsPerRepair: (observer.seen.transactions - transactionsBefore) / REPAIRS - 1,
      // What the keeper says of its runs: how long each reconcile took, and any failure.
      keeperMs: reports.slice(reportsBefore).map((r) => (r.kind === "reconciled" ? r.durationMs : `failed: ${r.error.message}`)),
    };
    return result;
  } finally {
    await keeper?.stop();
    await host?.stop();
    observer?.client.close();
    await nb.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const small = await run(SMALL_ROWS, { idle: false });
const large = await run(ROWS, { idle: true });
const checks = {
  idleCpu: large.idle.cpuPercent <= 1,
  idleTransactions: large.idle.transactions === 0,
  repairMedian: small.repair.medianMs <= 100 && large.repair.medianMs <= 100,
  repairMax: small.repair.maxMs <= 1000 && large.repair.maxMs <= 1000,
  oneTransactionPerRepair: small.repair.transactionsPerRepair === 1 && large.repair.transactionsPerRepair === 1,
};
console.log("rows".padEnd(8), "start ms".padEnd(10), "repair median ms".padEnd(18), "repair max ms".padEnd(15), "txn/repair".padEnd(12), "idle CPU %".padEnd(12), "idle txns");
for (const r of [small, large]) {
  console.log(
    String(r.rows).padEnd(8),
    String(r.startReconcileMs).padEnd(10),
    String(r.repair.medianMs).padEnd(18),
    String(r.repair.maxMs).padEnd(15),
    String(r.repair.transactionsPerRepair).padEnd(12),
    String(r.idle?.cpuPercent ?? "-").padEnd(12),
    String(r.idle?.transactions ?? "-"),
  );
}
const ok = Object.values(checks).every(Boolean);
console.log(JSON.stringify({ small, large, checks, ok }));
if (process.env.BENCH_ENFORCE === "1" && !ok) process.exit(1);
