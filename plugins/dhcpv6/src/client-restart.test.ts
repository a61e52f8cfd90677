import { Dhcpv6MessageType as T, Dhcpv6OptionCode as O, Dhcpv6StatusCode as S, encodeDuid, findDhcpv6Option, type Dhcpv6ClientServerMessage } from "@incusx/dhcp-wire";
import { stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { duidHex, type Binding } from "./lease.js";
import type { SavedBinding } from "./saved-binding.js";
import { RESTART_RENEW_WAIT_MS } from "./client.js";
import { DEFAULT_ADDRESS, IAID, SERVER_A, SERVER_B, bindClient, reply, startClient } from "./fake-server.test-support.js";

const hex = (d: Parameters<typeof encodeDuid>[0]) => Buffer.from(encodeDuid(d)).toString("hex");
const ia = (m: Dhcpv6ClientServerMessage) => findDhcpv6Option(m, O.IA_NA);
const { start, latest } = stoppedAfterEach(afterEach, startClient);

// A binding an earlier run got 1000 s before this run starts (the clock starts at 0):
// T1 1800 s, T2 2880 s, preferred 3600 s, valid 7200 s, so 800 s to T1.
const OBTAINED_AT = -1_000_000;
const saved = (overrides: Partial<Binding> = {}): Binding => ({
  serverId: SERVER_A,
  server: duidHex(SERVER_A),
  obtainedAt: OBTAINED_AT,
  addresses: [{ address: DEFAULT_ADDRESS, preferredLifetime: 3600, validLifetime: 7200 }],
  t1: 1800,
  t2: 2880,
  dns: { servers: ["2001:db8:1::53"], search: [] },
  ...overrides,
});

// A client started with `savedBinding`, recording what it persists.
async function restarted(binding: Binding, more: Parameters<typeof startClient>[0] = {}) {
  const persisted: (SavedBinding | undefined)[] = [];
  const h = await start({ savedBinding: binding, persist: async (b) => void persisted.push(b), ...more });
  return { ...h, persisted };
}

describe("restart with a saved binding (RFC 8415 section 18.2.4)", () => {
  it("renews it with its server at once instead of soliciting, and reports bound once the Reply confirms it", async () => {
    const { clock, transport, events, persisted } = await restarted(saved());
    expect(transport.sent.map((s) => [s.message.messageType, s.at, s.to])).toEqual([[T.RENEW, 0, "all-servers"]]);
    const renew = transport.last();
    expect(hex(findDhcpv6Option(renew, O.SERVERID)!.duid)).toBe(hex(SERVER_A));
    // The lifetimes left after the 1000 s the client was down.
    expect(findDhcpv6Option(ia(renew)!, O.IAADDR)).toMatchObject({ address: DEFAULT_ADDRESS, preferredLifetime: 2600, validLifetime: 6200 });
    expect(events).toEqual([]);
    await clock.advance(20);
    transport.deliver(reply(renew));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.at, e.lease?.addresses.map((a) => a.address)])).toEqual([["bound", 20, [DEFAULT_ADDRESS]]]);
    expect(latest().client.state).toBe("bound");
    expect(persisted).toEqual([expect.objectContaining({ iaid: IAID, server: hex(SERVER_A), obtainedAt: 20, renewAt: 20 + 1_800_000 })]);
    // Later Renews are the usual ones, reported as renewed.
    await clock.advance(1_800_000);
    transport.deliver(reply(transport.last()));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound", "renewed"]);
  });

  it("renews by unicast when the saved binding allows it", async () => {
    const { transport } = await restarted(saved({ unicast: "2001:db8:1::1" }));
    expect(transport.sent.map((s) => [s.message.messageType, s.to])).toEqual([[T.RENEW, { unicast: "2001:db8:1::1" }]]);
  });

  it("sends a Request to the server on NoBinding, keeping the addresses, and reports the Reply as bound", async () => {
    const { clock, transport, events } = await restarted(saved());
    transport.deliver(reply(transport.last(), { iaStatus: S.NoBinding, addresses: [] }));
    await clock.flush();
    const request = transport.last();
    expect(request.messageType).toBe(T.REQUEST);
    expect(hex(findDhcpv6Option(request, O.SERVERID)!.duid)).toBe(hex(SERVER_A));
    expect(findDhcpv6Option(ia(request)!, O.IAADDR)?.address).toBe(DEFAULT_ADDRESS);
    expect(events).toEqual([]);
    transport.deliver(reply(request));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it("gives the saved addresses up (expired) and solicits when the Request after NoBinding is refused", async () => {
    const { clock, transport, events, persisted } = await restarted(saved());
    transport.deliver(reply(transport.last(), { iaStatus: S.NoBinding, addresses: [] }));
    await clock.flush();
    transport.deliver(reply(transport.last(), { iaStatus: S.NoAddrsAvail, addresses: [] }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.lease?.addresses.map((a) => a.address)])).toEqual([["expired", [DEFAULT_ADDRESS]]]);
    expect(transport.last().messageType).toBe(T.SOLICIT);
    expect(persisted).toEqual([undefined]);
  });

  it("keeps the binding (Confirm unanswered too), rebinds at the saved T2 when its server does not answer, then expires at the end of the valid lifetime and solicits", async () => {
    const { clock, transport, events, persisted } = await restarted(saved());
    const rebindAt = OBTAINED_AT + 2_880_000;
    const expiry = OBTAINED_AT + 7_200_000;
    await clock.advance(rebindAt);
    expect(transport.ofType(T.RENEW).length).toBeGreaterThan(1);
    expect(transport.sent.at(-1)).toMatchObject({ at: rebindAt, message: { messageType: T.REBIND } });
    await clock.advance(expiry - rebindAt);
    // Reported bound once the Confirm after the unanswered Renew ran out (CNF_MAX_RD 10 s).
    expect(events.map((e) => [e.kind, e.at])).toEqual([["bound", RESTART_RENEW_WAIT_MS + 10_000], ["expired", expiry]]);
    expect(transport.last().messageType).toBe(T.SOLICIT);
    expect(persisted).toEqual([undefined]);
  });

  it("rebinds at once when the saved T2 is past, and reports the Reply of any server as bound", async () => {
    const { clock, transport, events } = await restarted(saved({ obtainedAt: -3_000_000 }));
    expect(transport.sent.map((s) => s.message.messageType)).toEqual([T.REBIND]);
    transport.deliver(reply(transport.last(), { server: SERVER_B }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.lease?.server])).toEqual([["bound", hex(SERVER_B)]]);
  });

  it("solicits when the saved binding has expired, and says so", async () => {
    const { transport, events, logs } = await restarted(saved({ obtainedAt: -7_200_000 }));
    expect(transport.sent.map((s) => s.message.messageType)).toEqual([T.SOLICIT]);
    expect(events).toEqual([]);
    expect(logs.messages({ level: "info" })).toContain("The saved DHCPv6 binding has expired; soliciting");
  });

  it("expires on NotOnLink (the container moved), so the runtime removes the saved addresses", async () => {
    const { clock, transport, events } = await restarted(saved());
    transport.deliver(reply(transport.last(), { iaStatus: S.NotOnLink, addresses: [] }));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["expired"]);
    expect(transport.last().messageType).toBe(T.SOLICIT);
  });
});

describe("restart against a server that never answers Renew (OVN; RFC 8415 sections 18.2.3 and 18.2.12)", () => {
  // OVN's binding: T1 = T2 = 0 and infinite lifetimes, so it never expires and is never renewed.
  const ovn = () => saved({ t1: Infinity, t2: Infinity, addresses: [{ address: DEFAULT_ADDRESS, preferredLifetime: 0xffffffff, validLifetime: 0xffffffff }] });

  it(`confirms the binding ${RESTART_RENEW_WAIT_MS} ms after an unanswered Renew, and reports it bound on Success`, async () => {
    const { clock, transport, events, persisted } = await restarted(ovn());
    expect(transport.sent.map((s) => [s.message.messageType, s.at])).toEqual([[T.RENEW, 0]]);
    await clock.advance(RESTART_RENEW_WAIT_MS);
    expect(transport.sent.map((s) => [s.message.messageType, s.at])).toEqual([[T.RENEW, 0], [T.CONFIRM, RESTART_RENEW_WAIT_MS]]);
    expect(events).toEqual([]);
    transport.deliver(reply(transport.last(), { status: S.Success, noIa: true }));
    await clock.flush();
    expect(events.map((e) => [e.kind, e.at, e.lease?.addresses.map((a) => a.address)])).toEqual([["bound", RESTART_RENEW_WAIT_MS, [DEFAULT_ADDRESS]]]);
    expect(latest().client.state).toBe("bound");
    // Nothing else to do with an infinite binding: no Renew, no Solicit, no rewrite of the saved binding.
    await clock.advance(3_600_000);
    expect(transport.sent.map((s) => s.message.messageType)).toEqual([T.RENEW, T.CONFIRM]);
    expect(persisted).toEqual([]);
  });

  it("keeps the binding and reports it bound when the Confirm is not answered within CNF_MAX_RD either", async () => {
    const { clock, transport, events } = await restarted(ovn());
    await clock.advance(RESTART_RENEW_WAIT_MS + 10_000);
    expect(events.map((e) => [e.kind, e.at])).toEqual([["bound", RESTART_RENEW_WAIT_MS + 10_000]]);
    expect(latest().client.state).toBe("bound");
    expect(transport.ofType(T.SOLICIT)).toHaveLength(0);
  });

  it("expires the saved addresses and solicits when the Confirm says NotOnLink", async () => {
    const { clock, transport, events, persisted } = await restarted(ovn());
    await clock.advance(RESTART_RENEW_WAIT_MS);
    expect(transport.last().messageType).toBe(T.CONFIRM);
    transport.deliver(reply(transport.last(), { status: S.NotOnLink, noIa: true }));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["expired"]);
    expect(transport.last().messageType).toBe(T.SOLICIT);
    expect(persisted).toEqual([undefined]);
  });

  it("bounds a restart's Rebind (saved T2 past) the same way", async () => {
    const { clock, transport, events } = await restarted(saved({ obtainedAt: -3_000_000 }));
    await clock.advance(RESTART_RENEW_WAIT_MS);
    expect(transport.sent.map((s) => s.message.messageType)).toEqual([T.REBIND, T.CONFIRM]);
    transport.deliver(reply(transport.last(), { status: S.Success, noIa: true }));
    await clock.flush();
    expect(events.map((e) => e.kind)).toEqual(["bound"]);
  });
});

describe("persisting the binding", () => {
  it("saves it on bind and renewal with absolute times, and deletes it on release", async () => {
    const persisted: (SavedBinding | undefined)[] = [];
    const h = await start({ releaseOnStop: true, persist: async (b) => void persisted.push(b) });
    await bindClient(h);
    expect(persisted).toEqual([
      {
        iaid: IAID,
        server: hex(SERVER_A),
        obtainedAt: 1050,
        renewAt: 1050 + 1_800_000,
        rebindAt: 1050 + 2_880_000,
        addresses: [{ address: DEFAULT_ADDRESS, preferredUntil: 1050 + 3_600_000, validUntil: 1050 + 7_200_000 }],
        dns: { servers: ["2001:db8:1::53"], search: [] },
      },
    ]);
    await h.clock.advance(1_800_000);
    h.transport.deliver(reply(h.transport.last()));
    await h.clock.flush();
    expect(persisted[1]).toMatchObject({ obtainedAt: 1_801_050 });
    await h.stop();
    expect(persisted).toHaveLength(3);
    expect(persisted[2]).toBeUndefined();
  });

  it("saves infinite lifetimes and T1/T2 as null", async () => {
    const persisted: (SavedBinding | undefined)[] = [];
    const h = await start({ persist: async (b) => void persisted.push(b) });
    await bindClient(h, { t1: 0xffffffff, t2: 0xffffffff, addresses: [{ address: DEFAULT_ADDRESS, preferred: 0xffffffff, valid: 0xffffffff }] });
    expect(persisted[0]).toMatchObject({ renewAt: null, rebindAt: null, addresses: [{ address: DEFAULT_ADDRESS, preferredUntil: null, validUntil: null }] });
  });

  it("keeps the protocol going when saving fails", async () => {
    const h = await start({ persist: () => Promise.reject(new Error("disk full")) });
    await bindClient(h);
    expect(h.kinds()).toEqual(["bound"]);
    expect(h.logs.messages({ level: "warn" })).toEqual(["Failed to save the DHCPv6 binding"]);
  });
});
