import { Dhcpv4MessageType as T, dhcpv4OptionValue as opt, type Dhcpv4Message } from "@incusx/dhcp-wire";
import { serveEverySecond, stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ack, bindClient, offer, startClient, type AnswerOptions } from "./fake-server.test-support.js";
import { MAX_CLASSLESS_ROUTES } from "./lease.js";

const { start } = stoppedAfterEach(afterEach, startClient);

const ROUTES = Array.from({ length: 1000 }, (_, i) => ({ destination: `198.51.${i >> 8}.${i & 0xff}`, prefixLength: 32, router: "192.0.2.1" }));

/** A rogue server: answers everything at once with T1 = T2 = 0, a 1 s lease and 1000 classless routes. */
const ROGUE: AnswerOptions = { leaseTime: 1, t1: 0, t2: 0, classless: ROUTES };

/** The rogue server's answer to anything the client sends. */
function rogue(message: Dhcpv4Message): Dhcpv4Message | undefined {
  const type = opt(message, 53);
  if (type === T.Discover) return offer(message, ROGUE);
  return type === T.Request ? ack(message, ROGUE) : undefined;
}

describe("a rogue server (T1 = T2 = 0, 1 s lease, 1000 classless routes)", () => {
  it("cannot make the client renew more often than every 30 s, nor apply more than 64 routes", async () => {
    const h = await start();
    await bindClient(h, ROGUE);
    await serveEverySecond(h.clock, h.transport, 300, rogue);
    const requests = h.transport.ofType(T.Request).length;
    // One REQUEST to bind, then one renewal per 30 s (T1 of the 60 s floor lease).
    expect(requests).toBeGreaterThanOrEqual(10);
    expect(requests).toBeLessThanOrEqual(12);
    expect(h.events.length).toBeLessThanOrEqual(12);
    expect(h.events.every((e) => e.lease!.routes.length === MAX_CLASSLESS_ROUTES)).toBe(true);
    expect(h.events.every((e) => e.lease!.addresses[0]!.validLifetime === 60)).toBe(true);
    expect(h.logs.messages({ level: "warn" }).at(-1)).toBe(
      "Ignoring 936 of the 1000 classless static routes (option 121): at most 64 are applied",
    );
  });
});
