import { describe, expect, it } from "vitest";
import { decodeDhcpv4 } from "../v4/decode.js";
import { decodeDhcpv6 } from "../v6/decode.js";
import { capturedMessage } from "./captures.js";

describe("capturedMessage", () => {
  it("returns the bytes of a captured DHCPv4 and DHCPv6 message", () => {
    expect(decodeDhcpv4(capturedMessage("v4", "dhclient-04-ack")).op).toBe(2);
    expect(decodeDhcpv6(capturedMessage("v6", "dhcpcd-01-solicit-rapid-commit")).messageType).toBe(1);
  });

  it("refuses a path or an unknown family with a TypeError, before touching the file system", () => {
    expect(() => capturedMessage("v4", "../v6/dhcpcd-01-solicit-rapid-commit")).toThrow(TypeError);
    expect(() => capturedMessage("v4", "")).toThrow(/invalid capture name ""/);
    expect(() => capturedMessage("v5" as "v4", "dhclient-04-ack")).toThrow(/family must be "v4" or "v6", got v5/);
  });

  it("names the capture it cannot find", () => {
    expect(() => capturedMessage("v6", "no-such-capture")).toThrow(/no v6 capture named "no-such-capture"/);
  });
});
