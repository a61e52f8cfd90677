// Replays real dnsmasq 2.90 answers, captured by @incusx/dhcp-wire's
// capture script (packages/dhcp-wire/src/fixtures/v6), into the client:
// the client takes the captured client's DUID, IAID and transaction ids, so
// the server's bytes are delivered unchanged.
import {
  Dhcpv6MessageType as T,
  Dhcpv6OptionCode as O,
  decodeDhcpv6,
  findDhcpv6Option,
  type Dhcpv6ClientServerMessage,
  type Duid,
} from "@incusx/dhcp-wire";
import { stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { advertise, startClient } from "./fake-server.test-support.js";

const captured = {
  rapidSolicit:
    "013fceae0001000e000100013294f65f00005e0053200003000c5e0053200000000000000000000600080017001800520053000800020000000e00000010001400007ed9000e696e637573782d6669787475726500270010010e696e637573782d66697874757265",
  rapidReply:
    "073fceae0001000e000100013294f65f00005e0053200002000e000100013294f64f00005e005301000e0000000300285e0053200000003c000000690005001820010db80001000000000000000001f50000007800000078000d000900007375636365737300070001ff0018001e076578616d706c6503636f6d0003656e67076578616d706c6503636f6d000017001020010db800010000000000000000005300270010010e696e637573782d66697874757265",
  rebindReply:
    "07b337320001000e000100013294f65f00005e0053200002000e000100013294f64f00005e005301000300285e00532000000036000000630005001820010db80001000000000000000001f500000078000000780018001e076578616d706c6503636f6d0003656e67076578616d706c6503636f6d000017001020010db800010000000000000000005300270010010e696e637573782d66697874757265",
  solicit:
    "011f71390001000e000100013294f6a700005e0053220003000c5e00532200000000000000000006000800170018005200530008000200000010001400007ed9000e696e637573782d6669787475726500270010010e696e637573782d66697874757265",
  advertise:
    "021f71390001000e000100013294f6a700005e0053220002000e000100013294f64f00005e005301000300285e0053220000003c000000690005001820010db800010000000000000000013a0000007800000078000d000900007375636365737300070001ff0018001e076578616d706c6503636f6d0003656e67076578616d706c6503636f6d000017001020010db800010000000000000000005300270010010e696e637573782d66697874757265",
  requestReply:
    "07ce76260001000e000100013294f6a700005e0053220002000e000100013294f64f00005e005301000300285e0053220000003c000000690005001820010db800010000000000000000013a0000007800000078000d00090000737563636573730018001e076578616d706c6503636f6d0003656e67076578616d706c6503636f6d000017001020010db800010000000000000000005300270010010e696e637573782d66697874757265",
  renewReply:
    "0782eb220001000e000100013294f6a700005e0053220002000e000100013294f64f00005e005301000300285e00532200000036000000630005001820010db800010000000000000000013a00000078000000780018001e076578616d706c6503636f6d0003656e67076578616d706c6503636f6d000017001020010db800010000000000000000005300270010010e696e637573782d66697874757265",
  informationRequest: "0b7b23c60001000a0003000100005e0053100006000600170018001f000800020000",
  informationReply:
    "077b23c60001000a0003000100005e0053100002000e000100013294f64f00005e0053010018001e076578616d706c6503636f6d0003656e67076578616d706c6503636f6d000017001020010db80001000000000000000000530020000400000258",
  pdSolicit:
    "01c12a080001000e000100013294f65a00005e0053100006000600170018001f0008000200000019000c5e00531000000e1000001518",
  noAddrsAdvertise:
    "02c12a080001000e000100013294f65a00005e0053100002000e000100013294f64f00005e005301000d001800026e6f2061646472657373657320617661696c61626c65",
} as const;

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));
const message = (hex: string) => decodeDhcpv6(bytes(hex)) as Dhcpv6ClientServerMessage;

/** The captured client's identity and the transaction ids it used. */
function identity(solicitHex: string): { duid: Duid; iaid: number } {
  const m = message(solicitHex);
  const duid = findDhcpv6Option(m, O.CLIENTID)!.duid;
  return { duid, iaid: findDhcpv6Option(m, O.IA_NA)?.iaid ?? 1 };
}

function transactionIds(...ids: number[]): () => number {
  return () => ids.shift() ?? 0x424242;
}

const DNS = { servers: ["2001:db8:1::53"], search: ["example.com", "eng.example.com"] };

const { start } = stoppedAfterEach(afterEach, startClient);

describe("against captured dnsmasq 2.90 answers", () => {
  it("binds from a Rapid Commit Reply, renews at T1 and takes the Rebind Reply", async () => {
    const h = await start({
      ...identity(captured.rapidSolicit),
      config: { addressPrefixLength: 128, rapidCommit: true },
      transactionId: transactionIds(0x3fceae, 0x111111, 0xb33732),
    });
    h.transport.deliverBytes(bytes(captured.rapidReply));
    await h.clock.flush();
    expect(h.events).toEqual([
      expect.objectContaining({
        kind: "bound",
        at: 0,
        lease: expect.objectContaining({
          addresses: [{ address: "2001:db8:1::1f5", prefixLength: 128, preferredLifetime: 120, validLifetime: 120 }],
          dns: DNS,
        }),
      }),
    ]);
    await h.clock.advance(60_000);
    expect(h.transport.sent.at(-1)).toMatchObject({ at: 60_000, message: { messageType: T.RENEW, transactionId: 0x111111 } });
    await h.clock.advance(45_000);
    expect(h.transport.sent.at(-1)).toMatchObject({ at: 105_000, message: { messageType: T.REBIND, transactionId: 0xb33732 } });
    h.transport.deliverBytes(bytes(captured.rebindReply));
    await h.clock.flush();
    expect(h.kinds()).toEqual(["bound", "rebound"]);
    expect(h.events[1]!.lease!.addresses[0]).toMatchObject({ address: "2001:db8:1::1f5", validLifetime: 120 });
  });

  it("Requests at once after dnsmasq's preference-255 Advertise, binds and renews", async () => {
    const h = await start({ ...identity(captured.solicit), transactionId: transactionIds(0x1f7139, 0xce7626, 0x82eb22) });
    h.transport.deliverBytes(bytes(captured.advertise));
    await h.clock.flush();
    const request = h.transport.last();
    expect(request).toMatchObject({ messageType: T.REQUEST, transactionId: 0xce7626 });
    expect(findDhcpv6Option(findDhcpv6Option(request, O.IA_NA)!, O.IAADDR)?.address).toBe("2001:db8:1::13a");
    h.transport.deliverBytes(bytes(captured.requestReply));
    await h.clock.flush();
    expect(h.kinds()).toEqual(["bound"]);
    await h.clock.advance(60_000);
    expect(h.transport.last()).toMatchObject({ messageType: T.RENEW, transactionId: 0x82eb22 });
    h.transport.deliverBytes(bytes(captured.renewReply));
    await h.clock.flush();
    expect(h.events.map((e) => [e.kind, e.at, e.lease?.dns])).toEqual([
      ["bound", 0, DNS],
      ["renewed", 60_000, DNS],
    ]);
    // dnsmasq's Renew Reply sets T1 54 s.
    await h.clock.advance(54_000);
    expect(h.transport.sent.at(-1)).toMatchObject({ at: 114_000, message: { messageType: T.RENEW } });
  });

  it("ignores dnsmasq's NoAddrsAvail Advertise and goes stateless after two rounds", async () => {
    const h = await start({ ...identity(captured.pdSolicit), transactionId: transactionIds(0xc12a08) });
    h.transport.deliverBytes(bytes(captured.noAddrsAdvertise));
    await h.clock.advance(1050);
    h.transport.deliverBytes(bytes(captured.noAddrsAdvertise));
    await h.clock.advance(2100);
    expect(h.transport.last().messageType).toBe(T.INFORMATION_REQUEST);
    expect(h.events).toEqual([]);
  });

  it("takes DNS and the Information Refresh Time from dnsmasq's Reply to an Information-request", async () => {
    const h = await start({ ...identity(captured.informationRequest), transactionId: transactionIds(0x100, 0x7b23c6) });
    const solicit = h.transport.last();
    for (const wait of [1050, 2100]) {
      h.transport.deliver(advertise(solicit, { noIa: true, status: 2 }));
      await h.clock.advance(wait);
    }
    expect(h.transport.last()).toMatchObject({ messageType: T.INFORMATION_REQUEST, transactionId: 0x7b23c6 });
    h.transport.deliverBytes(bytes(captured.informationReply));
    await h.clock.flush();
    expect(h.events.map((e) => [e.kind, e.lease?.addresses, e.lease?.dns])).toEqual([["bound", [], DNS]]);
    // dnsmasq sent an Information Refresh Time of 600 s.
    await h.clock.advance(600_000);
    expect(h.transport.ofType(T.INFORMATION_REQUEST).map((s) => s.at)).toEqual([3150, 603_150]);
  });
});
