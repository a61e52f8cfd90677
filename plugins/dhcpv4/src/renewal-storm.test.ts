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
  it.each([
    ["no", () => 0.5],
    ["the lowest", () => 0],
  ])("cannot make the client renew more often than every 28.5 s (%s T1 fuzz), nor apply more than 64 routes", async (_fuzz, random) => {
    const h = await start({ random });
    await bindClient(h, ROGUE);
    await serveEverySecond(h.clock, h.transport, 300, rogue);
    const requests = h.transport.ofType(T.Request).length;
    // One REQUEST to bind, then one renewal per 30 s (T1 of the 60 s floor lease), 28.5 s with the lowest fuzz.
    expect(requests).toBeGreaterThanOrEqual(10);
    expect(requests).toBeLessThanOrEqual(12);
    const renewals = h.transport.ofType(T.Request).map((m) => m.at);
    for (let i = 1; i < renewals.length; i++) expect(renewals[i]! - renewals[i - 1]!).toBeGreaterThanOrEqual(28_500);
    expect(h.events.length).toBeLessThanOrEqual(12);
    expect(h.events.every((e) => e.lease!.routes.length === MAX_CLASSLESS_ROUTES)).toBe(true);
    expect(h.events.every((e) => e.lease!.addresses[0]!.validLifetime === 60)).toBe(true);
    expect(h.logs.messages({ level: "warn" }).at(-1)).toBe(
      "Ignoring 936 of the 1000 classless static routes (option 121): at most 64 are applied",
    );
  });
});

/** A seeded uniform source (mulberry32), so each client of a fleet draws differently but every run alike. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe("T1 and T2 with random fuzz (RFC 2131 section 4.4.5)", () => {
  it("spreads the renewals of clients bound at the same moment over +-5 % of T1, never early past it", async () => {
    const renewals: number[] = [];
    for (let i = 0; i < 20; i++) {
      const h = await start({ random: seeded(i + 1) });
      await bindClient(h);
      // A 1 h lease: T1 1800 s, T2 3150 s, fuzzed to 1710..1890 s and 2992.5..3307.5 s.
      await h.clock.advance(1_700_000);
      expect(h.transport.ofType(T.Request)).toHaveLength(1);
      await h.clock.advance(200_000);
      const renewal = h.transport.ofType(T.Request)[1]!;
      renewals.push(renewal.at / 1000);
      expect(renewal.to).toEqual({ unicast: "192.0.2.1" });
    }
    expect(Math.min(...renewals)).toBeGreaterThanOrEqual(1710);
    expect(Math.max(...renewals)).toBeLessThanOrEqual(1890);
    // Twenty uniform draws over 180 s: far apart, not one instant.
    expect(Math.max(...renewals) - Math.min(...renewals)).toBeGreaterThan(90);
    expect(new Set(renewals.map(Math.round)).size).toBeGreaterThan(15);
  });

  it.each([
    ["lowest", () => 0],
    ["highest", () => 0.999999],
  ])("keeps T1 before T2 and T2 before the lease's end with the %s fuzz, also when the server puts them close together", async (_name, random) => {
    const h = await start({ random });
    // T1 100 s, T2 101 s, lease 102 s: no room to fuzz past each other.
    await bindClient(h, { leaseTime: 102, t1: 100, t2: 101 });
    await h.clock.advance(100_999);
    const requests = h.transport.ofType(T.Request);
    expect(requests.length).toBe(2);
    expect(requests[1]!.to).toEqual({ unicast: "192.0.2.1" });
    await h.clock.advance(2_000);
    const rebind = h.transport.ofType(T.Request).find((m) => m.to === "broadcast" && m.at > 0);
    expect(rebind).toBeDefined();
    expect(rebind!.at).toBeLessThan(102_000);
  });
});
