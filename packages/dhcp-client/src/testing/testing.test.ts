import type { DhcpRunOptions, DhcpRunner } from "@incusx/sdk";
import { FakeClock } from "@incusx/testkit";
import { describe, expect, it } from "vitest";
import { FakeSocketLink, RecordingTransport, RunnerRuns, ScriptedSocket, runClient, stoppedAfterEach, type MessageCodec } from "./index.js";

// A toy wire format: one byte, the message type.
const codec: MessageCodec<{ type: number }> = {
  decode: (bytes) => ({ type: bytes[0]! }),
  encode: (m) => Uint8Array.of(m.type),
  typeOf: (m) => m.type,
};

describe("RecordingTransport", () => {
  it("records sends decoded with destination and time, and delivers to the current listener only", async () => {
    const clock = new FakeClock(5);
    const t = new RecordingTransport<{ type: number }, "all" | { unicast: string }>(clock, codec);
    await t.send(Uint8Array.of(1), "all");
    await clock.advance(10);
    await t.send(Uint8Array.of(3), { unicast: "192.0.2.1" });
    expect(t.sent).toEqual([
      { message: { type: 1 }, to: "all", at: 5 },
      { message: { type: 3 }, to: { unicast: "192.0.2.1" }, at: 15 },
    ]);
    expect(t.ofType(3).map((s) => s.at)).toEqual([15]);
    expect(t.last()).toEqual({ type: 3 });

    const heard: number[][] = [];
    const sub = t.onMessage((b) => heard.push([...b]));
    expect(t.listening).toBe(true);
    t.deliver({ type: 2 });
    t.deliverBytes(Uint8Array.of(9, 9));
    sub.close();
    t.deliver({ type: 4 });
    expect(heard).toEqual([[2], [9, 9]]);
    expect(t.listening).toBe(false);
  });

  it("fails sends when told to, says when nothing was sent, and records close", async () => {
    const t = new RecordingTransport<{ type: number }, "all">(new FakeClock(0), codec);
    expect(() => t.last()).toThrow("Nothing sent");
    t.failSends = true;
    await expect(t.send(Uint8Array.of(1), "all")).rejects.toThrow("ENETUNREACH");
    await t.close();
    expect(t.closed).toBe(true);
  });
});

describe("ScriptedSocket", () => {
  it("answers what the script answers, on a microtask, from the server's address", async () => {
    const socket = new ScriptedSocket(codec, (m) => (m.type === 1 ? { type: 2 } : undefined), { address: "192.0.2.1", port: 67 });
    const heard: [number[], { address: string; port: number }][] = [];
    socket.onMessage((b, from) => heard.push([[...b], from]));
    const sending = socket.send(Uint8Array.of(1), "255.255.255.255", 67);
    expect(heard).toEqual([]);
    await sending;
    await socket.send(Uint8Array.of(7), "192.0.2.1", 67);
    expect(heard).toEqual([[[2], { address: "192.0.2.1", port: 67 }]]);
    expect(socket.sent).toEqual([
      { message: { type: 1 }, address: "255.255.255.255", port: 67 },
      { message: { type: 7 }, address: "192.0.2.1", port: 67 },
    ]);
  });

  it("answers nothing without a script", async () => {
    const socket = new ScriptedSocket(codec, undefined, { address: "fe80::1", port: 547 });
    const heard: unknown[] = [];
    socket.onMessage((b) => heard.push(b));
    await socket.send(Uint8Array.of(1), "ff02::1:2", 547);
    await Promise.resolve();
    expect(heard).toEqual([]);
    await socket.close();
    expect(socket.closed).toBe(true);
  });
});

describe("FakeSocketLink", () => {
  class Link extends FakeSocketLink<{ port: number }, { n: number }> {
    open(options: { port: number }) {
      return this.openSocket(options);
    }
  }

  it("reports its MAC, records the sockets opened and fails opening when told to", async () => {
    let n = 0;
    const link = new Link("02:16:3e:aa:bb:cc", () => ({ n: ++n }));
    expect(await link.readLinkInfo()).toEqual({ mac: "02:16:3e:aa:bb:cc" });
    expect(await link.open({ port: 68 })).toEqual({ n: 1 });
    link.openError = new Error("EADDRINUSE");
    await expect(link.open({ port: 68 })).rejects.toThrow("EADDRINUSE");
    expect(link.opened).toEqual([{ port: 68 }]);
    expect(link.sockets).toEqual([{ n: 1 }]);
  });
});

/** A runner that emits one event and then waits for its signal. */
const waitingRunner: DhcpRunner = {
  family: "ipv4",
  run: (options: DhcpRunOptions) =>
    new Promise((resolve) => {
      options.emit({ kind: "bound", family: "ipv4", interface: options.interface, at: 0 });
      options.signal.addEventListener("abort", () => resolve(), { once: true });
    }),
};

describe("runs", () => {
  it("RunnerRuns collects events and stops every run still going", async () => {
    const runs = new RunnerRuns();
    const a = runs.start(waitingRunner, { interface: "eth0" });
    const b = runs.start(waitingRunner, { interface: "eth1" });
    expect(a.events.map((e) => e.interface)).toEqual(["eth0"]);
    await a.stop();
    await runs.stopAll();
    await expect(b.done).resolves.toBeUndefined();
  });

  it("runClient starts a client and stop aborts it", async () => {
    let signal: AbortSignal | undefined;
    const run = runClient({ run: (s) => new Promise((resolve) => (signal = s).addEventListener("abort", () => resolve())) });
    expect(signal?.aborted).toBe(false);
    await run.stop();
    expect(run.controller.signal.aborted).toBe(true);
  });

  it("stoppedAfterEach stops everything started in a test when the hook runs", async () => {
    let hook: (() => Promise<void>) | undefined;
    const stopped: number[] = [];
    const { start, latest } = stoppedAfterEach(
      (h) => void (hook = h),
      async (n: number) => ({ n, stop: async () => void stopped.push(n) }),
    );
    expect(() => latest()).toThrow("Nothing started");
    await start(1);
    expect((await start(2)).n).toBe(2);
    expect(latest().n).toBe(2);
    await hook!();
    expect(stopped).toEqual([1, 2]);
    expect(() => latest()).toThrow("Nothing started");
  });
});
