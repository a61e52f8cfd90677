import { describe, expect, it } from "vitest";
import { FakeClock } from "./fake-clock.js";

describe("FakeClock", () => {
  it("starts at the given epoch and only moves when advanced", async () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    await clock.advance(250);
    expect(clock.now()).toBe(1_250);
  });

  it("fires due timers in time order, ties in scheduling order", async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    clock.setTimer(30, () => order.push("c"));
    clock.setTimer(10, () => order.push("a"));
    clock.setTimer(10, () => order.push("b"));
    clock.setTimer(100, () => order.push("late"));
    await clock.advance(50);
    expect(order).toEqual(["a", "b", "c"]);
    expect(clock.pendingTimers).toBe(1);
  });

  it("shows each timer callback the time it was due", async () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    clock.setTimer(10, () => seen.push(clock.now()));
    clock.setTimer(40, () => seen.push(clock.now()));
    await clock.advance(100);
    expect(seen).toEqual([10, 40]);
    expect(clock.now()).toBe(100);
  });

  it("fires timers scheduled by callbacks during the same advance when they fall due", async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimer(10, () => {
      fired.push(clock.now());
      clock.setTimer(10, () => fired.push(clock.now()));
      clock.setTimer(500, () => fired.push(clock.now()));
    });
    await clock.advance(100);
    expect(fired).toEqual([10, 20]);
    expect(clock.pendingTimers).toBe(1);
  });

  it("lets async loops built on sleep progress through many iterations", async () => {
    const clock = new FakeClock();
    const ticks: number[] = [];
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(1_000);
        await Promise.resolve();
        ticks.push(clock.now());
      }
    };
    const done = loop();
    await clock.advance(5_000);
    await done;
    expect(ticks).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
  });

  it("does not fire cancelled timers", async () => {
    const clock = new FakeClock();
    let fired = false;
    const timer = clock.setTimer(10, () => (fired = true));
    timer.cancel();
    timer.cancel();
    await clock.advance(20);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it("rejects sleep with the abort reason when the signal aborts", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const slept = clock.sleep(1_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(slept).rejects.toThrow("stop");
    expect(clock.pendingTimers).toBe(0);
  });

  it("rejects sleep at once when the signal is already aborted", async () => {
    const clock = new FakeClock();
    await expect(clock.sleep(1, AbortSignal.abort(new Error("already")))).rejects.toThrow("already");
    expect(clock.pendingTimers).toBe(0);
  });

  it("jumps to the next timer with next() and reports when none is left", async () => {
    const clock = new FakeClock(0);
    clock.setTimer(5_000, () => {});
    expect(clock.nextTimerAt).toBe(5_000);
    expect(await clock.next()).toBe(true);
    expect(clock.now()).toBe(5_000);
    expect(await clock.next()).toBe(false);
    expect(clock.now()).toBe(5_000);
  });

  it("runs every timer, including chained ones, with runAll()", async () => {
    const clock = new FakeClock(0);
    clock.setTimer(10, () => clock.setTimer(10, () => {}));
    clock.setTimer(5, () => {});
    expect(await clock.runAll()).toBe(3);
    expect(clock.now()).toBe(20);
  });

  it("reports a timer that re-arms itself forever instead of hanging", async () => {
    const clock = new FakeClock();
    const rearm = (): void => void clock.setTimer(0, rearm);
    rearm();
    await expect(clock.runAll()).rejects.toThrow(/re-arming itself/);
  }, 30_000);

  it("fires a 0 ms timer on the next advance, even advance(0)", async () => {
    const clock = new FakeClock();
    let fired = false;
    clock.setTimer(0, () => (fired = true));
    await clock.advance(0);
    expect(fired).toBe(true);
  });

  it("rejects a negative advance", async () => {
    await expect(new FakeClock().advance(-1)).rejects.toThrow(RangeError);
  });

  it("surfaces an error thrown by a timer callback from advance", async () => {
    const clock = new FakeClock();
    clock.setTimer(10, () => {
      throw new Error("boom");
    });
    await expect(clock.advance(20)).rejects.toThrow("boom");
    expect(clock.now()).toBe(10);
  });
});
