import type { Network, NicDevice } from "@incusx/sdk";
import { MemoryNetworkState, describeNicValidatorContract } from "@incusx/testkit";
import { describe, expect, it } from "vitest";
import { MtuLimitValidator, type MtuLimitConfig } from "./mtu-limit-validator.js";

const networks: Network[] = [
  { name: "br0", type: "bridge", config: {} },
  { name: "jumbo", type: "bridge", config: { "bridge.mtu": "9000" } },
  { name: "ovn0", type: "ovn", config: {} },
];
const config: MtuLimitConfig = { defaultMaxMtu: 1500, networks: { jumbo: { maxMtu: 9216 }, ovn0: { maxMtu: 1442 } } };

function validator(): MtuLimitValidator {
  return new MtuLimitValidator(new MemoryNetworkState({ networks }), config);
}

function nic(type: string, cfg: Record<string, string>): NicDevice {
  return { instance: "c1", device: "eth0", type, config: cfg };
}

// The rules every NIC validator keeps, from the testkit.
describeNicValidatorContract("MtuLimitValidator", () => ({
  validator: validator(),
  validNics: [nic("bridged", { network: "br0", mtu: "1500" }), nic("ovn", { network: "ovn0", mtu: "1442" })],
}));

describe("MtuLimitValidator", () => {
  it("accepts an MTU within the network's configured limit", async () => {
    expect(await validator().validate(nic("ovn", { network: "ovn0", mtu: "1400" }))).toEqual([]);
  });

  it("rejects an MTU above the network's configured limit, naming the network", async () => {
    expect(await validator().validate(nic("ovn", { network: "ovn0", mtu: "1500" }))).toEqual([
      {
        key: "mtu",
        value: "1500",
        message: 'Invalid value for device option "mtu": MTU "1500" is above the limit 1442 of network "ovn0"',
      },
    ]);
  });

  it("uses the default limit for networks without their own, and for NICs without a network", async () => {
    const v = validator();
    const [onBr0] = await v.validate(nic("bridged", { network: "br0", mtu: "9000" }));
    expect(onBr0?.message).toBe(
      'Invalid value for device option "mtu": MTU "9000" is above the limit 1500 set for networks without their own limit',
    );
    expect(await v.validate(nic("bridged", { parent: "lxdbr1", mtu: "9000" }))).toHaveLength(1);
    expect(await v.validate(nic("bridged", { network: "unknown", mtu: "1500" }))).toEqual([]);
  });

  it("applies the network's own bridge.mtu when it is tighter than the configured limit", async () => {
    const [problem] = await validator().validate(nic("bridged", { network: "jumbo", mtu: "9216" }));
    expect(problem?.message).toBe(
      'Invalid value for device option "mtu": MTU "9216" is above the limit 9000 set by "bridge.mtu" on network "jumbo"',
    );
    expect(await validator().validate(nic("bridged", { network: "jumbo", mtu: "9000" }))).toEqual([]);
  });

  it("checks the MTU's form too, since owning the key replaces the host's common rule", async () => {
    const [problem] = await validator().validate(nic("bridged", { network: "br0", mtu: "576" }));
    expect(problem?.message).toBe('Invalid value for device option "mtu": Out of MTU range (1280-16384) "576"');
  });

  it("lets an unset or empty MTU be", async () => {
    expect(await validator().validate(nic("bridged", { network: "br0" }))).toEqual([]);
    expect(await validator().validate(nic("bridged", { network: "br0", mtu: "" }))).toEqual([]);
  });

  it("falls back to 1500 when the config gives no default", async () => {
    const v = new MtuLimitValidator(new MemoryNetworkState(), {});
    expect(await v.validate(nic("bridged", { mtu: "1501" }))).toHaveLength(1);
  });
});
