import type { LeaseEvent } from "@incusx/sdk";
import { FakeClock, MemoryLogSink } from "@incusx/testkit";
import { describe, expect, it } from "vitest";
import { closeQuietly, reportStartFailure, runnerConfig } from "./runner.js";

describe("runner helpers", () => {
  it("puts the host's config over the plugin's defaults", () => {
    const defaults = { rapidCommit: false, addressPrefixLength: 128 };
    expect(runnerConfig(defaults, { rapidCommit: true })).toEqual({ rapidCommit: true, addressPrefixLength: 128 });
    expect(runnerConfig(defaults, undefined)).toEqual(defaults);
    expect(runnerConfig(defaults, null)).toEqual(defaults);
  });

  it("reports a failed start with the error's own code, else the fallback, as a log and a failed event", () => {
    const clock = new FakeClock(1000);
    const logs = new MemoryLogSink();
    const events: LeaseEvent[] = [];
    const failure = { family: "ipv4", interface: "eth0", protocol: "DHCPv4", fallbackCode: "DHCPV4_FAILED", clock, log: logs.logger("t", clock), emit: (e: LeaseEvent) => events.push(e) } as const;
    reportStartFailure(Object.assign(new Error("no such device"), { code: "LINK_NOT_FOUND" }), failure);
    reportStartFailure("odd", failure);
    expect(events).toEqual([
      { kind: "failed", family: "ipv4", interface: "eth0", at: 1000, error: { code: "LINK_NOT_FOUND", message: "no such device" } },
      { kind: "failed", family: "ipv4", interface: "eth0", at: 1000, error: { code: "DHCPV4_FAILED", message: "odd" } },
    ]);
    expect(logs.messages({ level: "error" })).toEqual(["DHCPv4 runner failed to start", "DHCPv4 runner failed to start"]);
  });

  it("closes a socket, only warning when that fails", async () => {
    const logs = new MemoryLogSink();
    const log = logs.logger("t", new FakeClock(0));
    let closed = 0;
    await closeQuietly({ close: async () => void closed++ }, log, "DHCPv6 socket");
    await closeQuietly({ close: () => Promise.reject(new Error("EBADF")) }, log, "DHCPv6 socket");
    expect(closed).toBe(1);
    expect(logs.messages({ level: "warn" })).toEqual(["Failed to close the DHCPv6 socket"]);
  });
});
