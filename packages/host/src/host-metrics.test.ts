import { HostMetricsToken, definePlugin, type HostMetricEvent, type HostMetrics } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { Host } from "./host.js";

const reporter = definePlugin({
  id: "test.host-metrics",
  start: (context) => {
    const metrics: HostMetrics = context.resolve(HostMetricsToken);
    metrics.record({ kind: "ovsdb-reconnect", database: "OVN_Northbound" });
  },
});
const manifest = { id: "test.host-metrics", apiVersions: ["1"], provides: [] };

describe("HostMetricsToken", () => {
  it("reaches the host's hostMetrics service", async () => {
    const seen: HostMetricEvent[] = [];
    const host = new Host({ stateDir: "/nonexistent-incusx-state", plugins: [{ plugin: reporter, manifest }], services: { hostMetrics: { record: (e) => void seen.push(e) } } });
    expect((await host.start()).ok).toBe(true);
    expect(seen).toEqual([{ kind: "ovsdb-reconnect", database: "OVN_Northbound" }]);
    await host.stop();
  });

  it("is there without one: a host with no metrics drops the events", async () => {
    const host = new Host({ stateDir: "/nonexistent-incusx-state", plugins: [{ plugin: reporter, manifest }] });
    const report = await host.start();
    expect(report.plugins[0]).toMatchObject({ state: "started" });
    await host.stop();
  });
});
