import { describe, expect, it } from "vitest";
import type { NicDevice } from "@incusx/sdk";
import { describeNicValidatorContract, MemoryNetworkState } from "@incusx/testkit";
import { ExternalAddressValidator } from "./validator.js";

function hostState(): MemoryNetworkState {
  return new MemoryNetworkState({
    networks: [
      { name: "ovn0", type: "ovn", config: { "ipv4.address": "10.0.0.1/24" }, ovnRouter: "lr-ovn0" },
      { name: "ovn1", type: "ovn", config: {}, ovnRouter: "lr-ovn1" },
    ],
    forwards: [
      { network: "ovn0", listenAddress: "198.51.100.9" },
      { network: "ovn0", listenAddress: "2001:db8::9" },
      { network: "ovn1", listenAddress: "198.51.100.10" },
    ],
  });
}

function nic(config: Record<string, string>, instance = "c1", device = "eth0"): NicDevice {
  return { instance, device, type: "ovn", config: { network: "ovn0", ...config } };
}

async function messages(config: Record<string, string>, state = hostState()): Promise<string[]> {
  return (await new ExternalAddressValidator(state).validate(nic(config))).map((p) => p.message);
}

describe("ExternalAddressValidator", () => {
  it("accepts the listen address of a forward on the NIC's network, for both families", async () => {
    expect(await messages({ "ipv4.address.external": "198.51.100.9", "ipv6.address.external": "2001:db8::9" })).toEqual([]);
  });

  it("matches addresses, not strings: a non-canonical IPv6 spelling is the same forward", async () => {
    expect(await messages({ "ipv6.address.external": "2001:DB8:0:0::0:9" })).toEqual([]);
    const state = hostState();
    state.addForward({ network: "ovn0", listenAddress: "2001:DB8::0:a" });
    expect(await messages({ "ipv6.address.external": "2001:db8::a" }, state)).toEqual([]);
  });

  it("rejects an address that is no forward on the network, in Incus's words (see incus-messages.test.ts)", async () => {
    const problems = await new ExternalAddressValidator(hostState()).validate(nic({ "ipv4.address.external": "198.51.100.7" }));
    expect(problems).toEqual([
      {
        key: "ipv4.address.external",
        value: "198.51.100.7",
        message: 'Invalid value for device option "ipv4.address.external": External address "198.51.100.7" is not a network forward on network "ovn0": Network_forward not found',
      },
    ]);
  });

  it("rejects a forward of another network", async () => {
    expect(await messages({ "ipv4.address.external": "198.51.100.10" })).toEqual([
      'Invalid value for device option "ipv4.address.external": External address "198.51.100.10" is not a network forward on network "ovn0": Network_forward not found',
    ]);
  });

  it("does not take a load balancer address for a forward, as Incus (its lookup reads networks_forwards only)", async () => {
    // MemoryNetworkState has no load balancers: a forward-less address is exactly what a load balancer looks like here.
    const state = hostState();
    state.removeForward("ovn0", "198.51.100.9");
    expect(await messages({ "ipv4.address.external": "198.51.100.9" }, state)).toEqual([
      'Invalid value for device option "ipv4.address.external": External address "198.51.100.9" is not a network forward on network "ovn0": Network_forward not found',
    ]);
  });

  it("rejects an address of the other family, and text that is no address, as Incus does", async () => {
    expect(
      await messages({ "ipv4.address.external": "2001:db8::9", "ipv6.address.external": "198.51.100.9" }),
    ).toEqual([
      'Invalid value for device option "ipv4.address.external": Not an IPv4 address "2001:db8::9"',
      'Invalid value for device option "ipv6.address.external": Not an IPv6 address "198.51.100.9"',
    ]);
    expect(await messages({ "ipv4.address.external": "198.51.100.9/32" })).toEqual([
      'Invalid value for device option "ipv4.address.external": Not an IPv4 address "198.51.100.9/32"',
    ]);
  });

  it("reads an IPv4-mapped IPv6 address as IPv4, as Incus (Go's To4) does", async () => {
    expect(await messages({ "ipv4.address.external": "::ffff:198.51.100.9" })).toEqual([]);
  });

  it("says when the NIC's network does not exist or is not set, on the network key, and checks no forward", async () => {
    const problems = await new ExternalAddressValidator(hostState()).validate(nic({ network: "ovn9", "ipv4.address.external": "198.51.100.9" }));
    expect(problems).toEqual([{ key: "network", value: "ovn9", message: 'Error loading network config for "ovn9": Network not found' }]);
    const unset = await new ExternalAddressValidator(hostState()).validate({
      instance: "c1",
      device: "eth0",
      type: "ovn",
      config: { "ipv6.address.external": "2001:db8::9" },
    });
    expect(unset).toEqual([{ key: "network", message: 'Error loading network config for "": Network not found' }]);
  });

  it("still reports malformed values next to a network that does not exist (every problem, not Incus's first)", async () => {
    expect(await messages({ network: "ovn9", "ipv4.address.external": "2001:db8::9", "ipv4.address": "x" })).toEqual([
      'Invalid value for device option "ipv4.address": Not an IPv4 address "x"',
      'Invalid value for device option "ipv4.address.external": Not an IPv4 address "2001:db8::9"',
      'Error loading network config for "ovn9": Network not found',
    ]);
  });

  it("reports a malformed static address as malformed, not as outside the subnet", async () => {
    expect(await messages({ "ipv4.address": "10.0.0.999" })).toEqual([
      'Invalid value for device option "ipv4.address": Not an IPv4 address "10.0.0.999"',
    ]);
  });

  it("checks static addresses against the subnet only when the host state gives the network's", async () => {
    expect(await messages({ network: "ovn1", "ipv4.address": "192.0.2.5", "ipv4.address.external": "198.51.100.10" })).toEqual([]);
  });

  it("treats an empty value as unset, and ignores NICs without the keys", async () => {
    expect(await messages({ "ipv4.address.external": "" })).toEqual([]);
    expect(await messages({})).toEqual([]);
  });

  it("sees forwards added after it was created (reads host state per call)", async () => {
    const state = hostState();
    const validator = new ExternalAddressValidator(state);
    expect(await validator.validate(nic({ "ipv4.address.external": "198.51.100.11" }))).toHaveLength(1);
    state.addForward({ network: "ovn0", listenAddress: "198.51.100.11" });
    expect(await validator.validate(nic({ "ipv4.address.external": "198.51.100.11" }))).toEqual([]);
  });

  describe("checkForwardRemoval", () => {
    it("names every NIC on the network using the forward, whatever its spelling", async () => {
      const state = hostState();
      state.addNic(nic({ "ipv4.address.external": "198.51.100.9" }, "c1", "eth0"));
      state.addNic(nic({ "ipv6.address.external": "2001:DB8::9" }, "c2", "eth1"));
      state.addNic(nic({ network: "ovn1", "ipv4.address.external": "198.51.100.9" }, "c3"));
      state.addNic({ instance: "c4", device: "eth0", type: "bridged", config: { network: "ovn0", "ipv4.address.external": "198.51.100.9" } });
      const validator = new ExternalAddressValidator(state);
      expect(await validator.checkForwardRemoval({ network: "ovn0", listenAddress: "198.51.100.9" })).toEqual([
        {
          instance: "c1",
          device: "eth0",
          key: "ipv4.address.external",
          message:
            'Network forward "198.51.100.9" on network "ovn0" is in use: device "eth0" of instance "c1" has it as "ipv4.address.external"',
        },
      ]);
      expect(await validator.checkForwardRemoval({ network: "ovn0", listenAddress: "2001:db8:0::9" })).toEqual([
        expect.objectContaining({ instance: "c2", device: "eth1", key: "ipv6.address.external" }),
      ]);
    });

    it("finds no use of a forward nothing points at", async () => {
      const state = hostState();
      state.addNic(nic({ "ipv4.address.external": "198.51.100.9" }));
      expect(await new ExternalAddressValidator(state).checkForwardRemoval({ network: "ovn1", listenAddress: "198.51.100.10" })).toEqual([]);
    });
  });
});

describeNicValidatorContract("ExternalAddressValidator", () => ({
  validator: new ExternalAddressValidator(hostState()),
  validNics: [nic({ "ipv4.address.external": "198.51.100.9", "ipv6.address.external": "2001:db8::9" })],
}));
