import { describe, expect, it } from "vitest";
import { FakeClock } from "./fake-clock.js";
import { MemoryLogSink } from "./memory-log-sink.js";

function filled(): MemoryLogSink {
  const logs = new MemoryLogSink();
  logs.sink({ time: 1, level: "info", message: "Host starting", fields: {} });
  logs.sink({ time: 2, level: "warn", message: "Lease about to expire", pluginId: "incusx.dhcpv4", fields: { iface: "eth0" } });
  logs.sink({ time: 3, level: "error", message: "Renew failed", pluginId: "incusx.dhcpv4", fields: {} });
  logs.sink({ time: 4, level: "debug", message: "Checked NIC", pluginId: "example.mtu-limit", fields: {} });
  return logs;
}

describe("MemoryLogSink", () => {
  it("keeps every record it receives, in order", () => {
    expect(filled().records.map((r) => r.time)).toEqual([1, 2, 3, 4]);
  });

  it("finds records by level, minimum level, plugin and message", () => {
    const logs = filled();
    expect(logs.messages({ level: "warn" })).toEqual(["Lease about to expire"]);
    expect(logs.messages({ level: ["debug", "error"] })).toEqual(["Renew failed", "Checked NIC"]);
    expect(logs.messages({ minLevel: "warn" })).toEqual(["Lease about to expire", "Renew failed"]);
    expect(logs.byPlugin("incusx.dhcpv4")).toHaveLength(2);
    expect(logs.byLevel("debug")).toHaveLength(1);
    expect(logs.messages({ pluginId: null })).toEqual(["Host starting"]);
    expect(logs.messages({ message: "Renew" })).toEqual(["Renew failed"]);
    expect(logs.messages({ message: /^lease/i, pluginId: "incusx.dhcpv4" })).toEqual(["Lease about to expire"]);
  });

  it("forgets records on clear", () => {
    const logs = filled();
    logs.clear();
    expect(logs.records).toEqual([]);
  });

  it("passes records on to an echo sink for debugging", () => {
    const echoed: string[] = [];
    const logs = new MemoryLogSink({ echo: (r) => echoed.push(r.message) });
    logs.sink({ time: 0, level: "info", message: "hello", fields: {} });
    expect(echoed).toEqual(["hello"]);
  });

  it("makes plugin-scoped loggers for unit tests, children adding fields", () => {
    const logs = new MemoryLogSink();
    const clock = new FakeClock(42);
    const logger = logs.logger("example.mtu-limit", clock, { a: 1 });
    logger.child({ b: 2 }).warn("Too big", { c: 3 });
    logs.logger().info("From the host");
    expect(logs.records).toEqual([
      { time: 42, level: "warn", message: "Too big", pluginId: "example.mtu-limit", fields: { a: 1, b: 2, c: 3 } },
      expect.objectContaining({ level: "info", message: "From the host", fields: {} }),
    ]);
    expect(logs.records[1]).not.toHaveProperty("pluginId");
  });
});
