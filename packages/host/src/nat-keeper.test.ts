// The keeper's scheduling on a fake clock: coalescing, batching changes
// that come during a run, backoff on failure, and stopping.
import { ErrorCode, IncusxError, type NatBackend, type NatStoreChange } from "@incusx/sdk";
import { FakeClock } from "@incusx/sdk/testing";
import type { NatReconcileReport } from "@incusx/nic";
import { describe, expect, it } from "vitest";
import { NatKeeper, type NatKeeperReport } from "./nat-keeper.js";

function setup(options: { failures?: number; watchFailures?: number; error?: unknown; spared?: number } = {}) {
  const clock = new FakeClock(0);
  let failures = options.failures ?? 0;
  let watchFailures = options.watchFailures ?? 0;
  let spared = options.spared ?? 0;
  let drift: ((change: NatStoreChange) => void) | undefined;
  let stateListener: (() => void) | undefined;
  let release: (() => void) | undefined;
  const runs: number[] = [];
  const calls: string[] = [];
  const repairOptions: unknown[] = [];
  const gate = { hold: false };
  const rule = { owner: { instance: "c1", device: "eth0" }, network: "ovn0", family: "ipv4" as const, logicalIp: "10.0.0.5", externalIp: "198.51.100.9" };
  const attempt = async (what: string): Promise<void> => {
    runs.push(clock.now());
    calls.push(what);
    if (gate.hold) await new Promise<void>((resolve) => (release = resolve));
    if (failures > 0) {
      failures--;
      throw options.error ?? new IncusxError(ErrorCode.PluginFailed, "database down");
    }
  };
  const backend: NatBackend = {
    networkType: "ovn",
    plan: async () => ({ rules: [], skipped: [] }),
    ensure: async () => undefined,
    remove: async () => undefined,
    list: async () => [],
    reconcile: async (desired, reconcileOptions) => {
      repairOptions.push(reconcileOptions);
      await attempt(`repair ${desired.length}`);
      return { ensured: desired, removed: [] };
    },
    watch: async (listener) => {
      if (watchFailures > 0) {
        watchFailures--;
        throw new IncusxError(ErrorCode.PluginFailed, "NB unreachable");
      }
      drift = listener;
      return { close: async () => void (drift = undefined) };
    },
  };
  const lifecycle = {
    reconcile: async (): Promise<NatReconcileReport> => {
      // The lifecycle stamps the state read before it reads (here: the fake clock's time).
      const stateReadAt = 1_000_000 + clock.now();
      await attempt("full");
      // The OVN backend's result: rows kept because their NIC started after the state was read.
      const result = { ensured: [rule], removed: [], ...(spared > 0 ? { spared: [rule] } : {}) };
      spared = Math.max(0, spared - 1);
      return { dryRun: false, stateReadAt, backends: [{ networkType: "ovn", desired: [rule], ensured: [rule], removed: [], skipped: [], invalid: [], elsewhere: [], result }] };
    },
  };
  const keeper = new NatKeeper({
    lifecycle,
    backends: [backend],
    clock,
    member: "m1",
    stateChanges: (listener) => {
      stateListener = listener;
      return () => (stateListener = undefined);
    },
  });
  const reports: NatKeeperReport[] = [];
  keeper.onReport((r) => reports.push(r));
  return {
    clock,
    keeper,
    reports,
    runs,
    calls,
    repairOptions,
    fail: (n: number) => void (failures = n),
    gate,
    drift: (reason: NatStoreChange["reason"] = "rules") => drift?.({ reason }),
    state: () => stateListener?.(),
    release: () => release?.(),
    watching: () => drift !== undefined,
  };
}

describe("NatKeeper", () => {
  it("reconciles once at start and reports in the metrics shape", async () => {
    const t = setup();
    t.keeper.start();
    await t.clock.advance(5);
    expect(t.runs).toEqual([5]);
    expect(t.reports).toEqual([{ kind: "reconciled", member: "m1", durationMs: 0, changes: 1, ownedRows: 1, trigger: "start" }]);
    expect(t.watching()).toBe(true);
    await t.keeper.stop();
  });

  it("plans again by itself when a backend spared rows its rules were too old to judge (a NIC started meanwhile)", async () => {
    const t = setup({ spared: 1 });
    t.keeper.start();
    await t.clock.advance(5);
    expect(t.calls).toEqual(["full"]);
    // No state or drift report: the spared row's NIC is judged by a plan from a newer state.
    await t.clock.advance(5);
    expect(t.calls).toEqual(["full", "full"]);
    expect(t.reports.map((r) => (r.kind === "reconciled" ? r.trigger : r.kind))).toEqual(["start", "state"]);
    // Nothing spared that time: nothing more runs.
    await t.clock.advance(60_000);
    expect(t.calls).toHaveLength(2);
    await t.keeper.stop();
  });

  it("coalesces a burst of drift reports into one reconcile", async () => {
    const t = setup();
    t.keeper.start();
    await t.clock.advance(5);
    for (let i = 0; i < 20; i++) t.drift();
    t.state();
    await t.clock.advance(100);
    expect(t.runs).toHaveLength(2);
    expect(t.reports.at(-1)).toMatchObject({ kind: "reconciled", trigger: "drift" });
    // Nothing reported: nothing runs, however long.
    await t.clock.advance(60_000);
    expect(t.runs).toHaveLength(2);
    await t.keeper.stop();
  });

  it("batches the changes that come during a run into exactly one more run", async () => {
    const t = setup();
    t.keeper.start();
    await t.clock.advance(5);
    t.gate.hold = true;
    t.state();
    await t.clock.advance(5);
    expect(t.runs).toHaveLength(2);
    for (let i = 0; i < 10; i++) t.drift();
    t.gate.hold = false;
    t.release();
    await t.clock.advance(100);
    expect(t.runs).toHaveLength(3);
    expect(t.reports.map((r) => (r.kind === "reconciled" ? r.trigger : r.kind))).toEqual(["start", "state", "drift"]);
    await t.keeper.stop();
  });

  it("retries a failed reconcile with capped exponential backoff, not sooner when changes come", async () => {
    const t = setup({ failures: 12 });
    t.keeper.start();
    await t.clock.advance(5);
    for (let i = 0; i < 12; i++) {
      const last = t.reports.at(-1)!;
      expect(last.kind).toBe("failed");
      const wait = last.kind === "failed" ? last.retryInMs : 0;
      const runs = t.runs.length;
      t.drift();
      t.state();
      await t.clock.advance(wait - 1);
      expect(t.runs).toHaveLength(runs);
      await t.clock.advance(1);
      expect(t.runs).toHaveLength(runs + 1);
    }
    const failed = t.reports.filter((r) => r.kind === "failed");
    expect(failed.map((r) => r.retryInMs)).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 30_000]);
    expect(failed[0]).toMatchObject({ error: { code: ErrorCode.PluginFailed, message: "database down" } });
    expect(t.runs).toHaveLength(13);
    expect(t.reports.at(-1)).toMatchObject({ kind: "reconciled", trigger: "retry" });
    // Back to normal: the next change is handled after the debounce, not a backoff.
    t.drift();
    await t.clock.advance(5);
    expect(t.runs).toHaveLength(14);
    expect(t.reports.at(-1)).toMatchObject({ kind: "reconciled", trigger: "drift" });
    await t.keeper.stop();
  });

  it("repairs drifted rows towards the last plan, and plans again when addresses changed or the watch started over", async () => {
    const t = setup();
    t.keeper.start();
    await t.clock.advance(5);
    t.drift("rules");
    await t.clock.advance(5);
    t.drift("router");
    await t.clock.advance(5);
    // A forward changed: the same rules, screened again by the backend.
    t.drift("forward");
    await t.clock.advance(5);
    t.drift("address");
    await t.clock.advance(5);
    t.drift("resync");
    await t.clock.advance(5);
    t.state();
    await t.clock.advance(5);
    expect(t.calls).toEqual(["full", "repair 1", "repair 1", "repair 1", "full", "full", "full"]);
    await t.keeper.stop();
  });

  it("repairs towards the last plan with the time that plan's state read began, so a row written since is spared", async () => {
    const t = setup();
    t.keeper.start();
    await t.clock.advance(5);
    t.drift("rules");
    await t.clock.advance(5);
    t.state();
    await t.clock.advance(5);
    t.drift("rules");
    await t.clock.advance(5);
    expect(t.calls).toEqual(["full", "repair 1", "full", "repair 1"]);
    expect(t.repairOptions).toEqual([{ stateReadAt: 1_000_005 }, { stateReadAt: 1_000_015 }]);
    await t.keeper.stop();
  });

  it("plans again after a failed repair", async () => {
    const t = setup();
    t.keeper.start();
    await t.clock.advance(5);
    t.fail(1);
    t.drift("rules");
    await t.clock.advance(5);
    await t.clock.advance(100);
    expect(t.calls).toEqual(["full", "repair 1", "full"]);
    expect(t.reports.map((r) => (r.kind === "reconciled" ? r.trigger : r.kind))).toEqual(["start", "failed", "retry"]);
    await t.keeper.stop();
  });

  it("gives an untyped failure a code", async () => {
    const t = setup({ failures: 1, error: new Error("socket closed") });
    t.keeper.start();
    await t.clock.advance(5);
    const report = t.reports[0];
    expect(report?.kind).toBe("failed");
    if (report?.kind !== "failed") return;
    expect(report.error).toBeInstanceOf(IncusxError);
    expect(report.error.code).toBe(ErrorCode.PluginFailed);
    expect(report.error.message).toMatch(/socket closed/);
    await t.keeper.stop();
  });

  it("retries a watch that cannot start, then reconciles", async () => {
    const t = setup({ watchFailures: 2 });
    t.keeper.start();
    await t.clock.advance(5);
    await t.clock.advance(100);
    await t.clock.advance(200);
    expect(t.reports.map((r) => r.kind)).toEqual(["failed", "failed", "reconciled"]);
    expect(t.runs).toHaveLength(1);
    expect(t.watching()).toBe(true);
    await t.keeper.stop();
  });

  it("stops: no timer left, no run after, the watch closed", async () => {
    const t = setup({ failures: 1 });
    t.keeper.start();
    await t.clock.advance(5);
    expect(t.clock.pendingTimers).toBe(1);
    await t.keeper.stop();
    expect(t.clock.pendingTimers).toBe(0);
    t.drift();
    t.state();
    await t.clock.advance(60_000);
    expect(t.runs).toHaveLength(1);
  });
});
