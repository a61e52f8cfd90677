// The client with RFC 5227 address conflict detection on: probe after the
// ACK, DHCPDECLINE and a new DISCOVER on a conflict, announce and defend
// while bound.
import { Dhcpv4MessageType as T, dhcpv4OptionValue as opt } from "@incusx/dhcp-wire";
import { stoppedAfterEach } from "@incusx/dhcp-client/testing";
import type { DhcpAttemptFailure } from "@incusx/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { DEFEND_INTERVAL_MS, MAX_CONFLICTS, RATE_LIMIT_INTERVAL_MS } from "./acd.js";
import { buildArpAnnouncement } from "./arp.js";
import { DECLINE_WAIT_MS } from "./client.js";
import { FakeArp, arpReply } from "./fake-arp.test-support.js";
import { ADDRESS, MAC, OTHER_MAC, SERVER_A, ack, offer, startClient, type Harness } from "./fake-server.test-support.js";

const { start } = stoppedAfterEach(afterEach, startClient);

/** With mid random: probes at 0.5, 2 and 3.5 s after the ACK, the address free at 5.5 s. */
const PROBING_MS = 5_500;

async function startWithAcd(extra: Parameters<typeof startClient>[0] = {}): Promise<{ h: Harness; arp: FakeArp; failures: DhcpAttemptFailure[] }> {
  const failures: DhcpAttemptFailure[] = [];
  let h: Harness | undefined;
  // Nothing is sent on it before the ACK, long after `h` is set.
  const arp = new FakeArp({ now: () => h!.clock.now() });
  h = await start({ attemptFailed: (f) => failures.push(f), arp, ...extra });
  return { h, arp, failures };
}

/** DISCOVER answered with an OFFER of `address`, the REQUEST with an ACK. */
async function offerAndAck(h: Harness, address = ADDRESS): Promise<void> {
  h.transport.deliver(offer(h.transport.last(), { address }));
  await h.clock.flush();
  h.transport.deliver(ack(h.transport.last(), { address }));
  await h.clock.flush();
}

describe("address conflict detection after the ACK", () => {
  it("probes the address and reports it bound only once it is free, after the first announcement", async () => {
    const { h, arp } = await startWithAcd();
    await offerAndAck(h);
    expect(h.client.state).toBe("probing");
    await h.clock.advance(PROBING_MS - 1);
    expect(h.kinds()).toEqual([]);
    expect(arp.sent.map((s) => [s.at, s.packet.senderIp, s.packet.targetIp])).toEqual([
      [500, "0.0.0.0", ADDRESS],
      [2000, "0.0.0.0", ADDRESS],
      [3500, "0.0.0.0", ADDRESS],
    ]);
    await h.clock.advance(1);
    expect(h.kinds()).toEqual(["bound"]);
    expect(h.events[0]!.at).toBe(PROBING_MS);
    expect(arp.sent.at(-1)).toMatchObject({ at: PROBING_MS, packet: { senderIp: ADDRESS, targetIp: ADDRESS } });
    // The lease counts from the REQUEST, not from the end of probing.
    expect(h.events[0]!.lease!.obtainedAt).toBe(0);
  });

  it("declines an address another host answers for, waits 10 s and discovers afresh, then takes the next address", async () => {
    const { h, arp, failures } = await startWithAcd();
    await offerAndAck(h);
    await h.clock.advance(1_000);
    arp.deliver(arpReply(OTHER_MAC, ADDRESS, MAC));
    await h.clock.flush();
    const decline = h.transport.last();
    expect(opt(decline, 53)).toBe(T.Decline);
    expect(opt(decline, 50)).toBe(ADDRESS);
    expect(opt(decline, 54)).toBe(SERVER_A);
    expect(decline.ciaddr).toBe("0.0.0.0");
    expect(h.transport.sent.at(-1)!.to).toBe("broadcast");
    expect(h.kinds()).toEqual([]);
    expect(h.saved.at(-1)).toBeUndefined();
    expect(failures.at(-1)).toEqual({ code: "DECLINED", message: `the address ${ADDRESS} is in use by another host (02:16:3e:99:99:99); declined it` });
    const declinedAt = h.clock.now();
    await h.clock.advance(DECLINE_WAIT_MS - 1);
    expect(opt(h.transport.last(), 53)).toBe(T.Decline);
    await h.clock.advance(1);
    const discover = h.transport.last();
    expect(opt(discover, 53)).toBe(T.Discover);
    expect(h.transport.sent.at(-1)!.at - declinedAt).toBe(DECLINE_WAIT_MS);
    // Never asks for the declined address again.
    expect(opt(discover, 50)).toBeUndefined();
    await offerAndAck(h, "192.0.2.101");
    await h.clock.advance(PROBING_MS);
    expect(h.kinds()).toEqual(["bound"]);
    expect(h.events[0]!.lease!.addresses[0]!.address).toBe("192.0.2.101");
  });

  it(`limits itself to one attempt a minute after ${MAX_CONFLICTS} conflicts (RFC 5227 rate limit)`, async () => {
    const { h, arp } = await startWithAcd();
    const declines: number[] = [];
    for (let i = 0; i < MAX_CONFLICTS + 1; i++) {
      await offerAndAck(h);
      arp.deliver(arpReply(OTHER_MAC, ADDRESS, MAC));
      await h.clock.flush();
      declines.push(h.clock.now());
      await h.clock.advance(i + 1 >= MAX_CONFLICTS ? RATE_LIMIT_INTERVAL_MS : DECLINE_WAIT_MS);
      expect(opt(h.transport.last(), 53)).toBe(T.Discover);
    }
    const gaps = declines.slice(1).map((at, i) => at - declines[i]!);
    expect(gaps.slice(0, MAX_CONFLICTS - 1).every((g) => g === DECLINE_WAIT_MS)).toBe(true);
    expect(gaps.at(-1)).toBe(RATE_LIMIT_INTERVAL_MS);
  });

  it("probes the address an earlier run saved (INIT-REBOOT) and, held by another host, reports it expired so the runtime removes it, then declines it", async () => {
    const savedLease = { address: "192.0.2.150", server: SERVER_A, expiresAt: 1_000_000, prefixLength: 24 };
    const { h, arp } = await startWithAcd({ savedLease });
    const request = h.transport.last();
    expect(opt(request, 50)).toBe("192.0.2.150");
    h.transport.deliver(ack(request, { address: "192.0.2.150" }));
    await h.clock.flush();
    expect(h.client.state).toBe("probing");
    arp.deliver(arpReply(OTHER_MAC, "192.0.2.150", MAC));
    await h.clock.flush();
    expect(h.events.map((e) => [e.kind, e.lease!.addresses[0]!.address])).toEqual([["expired", "192.0.2.150"]]);
    expect(opt(h.transport.last(), 53)).toBe(T.Decline);
    await h.clock.advance(DECLINE_WAIT_MS);
    expect(opt(h.transport.last(), 53)).toBe(T.Discover);
    expect(opt(h.transport.last(), 50)).toBeUndefined();
  });

  it("probes nothing and binds at once without the option", async () => {
    const h = await start();
    await offerAndAck(h);
    expect(h.kinds()).toEqual(["bound"]);
  });
});

describe("defending the bound address", () => {
  it("defends once, and at a second claim within 10 s gives the address up: expired, DHCPDECLINE, DISCOVER 10 s later", async () => {
    const { h, arp, failures } = await startWithAcd();
    await offerAndAck(h);
    await h.clock.advance(PROBING_MS + 10_000);
    const sentBefore = arp.sent.length;
    arp.deliver(buildArpAnnouncement(OTHER_MAC, ADDRESS));
    await h.clock.flush();
    expect(arp.sent).toHaveLength(sentBefore + 1);
    expect(h.kinds()).toEqual(["bound"]);
    await h.clock.advance(DEFEND_INTERVAL_MS / 2);
    arp.deliver(buildArpAnnouncement(OTHER_MAC, ADDRESS));
    await h.clock.flush();
    expect(h.kinds()).toEqual(["bound", "expired"]);
    expect(opt(h.transport.last(), 53)).toBe(T.Decline);
    expect(opt(h.transport.last(), 50)).toBe(ADDRESS);
    expect(failures.at(-1)?.code).toBe("DECLINED");
    expect(arp.listening).toBe(0);
    await h.clock.advance(DECLINE_WAIT_MS);
    expect(opt(h.transport.last(), 53)).toBe(T.Discover);
  });

  it("keeps defending across a renewal of the same address, and stops when released", async () => {
    const { h, arp } = await startWithAcd({ releaseOnStop: true });
    await offerAndAck(h);
    await h.clock.advance(PROBING_MS);
    // T1 of the 1 h lease: renewed, no new probe.
    await h.clock.advance(1_800_000);
    h.transport.deliver(ack(h.transport.last()));
    await h.clock.flush();
    expect(h.kinds()).toEqual(["bound", "renewed"]);
    expect(arp.sent.filter((s) => s.packet.senderIp === "0.0.0.0")).toHaveLength(3);
    expect(arp.listening).toBe(1);
    await h.stop();
    expect(h.kinds()).toEqual(["bound", "renewed", "released"]);
    expect(arp.listening).toBe(0);
  });
});
