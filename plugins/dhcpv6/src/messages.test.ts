import { Dhcpv6MessageType as T, decodeDhcpv6, encodeDhcpv6, type Dhcpv6ClientServerMessage, type Duid } from "@incusx/dhcp-wire";
import { describe, expect, it } from "vitest";
import {
  buildDecline,
  buildInformationRequest,
  buildRebind,
  buildRelease,
  buildRenew,
  buildRequest,
  buildSolicit,
  elapsedHundredths,
  type ClientIdentity,
} from "./messages.js";

const duid: Duid = { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0, 0, 0, 0, 1) };
const server: Duid = { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0, 0, 0, 0, 0xa) };
const identity: ClientIdentity = { duid, iaid: 7, fqdnName: "c1" };
const held = [{ address: "2001:db8::10", preferredLifetime: 100, validLifetime: 200 }];

/** Option codes in order, after a round trip through the codec. */
function codes(message: Dhcpv6ClientServerMessage): number[] {
  return (decodeDhcpv6(encodeDhcpv6(message)) as Dhcpv6ClientServerMessage).options.map((o) => o.code);
}

describe("DHCPv6 messages the client sends", () => {
  it.each([
    ["Solicit", buildSolicit(identity, { transactionId: 1, elapsed: 0, rapidCommit: true }), T.SOLICIT, [1, 3, 8, 6, 14, 39]],
    ["Solicit without Rapid Commit", buildSolicit(identity, { transactionId: 1, elapsed: 0 }), T.SOLICIT, [1, 3, 8, 6, 39]],
    ["Request", buildRequest(identity, { transactionId: 1, elapsed: 0, serverId: server, addresses: held }), T.REQUEST, [1, 2, 3, 8, 6, 39]],
    ["Renew", buildRenew(identity, { transactionId: 1, elapsed: 0, serverId: server, addresses: held }), T.RENEW, [1, 2, 3, 8, 6, 39]],
    ["Rebind", buildRebind(identity, { transactionId: 1, elapsed: 0, addresses: held }), T.REBIND, [1, 3, 8, 6, 39]],
    ["Release", buildRelease(identity, { transactionId: 1, elapsed: 0, serverId: server, addresses: held }), T.RELEASE, [1, 2, 3, 8]],
    ["Decline", buildDecline(identity, { transactionId: 1, elapsed: 0, serverId: server, addresses: held }), T.DECLINE, [1, 2, 3, 8]],
    ["Information-request", buildInformationRequest(identity, { transactionId: 1, elapsed: 0 }), T.INFORMATION_REQUEST, [1, 8, 6]],
  ])("%s carries the options RFC 8415 asks for", (_name, message, type, expected) => {
    expect(message.messageType).toBe(type);
    expect(codes(message)).toEqual(expected);
  });

  it("lists held addresses in the IA_NA with their lifetimes", () => {
    const renew = decodeDhcpv6(encodeDhcpv6(buildRenew(identity, { transactionId: 0xabcdef, elapsed: 12, serverId: server, addresses: held })));
    expect(renew).toMatchObject({
      transactionId: 0xabcdef,
      options: [
        { code: 1 },
        { code: 2 },
        { code: 3, iaid: 7, t1: 0, t2: 0, options: [{ code: 5, address: "2001:db8::10", preferredLifetime: 100, validLifetime: 200 }] },
        { code: 8, elapsedTime: 12 },
        { code: 6, codes: [23, 24, 82, 83] },
        { code: 39, flags: 1, name: "c1" },
      ],
    });
  });

  it("asks for the Information Refresh Time in an Information-request", () => {
    expect(buildInformationRequest(identity, { transactionId: 1, elapsed: 0 }).options).toContainEqual({ code: 6, codes: [23, 24, 32, 82, 83] });
  });

  it("needs a Server ID for messages to one server", () => {
    expect(() => buildRequest(identity, { transactionId: 1, elapsed: 0 })).toThrow(TypeError);
  });

  it("leaves the FQDN out without a name", () => {
    expect(codes(buildSolicit({ duid, iaid: 1 }, { transactionId: 1, elapsed: 0 }))).toEqual([1, 3, 8, 6]);
  });
});

describe("elapsedHundredths", () => {
  it("counts hundredths of a second since the exchange began, capped at 0xffff", () => {
    expect(elapsedHundredths(1000, 1000)).toBe(0);
    expect(elapsedHundredths(1000, 1009)).toBe(0);
    expect(elapsedHundredths(1000, 3550)).toBe(255);
    expect(elapsedHundredths(0, 655_350)).toBe(0xffff);
    expect(elapsedHundredths(0, 10_000_000)).toBe(0xffff);
    expect(elapsedHundredths(1000, 0)).toBe(0);
  });
});
