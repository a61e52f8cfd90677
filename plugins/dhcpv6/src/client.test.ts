import {
  Dhcpv6MessageType as T,
  Dhcpv6OptionCode as O,
  Dhcpv6StatusCode as S,
  encodeDuid,
  findDhcpv6Option,
  type Dhcpv6ClientServerMessage,
  type Duid,
} from "@incusx/dhcp-wire";
import { FakeClock, MemoryLogSink } from "@incusx/testkit";
import { stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { Dhcpv6Client } from "./client.js";
import { MAX_KEPT_OFFERS } from "./select.js";
import { dhcpv6ManyNames } from "@incusx/dhcp-wire/testing";
import { MAX_TIMER_MS } from "@incusx/dhcp-client";
import {
  CLIENT_DUID,
  DEFAULT_ADDRESS,
  FakeTransport,
  IAID,
  OTHER_CLIENT,
  SERVER_A,
  SERVER_B,
  advertise,
  bindClient,
  reply,
  startClient,
  type Harness,
} from "./fake-server.test-support.js";

const hex = (d: Parameters<typeof encodeDuid>[0]) => Buffer.from(encodeDuid(d)).toString("hex");
const times = (h: Harness, type: number) => h.transport.ofType(type).map((s) => s.at);
const ia = (m: Dhcpv6ClientServerMessage) => findDhcpv6Option(m, O.IA_NA);
const elapsed = (m: Dhcpv6ClientServerMessage) => findDhcpv6Option(m, O.ELAPSED_TIME)?.elapsedTime;

// Default binding in these tests: Reply at 1.05 s, T1 1800 s, T2 2880 s, preferred 3600 s, valid 7200 s.
const BOUND_AT = 1050;
const RENEW_AT = BOUND_AT + 1_800_000;
const REBIND_AT = BOUND_AT + 2_880_000;
const EXPIRE_AT = BOUND_AT + 7_200_000;

const { start, latest } = stoppedAfterEach(afterEach, startClient);

describe("Solicit", () => {
  it("starts by multicasting a Solicit with Client ID, IA_NA, Elapsed Time 0 and the ORO", async () => {
    const { transport } = await start();
    expect(transport.sent).toHaveLength(1);
    const { message, to } = transport.sent[0]!;
    expect(to).toBe("all-servers");
    expect(message.messageType).toBe(T.SOLICIT);
    expect(hex(findDhcpv6Option(message, O.CLIENTID)!.duid)).toBe(hex(CLIENT_DUID));
    expect(ia(message)).toMatchObject({ iaid: IAID, t1: 0, t2: 0, options: [] });
    expect(elapsed(message)).toBe(0);
    expect(findDhcpv6Option(message, O.ORO)?.codes).toEqual([23, 24, 82, 83]);
    expect(findDhcpv6Option(message, O.SERVERID)).toBeUndefined();
    expect(findDhcpv6Option(message, O.RAPID_COMMIT)).toBeUndefined();
    expect(findDhcpv6Option(message, O.CLIENT_FQDN)).toBeUndefined();
  });

  it("asks for Rapid Commit when configured and sends the host name as FQDN with the S flag", async () => {
    const { transport } = await start({ config: { addressPrefixLength: 128, rapidCommit: true }, hostname: "c1" });
    const solicit = transport.last();
    expect(findDhcpv6Option(solicit, O.RAPID_COMMIT)).toEqual({ code: 14 });
    expect(findDhcpv6Option(solicit, O.CLIENT_FQDN)).toEqual({ code: 39, flags: 1, name: "c1" });
  });

  it("sends a fully qualified name when given one, and no FQDN for an invalid host name", async () => {
    const a = await start({ fqdn: "c1.example.org" });
    expect(findDhcpv6Option(a.transport.last(), O.CLIENT_FQDN)?.name).toBe("c1.example.org.");
    await a.stop();
    const b = await start({ hostname: "bad name!" });
    expect(findDhcpv6Option(b.transport.last(), O.CLIENT_FQDN)).toBeUndefined();
    expect(b.logs.messages({ level: "warn" })).toEqual([expect.stringContaining('"bad name!"')]);
  });

  it("retransmits at 1.05, 3.15, 7.35 s ... with the same transaction id and growing Elapsed Time", async () => {
    const { clock, transport } = await start();
    await clock.advance(15_750);
    expect(times(latest(), T.SOLICIT)).toEqual([0, 1050, 3150, 7350, 15750]);
    expect(transport.sent.map((s) => elapsed(s.message))).toEqual([0, 105, 315, 735, 1575]);
    expect(new Set(transport.sent.map((s) => s.message.transactionId)).size).toBe(1);
  });

  it("caps Elapsed Time at 0xffff and the interval at SOL_MAX_RT (3600 s)", async () => {
    const { clock, transport } = await start();
    await clock.advance(20_000_000);
    const sent = times(latest(), T.SOLICIT);
    expect(sent.slice(0, 12)).toEqual([0, 1050, 3150, 7350, 15750, 32550, 66150, 133350, 267750, 536550, 1074150, 2149350]);
    expect(sent[12]! - sent[11]!).toBe(2_150_400);
    expect(sent[13]! - sent[12]!).toBe(3_600_000);
    expect(elapsed(transport.sent[7]!.message)).toBe(13335);
    expect(elapsed(transport.sent[10]!.message)).toBe(0xffff);
  });

  it("keeps retransmitting when sending fails (link not ready)", async () => {
    const { clock, transport, logs } = await start();
    transport.failSends = true;
    await clock.advance(3150);
    transport.failSends = false;
    await clock.advance(4200);
    expect(times(latest(), T.SOLICIT)).toEqual([0, 7350]);
    expect(logs.messages({ level: "warn" })).toHaveLength(2);
  });
});

describe("Advertise selection", () => {
  it("collects Advertises for the first RT and Requests from the highest preference", async () => {
    const { clock, transport } = await start();
    const solicit = transport.last();
    transport.deliver(advertise(solicit, { server: SERVER_A, preference: 10 }));
    transport.deliver(advertise(solicit, { server: SERVER_B, preference: 200, addresses: [{ address: "2001:db8:1::b", preferred: 100, valid: 200 }] }));
    await clock.advance(1049);
    expect(transport.ofType(T.REQUEST)).toHaveLength(0);
    await clock.advance(1);
    const request = transport.last();
    expect(request.messageType).toBe(T.REQUEST);
    expect(transport.sent.at(-1)!.to).toBe("all-servers");
    expect(hex(findDhcpv6Option(request, O.SERVERID)!.duid)).toBe(hex(SERVER_B));
    expect(findDhcpv6Option(ia(request)!, O.IAADDR)?.address).toBe("2001:db8:1::b");
    expect(request.transactionId).not.toBe(solicit.transactionId);
    expect(elapsed(request)).toBe(0);
  });

  it("takes the first of equally preferred servers", async () => {
    const { clock, transport } = await start();
    const solicit = transport.last();
    transport.deliver(advertise(solicit, { server: SERVER_B }));
    transport.deliver(advertise(solicit, { server: SERVER_A }));
    await clock.advance(1050);
    expect(hex(findDhcpv6Option(transport.last(), O.SERVERID)!.duid)).toBe(hex(SERVER_B));
  });

  it("Requests at once from a server with preference 255", async () => {
    const { clock, transport } = await start();
    transport.deliver(advertise(transport.last(), { server: SERVER_B, preference: 255 }));
    await clock.flush();
    expect(transport.sent.map((s) => [s.message.messageType, s.at])).toEqual([
      [T.SOLICIT, 0],
      [T.REQUEST, 0],
    ]);
  });

  it("takes the first Advertise after the first RT without waiting", async () => {
    const { clock, transport } = await start();
    await clock.advance(2000);
    transport.deliver(advertise(transport.last(), { preference: 0 }));
    await clock.flush();
    expect(transport.last().messageType).toBe(T.REQUEST);
    expect(transport.sent.at(-1)!.at).toBe(2000);
  });

  it("ignores Advertises without addresses for us (NoAddrsAvail, other IAID, T1 > T2)", async () => {
    const { clock, transport } = await start();
    const solicit = transport.last();
    transport.deliver(advertise(solicit, { server: SERVER_A, preference: 255, noIa: true, status: S.NoAddrsAvail }));
    transport.deliver(advertise(solicit, { server: SERVER_A, preference: 255, iaStatus: S.NoAddrsAvail, addresses: [] }));
    transport.deliver(advertise(solicit, { server: SERVER_A, preference: 255, iaid: 7 }));
    transport.deliver(advertise(solicit, { server: SERVER_A, preference: 255, t1: 3000, t2: 2000 }));
    transport.deliver(advertise(solicit, { server: SERVER_A, preference: 255, addresses: [{ address: "2001:db8::1", preferred: 10, valid: 5 }] }));
    await clock.flush();
    expect(transport.ofType(T.REQUEST)).toHaveLength(0);
    transport.deliver(advertise(solicit, { server: SERVER_B, preference: 1 }));
    await clock.advance(1050);
    expect(hex(findDhcpv6Option(transport.last(), O.SERVERID)!.duid)).toBe(hex(SERVER_B));
  });

  it("ignores answers with a wrong transaction id, a wrong or missing client id, or no server id", async () => {
    const { clock, transport } = await start();
    const solicit = transport.last();
    transport.deliver(advertise(solicit, { preference: 255, transactionId: solicit.transactionId ^ 1 }));
    transport.deliver(advertise(solicit, { preference: 255, clientId: OTHER_CLIENT }));
    transport.deliver(advertise(solicit, { preference: 255, clientId: null }));
    transport.deliver(advertise(solicit, { preference: 255, noServerId: true }));
    transport.deliverBytes(Uint8Array.of(2, 0, 0));
    transport.deliverBytes(Uint8Array.of(2, 0, 0, 1, 0, 1, 0, 9));
    await clock.advance(1050);
    expect(transport.ofType(T.REQUEST)).toHaveLength(0);
    expect(transport.ofType(T.SOLICIT)).toHaveLength(2);
  });
});

describe("Hostile answers", () => {
  it("does not decode a packet of another type or transaction: both are read from the header first", async () => {
    const { clock, transport, logs } = await start();
    const solicit = transport.last();
    // A datagram-sized option 24 of one-letter names, the most an uncompressed list can hold.
    const bomb = (type: number, transactionId: number) => {
      const bytes = dhcpv6ManyNames();
      bytes.set([type, transactionId >> 16, (transactionId >> 8) & 0xff, transactionId & 0xff]);
      return bytes;
    };
    transport.deliverBytes(bomb(T.ADVERTISE, solicit.transactionId ^ 1));
    transport.deliverBytes(bomb(T.SOLICIT, solicit.transactionId));
    transport.deliverBytes(bomb(T.RELAY_REPL, solicit.transactionId));
    await clock.flush();
    expect(logs.messages({ level: "debug" }).filter((m) => m.includes("malformed"))).toEqual([]);
    transport.deliverBytes(bomb(T.ADVERTISE, solicit.transactionId));
    await clock.flush();
    expect(logs.messages({ level: "debug" }).filter((m) => m.includes("malformed"))).toEqual(["Ignoring a malformed DHCPv6 packet"]);
  });

  it(`keeps the ${MAX_KEPT_OFFERS} best of a thousand Advertises in the first RT and Requests the best`, async () => {
    const { clock, transport } = await start();
    const solicit = transport.last();
    const server = (i: number): Duid => ({ type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0, 0, 0, i >> 8, i & 0xff) });
    for (let i = 0; i < 1000; i++) {
      transport.deliver(advertise(solicit, { server: server(i), preference: i === 700 ? 254 : i % 200 }));
      // As from a socket: the client takes each burst before the inbox bound drops the rest.
      if (i % 50 === 49) await clock.flush();
    }
    await clock.advance(1050);
    expect(hex(findDhcpv6Option(transport.last(), O.SERVERID)!.duid)).toBe(hex(server(700)));
  });
});

describe("Advertises from a flood", () => {
  /** The garbage collector, reached without `--expose-gc` on the command line. */
  const collector = (): (() => void) => {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  };

  it(`holds at most ${MAX_KEPT_OFFERS} of them in memory during the first RT, however many arrive`, async () => {
    const gc = collector();
    const { clock, transport } = await start();
    const solicit = transport.last();
    // Sixteen addresses each: about 2 KB an offer, so ~20 MB if every one were kept.
    const addresses = Array.from({ length: 16 }, (_, i) => ({ address: `2001:db8:1::${(i + 1).toString(16)}`, preferred: 3600, valid: 7200 }));
    const server = (i: number): Duid => ({ type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0, 0, 0, i >> 8, i & 0xff) });
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) {
      transport.deliver(advertise(solicit, { server: server(i), preference: i % 200, addresses }));
      if (i % 50 === 49) await clock.flush();
    }
    await clock.flush();
    // Still collecting: the first RT (about 1 s) has not passed on the fake clock.
    expect(transport.sent).toHaveLength(1);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });
});

describe("Rapid Commit", () => {
  it("binds on a Rapid Commit Reply to the Solicit, without a Request", async () => {
    const { clock, transport, events } = await start({ config: { addressPrefixLength: 128, rapidCommit: true } });
    await clock.advance(300);
    transport.deliver(reply(transport.last(), { rapidCommit: true }));
    await clock.flush();
    expect(transport.ofType(T.REQUEST)).toHaveLength(0);
    expect(events.map((e) => [e.kind, e.at])).toEqual([["bound", 300]]);
    expect(latest().client.state).toBe("bound");
  });

  it("ignores a Reply to a Solicit without the Rapid Commit option, or when Rapid Commit was not asked", async () => {
    const a = await start({ config: { addressPrefixLength: 128, rapidCommit: true } });
    a.transport.deliver(reply(a.transport.last()));
    await a.clock.flush();
    expect(a.events).toEqual([]);
    await a.stop();
    const b = await start();
    b.transport.deliver(reply(b.transport.last(), { rapidCommit: true }));
    await b.clock.flush();
    expect(b.events).toEqual([]);
  });

  it("falls back to the four-message exchange when the server answers with an Advertise", async () => {
    const { clock, transport, events } = await start({ config: { addressPrefixLength: 128, rapidCommit: true } });
    await bindClient(latest());
    expect(transport.ofType(T.REQUEST)).toHaveLength(1);
    expect(findDhcpv6Option(transport.ofType(T.REQUEST)[0]!.message, O.RAPID_COMMIT)).toBeUndefined();
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
    void clock;
  });
});

describe("Request and Reply", () => {
  it("emits bound with the lease in the SDK's shape", async () => {
    const { events } = await start({ config: { addressPrefixLength: 64, rapidCommit: false } });
    await bindClient(latest(), { dns: ["2001:db8:1::53", "2001:db8:1::54"], search: ["example.org.", "lab."] });
    expect(events).toEqual([
      {
        kind: "bound",
        family: "ipv6",
        interface: "eth0",
        at: BOUND_AT,
        lease: {
          family: "ipv6",
          interface: "eth0",
          server: hex(SERVER_A),
          obtainedAt: BOUND_AT,
          addresses: [{ address: DEFAULT_ADDRESS, prefixLength: 64, preferredLifetime: 3600, validLifetime: 7200 }],
          routes: [],
          dns: { servers: ["2001:db8:1::53", "2001:db8:1::54"], search: ["example.org", "lab"] },
        },
      },
    ]);
  });

  it("uses prefix length 128 by default", async () => {
    const { events } = await start();
    await bindClient(latest());
    expect(events[0]!.lease!.addresses[0]!.prefixLength).toBe(128);
  });

  it("retransmits the Request REQ_MAX_RC (10) times, then solicits again", async () => {
    const { clock, transport } = await start();
    transport.deliver(advertise(transport.last()));
    await clock.advance(200_000);
    expect(times(latest(), T.REQUEST)).toEqual([1050, 2050, 4050, 8050, 16050, 32050, 62050, 92050, 122050, 152050]);
    expect(transport.ofType(T.REQUEST).map((s) => elapsed(s.message))).toEqual([0, 100, 300, 700, 1500, 3100, 6100, 9100, 12100, 15100]);
    // The second Solicit of the interface has RAND in [-0.1, 0.1] (0 here).
    expect(times(latest(), T.SOLICIT)).toEqual([0, 182050, 183050, 185050, 189050, 197050]);
  });

  it("ignores a Reply from another server than the one asked", async () => {
    const { clock, transport, events } = await start();
    transport.deliver(advertise(transport.last(), { server: SERVER_A }));
    await clock.advance(1050);
    transport.deliver(reply(transport.last(), { server: SERVER_B }));
    transport.deliver(reply(transport.last(), { server: SERVER_A, clientId: OTHER_CLIENT }));
    await clock.flush();
    expect(events).toEqual([]);
    transport.deliver(reply(transport.last(), { server: SERVER_A }));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it.each([
    ["NoAddrsAvail in the IA", { iaStatus: S.NoAddrsAvail, addresses: [] }],
    ["NotOnLink in the IA", { iaStatus: S.NotOnLink, addresses: [] }],
    ["a top-level NotOnLink", { status: S.NotOnLink, noIa: true }],
    ["a top-level NoAddrsAvail", { status: S.NoAddrsAvail, noIa: true }],
    ["no IA at all", { noIa: true }],
  ])("solicits again after a Reply with %s", async (_name, options) => {
    const { clock, transport, events } = await start();
    transport.deliver(advertise(transport.last()));
    await clock.advance(1050);
    transport.deliver(reply(transport.last(), options));
    await clock.flush();
    expect(events).toEqual([]);
    expect(transport.last().messageType).toBe(T.SOLICIT);
    expect(transport.sent.at(-1)!.at).toBe(1050);
  });

  it("keeps retransmitting after a Reply with UnspecFail", async () => {
    const { clock, transport, events } = await start();
    transport.deliver(advertise(transport.last()));
    await clock.advance(1050);
    transport.deliver(reply(transport.last(), { status: S.UnspecFail, noIa: true }));
    await clock.advance(1000);
    expect(times(latest(), T.REQUEST)).toEqual([1050, 2050]);
    transport.deliver(reply(transport.last()));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it("unicasts the Request when the server allows it, and multicasts again on UseMulticast", async () => {
    const { clock, transport, events } = await start();
    transport.deliver(advertise(transport.last(), { unicast: "2001:db8:1::1" }));
    await clock.advance(1050);
    expect(transport.sent.at(-1)!.to).toEqual({ unicast: "2001:db8:1::1" });
    const request = transport.last();
    transport.deliver(reply(request, { status: S.UseMulticast, noIa: true }));
    await clock.flush();
    expect(transport.sent.at(-1)).toMatchObject({ to: "all-servers", at: 1050 });
    expect(transport.last().transactionId).toBe(request.transactionId);
    transport.deliver(reply(request));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
  });
});

describe("Renew, Rebind and expiry", () => {
  it("renews at T1 exactly, to the server, with the remaining lifetimes", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT - BOUND_AT - 1);
    expect(transport.ofType(T.RENEW)).toHaveLength(0);
    await clock.advance(1);
    const [renew] = transport.ofType(T.RENEW);
    expect(renew).toMatchObject({ at: RENEW_AT, to: "all-servers" });
    expect(hex(findDhcpv6Option(renew!.message, O.SERVERID)!.duid)).toBe(hex(SERVER_A));
    expect(findDhcpv6Option(ia(renew!.message)!, O.IAADDR)).toMatchObject({
      address: DEFAULT_ADDRESS,
      preferredLifetime: 1800,
      validLifetime: 5400,
    });
    expect(elapsed(renew!.message)).toBe(0);
    expect(latest().client.state).toBe("renewing");
    await clock.advance(500);
    transport.deliver(reply(renew!.message, { addresses: [{ address: DEFAULT_ADDRESS, preferred: 3600, valid: 7200 }] }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.at, e.lease?.obtainedAt])).toEqual([
      ["bound", BOUND_AT, BOUND_AT],
      ["renewed", RENEW_AT + 500, RENEW_AT + 500],
    ]);
    // The next Renew is T1 after that Reply.
    await clock.advance(1_800_000);
    expect(times(latest(), T.RENEW)).toEqual([RENEW_AT, RENEW_AT + 500 + 1_800_000]);
  });

  it("retransmits the Renew until T2, then Rebinds by multicast without a Server ID", async () => {
    const { clock, transport } = await start();
    await bindClient(latest());
    await clock.advance(REBIND_AT - BOUND_AT);
    expect(times(latest(), T.RENEW).map((t) => t - RENEW_AT)).toEqual([0, 10_000, 30_000, 70_000, 150_000, 310_000, 630_000]);
    const [rebind] = transport.ofType(T.REBIND);
    expect(rebind).toMatchObject({ at: REBIND_AT, to: "all-servers" });
    expect(findDhcpv6Option(rebind!.message, O.SERVERID)).toBeUndefined();
    expect(findDhcpv6Option(ia(rebind!.message)!, O.IAADDR)?.validLifetime).toBe(7200 - 2880);
    expect(latest().client.state).toBe("rebinding");
  });

  it("takes a Rebind Reply from any server and emits rebound", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(REBIND_AT - BOUND_AT);
    transport.deliver(reply(transport.last(), { server: SERVER_B }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.lease?.server])).toEqual([
      ["bound", hex(SERVER_A)],
      ["rebound", hex(SERVER_B)],
    ]);
    // Renewals now go to the new server.
    await clock.advance(1_800_000);
    expect(hex(findDhcpv6Option(transport.last(), O.SERVERID)!.duid)).toBe(hex(SERVER_B));
  });

  it("ignores a Renew Reply from another server", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT - BOUND_AT);
    transport.deliver(reply(transport.last(), { server: SERVER_B }));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it("expires the lease at the end of the valid lifetime when nobody answers, then solicits", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(EXPIRE_AT - BOUND_AT - 1);
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
    await clock.advance(1);
    expect(events.map((e) => [e.kind, e.at])).toEqual([
      ["bound", BOUND_AT],
      ["expired", EXPIRE_AT],
    ]);
    expect(events[1]!.lease!.addresses.map((a) => a.address)).toEqual([DEFAULT_ADDRESS]);
    expect(transport.sent.at(-1)).toMatchObject({ at: EXPIRE_AT, message: { messageType: T.SOLICIT } });
    expect(ia(transport.last())!.options).toEqual([]);
  });

  it("uses 0.5 and 0.8 of the shortest preferred lifetime when the server sets T1 and T2 to 0", async () => {
    const { clock } = await start();
    await bindClient(latest(), {
      t1: 0,
      t2: 0,
      addresses: [
        { address: "2001:db8:1::100", preferred: 1000, valid: 2000 },
        { address: "2001:db8:1::101", preferred: 4000, valid: 8000 },
      ],
    });
    await clock.advance(900_000);
    expect(times(latest(), T.RENEW)[0]).toBe(BOUND_AT + 500_000);
    expect(times(latest(), T.REBIND)[0]).toBe(BOUND_AT + 800_000);
  });

  it("never renews an infinite lease", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest(), { t1: 0xffffffff, t2: 0xffffffff, addresses: [{ address: DEFAULT_ADDRESS, preferred: 0xffffffff, valid: 0xffffffff }] });
    const sent = transport.sent.length;
    await clock.advance(10 * 365 * 86_400_000);
    expect(transport.sent.length).toBe(sent);
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
    expect(events[0]!.lease!.addresses[0]).toMatchObject({ preferredLifetime: 0xffffffff, validLifetime: 0xffffffff });
  });

  it("renews a 60-day lease at T1 exactly without ever setting a timer Node cannot hold", async () => {
    const { clock, transport } = await start();
    const day = 86_400;
    await bindClient(latest(), { t1: 30 * day, t2: 48 * day, addresses: [{ address: DEFAULT_ADDRESS, preferred: 60 * day, valid: 60 * day }] });
    expect(clock.nextTimerAt! - clock.now()).toBeLessThanOrEqual(MAX_TIMER_MS);
    await clock.advance(30 * day * 1000 - 1);
    expect(transport.ofType(T.RENEW)).toHaveLength(0);
    await clock.advance(1);
    expect(times(latest(), T.RENEW)).toEqual([BOUND_AT + 30 * day * 1000]);
  });

  it("keeps an address a Renew Reply leaves out, with its remaining lifetime", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT - BOUND_AT);
    transport.deliver(reply(transport.last(), { addresses: [{ address: "2001:db8:1::200", preferred: 3600, valid: 7200 }] }));
    await clock.flush();
    expect(events[1]!.lease!.addresses).toEqual([
      { address: "2001:db8:1::200", prefixLength: 128, preferredLifetime: 3600, validLifetime: 7200 },
      { address: DEFAULT_ADDRESS, prefixLength: 128, preferredLifetime: 1800, validLifetime: 5400 },
    ]);
  });

  it("expires when a Renew Reply withdraws every address (valid lifetime 0)", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT - BOUND_AT);
    transport.deliver(reply(transport.last(), { addresses: [{ address: DEFAULT_ADDRESS, preferred: 0, valid: 0 }] }));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound", "expired"]);
    expect(transport.last().messageType).toBe(T.SOLICIT);
  });
});

describe("status codes in Renew and Rebind Replies", () => {
  it("sends a Request to the server on NoBinding and reports the Reply as renewed", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT - BOUND_AT);
    transport.deliver(reply(transport.last(), { iaStatus: S.NoBinding, addresses: [] }));
    await clock.flush();
    const request = transport.last();
    expect(request.messageType).toBe(T.REQUEST);
    expect(hex(findDhcpv6Option(request, O.SERVERID)!.duid)).toBe(hex(SERVER_A));
    expect(findDhcpv6Option(ia(request)!, O.IAADDR)?.address).toBe(DEFAULT_ADDRESS);
    transport.deliver(reply(request));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound", "renewed"]);
  });

  it("sends a Request to the answering server on NoBinding after a Rebind", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(REBIND_AT - BOUND_AT);
    transport.deliver(reply(transport.last(), { server: SERVER_B, iaStatus: S.NoBinding, addresses: [] }));
    await clock.flush();
    const request = transport.last();
    expect(request.messageType).toBe(T.REQUEST);
    expect(hex(findDhcpv6Option(request, O.SERVERID)!.duid)).toBe(hex(SERVER_B));
    transport.deliver(reply(request, { server: SERVER_B }));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound", "rebound"]);
  });

  it("expires and solicits on NotOnLink", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT - BOUND_AT);
    transport.deliver(reply(transport.last(), { iaStatus: S.NotOnLink, addresses: [] }));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound", "expired"]);
    expect(transport.last().messageType).toBe(T.SOLICIT);
  });

  it("expires when the Request after NoBinding fails", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT - BOUND_AT);
    transport.deliver(reply(transport.last(), { iaStatus: S.NoBinding, addresses: [] }));
    await clock.flush();
    transport.deliver(reply(transport.last(), { iaStatus: S.NoAddrsAvail, addresses: [] }));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound", "expired"]);
    expect(transport.last().messageType).toBe(T.SOLICIT);
  });

  it("renews by unicast when granted, and multicasts again on UseMulticast", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest(), { unicast: "2001:db8:1::1" });
    await clock.advance(RENEW_AT - BOUND_AT);
    expect(transport.sent.at(-1)!.to).toEqual({ unicast: "2001:db8:1::1" });
    const renew = transport.last();
    transport.deliver(reply(renew, { status: S.UseMulticast, noIa: true }));
    await clock.flush();
    expect(transport.sent.at(-1)).toMatchObject({ to: "all-servers", message: { messageType: T.RENEW, transactionId: renew.transactionId } });
    transport.deliver(reply(renew));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound", "renewed"]);
  });

  it("keeps retransmitting the Renew after UnspecFail", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT - BOUND_AT);
    transport.deliver(reply(transport.last(), { status: S.UnspecFail, noIa: true }));
    await clock.advance(10_000);
    expect(times(latest(), T.RENEW)).toEqual([RENEW_AT, RENEW_AT + 10_000]);
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
  });
});

describe("stateless fallback (Information-request)", () => {
  it("goes stateless after two rounds of Advertises with NoAddrsAvail and reports DNS without addresses", async () => {
    const { clock, transport, events } = await start();
    const solicit = transport.last();
    transport.deliver(advertise(solicit, { noIa: true, status: S.NoAddrsAvail }));
    await clock.advance(1050);
    expect(transport.last().messageType).toBe(T.SOLICIT);
    transport.deliver(advertise(solicit, { noIa: true, status: S.NoAddrsAvail }));
    await clock.advance(2100);
    const info = transport.last();
    expect(transport.sent.at(-1)).toMatchObject({ at: 3150, to: "all-servers" });
    expect(info.messageType).toBe(T.INFORMATION_REQUEST);
    expect(ia(info)).toBeUndefined();
    expect(findDhcpv6Option(info, O.SERVERID)).toBeUndefined();
    expect(findDhcpv6Option(info, O.ORO)?.codes).toEqual([23, 24, 32, 82, 83]);
    expect(hex(findDhcpv6Option(info, O.CLIENTID)!.duid)).toBe(hex(CLIENT_DUID));
    transport.deliver(reply(info, { search: ["example.org."] }));
    await clock.flush();
    expect(events).toEqual([
      {
        kind: "bound",
        family: "ipv6",
        interface: "eth0",
        at: 3150,
        lease: {
          family: "ipv6",
          interface: "eth0",
          server: hex(SERVER_A),
          obtainedAt: 3150,
          addresses: [],
          routes: [],
          dns: { servers: ["2001:db8:1::53"], search: ["example.org"] },
        },
      },
    ]);
    expect(latest().client.state).toBe("informed");
  });

  it("does not rely on a top-level status: an IA without addresses counts as no address", async () => {
    const { clock, transport } = await start();
    const solicit = transport.last();
    transport.deliver(advertise(solicit, { addresses: [] }));
    await clock.advance(1050);
    transport.deliver(advertise(solicit, { addresses: [] }));
    await clock.advance(2100);
    expect(transport.last().messageType).toBe(T.INFORMATION_REQUEST);
  });

  it("also counts a Rapid Commit Reply with NoAddrsAvail", async () => {
    const { clock, transport } = await start({ config: { addressPrefixLength: 128, rapidCommit: true } });
    const solicit = transport.last();
    transport.deliver(reply(solicit, { rapidCommit: true, iaStatus: S.NoAddrsAvail, addresses: [] }));
    await clock.advance(1050);
    transport.deliver(reply(solicit, { rapidCommit: true, iaStatus: S.NoAddrsAvail, addresses: [] }));
    await clock.advance(2100);
    expect(transport.last().messageType).toBe(T.INFORMATION_REQUEST);
  });

  it("prefers a stateful server that answers in the second round", async () => {
    const { clock, transport } = await start();
    const solicit = transport.last();
    transport.deliver(advertise(solicit, { server: SERVER_B, noIa: true, status: S.NoAddrsAvail }));
    await clock.advance(1050);
    transport.deliver(advertise(solicit, { server: SERVER_A }));
    await clock.flush();
    expect(transport.last().messageType).toBe(T.REQUEST);
  });

  async function stateless(h: Harness, refreshTime?: number): Promise<void> {
    const solicit = h.transport.last();
    h.transport.deliver(advertise(solicit, { noIa: true, status: S.NoAddrsAvail }));
    await h.clock.advance(1050);
    h.transport.deliver(advertise(solicit, { noIa: true, status: S.NoAddrsAvail }));
    await h.clock.advance(2100);
    h.transport.deliver(reply(h.transport.last(), refreshTime === undefined ? {} : { refreshTime }));
    await h.clock.flush();
  }

  it("refreshes at the Information Refresh Time and reports renewed", async () => {
    const { clock, transport, events } = await start();
    await stateless(latest(), 1200);
    await clock.advance(1_200_000);
    expect(times(latest(), T.INFORMATION_REQUEST)).toEqual([3150, 3150 + 1_200_000]);
    transport.deliver(reply(transport.last(), { dns: ["2001:db8:1::99"] }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.lease?.dns.servers])).toEqual([
      ["bound", ["2001:db8:1::53"]],
      ["renewed", ["2001:db8:1::99"]],
    ]);
  });

  it("asks again with an Information-request at once when the link came back, and reports what it answers (RFC 8415 section 18.2.12)", async () => {
    const { clock, transport, events } = await start();
    await stateless(latest(), 1200);
    await clock.advance(60_000);
    const before = clock.now();
    latest().client.linkReturned();
    await clock.flush();
    expect(times(latest(), T.INFORMATION_REQUEST)).toEqual([3150, before]);
    expect(transport.ofType(T.CONFIRM)).toHaveLength(0);
    transport.deliver(reply(transport.last(), { dns: ["2001:db8:1::99"] }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.lease?.dns.servers])).toEqual([
      ["bound", ["2001:db8:1::53"]],
      ["renewed", ["2001:db8:1::99"]],
    ]);
    expect(latest().client.state).toBe("informed");
    // The flap is answered: no second Information-request until the refresh time.
    await clock.advance(1_000);
    expect(times(latest(), T.INFORMATION_REQUEST)).toHaveLength(2);
  });

  it.each([
    [undefined, 86_400],
    [100, 600],
  ])("uses %s s as Information Refresh Time %s s", async (given, used) => {
    // SOL_MAX_RT is at its maximum so no Solicit probe comes first.
    const { clock } = await start();
    await stateless(latest(), given);
    await clock.advance(used * 1000 - 1);
    expect(times(latest(), T.INFORMATION_REQUEST)).toHaveLength(1);
    await clock.advance(1);
    expect(times(latest(), T.INFORMATION_REQUEST)).toEqual([3150, 3150 + used * 1000]);
  });

  it("keeps soliciting every SOL_MAX_RT while stateless, and binds when addresses appear", async () => {
    const { clock, transport, events } = await start();
    const solicit = transport.last();
    transport.deliver(advertise(solicit, { noIa: true, status: S.NoAddrsAvail, solMaxRt: 120 }));
    await clock.advance(1050);
    transport.deliver(advertise(solicit, { noIa: true, status: S.NoAddrsAvail }));
    await clock.advance(2100);
    transport.deliver(reply(transport.last()));
    await clock.flush();
    // A probe with no answer: back to stateless.
    await clock.advance(120_000);
    expect(times(latest(), T.SOLICIT).slice(-1)).toEqual([3150 + 120_000]);
    await clock.advance(1000);
    expect(latest().client.state).toBe("informed");
    await clock.advance(120_000);
    const probe = transport.last();
    expect(probe.messageType).toBe(T.SOLICIT);
    expect(transport.sent.at(-1)!.at).toBe(3150 + 1000 + 240_000);
    transport.deliver(advertise(probe));
    await clock.advance(1000);
    transport.deliver(reply(transport.last()));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.lease?.addresses.length])).toEqual([
      ["bound", 0],
      ["bound", 1],
    ]);
    expect(latest().client.state).toBe("bound");
  });

  it("honours INF_MAX_RT for Information-request retransmissions", async () => {
    const { clock, transport } = await start();
    const solicit = transport.last();
    transport.deliver(advertise(solicit, { noIa: true, status: S.NoAddrsAvail, infMaxRt: 60 }));
    await clock.advance(1050);
    transport.deliver(advertise(solicit, { noIa: true, status: S.NoAddrsAvail }));
    await clock.advance(2100);
    await clock.advance(300_000);
    const sent = times(latest(), T.INFORMATION_REQUEST);
    const gaps = sent.slice(1).map((t, i) => t - sent[i]!);
    expect(gaps.slice(0, 7)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000]);
    void transport;
  });
});

describe("SOL_MAX_RT", () => {
  it.each([
    [60, 60_000],
    [86_400, 3_600_000],
    [59, 3_600_000],
    [86_401, 3_600_000],
  ])("from a server (%s s) caps Solicit retransmissions at %s ms when within 60..86400", async (seconds, cap) => {
    const { clock, transport, client } = await start();
    transport.deliver(advertise(transport.last(), { noIa: true, status: S.NoAddrsAvail, solMaxRt: seconds }));
    await clock.flush();
    expect(client.solMaxRt).toBe(seconds >= 60 && seconds <= 86_400 ? seconds * 1000 : 3_600_000);
    // Keep the client soliciting rather than going stateless: this test is about the interval.
    await clock.advance(200_000);
    const sent = times(latest(), T.SOLICIT);
    const gaps = sent.slice(1).map((t, i) => t - sent[i]!);
    if (cap === 60_000) expect(gaps.slice(5)).toContain(60_000);
    else expect(Math.max(...gaps)).toBeLessThanOrEqual(134_400);
  });

  it("from a server caps the Solicit interval once it is reached", async () => {
    const { clock, transport } = await start();
    transport.deliver(advertise(transport.last(), { noIa: true, status: S.NoAddrsAvail, solMaxRt: 60 }));
    await clock.advance(400_000);
    // Stateless after two rounds; the probes from then on come every SOL_MAX_RT.
    expect(times(latest(), T.SOLICIT).slice(0, 2)).toEqual([0, 1050]);
  });
});

describe("Decline after a DAD failure", () => {
  it("reports the lease expired, declines the address to the server, then solicits again", async () => {
    const { clock, transport, events, client } = await start();
    await bindClient(latest());
    await clock.advance(1000);
    client.reportDadFailure("2001:DB8:1:0:0:0:0:100");
    await clock.flush();
    expect(events.map((e) => [e.kind, e.at])).toEqual([
      ["bound", BOUND_AT],
      ["expired", BOUND_AT + 1000],
    ]);
    const decline = transport.last();
    expect(decline.messageType).toBe(T.DECLINE);
    expect(hex(findDhcpv6Option(decline, O.SERVERID)!.duid)).toBe(hex(SERVER_A));
    expect(findDhcpv6Option(ia(decline)!, O.IAADDR)?.address).toBe(DEFAULT_ADDRESS);
    expect(findDhcpv6Option(decline, O.ORO)).toBeUndefined();
    transport.deliver(reply(decline, { noIa: true }));
    await clock.flush();
    expect(transport.last().messageType).toBe(T.SOLICIT);
  });

  it("retransmits the Decline DEC_MAX_RC (4) times without a Reply, then solicits", async () => {
    const { clock, transport, client } = await start();
    await bindClient(latest());
    client.reportDadFailure(DEFAULT_ADDRESS);
    await clock.advance(20_000);
    expect(times(latest(), T.DECLINE).map((t) => t - BOUND_AT)).toEqual([0, 1000, 3000, 7000]);
    expect(times(latest(), T.SOLICIT).slice(1)[0]).toBe(BOUND_AT + 15_000);
    void transport;
  });

  it("ignores DAD failures of addresses it does not hold", async () => {
    const { clock, transport, events, client } = await start();
    await bindClient(latest());
    client.reportDadFailure("2001:db8:1::999");
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
    expect(transport.last().messageType).toBe(T.REQUEST);
  });
});

describe("lease event listeners", () => {
  it("keep the protocol going when one throws", async () => {
    const { clock, transport, logs } = await start({
      emit: () => {
        throw new Error("listener bug");
      },
    });
    await bindClient(latest());
    expect(logs.messages({ level: "error" })).toEqual(["A DHCPv6 lease event listener threw"]);
    await clock.advance(RENEW_AT - BOUND_AT);
    expect(transport.last().messageType).toBe(T.RENEW);
  });
});

describe("stopping", () => {
  it("returns at once when the signal is already aborted, sending nothing", async () => {
    const clock = new FakeClock();
    const transport = new FakeTransport(clock);
    const client = new Dhcpv6Client({
      clock,
      transport,
      duid: CLIENT_DUID,
      iaid: 1,
      interface: "eth0",
      config: { addressPrefixLength: 128, rapidCommit: true },
      emit: () => {},
      logger: new MemoryLogSink().logger(),
    });
    await client.run(AbortSignal.abort());
    expect(transport.sent).toEqual([]);
  });

  it("stops listening and leaves no timers behind", async () => {
    const harness = await start();
    await bindClient(harness);
    await harness.stop();
    expect(harness.transport.listening).toBe(false);
    expect(harness.clock.pendingTimers).toBe(0);
    expect(harness.client.state).toBe("stopped");
    expect(harness.kinds()).toEqual(["bound"]);
  });

  it("sends a Release and reports released when asked to", async () => {
    const harness = await start({ releaseOnStop: true });
    await bindClient(harness);
    await harness.clock.advance(60_000);
    await harness.stop();
    const release = harness.transport.last();
    expect(release.messageType).toBe(T.RELEASE);
    expect(hex(findDhcpv6Option(release, O.SERVERID)!.duid)).toBe(hex(SERVER_A));
    expect(findDhcpv6Option(ia(release)!, O.IAADDR)?.address).toBe(DEFAULT_ADDRESS);
    expect(findDhcpv6Option(release, O.ORO)).toBeUndefined();
    expect(harness.events.map((e) => [e.kind, e.at])).toEqual([
      ["bound", BOUND_AT],
      ["released", BOUND_AT + 60_000],
    ]);
  });

  it("sends no Release while soliciting or stateless", async () => {
    const harness = await start({ releaseOnStop: true });
    await harness.clock.advance(5000);
    await harness.stop();
    expect(harness.transport.ofType(T.RELEASE)).toEqual([]);
    expect(harness.events).toEqual([]);
  });
});
