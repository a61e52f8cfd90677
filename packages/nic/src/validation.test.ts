import {
  checkRules,
  isNetworkAddressV4,
  isNetworkVLAN,
  optional,
  or,
  isOneOf,
  type NicDevice,
  type NicProblem,
  type NicValidator,
} from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { commonNicRules, NicValidationService, VALIDATOR_PROBLEM_KEY } from "./validation.js";

function nic(type: string, config: Record<string, string>): NicDevice {
  return { instance: "c1", device: "eth0", type, config };
}

/** A validator built from rules over its own keys, as a plugin would write it. */
function rulesValidator(nicTypes: string[], rules: Parameters<typeof checkRules>[0]): NicValidator {
  return {
    nicTypes,
    keys: Object.keys(rules),
    validate: async (device) => checkRules(rules, device.config),
  };
}

const externalAddress = rulesValidator(["ovn"], {
  "ipv4.address.external": optional(isNetworkAddressV4),
});

describe("NicValidationService", () => {
  it("accepts a NIC whose common keys are all valid", async () => {
    const service = new NicValidationService([]);
    const config = {
      network: "ovn0",
      parent: "br0",
      host_name: "veth1234",
      name: "eth0",
      hwaddr: "00:16:3e:aa:bb:cc",
      mtu: "1500",
      vlan: "10",
      "boot.priority": "1",
      "ipv4.address": "10.0.0.5",
      "ipv6.address": "2001:db8::5",
      "ipv4.routes": "192.0.2.0/24, 198.51.100.0/24",
      "ipv6.routes": "2001:db8:1::/64",
      "ipv4.routes.external": "203.0.113.0/24",
      "ipv6.routes.external": "2001:db8:2::/64",
      "user.note": "free text",
    };
    expect(await service.validate(nic("bridged", config))).toEqual([]);
  });

  it("accepts none as an address and empty values for every common key", async () => {
    const service = new NicValidationService([]);
    const empty = Object.fromEntries(Object.keys(commonNicRules).map((k) => [k, ""]));
    expect(await service.validate(nic("ovn", empty))).toEqual([]);
    expect(await service.validate(nic("ovn", { "ipv4.address": "none", "ipv6.address": "none" }))).toEqual([]);
  });

  it("reports every bad common key at once, sorted by key, with Incus's messages", async () => {
    const service = new NicValidationService([]);
    const problems = await service.validate(
      nic("bridged", {
        mtu: "100",
        hwaddr: "00-16-3e-aa-bb-cc",
        name: "x",
        "ipv4.address": "2001:db8::5",
        "ipv6.address": "10.0.0.5",
        "ipv6.routes": "2001:db8::/64,2001:db8:1::1/64",
        vlan: "5000",
        "boot.priority": "-1",
      }),
    );
    expect(problems).toEqual<NicProblem[]>([
      {
        key: "boot.priority",
        value: "-1",
        message:
          'Invalid value for device option "boot.priority": Invalid value for uint32 "-1": strconv.ParseUint: parsing "-1": invalid syntax',
      },
      {
        key: "hwaddr",
        value: "00-16-3e-aa-bb-cc",
        message:
          'Invalid value for device option "hwaddr": Invalid MAC address, must be 6 bytes of hex separated by colons',
      },
      {
        key: "ipv4.address",
        value: "2001:db8::5",
        message: 'Invalid value for device option "ipv4.address": Not an IPv4 address "2001:db8::5"',
      },
      {
        key: "ipv6.address",
        value: "10.0.0.5",
        message: 'Invalid value for device option "ipv6.address": Not an IPv6 address "10.0.0.5"',
      },
      {
        key: "ipv6.routes",
        value: "2001:db8::/64,2001:db8:1::1/64",
        message:
          'Invalid value for device option "ipv6.routes": Item "2001:db8:1::1/64": Not an IPv6 network address "2001:db8:1::1/64"',
      },
      { key: "mtu", value: "100", message: 'Invalid value for device option "mtu": Out of MTU range (1280-16384) "100"' },
      {
        key: "name",
        value: "x",
        message: 'Invalid value for device option "name": Network interface is too short (minimum 2 characters)',
      },
      { key: "vlan", value: "5000", message: 'Invalid value for device option "vlan": Out of VLAN ID range (0-4094) "5000"' },
    ]);
  });

  it("rejects a key nothing knows, and keeps checking the rest", async () => {
    const service = new NicValidationService([]);
    expect(await service.validate(nic("bridged", { foo: "bar", mtu: "1", "user.x": "ok" }))).toEqual([
      { key: "foo", value: "bar", message: 'Invalid device option "foo"' },
      { key: "mtu", value: "1", message: 'Invalid value for device option "mtu": Out of MTU range (1280-16384) "1"' },
    ]);
  });

  it("lets a validator own a key for its NIC types and reports its problems", async () => {
    const service = new NicValidationService([externalAddress]);
    expect(await service.validate(nic("ovn", { network: "ovn0", "ipv4.address.external": "198.51.100.9" }))).toEqual([]);
    expect(await service.validate(nic("ovn", { "ipv4.address.external": "nope" }))).toEqual([
      {
        key: "ipv4.address.external",
        value: "nope",
        message: 'Invalid value for device option "ipv4.address.external": Not an IPv4 address "nope"',
      },
    ]);
  });

  it("runs only validators covering the NIC's type; others' keys stay unknown", async () => {
    let calls = 0;
    const counted: NicValidator = {
      ...externalAddress,
      validate: async (device) => {
        calls++;
        return externalAddress.validate(device);
      },
    };
    const service = new NicValidationService([counted]);
    expect(await service.validate(nic("bridged", { "ipv4.address.external": "198.51.100.9" }))).toEqual([
      { key: "ipv4.address.external", value: "198.51.100.9", message: 'Invalid device option "ipv4.address.external"' },
    ]);
    expect(calls).toBe(0);
    await service.validate(nic("ovn", {}));
    expect(calls).toBe(1);
  });

  it("lets a validator that owns a common key replace the common rule", async () => {
    const bridgeVlan = rulesValidator(["bridged"], { vlan: optional(or(isOneOf("none"), isNetworkVLAN)) });
    const service = new NicValidationService([bridgeVlan]);
    expect(await service.validate(nic("bridged", { vlan: "none" }))).toEqual([]);
    expect(await service.validate(nic("ovn", { vlan: "none" }))).toEqual([
      { key: "vlan", value: "none", message: 'Invalid value for device option "vlan": Invalid VLAN ID "none"' },
    ]);
  });

  it("runs both validators that own the same key and reports both problems", async () => {
    const first: NicValidator = {
      nicTypes: ["ovn"],
      keys: ["ipv4.address.external"],
      validate: async () => [{ key: "ipv4.address.external", value: "x", message: "First" }],
    };
    const second: NicValidator = { ...first, validate: async () => [{ key: "ipv4.address.external", message: "Second" }] };
    const service = new NicValidationService([first, second]);
    const problems = await service.validate(nic("ovn", { "ipv4.address.external": "x" }));
    expect(problems.map((p) => p.message)).toEqual(["First", "Second"]);
  });

  it("turns a validator that rejects into a problem per owned key that is set, and runs the others", async () => {
    class ForwardValidator implements NicValidator {
      readonly nicTypes = ["ovn"];
      readonly keys = ["ipv4.address.external", "ipv6.address.external"];
      async validate(): Promise<NicProblem[]> {
        throw new Error("Network state unavailable");
      }
    }
    const service = new NicValidationService([new ForwardValidator(), externalAddress]);
    const problems = await service.validate(
      nic("ovn", { "ipv4.address.external": "nope", mtu: "1" }),
    );
    expect(problems).toEqual([
      {
        key: "ipv4.address.external",
        value: "nope",
        message:
          'Failed validating device option "ipv4.address.external": Validator "ForwardValidator" failed: Network state unavailable',
      },
      {
        key: "ipv4.address.external",
        value: "nope",
        message: 'Invalid value for device option "ipv4.address.external": Not an IPv4 address "nope"',
      },
      { key: "mtu", value: "1", message: 'Invalid value for device option "mtu": Out of MTU range (1280-16384) "1"' },
    ]);
  });

  it("turns a validator that throws synchronously, with none of its keys set, into one problem", async () => {
    const broken: NicValidator = {
      nicTypes: ["ovn"],
      keys: ["ovn.thing"],
      validate: () => {
        throw "not an error object";
      },
    };
    const service = new NicValidationService([broken]);
    expect(await service.validate(nic("ovn", {}))).toEqual([
      { key: VALIDATOR_PROBLEM_KEY, message: "Failed validating device: Validator failed: not an error object" },
    ]);
  });

  it("takes other common rules when given", async () => {
    const service = new NicValidationService([], { network: optional(isOneOf("ovn0")) });
    expect(await service.validate(nic("ovn", { network: "ovn1", mtu: "1500" }))).toEqual([
      { key: "mtu", value: "1500", message: 'Invalid device option "mtu"' },
      { key: "network", value: "ovn1", message: 'Invalid value for device option "network": Invalid value "ovn1" (not one of [ovn0])' },
    ]);
  });
});
