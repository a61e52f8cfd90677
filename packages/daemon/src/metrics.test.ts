// DaemonMetrics fed by hand (an event hub, a fake NIC list and startup
// report), each scrape read back by a Prometheus text parser.
import { EventEmitter } from "node:events";
import type { StartupReport } from "@incusx/host";
import type { AttachedNic } from "@incusx/network-runtime";
import { describe, expect, it } from "vitest";
import { EventHub } from "./event-hub.js";
import { DaemonMetrics, type MetricsSource, type NatMetricsReport } from "./metrics.js";
import { histogramOf, parseScrape, parseScrapeStrict, valueOf } from "./prometheus-text.test-support.js";

function fixture(nics: AttachedNic[] = []) {
  const events = new EventHub();
  const report: StartupReport = {
    ok: true,
    aborted: false,
    durationMs: 42,
    plugins: [
      { id: "incusx.dhcpv4", version: "1.0.0", source: "inline", state: "started", durationMs: 12, onFailure: "continue" },
      { id: "incusx.dhcpv6", version: "1.0.0", source: "inline", state: "started", durationMs: 30, onFailure: "continue" },
    ],
  };
  const source: MetricsSource = { list: () => nics, startupReport: () => report };
  const metrics = new DaemonMetrics(source);
  // As the daemon does: every lease event of a NIC reaches the metrics.
  events.subscribe((event) => {
    if (event.type === "lease") metrics.observeLeaseEvent(event.metadata);
  });
  return { events, nics, metrics };
}

const nic = (instance: string, v4: string, v6?: string): AttachedNic => ({
  instance,
  device: "eth0",
  interface: "eth0",
  families: [{ family: "ipv4", state: v4 as "bound" }, ...(v6 === undefined ? [] : [{ family: "ipv6" as const, state: v6 as "bound" }])],
});

const lease = (events: EventHub, kind: string, family = "ipv4", extra: object = {}) =>
  events.publish("lease", { instance: "c1", device: "eth0", kind, family, interface: "eth0", at: 0, ...extra });

describe("DaemonMetrics", () => {
  it("counts NICs per family and state at each scrape, with zeros for states nobody is in, and no instance label", async () => {
    const { metrics, nics } = fixture([nic("c1", "bound", "starting"), nic("c2", "bound", "bound"), nic("c3", "failed")]);
    let scrape = parseScrape(await metrics.scrape());
    expect(valueOf(scrape, "incusx_nics", { family: "ipv4", state: "bound" })).toBe(2);
    expect(valueOf(scrape, "incusx_nics", { family: "ipv4", state: "failed" })).toBe(1);
    expect(valueOf(scrape, "incusx_nics", { family: "ipv6", state: "bound" })).toBe(1);
    expect(valueOf(scrape, "incusx_nics", { family: "ipv6", state: "starting" })).toBe(1);
    expect(valueOf(scrape, "incusx_nics", { family: "ipv6", state: "stopping" })).toBe(0);
    expect(scrape.get("incusx_nics")).toMatchObject({ type: "GAUGE" });
    expect(await metrics.scrape()).not.toMatch(/c1|instance=|device=|interface=/);

    nics.splice(0);
    scrape = parseScrape(await metrics.scrape());
    expect(valueOf(scrape, "incusx_nics", { family: "ipv4", state: "bound" })).toBe(0);
  });

  it("counts lease events per family: bound, renewed (and rebound), expired, renew failures, runner failures by code", async () => {
    const { metrics, events } = fixture();
    let scrape = parseScrape(await metrics.scrape());
    for (const name of ["incusx_dhcp_leases_bound_total", "incusx_dhcp_leases_renewed_total", "incusx_dhcp_leases_expired_total", "incusx_dhcp_lease_renew_failures_total"]) {
      expect(valueOf(scrape, name, { family: "ipv4" }), name).toBe(0);
      expect(valueOf(scrape, name, { family: "ipv6" }), name).toBe(0);
      expect(scrape.get(name)).toMatchObject({ type: "COUNTER" });
    }
    lease(events, "bound");
    lease(events, "bound", "ipv6");
    lease(events, "renewed");
    lease(events, "renewed");
    lease(events, "rebound");
    lease(events, "expired", "ipv6");
    lease(events, "released");
    lease(events, "detached");
    lease(events, "failed", "ipv4", { error: { code: "NIC_GONE", message: "namespace-gone" } });
    lease(events, "failed", "ipv4", { error: { code: "not a code: {oops}", message: "x" } });
    lease(events, "bound", "ipx");
    events.publish("lifecycle", { action: "nic-attached", source: "/1.0/nics/c1/eth0", context: {} });

    scrape = parseScrape(await metrics.scrape());
    expect(valueOf(scrape, "incusx_dhcp_leases_bound_total", { family: "ipv4" })).toBe(1);
    expect(valueOf(scrape, "incusx_dhcp_leases_bound_total", { family: "ipv6" })).toBe(1);
    expect(valueOf(scrape, "incusx_dhcp_leases_renewed_total", { family: "ipv4" })).toBe(3);
    expect(valueOf(scrape, "incusx_dhcp_leases_expired_total", { family: "ipv6" })).toBe(1);
    expect(valueOf(scrape, "incusx_dhcp_lease_renew_failures_total", { family: "ipv4" })).toBe(1);
    expect(valueOf(scrape, "incusx_dhcp_lease_renew_failures_total", { family: "ipv6" })).toBe(1);
    expect(valueOf(scrape, "incusx_dhcp_runner_failures_total", { family: "ipv4", code: "NIC_GONE" })).toBe(1);
    // A code that is not one does not become a label value of its own.
    expect(valueOf(scrape, "incusx_dhcp_runner_failures_total", { family: "ipv4", code: "OTHER" })).toBe(1);
    expect(scrape.get("incusx_dhcp_runner_failures_total")?.metrics).toHaveLength(2);
  });

  it("shows each plugin's start time and the whole startup's from the startup report", async () => {
    const scrape = parseScrape(await fixture().metrics.scrape());
    expect(valueOf(scrape, "incusx_plugin_start_duration_seconds", { plugin: "incusx.dhcpv4" })).toBe(0.012);
    expect(valueOf(scrape, "incusx_plugin_start_duration_seconds", { plugin: "incusx.dhcpv6" })).toBe(0.03);
    expect(valueOf(scrape, "incusx_host_start_duration_seconds")).toBe(0.042);
  });

  it("counts an OVSDB client's reconnections until told to stop", async () => {
    const { metrics } = fixture();
    const client = new EventEmitter();
    const stop = metrics.observeOvsdbClient(client);
    expect(valueOf(parseScrape(await metrics.scrape()), "incusx_ovsdb_reconnects_total")).toBe(0);
    client.emit("reconnect", "unix:/run/ovn/ovnnb_db.sock");
    client.emit("reconnect", "unix:/run/ovn/ovnnb_db.sock");
    stop();
    client.emit("reconnect", "unix:/run/ovn/ovnnb_db.sock");
    expect(valueOf(parseScrape(await metrics.scrape()), "incusx_ovsdb_reconnects_total")).toBe(2);
    expect(client.listenerCount("reconnect")).toBe(0);
  });

  it("counts the OVSDB reconnects plugins report through HostMetricsToken, and ignores kinds it does not know", async () => {
    const { metrics } = fixture();
    metrics.observeHostMetric({ kind: "ovsdb-reconnect", database: "OVN_Northbound" });
    metrics.observeHostMetric({ kind: "ovsdb-reconnect", database: "OVN_Northbound" });
    metrics.observeHostMetric({ kind: "from-a-newer-sdk" } as never);
    expect(valueOf(parseScrape(await metrics.scrape()), "incusx_ovsdb_reconnects_total")).toBe(2);
  });

  it("turns NAT keeper reports into owned rows per member, drift repairs, rows changed, failures and a duration histogram", async () => {
    const { metrics } = fixture();
    const reports: NatMetricsReport[] = [
      { kind: "reconciled", member: "a", durationMs: 800, changes: 100, ownedRows: 100, trigger: "start" },
      { kind: "reconciled", member: "a", durationMs: 3, changes: 0, ownedRows: 100, trigger: "state" },
      { kind: "reconciled", member: "a", durationMs: 40, changes: 1, ownedRows: 100, trigger: "drift" },
      { kind: "reconciled", member: "a", durationMs: 20, changes: 0, ownedRows: 100, trigger: "drift" },
      { kind: "failed", error: new Error("NB unavailable"), retryInMs: 200 },
      { kind: "reconciled", member: "a", durationMs: 60, changes: 2, ownedRows: 99, trigger: "retry" },
      { kind: "reconciled", member: "b", durationMs: 5, changes: 0, ownedRows: 7, trigger: "start" },
      { kind: "reconciled", durationMs: 5, changes: 0, ownedRows: 3, trigger: "start" },
    ];
    for (const report of reports) metrics.observeNatReport(report);
    const scrape = parseScrape(await metrics.scrape());
    expect(valueOf(scrape, "incusx_nat_owned_rows", { member: "a" })).toBe(99);
    expect(valueOf(scrape, "incusx_nat_owned_rows", { member: "b" })).toBe(7);
    expect(valueOf(scrape, "incusx_nat_owned_rows", { member: "" })).toBe(3);
    // A drift pass that found nothing to write repaired nothing.
    expect(valueOf(scrape, "incusx_nat_drift_repairs_total", { member: "a" })).toBe(1);
    expect(valueOf(scrape, "incusx_nat_rows_changed_total", { trigger: "start" })).toBe(100);
    expect(valueOf(scrape, "incusx_nat_rows_changed_total", { trigger: "retry" })).toBe(2);
    expect(valueOf(scrape, "incusx_nat_reconciles_total", { trigger: "drift" })).toBe(2);
    expect(valueOf(scrape, "incusx_nat_reconciles_total", { trigger: "start" })).toBe(3);
    expect(valueOf(scrape, "incusx_nat_reconcile_failures_total")).toBe(1);
  });

  it("exposes the reconcile-duration histogram per trigger, every series with its own buckets", async () => {
    const { metrics } = fixture();
    for (const [trigger, durationMs] of [["start", 800], ["start", 5], ["state", 3], ["drift", 40], ["drift", 20], ["retry", 60]] as const) {
      metrics.observeNatReport({ kind: "reconciled", member: "a", durationMs, changes: 0, ownedRows: 1, trigger });
    }
    const text = await metrics.scrape();
    const scrape = parseScrapeStrict(text);
    expect(scrape.get("incusx_nat_reconcile_duration_seconds")?.type).toBe("histogram");
    const start = histogramOf(scrape, "incusx_nat_reconcile_duration_seconds", { trigger: "start" });
    expect(start).toMatchObject({ count: 2, buckets: { "0.0025": 0, "0.005": 1, "0.5": 1, "1": 2, "+Inf": 2 } });
    expect(start?.sum).toBeCloseTo(0.805, 6);
    expect(histogramOf(scrape, "incusx_nat_reconcile_duration_seconds", { trigger: "drift" })).toMatchObject({
      count: 2,
      buckets: { "0.01": 0, "0.025": 1, "0.05": 2, "+Inf": 2 },
    });
    expect(histogramOf(scrape, "incusx_nat_reconcile_duration_seconds", { trigger: "state" })).toMatchObject({ count: 1, buckets: { "0.0025": 0, "0.005": 1 } });
    expect(histogramOf(scrape, "incusx_nat_reconcile_duration_seconds", { trigger: "retry" })).toMatchObject({ count: 1, buckets: { "0.05": 0, "0.1": 1 } });
    expect(histogramOf(scrape, "incusx_nat_reconcile_duration_seconds")).toBeUndefined();
    // The text says what prom-client holds: every labelled bucket of its registry, value for value.
    const [json] = (await metrics.registry.getMetricsAsJSON()).filter((m) => m.name === "incusx_nat_reconcile_duration_seconds");
    const fromRegistry = json!.values.map((v) => ({ name: (v as { metricName?: string }).metricName, labels: Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)])), value: v.value }));
    const order = (xs: readonly { name?: string; labels: Readonly<Record<string, string>> }[]) =>
      [...xs].sort((a, b) => JSON.stringify([a.name, Object.entries(a.labels).sort()]).localeCompare(JSON.stringify([b.name, Object.entries(b.labels).sort()])));
    expect(fromRegistry.every((v) => v.labels.trigger !== undefined)).toBe(true);
    expect(order(scrape.get("incusx_nat_reconcile_duration_seconds")!.samples)).toEqual(order(fromRegistry));
  });
});
