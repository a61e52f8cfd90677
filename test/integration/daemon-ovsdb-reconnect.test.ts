// The NAT backend's northbound connection lives inside the OVN plugin; its
// losses reach the daemon's metrics through the SDK's HostMetricsToken.
// A real ovsdb-server is restarted under a running daemon, the scrape is
// parsed, and the counter has gone up.
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

// A Prometheus text parser from npm (untyped), so the test reads what a Prometheus server would.
const parsePrometheusTextFormat = createRequire(import.meta.url)("parse-prometheus-text-format") as (
  text: string,
) => { name: string; metrics: { value?: string }[] }[];

const PLUGIN_DIR = fileURLToPath(new URL("../../plugins/ovn-external-address", import.meta.url));

async function reconnects(daemon: Daemon): Promise<number> {
  const family = parsePrometheusTextFormat(await daemon.metrics.scrape()).find((f) => f.name === "incusx_ovsdb_reconnects_total");
  if (family === undefined) throw new Error("no incusx_ovsdb_reconnects_total in the scrape");
  return Number(family.metrics[0]!.value);
}

describe("incusx daemon: the OVN plugin's NB reconnects in the metrics", () => {
  let nb: OvnTestNorthbound;
  let dir: string;
  let daemon: Daemon | undefined;
  let observer: NbObserver | undefined;

  beforeEach(async () => {
    nb = await startOvnNorthbound();
    await nb.nbctl("lr-add", "lr-ovn0");
    dir = await mkdtemp(join(tmpdir(), "incusx-daemon-reconnect-"));
    await writeFile(join(dir, "network-state.json"), JSON.stringify(keeperState([{ name: "c1", ipv4: "10.0.0.5" }])));
    await writeFile(
      join(dir, "host.json"),
      JSON.stringify({ stateDir: dir, plugins: [{ module: PLUGIN_DIR, config: { northbound: nb.connection, requestTimeoutMs: 5000 } }] }),
    );
  }, 30_000);
  afterEach(async () => {
    await daemon?.stop();
    await observer?.close();
    await nb.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("counts each restart of the northbound ovsdb-server once, and the keeper repairs through the new connection", async () => {
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
