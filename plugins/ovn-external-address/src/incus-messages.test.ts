// Every message of the OVN NIC validator against the string Incus writes
// for the same case. Incus source: github.com/lxc/incus at be7afc5df39f
// (2026-08-22). Each row cites the file, the function and the Go format
// string; a `%w` is followed to where its text comes from, and the
// `Invalid value for device option %q: %w` prefix is always
// internal/server/device/config/devices.go, Device.Validate, which wraps
// the rule failures of nicOVN.validateConfig.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHost, type NetworkStateData, type TestHost } from "@incusx/testkit";
import plugin from "./index.js";

// Through a host, so the host's own NIC checks run too, as they do for users.
let t: TestHost;
beforeAll(async () => {
  t = await startTestHost({ plugins: [{ plugin }], services: { networkState: hostState() } });
});
afterAll(async () => {
  await t.stop();
});

function hostState(): NetworkStateData {
  return {
    networks: [
      { name: "ovn0", type: "ovn", config: { "ipv4.address": "10.0.0.1/24", "ipv6.address": "fd00::1/64" }, ovnRouter: "lr-ovn0" },
      { name: "ovn1", type: "ovn", config: {}, ovnRouter: "lr-ovn1" },
      { name: "ovn-v6only", type: "ovn", config: { "ipv4.address": "none", "ipv6.address": "fd00::1/64" }, ovnRouter: "lr-v6" },
      { name: "br0", type: "bridge", config: { "ipv4.address": "192.0.2.1/24" } },
    ],
    forwards: [
      { network: "ovn0", listenAddress: "198.51.100.9" },
      { network: "ovn0", listenAddress: "2001:db8::9" },
      { network: "ovn1", listenAddress: "198.51.100.10" },
    ],
  };
}

async function messages(config: Record<string, string>): Promise<string[]> {
  return (await t.host.validateNic({ instance: "c1", device: "eth0", type: "ovn", config })).map((p) => p.message);
}

type Row = readonly [what: string, config: Record<string, string>, incus: string];

const rows: readonly Row[] = [
  // nic_ovn.go, nicOVN.validateConfig, isNetworkForward:
  //   fmt.Errorf("External address %q is not a network forward on network %q: %w", value, d.config["network"], err)
  // %w: db/cluster/networks_forwards.mapper.go, GetNetworkForward returns ErrNotFound, mapped by
  //   db/cluster/mapper_errors.go, clusterMapErr: api.StatusErrorf(http.StatusNotFound, "%s not found", entity) with entity "Network_forward".
  [
    "no forward listens on the external address",
    { network: "ovn0", "ipv4.address.external": "198.51.100.7" },
    'Invalid value for device option "ipv4.address.external": External address "198.51.100.7" is not a network forward on network "ovn0": Network_forward not found',
  ],
  // Same format string: GetNetworkForward filters by the NIC's network ID.
  [
    "the forward belongs to another network",
    { network: "ovn0", "ipv4.address.external": "198.51.100.10" },
    'Invalid value for device option "ipv4.address.external": External address "198.51.100.10" is not a network forward on network "ovn0": Network_forward not found',
  ],
  // Same format string, IPv6 key.
  [
    "no IPv6 forward listens on it",
    { network: "ovn0", "ipv6.address.external": "2001:db8::7" },
    'Invalid value for device option "ipv6.address.external": External address "2001:db8::7" is not a network forward on network "ovn0": Network_forward not found',
  ],
  // shared/validate/validate.go, IsNetworkAddressV4 (first in validate.And for ipv4.address.external):
  //   fmt.Errorf("Not an IPv4 address %q", value)
  [
    "an IPv6 address in ipv4.address.external",
    { network: "ovn0", "ipv4.address.external": "2001:db8::9" },
    'Invalid value for device option "ipv4.address.external": Not an IPv4 address "2001:db8::9"',
  ],
  // Same, for a prefix: net.ParseIP refuses it.
  [
    "a prefix in ipv4.address.external",
    { network: "ovn0", "ipv4.address.external": "198.51.100.9/32" },
    'Invalid value for device option "ipv4.address.external": Not an IPv4 address "198.51.100.9/32"',
  ],
  // shared/validate/validate.go, IsNetworkAddressV6: fmt.Errorf("Not an IPv6 address %q", value)
  [
    "an IPv4 address in ipv6.address.external",
    { network: "ovn0", "ipv6.address.external": "198.51.100.9" },
    'Invalid value for device option "ipv6.address.external": Not an IPv6 address "198.51.100.9"',
  ],
  // nic_ovn.go, nicOVN.validateConfig: fmt.Errorf("Error loading network config for %q: %w", d.config["network"], err)
  // %w: network/network_load.go, LoadByName -> db/networks.go, getPartialNetworkByProjectAndName:
  //   api.StatusErrorf(http.StatusNotFound, "Network not found")
  [
    "the NIC's network does not exist",
    { network: "ovn9", "ipv4.address.external": "198.51.100.9" },
    'Error loading network config for "ovn9": Network not found',
  ],
  // Same format string: validateConfig loads the network before checking any rule, so a NIC without
  // "network" (possible with nictype "ovn") fails on the lookup of the network named "".
  ["the NIC names no network", { "ipv6.address.external": "2001:db8::9" }, 'Error loading network config for "": Network not found'],
  // nic_ovn.go, nicOVN.validateConfig: errors.New("Specified network must be of type ovn")
  ["the NIC's network is not an OVN network", { network: "br0" }, "Specified network must be of type ovn"],
  // nic_ovn.go, nicOVN.validateConfig: fmt.Errorf("Cannot specify %q when %q is not set", "ipv6.address", "ipv4.address")
  [
    "a static IPv6 address without a static IPv4 address",
    { network: "ovn0", "ipv6.address": "fd00::5" },
    'Cannot specify "ipv6.address" when "ipv4.address" is not set',
  ],
  // nic_ovn.go, nicOVN.validateConfig: fmt.Errorf("Device IP address %q not within network %q subnet", d.config["ipv4.address"], d.config["network"])
  [
    "a static IPv4 address outside the network's subnet",
    { network: "ovn0", "ipv4.address": "10.1.0.5" },
    'Device IP address "10.1.0.5" not within network "ovn0" subnet',
  ],
  // Same format string: the value is quoted as given, prefix included.
  [
    "a CIDR IPv4 address outside the network's subnet",
    { network: "ovn0", "ipv4.address": "10.1.0.5/24" },
    'Device IP address "10.1.0.5/24" not within network "ovn0" subnet',
  ],
  // Same format string, with d.config["ipv6.address"].
  [
    "a static IPv6 address outside the network's subnet",
    { network: "ovn0", "ipv4.address": "10.0.0.5", "ipv6.address": "fd01::5" },
    'Device IP address "fd01::5" not within network "ovn0" subnet',
  ],
  // nic_ovn.go, nicOVN.validateConfig: fmt.Errorf("IP address %q is assigned to parent managed network device %q", d.config["ipv4.address"], d.config["parent"])
  // (an OVN NIC has no "parent", so Incus quotes "").
  [
    "the network's own IPv4 address",
    { network: "ovn0", "ipv4.address": "10.0.0.1" },
    'IP address "10.0.0.1" is assigned to parent managed network device ""',
  ],
  // nic_ovn.go, nicOVN.validateConfig: fmt.Errorf("Invalid network ipv4.address: %w", err)
  // %w: Go's net.ParseCIDR, *net.ParseError: "invalid " + e.Type + ": " + e.Text with Type "CIDR address".
  [
    "a static IPv4 address on a network without IPv4",
    { network: "ovn-v6only", "ipv4.address": "10.0.0.5" },
    "Invalid network ipv4.address: invalid CIDR address: none",
  ],
  // nic_ovn.go, nicOVN.validateConfig, rules["ipv4.address"] (no "/"): validate.IsNetworkAddressV4:
  //   fmt.Errorf("Not an IPv4 address %q", value)
  [
    "an IPv6 address in ipv4.address",
    { network: "ovn0", "ipv4.address": "fd00::5" },
    'Invalid value for device option "ipv4.address": Not an IPv4 address "fd00::5"',
  ],
  // nic_ovn.go, rules["ipv4.address"] (with "/"): validate.IsNetworkAddressCIDRV4(value, true) returns
  // net.ParseCIDR's error as is: "invalid " + e.Type + ": " + e.Text.
  [
    "a malformed CIDR in ipv4.address",
    { network: "ovn0", "ipv4.address": "10.0.0.5/33" },
    'Invalid value for device option "ipv4.address": invalid CIDR address: 10.0.0.5/33',
  ],
  // shared/validate/validate.go, IsNetworkAddressCIDRV4: fmt.Errorf("Not a usable IPv4 address %q", value)
  [
    "a network address in ipv4.address",
    { network: "ovn0", "ipv4.address": "10.0.0.0/24" },
    'Invalid value for device option "ipv4.address": Not a usable IPv4 address "10.0.0.0/24"',
  ],
  // shared/validate/validate.go, IsNetworkAddressCIDRV6: fmt.Errorf("Not an IPv6 address %q", value)
  [
    "an IPv4 CIDR in ipv6.address",
    { network: "ovn0", "ipv4.address": "10.0.0.5", "ipv6.address": "10.0.0.6/24" },
    'Invalid value for device option "ipv6.address": Not an IPv6 address "10.0.0.6/24"',
  ],
  // shared/validate/validate.go, IsNetworkAddressV6: fmt.Errorf("Not an IPv6 address %q", value)
  [
    "an IPv4 address in ipv6.address",
    { network: "ovn0", "ipv4.address": "10.0.0.5", "ipv6.address": "10.0.0.6" },
    'Invalid value for device option "ipv6.address": Not an IPv6 address "10.0.0.6"',
  ],
];

describe("OVN NIC messages, word for word as Incus's nic_ovn.go", () => {
  it.each(rows)("%s", async (_what, config, incus) => {
    expect(await messages(config)).toEqual([incus]);
  });
});

describe("OVN NIC address forms Incus accepts", () => {
  // nic_ovn.go, nicOVN.validateConfig, rules["ipv4.address"] / rules["ipv6.address"]: "none", a plain
  // address (IsNetworkAddressV4/V6), or with "/" an address with prefix (IsNetworkAddressCIDRV4/V6 with
  // allowSingle true, so /32 and /128 pass), "for static address configuration inside OCI containers".
  it.each([
    [{ "ipv4.address": "10.0.0.5" }],
    [{ "ipv4.address": "10.0.0.5/24" }],
    [{ "ipv4.address": "10.0.0.5/32" }],
    [{ "ipv4.address": "none" }],
    [{ "ipv4.address": "" }],
    [{ "ipv4.address": "10.0.0.5", "ipv6.address": "fd00::5" }],
    [{ "ipv4.address": "10.0.0.5/24", "ipv6.address": "fd00::5/64" }],
    [{ "ipv4.address": "10.0.0.5", "ipv6.address": "fd00::5/128" }],
    [{ "ipv6.address": "none" }],
    [{ "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9", "ipv6.address.external": "2001:db8::9" }],
  ])("accepts %j", async (config) => {
    expect(await messages({ network: "ovn0", ...config })).toEqual([]);
  });
});
