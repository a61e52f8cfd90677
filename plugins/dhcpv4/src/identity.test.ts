import { describe, expect, it } from "vitest";
import { clientIdentifier, createDuid, leaseKey } from "./identity.js";

// DUID creation and the IAID are tested in @incusx/dhcp-client.
describe("client identity", () => {
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
