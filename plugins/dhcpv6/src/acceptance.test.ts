import { readFileSync } from "node:fs";
import { Dhcpv6MessageType as T, type Duid } from "@incusx/dhcp-wire";
import { InvalidOptionScreen } from "@incusx/dhcp-client";
import { systemdDhcp6Reply } from "@incusx/dhcp-wire/testing";
import { acceptanceTableRows, stoppedAfterEach } from "@incusx/dhcp-client/testing";
import { MemoryLogSink } from "@incusx/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { DHCPV6_ACCEPTANCE } from "./acceptance.js";
import { acceptResponse } from "./exchange.js";
import { startClient } from "./fake-server.test-support.js";
import { duidHex } from "./lease.js";

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16));

// systemd's test Reply (`msg_reply` of its test-dhcp6-client.c; the hex and
// its origin are in @incusx/dhcp-wire/testing): Rapid Commit with a 1-byte
// value, IA_NA 0x0ecfa37d with two addresses, DNS and domain list
// `lab.intra`. Its Client ID is the DUID-EN below; systemd's client binds on it.
const SYSTEMD_CLIENT: Duid = { type: "en", enterpriseNumber: 0xab11, identifier: hex("617740de1342c3a2") };
const SYSTEMD_SERVER = "0001000119405c53782bcbb36d53";
const SYSTEMD_IAID = 0x0ecfa37d;

/** `bytes` with its transaction id set to `id` (as systemd's test client does before answering). */
const withTransactionId = (bytes: Uint8Array, id: number): Uint8Array => {
  const out = bytes.slice();
  out.set([id >>> 16, (id >>> 8) & 0xff, id & 0xff], 1);
  return out;
};

/** A Reply (transaction 0x0fb4e5) to systemd's client from systemd's server with `extra` options (hex). */
const replyWith = (extra: string): Uint8Array =>
  hex("070fb4e5 0001000e 00020000ab11617740de1342c3a2 0002000e 0001000119405c53782bcbb36d53" + extra);

const { start } = stoppedAfterEach(afterEach, startClient);

describe("DHCPv6 acceptance of invalid options", () => {
  it("binds on systemd's Rapid Commit Reply, whose Rapid Commit has a value", async () => {
    const h = await start({ duid: SYSTEMD_CLIENT, iaid: SYSTEMD_IAID, config: { addressPrefixLength: 128, rapidCommit: true } });
    const solicit = h.transport.last();
    expect(solicit.messageType).toBe(T.SOLICIT);
    await h.clock.advance(100);
    h.transport.deliverBytes(withTransactionId(systemdDhcp6Reply(), solicit.transactionId));
    await h.clock.flush();
    expect(h.transport.ofType(T.REQUEST)).toHaveLength(0);
    expect(h.events.map((e) => e.kind)).toEqual(["bound"]);
    expect(h.events[0]!.lease).toMatchObject({
      server: SYSTEMD_SERVER,
      addresses: [
        { address: "2001:db8:dead:beef:78ee:1cf3:93c:55ae", preferredLifetime: 150, validLifetime: 180 },
        { address: "2001:db8:dead:beef:78ee:1cf3:93c:55ad", preferredLifetime: 150, validLifetime: 180 },
      ],
      dns: { servers: ["2001:db8:dead:beef::1", "2001:db8:dead:beef::2"], search: ["lab.intra"] },
    });
    expect(h.logs.messages({ level: "debug", message: /invalid option/ })).toEqual([
      `DHCPv6 server ${SYSTEMD_SERVER} sent an invalid option 14: option 14 must be empty but has 1 bytes; taking it as present (its presence is its meaning; systemd accepts it with a value)`,
    ]);
  });

  it("logs an invalid option once per server and option, at debug level only", () => {
    const logs = new MemoryLogSink();
    const screen = new InvalidOptionScreen(DHCPV6_ACCEPTANCE, logs.logger("incusx.dhcpv6"), "DHCPv6");
    const client = duidHex(SYSTEMD_CLIENT);
    // Preference (7) of 2 bytes: ignored, the Reply is used.
    const bytes = replyWith("0007 0002 0000");
    for (let i = 0; i < 100; i++) expect(acceptResponse(bytes, 0x0fb4e5, client, logs.logger(), screen)).toBeDefined();
    const otherServer = hex("070fb4e5 0001000e 00020000ab11617740de1342c3a2 0002000e 0001000119405c54782bcbb36d53 0007 0002 0000");
    expect(acceptResponse(otherServer, 0x0fb4e5, client, logs.logger(), screen)).toBeDefined();
    expect(logs.find({ message: /invalid option/ }).map((r) => [r.level, r.fields?.["option"], r.fields?.["server"]])).toEqual([
      ["debug", 7, SYSTEMD_SERVER],
      ["debug", 7, SYSTEMD_SERVER.replace("19405c53", "19405c54")],
    ]);
  });

  it.each([
    ["an invalid Server ID", hex("070fb4e5 0001000e 00020000ab11617740de1342c3a2 0002 0001 00"), 2],
    ["an invalid Client ID", hex("070fb4e5 0001 0001 00 0002000e 0001000119405c53782bcbb36d53"), 1],
    ["an IA_NA too short for its IAID and times", replyWith("0003 0004 0ecfa37d"), 3],
    ["an IAADDR too short for its lifetimes", replyWith("0003 0020 0ecfa37d 00000050 00000078 0005 0010 20010db8deadbeef78ee1cf3093c55ae"), 5],
    ["a Status Code of 1 byte in the IA_NA", replyWith("0003 0011 0ecfa37d 00000050 00000078 000d 0001 00"), 13],
  ])("ignores a Reply with %s, naming the option in a debug log", (_, bytes, code) => {
    const logs = new MemoryLogSink();
    const screen = new InvalidOptionScreen(DHCPV6_ACCEPTANCE, logs.logger(), "DHCPv6");
    expect(acceptResponse(bytes, 0x0fb4e5, duidHex(SYSTEMD_CLIENT), logs.logger(), screen)).toBeUndefined();
    expect(logs.find({ message: /invalid option/ }).map((r) => [r.level, r.fields?.["option"]])).toEqual([["debug", code]]);
    expect(logs.messages({ message: /invalid option/ })[0]).toContain("ignoring its messages that carry it");
  });

  it("keeps the complete search domains of a domain list whose last name is unterminated", async () => {
    const h = await start({ duid: SYSTEMD_CLIENT, iaid: SYSTEMD_IAID, config: { addressPrefixLength: 128, rapidCommit: true } });
    const ia = "0003 0028 0ecfa37d 00000050 00000078 0005 0018 20010db8deadbeef78ee1cf3093c55ae 00000096 000000b4";
    const domains = "0018 0013 036c616205696e74726100 076578616d706c65";
    h.transport.deliverBytes(withTransactionId(replyWith("000e 0000" + ia + domains), h.transport.last().transactionId));
    await h.clock.flush();
    expect(h.events.map((e) => e.kind)).toEqual(["bound"]);
    expect(h.events[0]!.lease!.dns.search).toEqual(["lab.intra"]);
  });

  it("is the table the README documents", () => {
    const { documented, applied } = acceptanceTableRows(readFileSync(new URL("../README.md", import.meta.url), "utf8"), DHCPV6_ACCEPTANCE);
    expect(documented).toEqual(applied);
  });
});
