import { describe, expect, it } from "vitest";
import type { LogRecord } from "../options.js";
import { createLogger, jsonLinesSink } from "./logger.js";
import { SystemClock } from "./system-clock.js";

const fixedClock = { ...new SystemClock(), now: () => Date.UTC(2026, 0, 1) } as SystemClock;

describe("createLogger", () => {
  it("stamps records with the plugin id and merges child fields", () => {
    const records: LogRecord[] = [];
    const logger = createLogger((r) => records.push(r), fixedClock, "incusx.dns").child({ iface: "eth0" });
    logger.warn("Dropped a nameserver", { server: "192.0.2.53" });
    expect(records).toEqual([
      {
        time: Date.UTC(2026, 0, 1),
        level: "warn",
        message: "Dropped a nameserver",
        pluginId: "incusx.dns",
        fields: { iface: "eth0", server: "192.0.2.53" },
      },
    ]);
  });

  it("survives a sink that throws", () => {
    const logger = createLogger(() => {
      throw new Error("disk full");
    }, fixedClock);
    expect(() => logger.error("x")).not.toThrow();
  });
});

describe("jsonLinesSink", () => {
  it("writes one JSON object per line and drops records below the level", () => {
    let out = "";
    const logger = createLogger(jsonLinesSink({ write: (s: string) => (out += s) }, "info"), fixedClock, "p");
    logger.debug("hidden");
    logger.info("shown", { n: 1 });
    expect(out).toBe('{"time":"2026-01-01T00:00:00.000Z","level":"info","message":"shown","pluginId":"p","n":1}\n');
  });
});
