import { Dhcpv6MessageType as T } from "@incusx/dhcp-wire";
import { stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_ADDRESS, advertise, bindClient, reply, startClient, type AnswerOptions, type Harness } from "./fake-server.test-support.js";

const { start } = stoppedAfterEach(afterEach, startClient);

/** A rogue server: answers everything at once with T1 = T2 = 0 and an address valid for 1 s, preferred for 0. */
const ROGUE: AnswerOptions = { t1: 0, t2: 0, addresses: [{ address: DEFAULT_ADDRESS, preferred: 0, valid: 1 }] };

/**
 * Advances `seconds` of fake time one second at a time, answering what the
 * client sent (at most 3 messages a second, so a client in a tight loop
 * fails the count instead of hanging the test).
 */
async function serve(h: Harness, seconds: number): Promise<void> {
  let answered = h.transport.sent.length;
  for (let s = 0; s < seconds; s++) {
    await h.clock.advance(1_000);
    for (let n = 0; n < 3 && answered < h.transport.sent.length; n++) {
      const { message } = h.transport.sent[answered++]!;
      if (message.messageType === T.SOLICIT) h.transport.deliver(advertise(message, ROGUE));
      else if (message.messageType !== T.RELEASE && message.messageType !== T.DECLINE) h.transport.deliver(reply(message, ROGUE));
      await h.clock.flush();
    }
  }
}

describe("a rogue server (T1 = T2 = 0, valid lifetime 1 s, preferred 0)", () => {
  it("cannot make the client renew more often than every 30 s", async () => {
    const h = await start();
    await bindClient(h, ROGUE);
    await serve(h, 300);
    const sent = h.transport.sent.filter((s) => s.message.messageType === T.RENEW || s.message.messageType === T.REBIND).length;
    // One Renew per 30 s (T1 of the 60 s lifetime floor).
    expect(sent).toBeGreaterThanOrEqual(9);
    expect(sent).toBeLessThanOrEqual(11);
    expect(h.events.length).toBeLessThanOrEqual(12);
    expect(h.events.every((e) => e.lease!.addresses[0]!.validLifetime === 60)).toBe(true);
  });
});
