import { describe, expect, it } from "vitest";
import { clientIdentifier, createDuid, duidFromHex, duidHex, iaidFor, leaseKey } from "./identity.js";

describe("client identity", () => {
  it("derives the IAID as the DHCPv6 plugin does: the MAC's last four bytes, else a hash of the name", () => {
    expect(iaidFor("eth0", "02:16:3e:aa:bb:cc")).toBe(0x3eaabbcc);
    expect(iaidFor("eth0", "")).toBe(iaidFor("eth0", "00:00:00:00:00:00"));
    expect(iaidFor("eth0", "")).not.toBe(iaidFor("eth1", ""));
  });

  it("creates a DUID-LLT from the MAC and the time, and a DUID-UUID without a MAC", () => {
    const duid = createDuid("02:16:3e:aa:bb:cc", Date.UTC(2000, 0, 1) + 10_500);
    expect(duidHex(duid)).toBe("000100010000000a02163eaabbcc");
    expect(createDuid("", 0).type).toBe("uuid");
    expect(duidFromHex("000100010000000a02163eaabbcc")).toEqual(duid);
    expect(duidFromHex("zz")).toBeUndefined();
  });

  it("makes an RFC 4361 identifier or a MAC-based one", () => {
    const duid = createDuid("02:16:3e:aa:bb:cc", 0);
    const mac = Uint8Array.of(2, 0x16, 0x3e, 0xaa, 0xbb, 0xcc);
    expect(clientIdentifier("duid", { duid, iaid: 7, mac })).toEqual({ form: "duid", iaid: 7, duid });
    expect(clientIdentifier("mac", { duid, iaid: 7, mac })).toEqual({ form: "hardware", hardwareType: 1, address: mac });
  });

  it("keys the saved lease per interface with only store-safe characters", () => {
    expect(leaseKey("eth0")).toBe("dhcp4.lease.eth0");
    expect(leaseKey("wg@0")).toBe("dhcp4.lease.wg_0");
  });
});
