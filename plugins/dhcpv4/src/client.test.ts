import { Dhcpv4MessageType as T, dhcpv4OptionValue as opt, encodeDhcpv4, type Dhcpv4Message } from "@incusx/dhcp-wire";
import { stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { NAK_BACKOFF_INITIAL_MS, NAK_LOOP_DELAY_MS, nakDelay } from "./client.js";
import {
  ADDRESS,
  CLIENT_DUID,
  CLIENT_ID,
  MAC,
  MID_RANDOM,
  OTHER_MAC,
  SERVER_A,
  SERVER_B,
  ack,
  bindClient,
  nak,
  offer,
  startClient,
  type Harness,
} from "./fake-server.test-support.js";
import { PARAMETER_REQUEST_LIST } from "./messages.js";
import { dhcpv4PointerBomb } from "@incusx/dhcp-wire/testing";

const times = (h: Harness, type: number) => h.transport.ofType(type).map((s) => s.at);
const type = (m: Dhcpv4Message) => opt(m, 53);

// Default binding in these tests: ACK at 0 to a REQUEST sent at 0, lease 3600 s, so T1 1800 s, T2 3150 s.
const RENEW_AT = 1_800_000;
const REBIND_AT = 3_150_000;
const EXPIRE_AT = 3_600_000;

const { start, latest } = stoppedAfterEach(afterEach, startClient);

describe("INIT: DISCOVER", () => {
  it("broadcasts a DISCOVER with the broadcast flag, chaddr, client identifier and parameter request list", async () => {
    const { transport, client } = await start();
    expect(transport.sent).toHaveLength(1);
    const { message, to } = transport.sent[0]!;
    expect(to).toBe("broadcast");
    expect(message).toMatchObject({ op: 1, htype: 1, hlen: 6, xid: 0x100, secs: 0, broadcast: true, ciaddr: "0.0.0.0", chaddr: MAC });
    expect(type(message)).toBe(T.Discover);
    expect(opt(message, 61)).toEqual(CLIENT_ID);
    expect(opt(message, 55)).toEqual(PARAMETER_REQUEST_LIST);
    expect(PARAMETER_REQUEST_LIST).toEqual([1, 3, 6, 15, 26, 51, 58, 59, 119, 121]);
    for (const code of [50, 54, 12, 81] as const) expect(opt(message, code)).toBeUndefined();
    expect(client.state).toBe("selecting");
  });

  it("leaves the broadcast flag clear when not asked to set it", async () => {
    const { transport } = await start({ requestBroadcast: false });
    expect(transport.last().broadcast).toBe(false);
  });

  it("sends the host name as option 12, a fully qualified name as option 81 (S and E set) instead", async () => {
    const a = await start({ hostname: "c1" });
    expect(opt(a.transport.last(), 12)).toBe("c1");
    expect(opt(a.transport.last(), 81)).toBeUndefined();
    await a.stop();
    const b = await start({ hostname: "c1", fqdn: "c1.example.org" });
    expect(opt(b.transport.last(), 12)).toBeUndefined();
    expect(opt(b.transport.last(), 81)).toEqual({
      serverUpdate: true,
      serverOverride: false,
      canonicalEncoding: true,
      noServerUpdate: false,
      reservedFlags: 0,
      rcode1: 0,
      rcode2: 0,
      name: "c1.example.org.",
    });
  });

  it("sends no name, with a warning, when the name is not valid", async () => {
    const { transport, logs } = await start({ hostname: "bad name!" });
    expect(opt(transport.last(), 12)).toBeUndefined();
    expect(logs.messages({ level: "warn" })).toEqual([expect.stringContaining('"bad name!"')]);
  });

  it("retransmits after 4, 8, 16, 32 and then every 64 s with the same xid and growing secs", async () => {
    const { clock, transport } = await start();
    await clock.advance(188_000);
    expect(times(latest(), T.Discover)).toEqual([0, 4_000, 12_000, 28_000, 60_000, 124_000, 188_000]);
    expect(transport.sent.map((s) => s.message.secs)).toEqual([0, 4, 12, 28, 60, 124, 188]);
    expect(new Set(transport.sent.map((s) => s.message.xid))).toEqual(new Set([0x100]));
  });

  it("randomises every retransmission by up to one second either way", async () => {
    const low = await start({ random: () => 0 });
    await low.clock.advance(10_000);
    expect(times(low, T.Discover)).toEqual([0, 3_000, 10_000]);
    await low.stop();
    const high = await start({ random: () => 0.75 });
    await high.clock.advance(13_000);
    expect(times(high, T.Discover)).toEqual([0, 4_500, 13_000]);
  });

  it("keeps retransmitting when sending fails (link not ready)", async () => {
    const { clock, transport, logs } = await start();
    transport.failSends = true;
    await clock.advance(12_000);
    transport.failSends = false;
    await clock.advance(16_000);
    expect(times(latest(), T.Discover)).toEqual([0, 28_000]);
    expect(logs.messages({ level: "warn" })).toHaveLength(2);
  });
});

describe("SELECTING and REQUESTING", () => {
  it("requests the first acceptable OFFER at once: same xid and secs, server identifier and requested address", async () => {
    const { clock, transport, client } = await start();
    await clock.advance(12_000);
    const discover = transport.last();
    transport.deliver(offer(discover, { address: "192.0.2.150" }));
    transport.deliver(offer(discover, { address: "192.0.2.160", server: SERVER_B }));
    await clock.flush();
    const { message: request, to, at } = transport.sent.at(-1)!;
    expect([type(request), to, at]).toEqual([T.Request, "broadcast", 12_000]);
    expect(request).toMatchObject({ xid: 0x100, secs: 12, broadcast: true, ciaddr: "0.0.0.0" });
    expect(opt(request, 50)).toBe("192.0.2.150");
    expect(opt(request, 54)).toBe(SERVER_A);
    expect(opt(request, 61)).toEqual(CLIENT_ID);
    expect(opt(request, 55)).toEqual(PARAMETER_REQUEST_LIST);
    expect(transport.ofType(T.Request)).toHaveLength(1);
    expect(client.state).toBe("requesting");
  });

  it("ignores an OFFER without an address", async () => {
    const { clock, transport } = await start();
    transport.deliver(offer(transport.last(), { address: "0.0.0.0" }));
    await clock.flush();
    expect(transport.ofType(T.Request)).toHaveLength(0);
  });

  it("ignores replies with another xid, chaddr, op, client identifier, or without message type or server identifier", async () => {
    const { clock, transport } = await start();
    const discover = transport.last();
    transport.deliver(offer(discover, { xid: 0x101 }));
    transport.deliver(offer(discover, { chaddr: OTHER_MAC }));
    transport.deliver(offer(discover, { op: 1 }));
    transport.deliver(offer(discover, { clientId: { form: "hardware", hardwareType: 1, address: MAC } }));
    transport.deliver(offer(discover, { clientId: { form: "duid", duid: CLIENT_DUID, iaid: 7 } }));
    transport.deliver(offer(discover, { noMessageType: true }));
    transport.deliver(offer(discover, { server: null }));
    transport.deliverBytes(Uint8Array.of(2, 1, 6, 0));
    transport.deliverBytes(encodeDhcpv4(offer(discover)).subarray(0, 239));
    await clock.advance(4_000);
    expect(transport.ofType(T.Request)).toHaveLength(0);
    expect(transport.ofType(T.Discover)).toHaveLength(2);
  });

  it("does not decode a packet for another transaction: op, xid and chaddr are read from the header first", async () => {
    const { clock, transport, logs } = await start();
    const discover = transport.last();
    // Option 119 pointer bombs: costly to decode without bounds, and never decoded at all when not ours.
    transport.deliverBytes(dhcpv4PointerBomb(discover.xid + 1, MAC));
    transport.deliverBytes(dhcpv4PointerBomb(discover.xid, OTHER_MAC));
    const request = dhcpv4PointerBomb(discover.xid, MAC);
    request[0] = 1;
    transport.deliverBytes(request);
    await clock.flush();
    expect(logs.messages({ level: "debug" }).filter((m) => m.includes("malformed"))).toEqual([]);
    // Ours: decoded, and refused by the codec's name-list bound.
    transport.deliverBytes(dhcpv4PointerBomb(discover.xid, MAC));
    await clock.flush();
    expect(logs.messages({ level: "debug" }).filter((m) => m.includes("malformed"))).toEqual(["Ignoring a malformed DHCPv4 packet"]);
    expect(transport.ofType(T.Request)).toHaveLength(0);
  });

  it.each(["0.1.2.3", "127.0.0.1", "224.0.0.1", "239.255.255.250", "255.255.255.255"])(
    "ignores an OFFER and an ACK for %s, which cannot be a host's address",
    async (address) => {
      const { clock, transport, events, logs } = await start();
      transport.deliver(offer(transport.last(), { address }));
      await clock.flush();
      expect(transport.ofType(T.Request)).toHaveLength(0);
      transport.deliver(offer(transport.last()));
      await clock.flush();
      transport.deliver(ack(transport.last(), { address }));
      await clock.flush();
      expect(events).toEqual([]);
      expect(logs.messages({ level: "warn" })).toEqual([
        `Ignoring a DHCPOFFER: yiaddr ${address} is not a usable host address`,
        `Ignoring a DHCPACK: yiaddr ${address} is not a usable host address`,
      ]);
      transport.deliver(ack(transport.last()));
      await clock.flush();
      expect(latest().kinds()).toEqual(["bound"]);
    },
  );

  it("ignores an ACK with a subnet mask of 0.0.0.0", async () => {
    const { clock, transport, events, logs } = await start();
    transport.deliver(offer(transport.last()));
    await clock.flush();
    transport.deliver(ack(transport.last(), { mask: "0.0.0.0" }));
    await clock.flush();
    expect(events).toEqual([]);
    expect(logs.messages({ level: "warn" })).toEqual(["Ignoring a DHCPACK: subnet mask 0.0.0.0"]);
    transport.deliver(ack(transport.last()));
    await clock.flush();
    expect(latest().kinds()).toEqual(["bound"]);
  });

  it("accepts a reply that does not echo the client identifier (servers before RFC 6842)", async () => {
    const { clock, transport } = await start();
    transport.deliver(offer(transport.last(), { clientId: null }));
    await clock.flush();
    expect(type(transport.last())).toBe(T.Request);
  });

  it("binds on the ACK: lease, event, saved lease", async () => {
    const { transport, events, saved, client } = await start();
    await bindClient(latest(), { dns: ["192.0.2.53", "192.0.2.54"], domain: "example.com", search: ["example.com"], mtu: 1400 });
    expect(events).toEqual([
      {
        kind: "bound",
        family: "ipv4",
        interface: "eth0",
        at: 0,
        lease: {
          family: "ipv4",
          interface: "eth0",
          server: SERVER_A,
          obtainedAt: 0,
          addresses: [{ address: ADDRESS, prefixLength: 24, preferredLifetime: 3600, validLifetime: 3600 }],
          routes: [{ destination: "0.0.0.0/0", gateway: SERVER_A }],
          dns: { servers: ["192.0.2.53", "192.0.2.54"], search: ["example.com"], domain: "example.com" },
          mtu: 1400,
        },
      },
    ]);
    expect(saved).toEqual([{ address: ADDRESS, server: SERVER_A, expiresAt: EXPIRE_AT, prefixLength: 24 }]);
    expect(client.state).toBe("bound");
    expect(transport.sent).toHaveLength(2);
  });

  it("takes the ACK's values, not the OFFER's", async () => {
    const { clock, transport, events } = await start();
    transport.deliver(offer(transport.last(), { leaseTime: 60, dns: ["198.51.100.1"] }));
    await clock.flush();
    transport.deliver(ack(transport.last(), { leaseTime: 7200, dns: ["192.0.2.53"] }));
    await clock.flush();
    expect(events[0]!.lease).toMatchObject({ addresses: [{ validLifetime: 7200 }], dns: { servers: ["192.0.2.53"] } });
  });

  it("leaves the MTU out when not asked to apply it", async () => {
    const { events } = await start({ applyMtu: false });
    await bindClient(latest(), { mtu: 1400 });
    expect(events[0]!.lease!.mtu).toBeUndefined();
  });

  it("ignores an ACK from a server it did not select, and an ACK without a lease time", async () => {
    const { clock, transport, events, logs } = await start();
    transport.deliver(offer(transport.last()));
    await clock.flush();
    const request = transport.last();
    transport.deliver(ack(request, { server: SERVER_B }));
    transport.deliver(ack(request, { leaseTime: null }));
    await clock.flush();
    expect(events).toEqual([]);
    expect(logs.messages({ level: "warn" })).toEqual(["Ignoring a DHCPACK: it has no lease time (option 51)"]);
    transport.deliver(ack(request));
    await clock.flush();
    expect(latest().kinds()).toEqual(["bound"]);
  });

  it("gives up after four REQUESTs and discovers again with a new xid", async () => {
    const { clock, transport } = await start();
    transport.deliver(offer(transport.last()));
    await clock.advance(60_000);
    expect(times(latest(), T.Request)).toEqual([0, 4_000, 12_000, 28_000]);
    expect(times(latest(), T.Discover)).toEqual([0, 60_000]);
    expect(transport.last()).toMatchObject({ xid: 0x101, secs: 0 });
    expect(opt(transport.last(), 50)).toBeUndefined();
  });

  it("goes back to INIT on a NAK at once, and after a short randomised wait after a second NAK in a row", async () => {
    const { clock, transport, client, events } = await start();
    transport.deliver(offer(transport.last()));
    await clock.flush();
    transport.deliver(nak(transport.last()));
    await clock.flush();
    expect(type(transport.last())).toBe(T.Discover);
    expect(transport.last().xid).toBe(0x101);
    transport.deliver(offer(transport.last()));
    await clock.flush();
    transport.deliver(nak(transport.last()));
    const wait = nakDelay(2, MID_RANDOM);
    expect(wait).toBeGreaterThanOrEqual(NAK_BACKOFF_INITIAL_MS / 2);
    expect(wait).toBeLessThanOrEqual(NAK_BACKOFF_INITIAL_MS);
    await clock.advance(wait - 1);
    expect(client.state).toBe("init");
    expect(type(transport.last())).toBe(T.Request);
    await clock.advance(1);
    expect(transport.sent.at(-1)).toMatchObject({ at: wait, message: { xid: 0x102 } });
    expect(events).toEqual([]);
  });

  it("doubles the wait with each further NAK in a row, never beyond 10 s, and never loops at full speed", () => {
    expect(nakDelay(1, () => 1)).toBe(0);
    expect([2, 3, 4, 5, 6, 7, 20].map((n) => nakDelay(n, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000, NAK_LOOP_DELAY_MS, NAK_LOOP_DELAY_MS, NAK_LOOP_DELAY_MS]);
    expect([2, 6].map((n) => nakDelay(n, () => 0))).toEqual([500, NAK_LOOP_DELAY_MS / 2]);
  });
});

describe("saving the lease", () => {
  it("reports the lease bound while it is being saved, so a slow disk does not delay the address, and stays bound once it is saved", async () => {
    let finishSave!: () => void;
    const saving: unknown[] = [];
    const h = await start({ persist: (lease) => new Promise<void>((resolve) => (saving.push(lease), (finishSave = resolve))) });
    await bindClient(h);
    expect(saving).toEqual([expect.objectContaining({ address: "192.0.2.100" })]);
    expect(h.kinds()).toEqual(["bound"]);
    finishSave();
    await h.clock.flush();
    expect(h.client.state).toBe("bound");
    expect(h.kinds()).toEqual(["bound"]);
  });
});

describe("BOUND, RENEWING, REBINDING", () => {
  it("renews at T1 by unicast to the server with ciaddr, no server identifier and no requested address", async () => {
    const { clock, transport, client } = await start({ hostname: "c1" });
    await bindClient(latest());
    await clock.advance(RENEW_AT - 1);
    expect(transport.sent).toHaveLength(2);
    await clock.advance(1);
    const { message, to, at } = transport.sent.at(-1)!;
    expect([type(message), to, at]).toEqual([T.Request, { unicast: SERVER_A }, RENEW_AT]);
    expect(message).toMatchObject({ xid: 0x101, secs: 0, broadcast: false, ciaddr: ADDRESS });
    expect(opt(message, 50)).toBeUndefined();
    expect(opt(message, 54)).toBeUndefined();
    expect(opt(message, 12)).toBe("c1");
    expect(client.state).toBe("renewing");
  });

  it("retransmits the renewal at half the time left to T2 (at least 60 s), then rebinds by broadcast at T2", async () => {
    const { clock, transport, client } = await start();
    await bindClient(latest());
    await clock.advance(REBIND_AT);
    const renewals = transport.sent.filter((s) => typeof s.to === "object");
    expect(renewals.map((s) => s.at)).toEqual([RENEW_AT, 2_475_000, 2_812_500, 2_981_250, 3_065_625, 3_125_625]);
    expect(renewals.map((s) => s.message.secs)).toEqual([0, 675, 1012, 1181, 1265, 1325]);
    const rebind = transport.sent.at(-1)!;
    expect([rebind.at, rebind.to, rebind.message.ciaddr, rebind.message.broadcast, rebind.message.xid]).toEqual([REBIND_AT, "broadcast", ADDRESS, false, 0x102]);
    expect(client.state).toBe("rebinding");
  });

  it("takes the renewal ACK: renewed, times counted from the REQUEST it answered", async () => {
    const { clock, transport, events, saved } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT + 500);
    transport.deliver(ack(transport.last(), { leaseTime: 7200, dns: ["192.0.2.54"] }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.at, e.lease?.obtainedAt, e.lease?.addresses[0]?.validLifetime, e.lease?.dns.servers])).toEqual([
      ["bound", 0, 0, 3600, ["192.0.2.53"]],
      ["renewed", RENEW_AT + 500, RENEW_AT, 7200, ["192.0.2.54"]],
    ]);
    expect(saved.at(-1)).toEqual({ address: ADDRESS, server: SERVER_A, expiresAt: RENEW_AT + 7_200_000, prefixLength: 24 });
    expect(latest().client.state).toBe("bound");
    await clock.advance(3_600_000 - 500);
    expect(transport.sent.at(-1)).toMatchObject({ at: RENEW_AT + 3_600_000, to: { unicast: SERVER_A } });
  });

  it("takes an ACK in REBINDING from any server: rebound", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(REBIND_AT);
    transport.deliver(ack(transport.last(), { server: SERVER_B }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.at, e.lease?.server])).toEqual([
      ["bound", 0, SERVER_A],
      ["rebound", REBIND_AT, SERVER_B],
    ]);
    await clock.advance(RENEW_AT);
    expect(transport.sent.at(-1)).toMatchObject({ at: REBIND_AT + RENEW_AT, to: { unicast: SERVER_B } });
  });

  it("rebinds at half the time left to the lease's end, then lets the lease expire and discovers asking for the address", async () => {
    const { clock, transport, events, saved, client } = await start();
    await bindClient(latest());
    await clock.advance(EXPIRE_AT - 1);
    expect(times(latest(), T.Request).filter((t) => t >= REBIND_AT)).toEqual([REBIND_AT, 3_375_000, 3_487_500, 3_547_500]);
    expect(latest().kinds()).toEqual(["bound"]);
    await clock.advance(1);
    expect(events.map((e) => [e.kind, e.at, e.lease?.addresses[0]?.address])).toEqual([
      ["bound", 0, ADDRESS],
      ["expired", EXPIRE_AT, ADDRESS],
    ]);
    expect(saved.at(-1)).toBeUndefined();
    const discover = transport.sent.at(-1)!;
    expect([type(discover.message), discover.at, opt(discover.message, 50), discover.message.ciaddr]).toEqual([T.Discover, EXPIRE_AT, ADDRESS, "0.0.0.0"]);
    expect(client.state).toBe("selecting");
  });

  it("drops the lease and discovers at once on a NAK while renewing", async () => {
    const { clock, transport } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT);
    transport.deliver(nak(transport.last()));
    await clock.flush();
    expect(latest().kinds()).toEqual(["bound", "expired"]);
    expect(latest().saved.at(-1)).toBeUndefined();
    expect(transport.sent.at(-1)).toMatchObject({ at: RENEW_AT, to: "broadcast" });
    expect(type(transport.last())).toBe(T.Discover);
    expect(opt(transport.last(), 50)).toBeUndefined();
  });

  it("reports a new lease when a renewal ACK grants another address", async () => {
    const { clock, transport, events } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT);
    transport.deliver(ack(transport.last(), { address: "192.0.2.101" }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.lease?.addresses[0]?.address])).toEqual([
      ["bound", ADDRESS],
      ["expired", ADDRESS],
      ["bound", "192.0.2.101"],
    ]);
  });

  it("ignores a renewal answer with another xid or for another client", async () => {
    const { clock, transport } = await start();
    await bindClient(latest());
    await clock.advance(RENEW_AT);
    const request = transport.last();
    transport.deliver(ack(request, { xid: 0x100 }));
    transport.deliver(ack(request, { chaddr: OTHER_MAC }));
    transport.deliver(nak(request, { clientId: { form: "hardware", hardwareType: 1, address: OTHER_MAC } }));
    await clock.flush();
    expect(latest().kinds()).toEqual(["bound"]);
    expect(latest().client.state).toBe("renewing");
  });

  it("uses T1 and T2 from options 58 and 59 (retransmitting at 800, 900, 960 s)", async () => {
    const { clock, transport } = await start();
    await bindClient(latest(), { t1: 600, t2: 1000 });
    await clock.advance(1_000_000);
    expect(transport.sent.slice(2).map((s) => [s.at, s.to])).toEqual([
      [600_000, { unicast: SERVER_A }],
      [800_000, { unicast: SERVER_A }],
      [900_000, { unicast: SERVER_A }],
      [960_000, { unicast: SERVER_A }],
      [1_000_000, "broadcast"],
    ]);
  });

  it("never renews an infinite lease", async () => {
    const { clock, transport, events, saved } = await start();
    await bindClient(latest(), { leaseTime: 0xffffffff });
    await clock.advance(100 * 86_400_000);
    expect(transport.sent).toHaveLength(2);
    expect(events[0]!.lease!.addresses[0]).toMatchObject({ validLifetime: 0xffffffff });
    expect(saved).toEqual([{ address: ADDRESS, server: SERVER_A, expiresAt: null, prefixLength: 24 }]);
  });

  it("renews a 60-day lease on day 30, past Node's 24.8-day timer limit", async () => {
    const { clock, transport } = await start();
    await bindClient(latest(), { leaseTime: 60 * 86_400 });
    await clock.advance(30 * 86_400_000 - 1);
    expect(transport.sent).toHaveLength(2);
    await clock.advance(1);
    expect(transport.sent.at(-1)).toMatchObject({ at: 30 * 86_400_000, to: { unicast: SERVER_A } });
  });

  it("keeps going when a lease event listener throws", async () => {
    const { clock, transport, logs } = await start({
      emit: () => {
        throw new Error("listener bug");
      },
    });
    await bindClient(latest());
    await clock.advance(RENEW_AT);
    expect(transport.sent.at(-1)!.at).toBe(RENEW_AT);
    expect(logs.messages({ level: "error" })).toEqual(["A DHCPv4 lease event listener threw"]);
  });
});

describe("INIT-REBOOT", () => {
  const savedLease = { address: "192.0.2.150", server: SERVER_B, expiresAt: 1_000_000 };

  it("asks for the saved address first: broadcast REQUEST with the requested address, no server identifier, ciaddr 0", async () => {
    const { transport, client } = await start({ savedLease });
    const { message, to } = transport.sent[0]!;
    expect([type(message), to]).toEqual([T.Request, "broadcast"]);
    expect(message).toMatchObject({ xid: 0x100, ciaddr: "0.0.0.0", broadcast: true });
    expect(opt(message, 50)).toBe("192.0.2.150");
    expect(opt(message, 54)).toBeUndefined();
    expect(client.state).toBe("rebooting");
  });

  it("binds on the ACK", async () => {
    const { clock, transport, events } = await start({ savedLease });
    await clock.advance(2_000);
    transport.deliver(ack(transport.last(), { server: SERVER_B }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.at, e.lease?.addresses[0]?.address, e.lease?.server])).toEqual([["bound", 2_000, "192.0.2.150", SERVER_B]]);
    expect(transport.sent).toHaveLength(1);
  });

  it("forgets the saved lease and discovers at once on a NAK", async () => {
    const { clock, transport, saved, events } = await start({ savedLease });
    transport.deliver(nak(transport.last()));
    await clock.flush();
    expect(saved).toEqual([undefined]);
    expect(events).toEqual([]);
    expect(transport.sent.map((s) => [type(s.message), s.at, opt(s.message, 50)])).toEqual([
      [T.Request, 0, "192.0.2.150"],
      [T.Discover, 0, undefined],
    ]);
  });

  it("reports the refused saved address expired on a NAK, so the runtime removes what an earlier run left on the link", async () => {
    const { clock, transport, events } = await start({ savedLease: { ...savedLease, prefixLength: 24 } });
    transport.deliver(nak(transport.last()));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.lease?.server, e.lease?.addresses, e.lease?.routes])).toEqual([
      ["expired", SERVER_B, [{ address: "192.0.2.150", prefixLength: 24, preferredLifetime: 0, validLifetime: 0 }], []],
    ]);
    expect(type(transport.sent.at(-1)!.message)).toBe(T.Discover);
  });

  it("saves the prefix length with the lease", async () => {
    const { clock, transport, saved } = await start({ savedLease });
    transport.deliver(ack(transport.last(), { server: SERVER_B }));
    await clock.flush();
    expect(saved.at(-1)).toMatchObject({ address: "192.0.2.150", prefixLength: 24 });
  });

  it("discovers, asking for the saved address, when no server answers two REQUESTs", async () => {
    const { clock, transport } = await start({ savedLease });
    await clock.advance(12_000);
    expect(transport.sent.map((s) => [type(s.message), s.at, opt(s.message, 50), s.message.xid])).toEqual([
      [T.Request, 0, "192.0.2.150", 0x100],
      [T.Request, 4_000, "192.0.2.150", 0x100],
      [T.Discover, 12_000, "192.0.2.150", 0x101],
    ]);
  });

  it("reports nothing while it asks again, even falling back to DISCOVER, so a restart removes no address", async () => {
    const { clock, transport, events } = await start({ savedLease: { ...savedLease, prefixLength: 24 } });
    await clock.advance(12_000);
    expect(events).toEqual([]);
    const discover = transport.last();
    transport.deliver(offer(discover, { server: SERVER_B, address: "192.0.2.150" }));
    await clock.flush();
    transport.deliver(ack(transport.last(), { server: SERVER_B, address: "192.0.2.150" }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.lease?.addresses[0]?.address])).toEqual([["bound", "192.0.2.150"]]);
  });

  it("skips INIT-REBOOT for an expired saved lease but asks for its address in the DISCOVER", async () => {
    const { transport } = await start({ savedLease: { ...savedLease, expiresAt: 0 } });
    expect(type(transport.last())).toBe(T.Discover);
    expect(opt(transport.last(), 50)).toBe("192.0.2.150");
  });
});

describe("RELEASE on stop", () => {
  it("unicasts a RELEASE to the server with ciaddr, server and client identifier, and forgets the lease", async () => {
    const { clock, transport, saved } = await start({ releaseOnStop: true });
    await bindClient(latest());
    await clock.advance(1_000);
    await latest().stop();
    const { message, to, at } = transport.sent.at(-1)!;
    expect([type(message), to, at]).toEqual([T.Release, { unicast: SERVER_A }, 1_000]);
    expect(message).toMatchObject({ ciaddr: ADDRESS, broadcast: false, xid: 0x101 });
    expect(opt(message, 54)).toBe(SERVER_A);
    expect(opt(message, 61)).toEqual(CLIENT_ID);
    expect(opt(message, 55)).toBeUndefined();
    expect(latest().kinds()).toEqual(["bound", "released"]);
    expect(saved.at(-1)).toBeUndefined();
    expect(latest().client.state).toBe("stopped");
    expect(transport.listening).toBe(false);
  });

  it("sends nothing on stop when not asked to release, and keeps the saved lease", async () => {
    const { transport, saved } = await start();
    await bindClient(latest());
    await latest().stop();
    expect(transport.sent).toHaveLength(2);
    expect(latest().kinds()).toEqual(["bound"]);
    expect(saved.at(-1)).toMatchObject({ address: ADDRESS });
  });

  it("keeps the lease, saved and unreleased, when the RELEASE cannot be sent (a failed socket)", async () => {
    const { transport, saved } = await start({ releaseOnStop: true });
    await bindClient(latest());
    transport.failSends = true;
    await latest().stop();
    // The server still holds the binding: the address stays and the next run asks for it again.
    expect(latest().kinds()).toEqual(["bound"]);
    expect(saved.at(-1)).toMatchObject({ address: ADDRESS });
    expect(latest().client.state).toBe("stopped");
  });

  it("sends no RELEASE when it holds no lease", async () => {
    const { transport } = await start({ releaseOnStop: true });
    await latest().stop();
    expect(transport.sent.map((s) => type(s.message))).toEqual([T.Discover]);
  });
});

describe("MAC-based client identifier", () => {
  it("sends hardware type 1 and the MAC, and ignores replies carrying the DUID form", async () => {
    const clientIdentifier = { form: "hardware", hardwareType: 1, address: MAC } as const;
    const { clock, transport } = await start({ clientIdentifier });
    expect(opt(transport.last(), 61)).toEqual(clientIdentifier);
    transport.deliver(offer(transport.last(), { clientId: CLIENT_ID }));
    await clock.flush();
    expect(transport.ofType(T.Request)).toHaveLength(0);
    transport.deliver(offer(transport.last()));
    await clock.flush();
    expect(transport.ofType(T.Request)).toHaveLength(1);
  });
});
