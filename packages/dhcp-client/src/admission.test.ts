import { FakeClock } from "@incusx/testkit";
import { describe, expect, it } from "vitest";
import { AdmissionQueue, type AdmissionSlot } from "./admission.js";

const HOLD = 4_000;

describe("AdmissionQueue", () => {
  it("grants a lone caller its slot at once, without waiting for the clock", async () => {
    const clock = new FakeClock(0);
    const queue = new AdmissionQueue({ clock, limit: 2, holdMs: HOLD });
    let slot: AdmissionSlot | undefined;
    void queue.acquire(new AbortController().signal).then((s) => (slot = s));
    await Promise.resolve();
    expect(slot).toBeDefined();
    expect([queue.held, queue.waiting, clock.now()]).toEqual([1, 0, 0]);
  });

  it("grants slots first come, first served, one per release", async () => {
    const clock = new FakeClock(0);
    const queue = new AdmissionQueue({ clock, limit: 2, holdMs: HOLD });
    const granted: number[] = [];
    const slots = new Map<number, AdmissionSlot>();
    for (let i = 0; i < 5; i++) void queue.acquire(new AbortController().signal).then((s) => (granted.push(i), slots.set(i, s)));
    await clock.flush();
    expect([granted, queue.held, queue.waiting]).toEqual([[0, 1], 2, 3]);
    slots.get(1)!.release();
    await clock.flush();
    expect(granted).toEqual([0, 1, 2]);
    slots.get(0)!.release();
    slots.get(0)!.release(); // a second release frees nothing more
    await clock.flush();
    expect([granted, queue.held, queue.waiting]).toEqual([[0, 1, 2, 3], 2, 1]);
  });

  it("takes a slot back after the hold time when its holder never releases it, and then ignores the late release", async () => {
    const clock = new FakeClock(0);
    const queue = new AdmissionQueue({ clock, limit: 1, holdMs: HOLD });
    const first = await queue.acquire(new AbortController().signal);
    let second: AdmissionSlot | undefined;
    void queue.acquire(new AbortController().signal).then((s) => (second = s));
    await clock.advance(HOLD - 1);
    expect(second).toBeUndefined();
    await clock.advance(1);
    expect(second).toBeDefined();
    first.release();
    expect(queue.held).toBe(1);
    second!.release();
    expect([queue.held, clock.pendingTimers]).toEqual([0, 0]);
  });

  it("drops a caller aborted while waiting: it rejects with the reason and the next slot goes to the one after it", async () => {
    const clock = new FakeClock(0);
    const queue = new AdmissionQueue({ clock, limit: 1, holdMs: HOLD });
    const first = await queue.acquire(new AbortController().signal);
    const leaving = new AbortController();
    const left = queue.acquire(leaving.signal);
    let third: AdmissionSlot | undefined;
    void queue.acquire(new AbortController().signal).then((s) => (third = s));
    leaving.abort(new Error("stopped"));
    await expect(left).rejects.toThrow("stopped");
    expect(queue.waiting).toBe(1);
    first.release();
    await clock.flush();
    expect([third !== undefined, queue.held, queue.waiting]).toEqual([true, 1, 0]);
    await expect(queue.acquire(leaving.signal)).rejects.toThrow("stopped");
  });

  it("refuses a limit below 1 and a hold time that is not positive", () => {
    const clock = new FakeClock(0);
    expect(() => new AdmissionQueue({ clock, limit: 0, holdMs: HOLD })).toThrow(RangeError);
    expect(() => new AdmissionQueue({ clock, limit: 1.5, holdMs: HOLD })).toThrow(RangeError);
    expect(() => new AdmissionQueue({ clock, limit: 1, holdMs: 0 })).toThrow(RangeError);
  });
});
