import { describe, expect, it } from "vitest";
import { ARP_PACKET_LENGTH, buildArpAnnouncement, buildArpProbe, encodeArp, parseArp } from "./arp.js";

const MAC = Uint8Array.of(0x02, 0x16, 0x3e, 0xaa, 0xbb, 0xcc);

describe("ARP packets", () => {
  it("builds probes and announcements as RFC 5227 lays them out", () => {
    const probe = buildArpProbe(MAC, "192.0.2.10");
    expect(Buffer.from(probe).toString("hex")).toBe("0001080006040001" + "02163eaabbcc" + "00000000" + "000000000000" + "c000020a");
    expect(parseArp(buildArpAnnouncement(MAC, "192.0.2.10"))).toEqual({
      operation: 1,
      senderMac: MAC,
      senderIp: "192.0.2.10",
      targetMac: new Uint8Array(6),
      targetIp: "192.0.2.10",
    });
  });

  it("reads a reply with Ethernet padding after it", () => {
    const reply = new Uint8Array(46);
    reply.set(encodeArp({ operation: 2, senderMac: MAC, senderIp: "192.0.2.10", targetMac: MAC, targetIp: "0.0.0.0" }));
    expect(parseArp(reply)).toMatchObject({ operation: 2, senderIp: "192.0.2.10", targetIp: "0.0.0.0" });
  });

  it("refuses anything that is not a whole Ethernet/IPv4 request or reply, without throwing", () => {
    const good = buildArpProbe(MAC, "192.0.2.10");
    const altered = (offset: number, value: number): Uint8Array => {
      const copy = good.slice();
      copy[offset] = value;
      return copy;
    };
    for (const bad of [
      new Uint8Array(0),
      good.subarray(0, ARP_PACKET_LENGTH - 1),
      altered(1, 6), // hardware type 6 (IEEE 802)
      altered(2, 0x86), // protocol 0x86dd
      altered(4, 8), // hardware address length 8
      altered(5, 16), // protocol address length 16
      altered(7, 3), // RARP request
      altered(7, 0),
    ]) {
      expect(parseArp(bad)).toBeUndefined();
    }
    // Random bytes of every length up to 64 never throw.
    let seed = 7;
    for (let length = 0; length <= 64; length++) {
      const bytes = Uint8Array.from({ length }, () => (seed = (seed * 1103515245 + 12345) & 0xff));
      expect(() => parseArp(bytes)).not.toThrow();
    }
  });

  it("reads a packet that sits inside a larger buffer at an offset", () => {
    const big = new Uint8Array(100);
    big.set(buildArpProbe(MAC, "198.51.100.7"), 30);
    expect(parseArp(big.subarray(30, 58))?.targetIp).toBe("198.51.100.7");
  });
});
