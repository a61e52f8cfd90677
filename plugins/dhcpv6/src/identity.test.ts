import { describe, expect, it } from "vitest";
import { createDuid, iaidKey, macBytes } from "./identity.js";

describe("client identity", () => {
  it("makes a DUID-LLT from the MAC with seconds since 2000-01-01 UTC", () => {
    expect(createDuid("02:16:3E:00:00:01", Date.UTC(2000, 0, 1, 0, 0, 10))).toEqual({
      type: "llt",
      hardwareType: 1,
      time: 10,
      linkLayerAddress: Uint8Array.of(2, 0x16, 0x3e, 0, 0, 1),
    });
  });

  it("falls back to DUID-UUID without a usable MAC", () => {
    expect(createDuid("", 0).type).toBe("uuid");
    expect(createDuid("00:00:00:00:00:00", 0).type).toBe("uuid");
    expect(macBytes("02:16:3e:00:00")).toBeUndefined();
  });

  it("makes state keys from any interface name", () => {
    expect(iaidKey("eth0")).toBe("dhcp6.iaid.eth0");
    expect(iaidKey("veth:1@x")).toBe("dhcp6.iaid.veth_1_x");
  });
});
