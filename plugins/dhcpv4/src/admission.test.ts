import { AdmissionQueue } from "@incusx/dhcp-client";
import { runClient } from "@incusx/dhcp-client/testing";
import { Dhcpv4MessageType as T, dhcpv4OptionValue as opt } from "@incusx/dhcp-wire";
import type { LeaseEvent } from "@incusx/sdk";
import { FakeClock, MemoryLogSink } from "@incusx/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { Dhcpv4Client, REQUEST_TRANSMISSIONS } from "./client.js";
import { FakeTransport, MID_RANDOM, ack, nak, offer } from "./fake-server.test-support.js";

const HOLD = 4_000;

/** Clients on one fake clock sharing one admission queue, each on its own transport. */
class Fleet {
  readonly clock = new FakeClock(0);
  readonly queue: AdmissionQueue;
  readonly clients: { transport: FakeTransport; client: Dhcpv4Client; events: LeaseEvent[]; stop(): Promise<void>; running: Promise<void> }[] = [];
  #xid = 0x100;

  constructor(limit: number) {
    this.queue = new AdmissionQueue({ clock: this.clock, limit, holdMs: HOLD });
  }

  /** Starts `count` clients; with `savedLeases`, each asks for its own saved address again (a restart). */
  async start(count: number, savedLeases = false): Promise<void> {
    const logs = new MemoryLogSink();
    for (let i = 0; i < count; i++) {
      const transport = new FakeTransport(this.clock);
      const events: LeaseEvent[] = [];
      const mac = Uint8Array.of(0x02, 0x16, 0x3e, 0, 0, i);
      const client = new Dhcpv4Client({
        clock: this.clock,
        transport,
        mac,
        clientIdentifier: { form: "hardware", hardwareType: 1, address: mac },
        interface: `eth${i}`,
        random: MID_RANDOM,
        transactionId: () => this.#xid++,
        emit: (e) => events.push(e),
        logger: logs.logger("incusx.dhcpv4", this.clock),
        admission: this.queue,
        ...(savedLeases ? { savedLease: { address: `192.0.2.${10 + i}`, server: "192.0.2.1", expiresAt: 1_000_000 } } : {}),
      });
      this.clients.push({ transport, client, events, ...runClient(client) });
    }
    await this.clock.flush();
  }

  /** The message types each client sent, in order. */
  sent(): number[][] {
    return this.clients.map((c) => c.transport.sent.map((s) => opt(s.message, 53) as number));
  }

  states(): string[] {
    return this.clients.map((c) => c.client.state);
  }

  async offer(i: number): Promise<void> {
    this.clients[i]!.transport.deliver(offer(this.clients[i]!.transport.last()));
    await this.clock.flush();
  }

  async answerRequest(i: number, answer: typeof ack | typeof nak): Promise<void> {
    this.clients[i]!.transport.deliver(answer(this.clients[i]!.transport.last()));
    await this.clock.flush();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.stop()));
  }
}

describe("Dhcpv4Client with an admission queue", () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.stopAll();
    fleet = undefined;
  });
  const start = async (limit: number, count: number, savedLeases = false): Promise<Fleet> => {
    fleet = new Fleet(limit);
    await fleet.start(count, savedLeases);
    return fleet;
  };

  it("starts a lone client's DISCOVER at once", async () => {
    const f = await start(2, 1);
    expect([f.sent(), f.clock.now()]).toEqual([[[T.Discover]], 0]);
  });

  it("keeps the clients past the limit in INIT, and starts them in order as the ones before are bound", async () => {
    const f = await start(2, 4);
    expect(f.sent()).toEqual([[T.Discover], [T.Discover], [], []]);
    expect(f.states()).toEqual(["selecting", "selecting", "init", "init"]);
    await f.offer(1);
    // REQUESTING still holds the slot: the server has not recorded the lease yet.
    expect(f.sent()).toEqual([[T.Discover], [T.Discover, T.Request], [], []]);
    await f.answerRequest(1, ack);
    expect(f.states()).toEqual(["selecting", "bound", "selecting", "init"]);
    await f.offer(0);
    await f.answerRequest(0, ack);
    expect(f.states()).toEqual(["bound", "bound", "selecting", "selecting"]);
    expect(f.clients[0]!.events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it("frees the slot on a DHCPNAK, and the refused client queues again behind the ones waiting", async () => {
    const f = await start(1, 3);
    await f.offer(0);
    await f.answerRequest(0, nak);
    // Client 0 went back to INIT: client 1 was waiting first.
    expect(f.states()).toEqual(["init", "selecting", "init"]);
    await f.offer(1);
    await f.answerRequest(1, ack);
    expect(f.states()).toEqual(["init", "bound", "selecting"]);
    await f.offer(2);
    await f.answerRequest(2, ack);
    expect(f.states()).toEqual(["selecting", "bound", "bound"]);
  });

  it("frees the slot when REQUESTING gives up", async () => {
    const f = await start(1, 2);
    await f.offer(0);
    // 4 REQUESTs, unanswered: 4 + 8 + 16 + 32 s. Client 1 got the slot at the hold time (4 s) already.
    await f.clock.advance(HOLD);
    expect(f.states()).toEqual(["requesting", "selecting"]);
    await f.clock.advance(60_000 - HOLD);
    expect(f.clients[0]!.transport.ofType(T.Request)).toHaveLength(REQUEST_TRANSMISSIONS);
    expect(f.queue.held).toBe(1); // client 0 back in INIT asking again; client 1's hold time passed long ago
    expect(f.queue.waiting).toBe(0);
  });

  it("lets the next client start after the hold time when the server is silent, and never queues itself behind it for good", async () => {
    const f = await start(2, 5);
    expect(f.sent().map((s) => s.length)).toEqual([1, 1, 0, 0, 0]);
    await f.clock.advance(HOLD - 1);
    expect(f.sent().map((s) => s.length)).toEqual([1, 1, 0, 0, 0]);
    await f.clock.advance(1);
    expect(f.sent().map((s) => s.length)).toEqual([2, 2, 1, 1, 0]);
    await f.clock.advance(HOLD);
    // Clients 2 and 3 retransmit on their own schedule (4 s after their first DISCOVER); client 4 starts.
    expect(f.sent().map((s) => s.length)).toEqual([2, 2, 2, 2, 1]);
  });

  it("frees the slot of a client stopped in SELECTING, and a client stopped while queued leaves the queue", async () => {
    const f = await start(1, 3);
    await f.clients[1]!.stop();
    expect(f.queue.waiting).toBe(1);
    await f.clients[0]!.stop();
    expect(f.sent()).toEqual([[T.Discover], [], [T.Discover]]);
    expect([f.queue.held, f.queue.waiting]).toEqual([1, 0]);
    await f.clients[2]!.stop();
    expect([f.queue.held, f.queue.waiting, f.clock.pendingTimers]).toEqual([0, 0, 0]);
  });

  it("renews at T1 at once even when every slot is held and clients wait", async () => {
    const f = await start(1, 1);
    await f.offer(0);
    await f.answerRequest(0, ack);
    // Someone else takes the only slot and another waits behind it.
    const held = await f.queue.acquire(new AbortController().signal);
    void f.queue.acquire(new AbortController().signal);
    await f.clock.advance(1_800_000); // T1 of the one-hour lease
    expect(f.clients[0]!.client.state).toBe("renewing");
    expect(f.clients[0]!.transport.last().ciaddr).not.toBe("0.0.0.0");
    expect(opt(f.clients[0]!.transport.last(), 53)).toBe(T.Request);
    held.release();
  });

  it("asks for saved leases again (INIT-REBOOT) a limit at a time after a restart, so the server's queue does not overflow", async () => {
    const f = await start(2, 4, true);
    expect(f.sent()).toEqual([[T.Request], [T.Request], [], []]);
    expect(f.states()).toEqual(["rebooting", "rebooting", "rebooting", "rebooting"]);
    await f.answerRequest(1, ack);
    expect(f.sent()).toEqual([[T.Request], [T.Request], [T.Request], []]);
    await f.answerRequest(0, nak);
    // Refused: client 0 discovers, and queues behind client 3, which was waiting first.
    expect(f.sent()).toEqual([[T.Request], [T.Request], [T.Request], [T.Request]]);
    expect(f.states()).toEqual(["init", "bound", "rebooting", "rebooting"]);
    await f.answerRequest(2, ack);
    expect(f.sent()[0]).toEqual([T.Request, T.Discover]);
  });

  it("passes the slot on when no server answers a restart's INIT-REBOOT within the hold time", async () => {
    const f = await start(1, 2, true);
    await f.clock.advance(HOLD - 1);
    expect(f.sent()).toEqual([[T.Request], []]);
    await f.clock.advance(1);
    expect(f.sent()[1]).toEqual([T.Request]);
  });
});
