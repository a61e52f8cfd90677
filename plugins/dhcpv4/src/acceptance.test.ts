import { readFileSync } from "node:fs";
import { Dhcpv4MessageType as T, type Dhcpv4Message } from "@incusx/dhcp-wire";
import { acceptanceTableRows, stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { DHCPV4_ACCEPTANCE } from "./acceptance.js";
import { ack, offer, SERVER_A, startClient, type Harness } from "./fake-server.test-support.js";

const { start } = stoppedAfterEach(afterEach, startClient);

/** `message` with option `code` replaced by (or given) the raw value `data`, as a server breaking its RFC would send it. */
const withRaw = (message: Dhcpv4Message, code: number, ...data: number[]): Dhcpv4Message => ({
  ...message,
  options: [...message.options.filter((o) => o.code !== code), { code, data: Uint8Array.from(data) }],
});

/** Sends the client's DISCOVER an OFFER and its REQUEST `ackOf(request)`. */
async function exchange(h: Harness, ackOf: (request: Dhcpv4Message) => Dhcpv4Message): Promise<void> {
  h.transport.deliver(offer(h.transport.last()));
  await h.clock.flush();
  h.transport.deliver(ackOf(h.transport.last()));
  await h.clock.flush();
}

const invalidOptionLogs = (h: Harness) => h.logs.find({ message: /invalid option/ }).map((r) => [r.level, r.fields?.["option"]]);

describe("DHCPv4 acceptance of invalid options", () => {
  it("ignores an ACK whose client identifier is 1 byte (RFC 2132 wants 2), naming it in a debug log", async () => {
    const h = await start();
    await exchange(h, (request) => withRaw(ack(request), 61, 1));
    expect(h.events).toEqual([]);
    expect(invalidOptionLogs(h)).toEqual([["debug", 61]]);
    expect(h.logs.messages({ message: /invalid option/ })).toEqual([
      `DHCPv4 server ${SERVER_A} sent an invalid option 61: option 61 (client identifier) has length 1, expected at least 2; ignoring its messages that carry it (an echoed client identifier must be ours (RFC 6842))`,
    ]);
  });

  it.each([
    [54, [192, 0, 2]],
    [53, [5, 5]],
    [51, [0, 0, 14]],
  ])("ignores an ACK whose option %i is invalid", async (code, data) => {
    const h = await start();
    await exchange(h, (request) => withRaw(ack(request), code, ...data));
    expect(h.events).toEqual([]);
    expect(invalidOptionLogs(h)).toEqual([["debug", code]]);
  });

  it("keeps the search domains complete before the fault of an invalid option 119, as the DHCPv6 client does with option 24", async () => {
    const h = await start();
    const name = (...labels: string[]) => labels.flatMap((l) => [l.length, ...Buffer.from(l)]);
    // "example.org", "lab.example.org", then a name cut short (no zero label).
    await exchange(h, (request) => withRaw(ack(request), 119, ...name("example", "org"), 0, ...name("lab", "example", "org"), 0, ...name("cut")));
    expect(h.kinds()).toEqual(["bound"]);
    expect(h.events[0]!.lease!.dns.search).toEqual(["example.org", "lab.example.org"]);
    expect(invalidOptionLogs(h)).toEqual([["debug", 119]]);
  });

  it("binds on an ACK with an invalid MTU, domain name and routes, as if they were absent", async () => {
    const h = await start();
    await exchange(h, (request) => withRaw(withRaw(withRaw(ack(request, { domain: "example.org" }), 26, 5, 220, 0), 15), 121, 33, 0, 0, 0, 0));
    expect(h.kinds()).toEqual(["bound"]);
    const lease = h.events[0]!.lease!;
    expect(lease.mtu).toBeUndefined();
    expect(lease.dns).toEqual({ servers: ["192.0.2.53"], search: [] });
    // Option 121 invalid: option 3's default route applies, as when 121 is absent.
    expect(lease.routes).toEqual([{ destination: "0.0.0.0/0", gateway: SERVER_A }]);
    expect(invalidOptionLogs(h)).toEqual([
      ["debug", 26],
      ["debug", 15],
      ["debug", 121],
    ]);
  });

  it("logs a server's invalid option once, however many packets carry it", async () => {
    const h = await start();
    // The same OFFER with a 3-byte MTU, answering each DISCOVER while the client never gets an ACK.
    for (let i = 0; i < 5; i++) {
      h.transport.deliver(withRaw(offer(h.transport.ofType(T.Discover)[0]!.message), 26, 5, 220, 0));
      await h.clock.advance(4000);
    }
    expect(h.transport.ofType(T.Request).length).toBeGreaterThan(0);
    expect(invalidOptionLogs(h)).toEqual([["debug", 26]]);
  });

  it("is the table the README documents", () => {
    const { documented, applied } = acceptanceTableRows(readFileSync(new URL("../README.md", import.meta.url), "utf8"), DHCPV4_ACCEPTANCE);
    expect(documented).toEqual(applied);
  });
});
