import { AdmissionQueue } from "@incusx/dhcp-client";
import { runClient } from "@incusx/dhcp-client/testing";
import { Dhcpv6MessageType as M } from "@incusx/dhcp-wire";
import type { LeaseEvent } from "@incusx/sdk";
import { FakeClock, MemoryLogSink } from "@incusx/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { Dhcpv6Client, RESTART_RENEW_WAIT_MS } from "./client.js";
import { FakeTransport, MID_RANDOM, SERVER_A, advertise, reply } from "./fake-server.test-support.js";
import { duidHex, type Binding } from "./lease.js";

const HOLD = 4_000;

/** Client i's binding as an earlier run saved it, 1000 s before the clock's 0 (T1 1800 s). */
const savedBinding = (i: number): Binding => ({
  serverId: SERVER_A,
  server: duidHex(SERVER_A),
  obtainedAt: -1_000_000,
  addresses: [{ address: `2001:db8:1::${(0x100 + i).toString(16)}`, preferredLifetime: 3600, validLifetime: 7200 }],
  t1: 1800,
  t2: 2880,
  dns: { servers: [], search: [] },
});

/** Clients on one fake clock sharing one admission queue, each on its own transport. */
class Fleet {
  readonly clock = new FakeClock(0);
  readonly queue: AdmissionQueue;
  readonly clients: { transport: FakeTransport; client: Dhcpv6Client; events: LeaseEvent[]; stop(): Promise<void> }[] = [];
  #xid = 0x100;

  constructor(limit: number) {
    this.queue = new AdmissionQueue({ clock: this.clock, limit, holdMs: HOLD });
  }

  /** Starts `count` clients; with `saved`, each renews its own binding an earlier run saved (a restart). */
  async start(count: number, rapidCommit: boolean, saved = false): Promise<void> {
    const logs = new MemoryLogSink();
    for (let i = 0; i < count; i++) {
      const transport = new FakeTransport(this.clock);
      const events: LeaseEvent[] = [];
      const client = new Dhcpv6Client({
        clock: this.clock,
        transport,
        duid: { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0x16, 0x3e, 0, 0, i) },
        iaid: i + 1,
        interface: `eth${i}`,
        config: { addressPrefixLength: 128, rapidCommit },
        random: MID_RANDOM,
        transactionId: () => this.#xid++,
        emit: (e) => events.push(e),
        logger: logs.logger("incusx.dhcpv6", this.clock),
        admission: this.queue,
        ...(saved ? { savedBinding: savedBinding(i) } : {}),
      });
      this.clients.push({ transport, client, events, ...runClient(client) });
    }
    await this.clock.flush();
  }

  /** How many messages each client sent. */
  sentCounts(): number[] {
    return this.clients.map((c) => c.transport.sent.length);
  }

  states(): string[] {
    return this.clients.map((c) => c.client.state);
  }

  /** Answers client i's last message: a Rapid Commit Reply, an Advertise (preference 255, taken at once) or a Reply to its Request. */
  async answer(i: number, kind: "rapid-reply" | "advertise" | "reply"): Promise<void> {
    const { transport } = this.clients[i]!;
    const last = transport.last();
    const iaid = i + 1;
    if (kind === "rapid-reply") transport.deliver(reply(last, { iaid, rapidCommit: true }));
    else if (kind === "advertise") transport.deliver(advertise(last, { iaid, preference: 255 }));
    else transport.deliver(reply(last, { iaid }));
    await this.clock.flush();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.stop()));
  }
}

describe("Dhcpv6Client with an admission queue", () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.stopAll();
    fleet = undefined;
  });
  const start = async (limit: number, count: number, rapidCommit = true, saved = false): Promise<Fleet> => {
    fleet = new Fleet(limit);
    await fleet.start(count, rapidCommit, saved);
    return fleet;
  };

  it("sends a lone client's Solicit at once", async () => {
    const f = await start(2, 1);
    expect([f.sentCounts(), f.clients[0]!.transport.last().messageType, f.clock.now()]).toEqual([[1], M.SOLICIT, 0]);
  });

  it("keeps the clients past the limit from soliciting, and starts the next as a Rapid Commit Reply binds one", async () => {
    const f = await start(2, 3);
    expect(f.sentCounts()).toEqual([1, 1, 0]);
    await f.answer(1, "rapid-reply");
    expect(f.states()).toEqual(["soliciting", "bound", "soliciting"]);
    expect(f.clients[2]!.transport.last().messageType).toBe(M.SOLICIT);
    expect(f.clients[1]!.events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it("holds the slot from Solicit through Request, and frees it on the Reply", async () => {
    const f = await start(1, 2, false);
    await f.answer(0, "advertise");
    expect([f.states(), f.sentCounts()]).toEqual([["requesting", "soliciting"], [2, 0]]);
    await f.answer(0, "reply");
    expect(f.states()).toEqual(["bound", "soliciting"]);
    expect(f.sentCounts()).toEqual([2, 1]);
  });

  it("lets the next client solicit after the hold time when no server answers", async () => {
    const f = await start(1, 3);
    await f.clock.advance(HOLD - 1);
    expect(f.sentCounts()[1]).toBe(0);
    await f.clock.advance(1);
    expect(f.sentCounts()[1]).toBe(1);
    expect(f.sentCounts()[2]).toBe(0);
  });

  it("frees the slot of a client stopped while soliciting, and drops a client stopped while waiting", async () => {
    const f = await start(1, 3);
    await f.clients[1]!.stop();
    expect(f.queue.waiting).toBe(1);
    await f.clients[0]!.stop();
    expect(f.sentCounts()).toEqual([1, 0, 1]);
    await f.clients[2]!.stop();
    expect([f.queue.held, f.queue.waiting, f.clock.pendingTimers]).toEqual([0, 0, 0]);
  });

  it("renews at T1 without waiting, even with every slot held and clients waiting", async () => {
    const f = await start(1, 1);
    await f.answer(0, "rapid-reply");
    const held = await f.queue.acquire(new AbortController().signal);
    void f.queue.acquire(new AbortController().signal);
    const before = f.clients[0]!.transport.sent.length;
    await f.clock.advance(1_800_000); // T1 of the one-hour lease the fake server grants
    expect(f.clients[0]!.transport.sent.slice(before).map((s) => s.message.messageType)).toContain(M.RENEW);
    held.release();
  });

  it("renews saved bindings a limit at a time after a restart, so the server's queue does not overflow", async () => {
    const f = await start(2, 4, true, true);
    expect(f.sentCounts()).toEqual([1, 1, 0, 0]);
    expect(f.clients[0]!.transport.last().messageType).toBe(M.RENEW);
    await f.answer(1, "reply");
    expect(f.sentCounts()).toEqual([1, 1, 1, 0]);
    expect(f.clients[2]!.transport.last().messageType).toBe(M.RENEW);
    expect(f.clients[1]!.events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it("keeps a restart's slot from the unanswered Renew through its Confirm, and frees it on the Confirm's Reply", async () => {
    const f = await start(1, 2, true, true);
    await f.clock.advance(RESTART_RENEW_WAIT_MS);
    expect(f.clients[0]!.transport.last().messageType).toBe(M.CONFIRM);
    expect(f.sentCounts()[1]).toBe(0);
    await f.answer(0, "reply");
    expect(f.states()[0]).toBe("bound");
    expect(f.clients[1]!.transport.last().messageType).toBe(M.RENEW);
  });
});
