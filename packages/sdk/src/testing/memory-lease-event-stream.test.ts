import type { LeaseEvent } from "../lease.js";
import { describe, expect, it } from "vitest";
import { MemoryLeaseEventStream } from "./memory-lease-event-stream.js";

const bound: LeaseEvent = { kind: "bound", family: "ipv4", interface: "eth0", at: 0 };
const renewed: LeaseEvent = { kind: "renewed", family: "ipv4", interface: "eth0", at: 1000 };

describe("MemoryLeaseEventStream", () => {
  it("records published events and delivers them to subscribers", () => {
    const stream = new MemoryLeaseEventStream();
    const seen: LeaseEvent[] = [];
    const sub = stream.subscribe((e) => seen.push(e));
    stream.publish(bound);
    sub.dispose();
    sub.dispose();
    stream.publish(renewed);
    expect(seen).toEqual([bound]);
    expect(stream.events).toEqual([bound, renewed]);
    expect(stream.subscriberCount).toBe(0);
  });

  it("keeps delivering when one subscriber throws", () => {
    const stream = new MemoryLeaseEventStream();
    const seen: string[] = [];
    stream.subscribe(() => {
      throw new Error("broken subscriber");
    });
    stream.subscribe((e) => seen.push(e.kind));
    stream.publish(bound);
    expect(seen).toEqual(["bound"]);
    expect(stream.subscriberErrors).toEqual([new Error("broken subscriber")]);
  });

  it("waits for a future event matching the predicate", async () => {
    const stream = new MemoryLeaseEventStream();
    const waiting = stream.waitFor((e) => e.kind === "renewed");
    stream.publish(bound);
    stream.publish(renewed);
    await expect(waiting).resolves.toBe(renewed);
    expect(stream.subscriberCount).toBe(0);
  });

  it("finds an event published before the wait began, unless told not to", async () => {
    const stream = new MemoryLeaseEventStream();
    stream.publish(bound);
    await expect(stream.waitFor((e) => e.kind === "bound")).resolves.toBe(bound);
    await expect(stream.waitFor((e) => e.kind === "bound", { includePast: false, timeoutMs: 20 })).rejects.toThrow(
      /No matching lease event within 20 ms; events so far: bound ipv4 eth0/,
    );
  });

  it("stops waiting when the signal aborts", async () => {
    const stream = new MemoryLeaseEventStream();
    const controller = new AbortController();
    const waiting = stream.waitFor(() => true, { signal: controller.signal });
    controller.abort(new Error("test over"));
    await expect(waiting).rejects.toThrow("test over");
    expect(stream.subscriberCount).toBe(0);
  });

  it("forgets recorded events on clear", () => {
    const stream = new MemoryLeaseEventStream();
    stream.publish(bound);
    stream.clear();
    expect(stream.events).toEqual([]);
  });
});
