import { describe, expect, it } from "vitest";
import type { LeaseEvent } from "@incusx/sdk";
import { LeaseEventBus } from "./lease-event-bus.js";

const event: LeaseEvent = { kind: "bound", family: "ipv6", interface: "eth0", at: 0 };

describe("LeaseEventBus", () => {
  it("delivers every event to every subscriber even when one throws", () => {
    const bus = new LeaseEventBus();
    const got: string[] = [];
    bus.subscribe(() => {
      throw new Error("broken subscriber");
    });
    bus.subscribe((e) => got.push(e.kind));
    bus.publish(event);
    expect(got).toEqual(["bound"]);
  });

  it("stops delivering after dispose", () => {
    const bus = new LeaseEventBus();
    const got: LeaseEvent[] = [];
    const sub = bus.subscribe((e) => got.push(e));
    sub.dispose();
    sub.dispose();
    bus.publish(event);
    expect(got).toEqual([]);
  });
});
