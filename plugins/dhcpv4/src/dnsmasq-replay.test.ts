// Replays real dnsmasq 2.90 answers, captured by @incusx/dhcp-wire's
// capture script (packages/dhcp-wire/src/fixtures/v4), into the client:
// the client takes the captured client's MAC, client identifier and
// transaction ids, so the server's bytes are delivered unchanged.
import { Dhcpv4MessageType as T, decodeDhcpv4, dhcpv4OptionValue as opt } from "@incusx/dhcp-wire";
import { capturedMessage } from "@incusx/dhcp-wire/testing";
import { stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startClient } from "./fake-server.test-support.js";

const fixture = (name: string): Uint8Array => capturedMessage("v4", name);

/** The captured client's chaddr and client identifier. */
function identity(name: string) {
  const m = decodeDhcpv4(fixture(name));
  const clientIdentifier = opt(m, 61) ?? { form: "hardware" as const, hardwareType: 1, address: m.chaddr.slice() };
  return { mac: m.chaddr.slice(), clientIdentifier };
}

function transactionIds(...ids: number[]): () => number {
  return () => ids.shift() ?? 0x42424242;
}

const { start } = stoppedAfterEach(afterEach, startClient);

describe("against captured dnsmasq 2.90 answers", () => {
  it("requests dnsmasq's OFFER, binds on its ACK (no client identifier echoed), renews at T1 and takes the renewal ACK", async () => {
    const h = await start({ ...identity("dhcpcd-06-discover"), transactionId: transactionIds(0x838ca0bf, 0xc9c44eb7) });
    h.transport.deliverBytes(fixture("dhcpcd-07-offer"));
    await h.clock.flush();
    const request = h.transport.last();
    expect([opt(request, 53), opt(request, 50), opt(request, 54), request.xid]).toEqual([T.Request, "192.0.2.150", "192.0.2.1", 0x838ca0bf]);
    h.transport.deliverBytes(fixture("dhcpcd-09-ack"));
    await h.clock.flush();
    expect(h.events).toEqual([
      expect.objectContaining({
        kind: "bound",
        at: 0,
        lease: {
          family: "ipv4",
          interface: "eth0",
          server: "192.0.2.1",
          obtainedAt: 0,
          addresses: [{ address: "192.0.2.150", prefixLength: 24, preferredLifetime: 120, validLifetime: 120 }],
          // Option 121 is there, so option 3 is ignored (RFC 3442).
          routes: [
            { destination: "198.51.100.0/24", gateway: "192.0.2.1" },
            { destination: "0.0.0.0/0", gateway: "192.0.2.1" },
          ],
          dns: { servers: ["192.0.2.53"], search: ["example.com", "eng.example.com"], domain: "example.com" },
          mtu: 1500,
        },
      }),
    ]);
    // dnsmasq sent T1 60 s and T2 105 s.
    await h.clock.advance(60_000);
    expect(h.transport.sent.at(-1)).toMatchObject({ at: 60_000, to: { unicast: "192.0.2.1" }, message: { xid: 0xc9c44eb7, ciaddr: "192.0.2.150" } });
    h.transport.deliverBytes(fixture("dhcpcd-11-ack"));
    await h.clock.flush();
    expect(h.kinds()).toEqual(["bound", "renewed"]);
    // The renewal ACK sets T1 54 s.
    await h.clock.advance(54_000);
    expect(h.transport.sent.at(-1)).toMatchObject({ at: 114_000, to: { unicast: "192.0.2.1" } });
  });

  it("takes dnsmasq's NAK to an INIT-REBOOT for an address of another network and discovers", async () => {
    const h = await start({
      ...identity("dhclient-10-request"),
      savedLease: { address: "198.51.100.77", server: "198.51.100.1", expiresAt: null },
      transactionId: transactionIds(0xc593546f, 0x1234),
    });
    expect(h.transport.last()).toMatchObject({ xid: 0xc593546f });
    h.transport.deliverBytes(fixture("dhclient-11-nak"));
    await h.clock.flush();
    expect(h.saved).toEqual([undefined]);
    expect(h.transport.sent.map((s) => [opt(s.message, 53), s.at])).toEqual([
      [T.Request, 0],
      [T.Discover, 0],
    ]);
    expect(h.logs.messages({ level: "info" })).toContainEqual(expect.stringContaining("DHCPNAK"));
  });
});
