import { describe, expect, it } from "vitest";
import { iaidKey } from "./identity.js";

// DUID creation and the IAID are tested in @incusx/dhcp-client.
describe("client identity", () => {
  it("makes state keys from any interface name", () => {
    expect(iaidKey("eth0")).toBe("dhcp6.iaid.eth0");
    expect(iaidKey("veth:1@x")).toBe("dhcp6.iaid.veth_1_x");
  });
});
