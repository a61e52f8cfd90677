import { FakeClock } from "@incusx/testkit";
import { describe, expect, it } from "vitest";
import { Inbox, INBOX_MAX_MESSAGES, MAX_TIMER_MS, receiveUntilAborted, type InboxEvent } from "./inbox.js";

const bytes = (...b: number[]) => Uint8Array.from(b);

describe("Inbox", () => {
  it("hands queued packets over in order, then waits for the next one", async () => {
    const clock = new FakeClock(0);
    const inbox = new Inbox(clock);
    const signal = new AbortController().signal;
    inbox.push(bytes(1));
    inbox.push(bytes(2));
    expect(await inbox.next(1000, signal)).toEqual({ kind: "message", bytes: bytes(1) });
    expect(await inbox.next(1000, signal)).toEqual({ kind: "message", bytes: bytes(2) });
    const waiting = inbox.next(1000, signal);
    inbox.push(bytes(3));
    expect(await waiting).toEqual({ kind: "message", bytes: bytes(3) });
    expect(clock.pendingTimers).toBe(0);
  });

  it("holds at most INBOX_MAX_MESSAGES packets while the client is busy, dropping the newest as a full socket buffer does", async () => {
    const clock = new FakeClock(0);
    const inbox = new Inbox(clock);
    const signal = new AbortController().signal;
    for (let i = 0; i < 100_000; i++) inbox.push(bytes(i & 0xff, i >> 8));
    inbox.wake();
    expect(inbox.dropped).toBe(100_000 - INBOX_MAX_MESSAGES);
    const events: InboxEvent[] = [];
    for (let i = 0; i <= INBOX_MAX_MESSAGES; i++) events.push(await inbox.next(0, signal));
    expect(events.slice(0, 2)).toEqual([
      { kind: "message", bytes: bytes(0, 0) },
      { kind: "message", bytes: bytes(1, 0) },
    ]);
    // A wake is never dropped: the state machine must look again.
    expect(events.at(-1)).toEqual({ kind: "wake" });
    const last = inbox.next(0, signal);
    await clock.advance(0);
    expect(await last).toEqual({ kind: "timeout" });
  });

  it("times out on the injected clock, and never without a finite wait", async () => {
    const clock = new FakeClock(0);
    const inbox = new Inbox(clock);
    const signal = new AbortController().signal;
    let event: InboxEvent | undefined;
    void inbox.next(4000, signal).then((e) => (event = e));
    await clock.advance(3999);
    expect(event).toBeUndefined();
    await clock.advance(1);
    expect(event).toEqual({ kind: "timeout" });
    void inbox.next(Infinity, signal);
    expect(clock.pendingTimers).toBe(0);
  });

  it("cuts a wait longer than Node's longest timer at MAX_TIMER_MS", async () => {
    const clock = new FakeClock(0);
    const inbox = new Inbox(clock);
    let event: InboxEvent | undefined;
    void inbox.next(MAX_TIMER_MS * 3, new AbortController().signal).then((e) => (event = e));
    expect(clock.nextTimerAt).toBe(MAX_TIMER_MS);
    await clock.advance(MAX_TIMER_MS);
    expect(event).toEqual({ kind: "timeout" });
  });

  it("holds one wake however often it is woken before the client looks: one look covers them all", async () => {
    const clock = new FakeClock(0);
    const inbox = new Inbox(clock);
    const signal = new AbortController().signal;
    // A container's root can make address events (and so DAD wakes) at any rate.
    for (let i = 0; i < 100_000; i++) inbox.wake();
    inbox.push(bytes(1));
    inbox.wake();
    expect(await inbox.next(0, signal)).toEqual({ kind: "wake" });
    expect(await inbox.next(0, signal)).toEqual({ kind: "message", bytes: bytes(1) });
    const last = inbox.next(0, signal);
    await clock.advance(0);
    expect(await last).toEqual({ kind: "timeout" });
    // Woken again after the client looked: a new wake.
    inbox.wake();
    expect(await inbox.next(0, signal)).toEqual({ kind: "wake" });
  });

  it("ends a wait with a wake event, and drops only packets when asked", async () => {
    const inbox = new Inbox(new FakeClock(0));
    const signal = new AbortController().signal;
    const waiting = inbox.next(1000, signal);
    inbox.wake();
    expect(await waiting).toEqual({ kind: "wake" });
    inbox.push(bytes(1));
    inbox.wake();
    inbox.dropMessages();
    expect(await inbox.next(1000, signal)).toEqual({ kind: "wake" });
  });

  it("rejects with the signal's reason when aborted, before or during the wait, and cancels its timer", async () => {
    const clock = new FakeClock(0);
    const inbox = new Inbox(clock);
    const controller = new AbortController();
    const waiting = inbox.next(1000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    expect(clock.pendingTimers).toBe(0);
    await expect(inbox.next(1000, controller.signal)).rejects.toThrow("stop");
  });
});

describe("receiveUntilAborted", () => {
  function source() {
    let listener: ((bytes: Uint8Array) => void) | undefined;
    return {
      onMessage: (l: (bytes: Uint8Array) => void) => {
        listener = l;
        return { close: () => void (listener = undefined) };
      },
      deliver: (b: Uint8Array) => listener?.(b),
      get listening() {
        return listener !== undefined;
      },
    };
  }

  it("queues received messages for the loop and stops listening once aborted", async () => {
    const clock = new FakeClock(0);
    const inbox = new Inbox(clock);
    const src = source();
    const controller = new AbortController();
    const seen: InboxEvent[] = [];
    const done = receiveUntilAborted(src, inbox, controller.signal, async () => {
      for (;;) seen.push(await inbox.next(Infinity, controller.signal));
    });
    expect(src.listening).toBe(true);
    src.deliver(bytes(7));
    await clock.flush();
    expect(seen).toEqual([{ kind: "message", bytes: bytes(7) }]);
    controller.abort(new Error("stop"));
    await expect(done).resolves.toBeUndefined();
    expect(src.listening).toBe(false);
  });

  it("passes on an error that is not the abort, after closing the subscription", async () => {
    const src = source();
    const done = receiveUntilAborted(src, new Inbox(new FakeClock(0)), new AbortController().signal, async () => {
      throw new Error("bug");
    });
    await expect(done).rejects.toThrow("bug");
    expect(src.listening).toBe(false);
  });
});
