// `incusx daemon` keeps NAT rows right by itself when its config has a NAT
// backend: its keeper reconciles at start, repairs drift, and after a
// reload (SIGHUP) only the new config's keeper runs. The backend's NB
// connection lives inside the OVN plugin; its losses reach the daemon's
// metrics through the SDK's HostMetricsToken.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Daemon } from "@incusx/daemon";
import type { NatKeeperReport } from "@incusx/host";
import type { HostMetricEvent } from "@incusx/sdk";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NbObserver, keeperState } from "./nat-keeper-support.js";

const PLUGIN_DIR = fileURLToPath(new URL("../../plugins/ovn-external-address", import.meta.url));

// A Prometheus text parser from npm (untyped), so the test reads what a Prometheus server would.
const parsePrometheusTextFormat = createRequire(import.meta.url)("parse-prometheus-text-format") as (
  text: string,
) => { name: string; metrics: { value?: string }[] }[];

async function reconnects(daemon: Daemon): Promise<number> {
  const family = parsePrometheusTextFormat(await daemon.metrics.scrape()).find((f) => f.name === "incusx_ovsdb_reconnects_total");
  if (family === undefined) throw new Error("no incusx_ovsdb_reconnects_total in the scrape");
  return Number(family.metrics[0]!.value);
}

describe("incusx daemon with the OVN plugin", () => {
  let nb: OvnTestNorthbound;
  let dir: string;
  let daemon: Daemon | undefined;
  let observer: NbObserver | undefined;

  beforeEach(async () => {
    nb = await startOvnNorthbound();
    await nb.nbctl("lr-add", "lr-ovn0");
    dir = await mkdtemp(join(tmpdir(), "incusx-daemon-keeper-"));
    await writeFile(join(dir, "network-state.json"), JSON.stringify(keeperState([{ name: "c1", ipv4: "10.0.0.5" }, { name: "c2", ipv4: "10.0.0.6" }])));
    await writeFile(
      join(dir, "host.json"),
      JSON.stringify({ stateDir: dir, plugins: [{ module: PLUGIN_DIR, config: { northbound: nb.connection, requestTimeoutMs: 2000 } }] }),
    );
  }, 30_000);
  afterEach(async () => {
    await daemon?.stop();
    await observer?.close();
    await nb.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("reconciles at start, repairs drift, and after a reload runs only the new config's keeper", async () => {
    observer = await NbObserver.start(nb.connection);
    const reports: NatKeeperReport[] = [];
    daemon = await Daemon.start({ config: join(dir, "host.json"), logSink: () => undefined });
    daemon.onNatReport((r) => reports.push(r));
    await observer.until(() => observer!.rows.size === 2, 10_000, "the start reconcile");
    await expect.poll(() => reports.some((r) => r.kind === "reconciled" && r.trigger === "start")).toBe(true);

    expect((await daemon.reload()).ok).toBe(true);
    await expect.poll(() => reports.filter((r) => r.kind === "reconciled" && r.trigger === "start").length).toBe(2);
    const before = reports.length;
    const transactions = observer.transactions;
    await nb.nbctl("lr-nat-del", "lr-ovn0", "snat", "10.0.0.5");
    await observer.until(() => observer!.row("c1") === undefined, 10_000, "the deletion");
    await observer.until(() => observer!.row("c1")?.logicalIp === "10.0.0.5", 10_000, "the repair");
    // One deletion, one repair: the old config's keeper is stopped and repairs nothing.
    await expect.poll(() => reports.slice(before).filter((r) => r.kind === "reconciled" && r.changes > 0).length).toBe(1);
    expect(observer.transactions - transactions).toBe(2);
    expect(reports.slice(before)).toEqual([expect.objectContaining({ kind: "reconciled", trigger: "drift", changes: 1, ownedRows: 2 })]);
    // The keeper's reports feed the daemon's metrics.
    const scrape = await daemon.metrics.scrape();
    expect(scrape).toMatch(/^incusx_nat_drift_repairs_total\{member="[^"]+"\} 1$/m);
    expect(scrape).toMatch(/^incusx_nat_owned_rows\{member="[^"]+"\} 2$/m);
    expect(scrape).toMatch(/^incusx_nat_reconciles_total\{trigger="start"\} 2$/m);
  }, 60_000);

  it("stops at once while a reconcile waits on an NB that went away", async () => {
    await writeFile(
      join(dir, "host.json"),
      JSON.stringify({ stateDir: dir, plugins: [{ module: PLUGIN_DIR, config: { northbound: nb.connection, requestTimeoutMs: 30_000 } }] }),
    );
    const reports: NatKeeperReport[] = [];
    daemon = await Daemon.start({ config: join(dir, "host.json"), logSink: () => undefined });
    daemon.onNatReport((r) => reports.push(r));
    await expect.poll(() => reports.some((r) => r.kind === "reconciled"), { timeout: 10_000 }).toBe(true);
    await nb.stop();
    // A state change starts a reconcile that keeps retrying the NB for up to 30 s.
    await writeFile(join(dir, "network-state.json"), JSON.stringify(keeperState([{ name: "c1", ipv4: "10.0.0.5" }, { name: "c3", ipv4: "10.0.0.7" }])));
    // Time for the watch event and the debounce; were the reconcile not started yet, the stop would be quick anyway (never flaky).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    await daemon.stop();
    expect(performance.now() - started).toBeLessThan(10_000);
    daemon = undefined;
  }, 60_000);

  it("counts each restart of the northbound ovsdb-server once in incusx_ovsdb_reconnects_total, and repairs through the new connection", async () => {
    const embedder: HostMetricEvent[] = [];
    const reports: NatKeeperReport[] = [];
    daemon = await Daemon.start({ config: join(dir, "host.json"), logSink: () => undefined, services: { hostMetrics: { record: (e) => void embedder.push(e) } } });
    daemon.onNatReport((r) => reports.push(r));
    await expect.poll(() => reports.some((r) => r.kind === "reconciled" && r.trigger === "start"), { timeout: 10_000 }).toBe(true);
    expect(await reconnects(daemon)).toBe(0);

    await nb.restartNorthbound();
    await expect.poll(() => reconnects(daemon!), { timeout: 10_000 }).toBe(1);
    await nb.restartNorthbound();
    await expect.poll(() => reconnects(daemon!), { timeout: 10_000 }).toBe(2);
    // The embedder's own sink hears what the daemon counts.
    expect(embedder).toEqual([
      { kind: "ovsdb-reconnect", database: "OVN_Northbound" },
      { kind: "ovsdb-reconnect", database: "OVN_Northbound" },
    ]);

    // The monitors run again on the new connection: a row deleted by hand comes back.
    observer = await NbObserver.start(nb.connection);
    await observer.until(() => observer!.row("c1") !== undefined, 10_000, "the row");
    await nb.nbctl("lr-nat-del", "lr-ovn0", "snat", "10.0.0.5");
    await observer.until(() => observer!.row("c1")?.logicalIp === "10.0.0.5" && observer!.transactions >= 2, 10_000, "the repair");
    expect(await reconnects(daemon)).toBe(2);
  }, 60_000);
});
