import { afterEach, describe, expect, it, vi } from "vitest";
import { SystemClock } from "./system-clock.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("SystemClock", () => {
  it("waits out delays longer than Node's 24.8-day timer limit instead of firing at once", () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    new SystemClock().setTimer(30 * 24 * 3600 * 1000, fired);
    vi.advanceTimersByTime(25 * 24 * 3600 * 1000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(5 * 24 * 3600 * 1000);
    expect(fired).toHaveBeenCalledOnce();
  });

  it("cancels a timer, also one split into several waits", () => {
    vi.useFakeTimers();
    const fired = vi.fn();
    const timer = new SystemClock().setTimer(30 * 24 * 3600 * 1000, fired);
    vi.advanceTimersByTime(25 * 24 * 3600 * 1000);
    timer.cancel();
    vi.advanceTimersByTime(10 * 24 * 3600 * 1000);
    expect(fired).not.toHaveBeenCalled();
  });

  it("rejects a sleep with the signal's reason when aborted", async () => {
    const controller = new AbortController();
    const sleeping = new SystemClock().sleep(60_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(sleeping).rejects.toThrow("stop");
  });
});
