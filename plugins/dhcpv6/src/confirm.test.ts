import { Dhcpv6MessageType as T, Dhcpv6OptionCode as O, Dhcpv6StatusCode as S, findDhcpv6Option } from "@incusx/dhcp-wire";
import { stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_ADDRESS, bindClient, reply, startClient } from "./fake-server.test-support.js";

const { start } = stoppedAfterEach(afterEach, startClient);

// Default binding: Reply at 1.05 s, T1 1800 s, valid 7200 s.
async function bound() {
  const h = await start();
  await bindClient(h);
  expect(h.client.state).toBe("bound");
  return h;
}

describe("Confirm after the link came back (RFC 8415 section 18.2.3)", () => {
  it("multicasts a Confirm at once with the held addresses, lifetimes and T1/T2 0, no Server ID", async () => {
    const h = await bound();
    await h.clock.advance(60_000);
    h.client.linkReturned();
    await h.clock.flush();
    expect(h.client.state).toBe("confirming");
    const { message, to, at } = h.transport.sent.at(-1)!;
    expect(message.messageType).toBe(T.CONFIRM);
    expect(to).toBe("all-servers");
    expect(at).toBe(61_050);
    expect(findDhcpv6Option(message, O.SERVERID)).toBeUndefined();
    expect(findDhcpv6Option(message, O.ELAPSED_TIME)?.elapsedTime).toBe(0);
    const ia = findDhcpv6Option(message, O.IA_NA)!;
    expect(ia).toMatchObject({ t1: 0, t2: 0 });
    expect(ia.options).toEqual([expect.objectContaining({ address: DEFAULT_ADDRESS, preferredLifetime: 0, validLifetime: 0 })]);
  });

  it("keeps the binding on Success: no Solicit, nothing expired, the same addresses reported again", async () => {
    const h = await bound();
    h.client.linkReturned();
    await h.clock.flush();
    h.transport.deliver(reply(h.transport.last(), { status: S.Success, noIa: true }));
    await h.clock.flush();
    expect(h.client.state).toBe("bound");
    expect(h.kinds()).toEqual(["bound", "renewed"]);
    expect(h.events.at(-1)!.lease?.addresses.map((a) => a.address)).toEqual([DEFAULT_ADDRESS]);
    await h.clock.advance(100_000);
    expect(h.transport.ofType(T.SOLICIT)).toHaveLength(1);
  });

  it("drops the binding and solicits on NotOnLink", async () => {
    const h = await bound();
    h.client.linkReturned();
    await h.clock.flush();
    h.transport.deliver(reply(h.transport.last(), { status: S.NotOnLink, noIa: true }));
    await h.clock.flush();
    expect(h.kinds()).toEqual(["bound", "expired"]);
    expect(h.client.state).toBe("soliciting");
    expect(h.transport.last().messageType).toBe(T.SOLICIT);
  });

  it("retransmits on CNF_TIMEOUT/CNF_MAX_RT and keeps the binding when nobody answers within CNF_MAX_RD (10 s)", async () => {
    const h = await bound();
    const from = h.clock.now();
    h.client.linkReturned();
    await h.clock.advance(20_000);
    // RAND = 0: 1 s, 2 s, 4 s (CNF_MAX_RT), then cut at 10 s.
    expect(h.transport.ofType(T.CONFIRM).map((s) => s.at - from)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(h.client.state).toBe("bound");
    expect(h.kinds()).toEqual(["bound", "renewed"]);
    expect(h.transport.ofType(T.SOLICIT)).toHaveLength(1);
    expect(h.logs.messages({ level: "info" })).toContainEqual(expect.stringContaining("keeping the binding"));
  });

  it("does not Confirm when the link came back during a Renew that then succeeded", async () => {
    const h = await bound();
    await h.clock.advance(1_800_000);
    expect(h.client.state).toBe("renewing");
    h.client.linkReturned();
    h.transport.deliver(reply(h.transport.last()));
    await h.clock.flush();
    expect(h.client.state).toBe("bound");
    expect(h.transport.ofType(T.CONFIRM)).toHaveLength(0);
  });
});
