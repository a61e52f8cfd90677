import { describe, expect, it } from "vitest";
import { incusNetworkId, incusSwitchPortName, nicSwitchPortNames, ovnSwitchPortName } from "./dynamic-addresses.js";

const UUID = "8f0c3e4a-5b6d-4e7f-9a1b-2c3d4e5f6a7b";

describe("switch port names", () => {
  it("names the port as Incus's getInstanceDevicePortName does", () => {
    expect(incusSwitchPortName(7, UUID, "eth0")).toBe(`incus-net7-instance-${UUID}-eth0`);
    expect(ovnSwitchPortName("ovn0", "c1", "eth0")).toBe("ovn0-instance-c1-eth0");
  });

  it("takes the network ID from the state's id first, else from an Incus router name", () => {
    expect(incusNetworkId({ id: 3, ovnRouter: "incus-net7-lr" })).toBe(3);
    expect(incusNetworkId({ ovnRouter: "incus-net7-lr" })).toBe(7);
    expect(incusNetworkId({ id: 0 })).toBe(0);
    for (const ovnRouter of ["lr0", "incus-net7-lr-x", "incus-netx-lr", undefined]) expect(incusNetworkId(ovnRouter === undefined ? {} : { ovnRouter })).toBeUndefined();
  });

  it("tries Incus's name first, then the legacy one; the legacy one alone without a UUID or network ID", () => {
    const nic = { instance: "c1", device: "eth0", instanceUuid: UUID };
    expect(nicSwitchPortNames({ name: "ovn0", ovnRouter: "incus-net7-lr" }, nic)).toEqual([`incus-net7-instance-${UUID}-eth0`, "ovn0-instance-c1-eth0"]);
    expect(nicSwitchPortNames({ name: "ovn0", ovnRouter: "lr0" }, nic)).toEqual(["ovn0-instance-c1-eth0"]);
    expect(nicSwitchPortNames({ name: "ovn0", ovnRouter: "incus-net7-lr" }, { instance: "c1", device: "eth0" })).toEqual(["ovn0-instance-c1-eth0"]);
  });
});
