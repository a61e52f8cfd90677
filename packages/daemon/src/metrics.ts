import type { ServerResponse } from "node:http";
import type { StartupReport } from "@incusx/host";
import type { AttachedNic, NicFamilyState } from "@incusx/network-runtime";
import type { HostMetricEvent } from "@incusx/sdk";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The `Content-Type` of a scrape: Prometheus text exposition 0.0.4. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

// Milliseconds as seconds, to the microsecond: `64.445 / 1000` would print as 0.06444499999999999.
const seconds = (ms: number): number => Math.round(ms * 1000) / 1_000_000;

/** Answers a scrape: 200 with the text exposition, never cached. */
export function sendScrape(res: ServerResponse, text: string): void {
  res.writeHead(200, { "Content-Type": METRICS_CONTENT_TYPE, "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
  res.end(text);
}

/**
 * Bucket bounds (seconds) of `incusx_nat_reconcile_duration_seconds`: from
 * a no-op pass (about a millisecond) to a large first reconcile (seconds);
 * the repair target (median 100 ms, max 1 s) falls on bounds.
 */
export const NAT_RECONCILE_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const FAMILIES = ["ipv4", "ipv6"] as const;
const NIC_STATES: readonly NicFamilyState[] = ["starting", "bound", "failed", "stopping"];
const NAT_TRIGGERS = ["start", "drift", "state", "retry"] as const;
// An error code becomes a label value only when it looks like one (`NIC_GONE`, `ENETDOWN`): a runner
// that put something else in `code` must not mint a new series per message.
const CODE_LABEL = /^[A-Z][A-Z0-9_]{0,47}$/;

/**
 * One report of the NAT keeper (continuous reconcile of a member's NAT
 * rows): a reconcile pass that finished, or one that failed and is retried.
 *
 * - `reconciled`: `member` whose rows were reconciled, `durationMs` the pass
 *   took, `changes` rows written (0 when nothing drifted), `ownedRows` the
 *   member owns afterwards, and what started the pass: `start` (the keeper
 *   started), `drift` (the NB changed under it), `state` (the host's NAT
 *   state changed), `retry` (after a failed pass).
 * - `failed`: the pass failed with `error`; the next try is in `retryInMs`.
 *
 * The shape of `@incusx/host`'s `NatKeeperReport` (written in parallel with
 * this module), declared here so the metrics do not depend on the keeper.
 *
 * @example
 * daemon.onNatReport((report) => daemon.metrics.observeNatReport(report)); // the keeper's reports
 */
export type NatMetricsReport =
  | {
      readonly kind: "reconciled";
      readonly member?: string;
      readonly durationMs: number;
      readonly changes: number;
      readonly ownedRows: number;
      readonly trigger: "start" | "drift" | "state" | "retry";
    }
  | { readonly kind: "failed"; readonly error: Error; readonly retryInMs: number };

/** What {@link DaemonMetrics} reads at scrape time: a `Daemon`, or a fake in tests. */
export interface MetricsSource {
  /** The attached NICs, counted per family and state at each scrape. */
  list(): readonly AttachedNic[];
  /** The current config's startup report: each plugin's start time. */
  startupReport(): StartupReport;
}

/** Emits `"reconnect"` each time a lost connection is replaced, as `@incusx/ovsdb`'s `OvsdbClient` does. */
export interface ReconnectingClient {
  on(event: "reconnect", listener: () => void): unknown;
  off(event: "reconnect", listener: () => void): unknown;
}

/**
 * The daemon's Prometheus metrics (prom-client, a registry of its own):
 * NICs per family and state, DHCP lease counters, plugin start times, OVSDB
 * reconnects and the NAT keeper's reconciles. Lease counters come from
 * {@link observeLeaseEvent} (the daemon hands it every lease event its NICs
 * publish), NIC and plugin figures are read at each scrape, NAT and OVSDB
 * figures come from {@link observeNatReport}, and from {@link observeHostMetric}
 * (what plugins report, such as the NAT backend's NB reconnects) or
 * {@link observeOvsdbClient} (a client of the embedder's own).
 *
 * No label names an instance, device or interface: a host runs thousands of
 * NICs that come and go, and a series per NIC would grow the scrape and the
 * Prometheus database with every container ever started. Labels take values
 * from small fixed sets (family, state, trigger, plugin id, error code,
 * member); per-NIC detail is in `GET /1.0/nics` and the event stream.
 *
 * @example
 * const metrics = new DaemonMetrics(daemon);
 * res.end(await metrics.scrape());
 */
export class DaemonMetrics {
  /** The registry every metric is in; nothing else registers in it. */
  readonly registry = new Registry();
  private readonly leasesBound: Counter<"family">;
  private readonly leasesRenewed: Counter<"family">;
  private readonly leasesExpired: Counter<"family">;
  private readonly renewFailures: Counter<"family">;
  private readonly runnerFailures: Counter<"family" | "code">;
  private readonly ovsdbReconnects: Counter;
  private readonly natOwnedRows: Gauge<"member">;
  private readonly natDriftRepairs: Counter<"member">;
  private readonly natRowsChanged: Counter<"trigger">;
  private readonly natFailures: Counter;
  private readonly natReconciles: Counter<"trigger">;
  private readonly natDuration: Histogram<"trigger">;

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    new Gauge({
      name: "incusx_nics",
      help: "Attached NICs per family and state (starting, bound, failed, stopping); one NIC counts once per family it runs.",
      labelNames: ["family", "state"],
      registers,
      collect() {
        const counts: Record<string, Record<string, number>> = {};
        for (const family of FAMILIES) counts[family] = Object.fromEntries(NIC_STATES.map((state) => [state, 0]));
        for (const nic of source.list()) {
          for (const f of nic.families) {
            const byState = (counts[f.family] ??= {});
            byState[f.state] = (byState[f.state] ?? 0) + 1;
          }
        }
        this.reset();
        for (const [family, byState] of Object.entries(counts)) for (const [state, n] of Object.entries(byState)) this.set({ family, state }, n);
      },
    });
    this.leasesBound = new Counter({ name: "incusx_dhcp_leases_bound_total", help: "Leases bound (a new lease put on a NIC), per family.", labelNames: ["family"], registers });
    this.leasesRenewed = new Counter({
      name: "incusx_dhcp_leases_renewed_total",
      help: "Leases extended, per family: renewed with their server, or rebound through any server after the renewal went unanswered.",
      labelNames: ["family"],
      registers,
    });
    this.leasesExpired = new Counter({ name: "incusx_dhcp_leases_expired_total", help: "Leases lost (expired, or refused with a NAK) before they were released, per family.", labelNames: ["family"], registers });
    this.renewFailures = new Counter({
      name: "incusx_dhcp_lease_renew_failures_total",
      help: "Renewals their server did not grant, per family: the lease was then rebound through another server, or lost.",
      labelNames: ["family"],
      registers,
    });
    this.runnerFailures = new Counter({
      name: "incusx_dhcp_runner_failures_total",
      help: "Failed lease events per family and error code (a runner stopped and restarts after its backoff, a lease applied in part, a NIC gone).",
      labelNames: ["family", "code"],
      registers,
    });
    for (const family of FAMILIES) {
      for (const counter of [this.leasesBound, this.leasesRenewed, this.leasesExpired, this.renewFailures]) counter.inc({ family }, 0);
    }
    new Gauge({
      name: "incusx_plugin_start_duration_seconds",
      help: "Seconds each plugin of the current config took to load, register and start (the host's startup report).",
      labelNames: ["plugin"],
      registers,
      collect() {
        this.reset();
        for (const plugin of source.startupReport().plugins) this.set({ plugin: plugin.id }, seconds(plugin.durationMs));
      },
    });
    new Gauge({
      name: "incusx_host_start_duration_seconds",
      help: "Seconds the whole startup of the current config's plugins took.",
      registers,
      collect() {
        this.set(seconds(source.startupReport().durationMs));
      },
    });
    this.ovsdbReconnects = new Counter({ name: "incusx_ovsdb_reconnects_total", help: "OVSDB connections lost and re-established (monitors running again).", registers });
    this.natOwnedRows = new Gauge({ name: "incusx_nat_owned_rows", help: "NAT rows of the OVN northbound database the member owns, after the last reconcile.", labelNames: ["member"], registers });
    this.natDriftRepairs = new Counter({
      name: "incusx_nat_drift_repairs_total",
      help: "Reconciles started by drift in the northbound database (a row deleted or edited, a router recreated, an address changed) that wrote a repair.",
      labelNames: ["member"],
      registers,
    });
    this.natReconciles = new Counter({ name: "incusx_nat_reconciles_total", help: "Reconciles that finished, per trigger (start, drift, state, retry).", labelNames: ["trigger"], registers });
    this.natRowsChanged = new Counter({ name: "incusx_nat_rows_changed_total", help: "NAT rows written by reconciles, per trigger.", labelNames: ["trigger"], registers });
    this.natFailures = new Counter({ name: "incusx_nat_reconcile_failures_total", help: "Reconciles that failed (each is retried with backoff).", registers });
    this.natDuration = new Histogram({
      name: "incusx_nat_reconcile_duration_seconds",
      help: "Seconds each finished reconcile took, per trigger (start, drift, state, retry).",
      labelNames: ["trigger"],
      buckets: [...NAT_RECONCILE_BUCKETS],
      registers,
    });
  }

  /** Counts one lease event of a NIC (`kind`, `family`, `error`); other kinds and unknown families are ignored. */
  observeLeaseEvent(event: { readonly kind?: unknown; readonly family?: unknown; readonly error?: unknown }): void {
    const family = event.family;
    if (family !== "ipv4" && family !== "ipv6") return;
    switch (event.kind) {
      case "bound":
        this.leasesBound.inc({ family });
        break;
      case "renewed":
        this.leasesRenewed.inc({ family });
        break;
      case "rebound":
        this.leasesRenewed.inc({ family });
        this.renewFailures.inc({ family });
        break;
      case "expired":
        this.leasesExpired.inc({ family });
        this.renewFailures.inc({ family });
        break;
      case "failed": {
        const code = (event.error as { code?: unknown } | undefined)?.code;
        this.runnerFailures.inc({ family, code: typeof code === "string" && CODE_LABEL.test(code) ? code : "OTHER" });
        break;
      }
    }
  }

  /**
   * Counts one report of the NAT keeper: owned rows per member, rows
   * changed, drift repairs, the duration histogram, failures. Reports of
   * another shape are ignored (a keeper newer than this daemon).
   */
  observeNatReport(report: NatMetricsReport): void {
    if (report.kind === "failed") {
      this.natFailures.inc();
      return;
    }
    if (report.kind !== "reconciled") return;
    const trigger = (NAT_TRIGGERS as readonly string[]).includes(report.trigger) ? report.trigger : "other";
    const member = report.member ?? "";
    this.natOwnedRows.set({ member }, report.ownedRows);
    if (report.changes > 0) this.natRowsChanged.inc({ trigger }, report.changes);
    if (trigger === "drift" && report.changes > 0) this.natDriftRepairs.inc({ member });
    this.natReconciles.inc({ trigger });
    if (Number.isFinite(report.durationMs) && report.durationMs >= 0) this.natDuration.observe({ trigger }, seconds(report.durationMs));
  }

  /**
   * Counts one host-level event a plugin reported through
   * `HostMetricsToken` (the daemon hands every plugin's here): an
   * `ovsdb-reconnect` adds to `incusx_ovsdb_reconnects_total`. Unknown
   * kinds are ignored (a plugin built on a newer SDK).
   */
  observeHostMetric(event: HostMetricEvent): void {
    if (event.kind === "ovsdb-reconnect") this.ovsdbReconnects.inc();
  }

  /** Counts `client`'s reconnections until the returned function is called. */
  observeOvsdbClient(client: ReconnectingClient): () => void {
    const onReconnect = (): void => this.ovsdbReconnects.inc();
    client.on("reconnect", onReconnect);
    return () => void client.off("reconnect", onReconnect);
  }

  /** The Prometheus text exposition of every metric now ({@link METRICS_CONTENT_TYPE}). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
