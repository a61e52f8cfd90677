import { FakeClock, MemoryLogSink } from "@incusx/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  ANNOUNCE_INTERVAL_MS,
  AddressConflictDetector,
  DEFEND_INTERVAL_MS,
  PROBE_NUM,
  type AddressDefence,
} from "./acd.js";
import { buildArpAnnouncement, buildArpProbe, encodeArp, type ArpPacket } from "./arp.js";
import { FakeArp, arpReply } from "./fake-arp.test-support.js";

const MAC = Uint8Array.of(0x02, 0x16, 0x3e, 0xaa, 0xbb, 0xcc);
const PEER = Uint8Array.of(0x02, 0x16, 0x3e, 0x11, 0x22, 0x33);
const ADDRESS = "192.0.2.10";

function setUp(random: () => number = () => 0.5) {
  const clock = new FakeClock(0);
  const arp = new FakeArp(clock);
  const logs = new MemoryLogSink();
  const acd = new AddressConflictDetector({ clock, transport: arp, mac: MAC, random, logger: logs.logger("incusx.dhcpv4", clock) });
  return { clock, arp, logs, acd };
}

/** A reply from the peer holding ADDRESS, as Linux answers a probe. */
const peerReply = (): Uint8Array => arpReply(PEER, ADDRESS, MAC);

describe("ARP probing (RFC 5227 section 2.1.1)", () => {
  it.each([
    ["middle", () => 0.5, [500, 2000, 3500], 5500],
    ["lowest", () => 0, [0, 1000, 2000], 4000],
    ["highest", () => 1, [1000, 3000, 5000], 7000],
  ])("sends 3 probes at PROBE_WAIT, PROBE_MIN..PROBE_MAX apart, and calls the address free ANNOUNCE_WAIT after the last (%s random)", async (_n, random, times, free) => {
    const { clock, arp, acd } = setUp(random);
    let result: ArpPacket | undefined | "pending" = "pending";
    void acd.probe(ADDRESS, new AbortController().signal).then((r) => (result = r));
    await clock.advance(free - 1);
    expect(result).toBe("pending");
    await clock.advance(1);
    expect(result).toBeUndefined();
    expect(arp.sent.map((s) => s.at)).toEqual(times);
    expect(arp.sent).toHaveLength(PROBE_NUM);
    for (const { packet } of arp.sent) expect(packet).toMatchObject({ operation: 1, senderIp: "0.0.0.0", targetIp: ADDRESS, senderMac: MAC });
    expect(arp.listening).toBe(0);
  });

  it("stops at the first conflicting reply and returns it", async () => {
    const { clock, arp, acd } = setUp();
    const probing = acd.probe(ADDRESS, new AbortController().signal);
    await clock.advance(600);
    arp.deliver(peerReply());
    await clock.flush();
    await expect(probing).resolves.toMatchObject({ senderMac: PEER, senderIp: ADDRESS });
    expect(arp.sent).toHaveLength(1);
    expect(arp.listening).toBe(0);
  });

  it("counts another host probing for the same address, and one announcing it, as conflicts; not its own packets, nor ARP about other addresses", async () => {
    for (const [packet, conflict] of [
      [buildArpProbe(PEER, ADDRESS), true],
      [buildArpAnnouncement(PEER, ADDRESS), true],
      [buildArpProbe(MAC, ADDRESS), false],
      [buildArpAnnouncement(MAC, ADDRESS), false],
      [buildArpProbe(PEER, "192.0.2.11"), false],
      [encodeArp({ operation: 1, senderMac: PEER, senderIp: "192.0.2.1", targetMac: new Uint8Array(6), targetIp: ADDRESS }), false],
      [Uint8Array.of(1, 2, 3), false],
    ] as const) {
      const { clock, arp, acd } = setUp();
      let result: ArpPacket | undefined | "pending" = "pending";
      void acd.probe(ADDRESS, new AbortController().signal).then((r) => (result = r));
      await clock.advance(100);
      arp.deliver(packet);
      await clock.flush();
      if (conflict) expect(result).toMatchObject({ senderMac: PEER });
      else {
        await clock.advance(10_000);
        expect(result).toBeUndefined();
      }
    }
  });

  it("rejects when aborted, and stops listening", async () => {
    const { clock, arp, acd } = setUp();
    const controller = new AbortController();
    const probing = acd.probe(ADDRESS, controller.signal);
    await clock.advance(1_000);
    controller.abort(new Error("stopped"));
    await expect(probing).rejects.toThrow("stopped");
    expect(arp.listening).toBe(0);
  });

  it("stays bounded under a flood of junk and foreign ARP: the answer comes on time", async () => {
    const { clock, arp, acd } = setUp();
    let result: ArpPacket | undefined | "pending" = "pending";
    void acd.probe(ADDRESS, new AbortController().signal).then((r) => (result = r));
    for (let i = 0; i < 10_000; i++) arp.deliver(i % 2 === 0 ? new Uint8Array(i % 64) : buildArpProbe(PEER, "192.0.2.99"));
    await clock.advance(5_500);
    expect(result).toBeUndefined();
  });
});

describe("announcing and defending (RFC 5227 sections 2.3 and 2.4)", () => {
  let defence: AddressDefence | undefined;
  afterEach(() => defence?.stop());

  it("announces twice, ANNOUNCE_INTERVAL apart", async () => {
    const { clock, arp, acd } = setUp();
    defence = acd.defend(ADDRESS, () => {});
    await clock.flush();
    expect(arp.sent.map((s) => s.at)).toEqual([0]);
    await clock.advance(ANNOUNCE_INTERVAL_MS * 5);
    expect(arp.sent.map((s) => s.at)).toEqual([0, ANNOUNCE_INTERVAL_MS]);
    for (const { packet } of arp.sent) expect(packet).toMatchObject({ operation: 1, senderIp: ADDRESS, targetIp: ADDRESS, senderMac: MAC });
  });

  it("defends once against a conflict, gives the address up at a second one within DEFEND_INTERVAL", async () => {
    const { clock, arp, acd, logs } = setUp();
    let lost = 0;
    defence = acd.defend(ADDRESS, () => lost++);
    await clock.advance(ANNOUNCE_INTERVAL_MS);
    const announced = arp.sent.length;
    arp.deliver(buildArpAnnouncement(PEER, ADDRESS));
    await clock.flush();
    expect(arp.sent).toHaveLength(announced + 1);
    expect(arp.sent.at(-1)!.packet).toMatchObject({ senderMac: MAC, senderIp: ADDRESS, targetIp: ADDRESS });
    expect(lost).toBe(0);
    expect(defence.lost).toBeUndefined();
    await clock.advance(DEFEND_INTERVAL_MS - 1);
    arp.deliver(peerReply());
    await clock.flush();
    expect(lost).toBe(1);
    expect(defence.lost).toMatchObject({ senderMac: PEER });
    expect(arp.sent).toHaveLength(announced + 1);
    // Lost once: later conflicts change nothing.
    arp.deliver(peerReply());
    expect(lost).toBe(1);
    expect(logs.messages({ level: "warn" })).toEqual([
      'Another host (02:16:3e:11:22:33) claims the address "192.0.2.10": defending it',
      'Another host (02:16:3e:11:22:33) claims the address "192.0.2.10" again within 10 s: giving it up',
    ]);
  });

  it("defends again when the conflicts are DEFEND_INTERVAL apart", async () => {
    const { clock, arp, acd } = setUp();
    let lost = 0;
    defence = acd.defend(ADDRESS, () => lost++);
    await clock.advance(ANNOUNCE_INTERVAL_MS);
    for (let i = 0; i < 3; i++) {
      arp.deliver(buildArpAnnouncement(PEER, ADDRESS));
      await clock.advance(DEFEND_INTERVAL_MS);
    }
    expect(lost).toBe(0);
    expect(arp.sent).toHaveLength(2 + 3);
  });

  it("ignores its own packets and ARP about other addresses, and stops listening when stopped", async () => {
    const { clock, arp, acd } = setUp();
    let lost = 0;
    defence = acd.defend(ADDRESS, () => lost++);
    for (let i = 0; i < 5; i++) {
      arp.deliver(buildArpAnnouncement(MAC, ADDRESS));
      arp.deliver(buildArpProbe(PEER, ADDRESS)); // a probe is no claim once the address is held: the kernel answers it
      arp.deliver(buildArpAnnouncement(PEER, "192.0.2.11"));
    }
    await clock.flush();
    expect(lost).toBe(0);
    expect(arp.sent).toHaveLength(1);
    defence.stop();
    expect(arp.listening).toBe(0);
    await clock.advance(ANNOUNCE_INTERVAL_MS);
    expect(arp.sent).toHaveLength(1);
  });
});
