import { Dhcpv6MessageType as T, type Dhcpv6ClientServerMessage } from "@incusx/dhcp-wire";
import { serveEverySecond, stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_ADDRESS, advertise, bindClient, reply, startClient, type AnswerOptions } from "./fake-server.test-support.js";
import { MAX_IA_ADDRESSES } from "./lease.js";

const { start } = stoppedAfterEach(afterEach, startClient);

/** A rogue server: answers everything at once with T1 = T2 = 0 and an address valid for 1 s, preferred for 0. */
const ROGUE: AnswerOptions = { t1: 0, t2: 0, addresses: [{ address: DEFAULT_ADDRESS, preferred: 0, valid: 1 }] };

/** The rogue server's answer to anything the client sends. */
function rogue(message: Dhcpv6ClientServerMessage): Dhcpv6ClientServerMessage | undefined {
  if (message.messageType === T.SOLICIT) return advertise(message, ROGUE);
  return message.messageType === T.RELEASE || message.messageType === T.DECLINE ? undefined : reply(message, ROGUE);
}

describe("a rogue server (T1 = T2 = 0, valid lifetime 1 s, preferred 0)", () => {
  it("cannot make the client renew more often than every 30 s", async () => {
    const h = await start();
    await bindClient(h, ROGUE);
    await serveEverySecond(h.clock, h.transport, 300, rogue);
    const sent = h.transport.sent.filter((s) => s.message.messageType === T.RENEW || s.message.messageType === T.REBIND).length;
    // One Renew per 30 s (T1 of the 60 s lifetime floor).
    expect(sent).toBeGreaterThanOrEqual(9);
    expect(sent).toBeLessThanOrEqual(11);
    expect(h.events.length).toBeLessThanOrEqual(12);
    expect(h.events.every((e) => e.lease!.addresses[0]!.validLifetime === 60)).toBe(true);
  });
});

describe("a rogue server granting a new address on every Reply (T1 10 s, lifetimes never ending)", () => {
  it(`cannot grow the lease past ${MAX_IA_ADDRESSES} addresses: the oldest ones left out go first`, async () => {
    const h = await start();
    const fresh = (n: number): AnswerOptions => ({ t1: 10, t2: 20, addresses: [{ address: `2001:db8:2::${n.toString(16)}`, preferred: 0xffffffff, valid: 0xffffffff }] });
    await bindClient(h, fresh(0));
    let n = 0;
    await serveEverySecond(h.clock, h.transport, 600, (m) => (m.messageType === T.RENEW || m.messageType === T.REBIND ? reply(m, fresh(++n)) : undefined));
    // One Renew per 10 s: far more addresses granted than kept.
    expect(n).toBeGreaterThan(2 * MAX_IA_ADDRESSES);
    const last = h.events.at(-1)!.lease!.addresses.map((a) => a.address);
    expect(last).toHaveLength(MAX_IA_ADDRESSES);
    // The newest grant first, then the most recent of those carried over.
    expect(last[0]).toBe(`2001:db8:2::${n.toString(16)}`);
    expect(last).toContain(`2001:db8:2::${(n - MAX_IA_ADDRESSES + 1).toString(16)}`);
    expect(last).not.toContain(`2001:db8:2::${(n - MAX_IA_ADDRESSES).toString(16)}`);
  });
});
