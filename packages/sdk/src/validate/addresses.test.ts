import { describe, expect, it } from "vitest";
import {
  addressFamily,
  addressScope,
  canonicalAddress,
  isNetwork,
  isNetworkAddress,
  isNetworkAddressCIDR,
  isNetworkAddressCIDRV4,
  isNetworkAddressCIDRV6,
  isNetworkAddressV4,
  isNetworkAddressV6,
  isNetworkV4,
  isNetworkV6,
} from "./addresses.js";
import { ValidationError } from "./validation-error.js";
import { table, type Case } from "./validator-table.test-helper.js";




// Texts Go's net.ParseIP refuses though ipaddr.js alone would take them.
const notAddresses = ["", "10.0.0", "010.0.0.1", "0x0a.0.0.1", "10.0.0.256", "fe80::1%eth0", "[::1]", " ::1", "1::2::3", "00000::1", "::ffff:1.2.3", "::ffff:01.2.3.4", "10.0.0.1/32", "host"];

table("isNetworkAddress accepts either family", isNetworkAddress, [
  ["10.0.0.1", undefined],
  ["0.0.0.0", undefined],
  ["2001:db8::1", undefined],
  ["2001:DB8::1", undefined],
  ["::", undefined],
  ["::1.2.3.4", undefined],
  ["::ffff:192.0.2.1", undefined],
  ["1:2:3:4:5:6:7:8", undefined],
  ...notAddresses.map((v): Case => [v, `Not an IP address ${JSON.stringify(v)}`]),
]);

table("isNetworkAddressV4 accepts IPv4, IPv4-mapped included (as Incus)", isNetworkAddressV4, [
  ["192.0.2.1", undefined],
  ["::ffff:192.0.2.1", undefined],
  ["::ffff:c000:201", undefined],
  ["2001:db8::1", 'Not an IPv4 address "2001:db8::1"'],
  ["::1.2.3.4", 'Not an IPv4 address "::1.2.3.4"'],
  ["10.0.0.1/24", 'Not an IPv4 address "10.0.0.1/24"'],
  ["010.0.0.1", 'Not an IPv4 address "010.0.0.1"'],
  ["", 'Not an IPv4 address ""'],
]);

table("isNetworkAddressV6 accepts IPv6 but not IPv4-mapped", isNetworkAddressV6, [
  ["2001:db8::1", undefined],
  ["::1", undefined],
  ["::1.2.3.4", undefined],
  ["64:ff9b::192.0.2.1", undefined],
  ["::ffff:192.0.2.1", 'Not an IPv6 address "::ffff:192.0.2.1"'],
  ["192.0.2.1", 'Not an IPv6 address "192.0.2.1"'],
  ["fe80::1%eth0", 'Not an IPv6 address "fe80::1%eth0"'],
  ["2001:db8::/64", 'Not an IPv6 address "2001:db8::/64"'],
]);

table("isNetworkAddressCIDR accepts an address with a prefix", isNetworkAddressCIDR, [
  ["10.0.0.1/24", undefined],
  ["10.0.0.0/0", undefined],
  ["2001:db8::1/128", undefined],
  ["10.0.0.1/33", 'Invalid CIDR address "10.0.0.1/33"'],
  ["2001:db8::1/129", 'Invalid CIDR address "2001:db8::1/129"'],
  ["10.0.0.1", 'Invalid CIDR address "10.0.0.1"'],
  ["10.0.0.1/", 'Invalid CIDR address "10.0.0.1/"'],
  ["10.0.0.1/-1", 'Invalid CIDR address "10.0.0.1/-1"'],
  ["10.0.0.1/24/1", 'Invalid CIDR address "10.0.0.1/24/1"'],
  ["fe80::1%eth0/64", 'Invalid CIDR address "fe80::1%eth0/64"'],
]);

table("isNetworkAddressCIDRV4 accepts a usable IPv4 host address with prefix", isNetworkAddressCIDRV4, [
  ["10.0.0.1/24", undefined],
  ["10.0.0.255/24", undefined],
  ["10.0.0.0/24", 'Not a usable IPv4 address "10.0.0.0/24"'],
  ["10.0.0.5/32", 'Not a usable IPv4 address "10.0.0.5/32"'],
  ["2001:db8::1/64", 'Not an IPv4 address "2001:db8::1/64"'],
  ["10.0.0.1", 'Invalid CIDR address "10.0.0.1"'],
]);

table("isNetworkAddressCIDRV6 accepts a usable IPv6 host address with prefix", isNetworkAddressCIDRV6, [
  ["2001:db8::1/64", undefined],
  ["2001:db8::/64", 'Not a usable IPv6 address "2001:db8::/64"'],
  ["2001:db8::1/128", 'Not a usable IPv6 address "2001:db8::1/128"'],
  ["10.0.0.1/24", 'Not an IPv6 address "10.0.0.1/24"'],
  ["::ffff:10.0.0.1/120", 'Not an IPv6 address "::ffff:10.0.0.1/120"'],
]);

table("isNetwork accepts a network of either family", isNetwork, [
  ["10.0.0.0/8", undefined],
  ["0.0.0.0/0", undefined],
  ["2001:db8::/32", undefined],
  ["10.0.0.1/8", 'Not an IP network address "10.0.0.1/8"'],
  ["2001:db8::1/64", 'Not an IP network address "2001:db8::1/64"'],
  ["10.0.0.0", 'Invalid CIDR address "10.0.0.0"'],
]);

table("isNetworkV4 accepts an IPv4 network with host bits zero", isNetworkV4, [
  ["10.0.0.0/24", undefined],
  ["10.0.0.5/32", undefined],
  ["10.0.0.128/25", undefined],
  ["10.0.0.1/24", 'Not an IPv4 network address "10.0.0.1/24"'],
  ["10.0.0.128/24", 'Not an IPv4 network address "10.0.0.128/24"'],
  ["2001:db8::/64", 'Not an IPv4 network "2001:db8::/64"'],
  ["10.0.0.0/33", 'Invalid CIDR address "10.0.0.0/33"'],
  ["", 'Invalid CIDR address ""'],
]);

table("isNetworkV6 accepts an IPv6 network with host bits zero", isNetworkV6, [
  ["2001:db8::/64", undefined],
  ["2001:DB8:0:0::/64", undefined],
  ["2001:db8::1/128", undefined],
  ["2001:db8:0:1::/63", 'Not an IPv6 network address "2001:db8:0:1::/63"'],
  ["2001:db8::1/64", 'Not an IPv6 network address "2001:db8::1/64"'],
  ["10.0.0.0/24", 'Not an IPv6 network "10.0.0.0/24"'],
  ["::ffff:10.0.0.0/120", 'Not an IPv6 network "::ffff:10.0.0.0/120"'],
]);

describe("canonicalAddress", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:C000:0201", "192.0.2.1"],
    ["::1.2.3.4", "::102:304"],
    ["64:ff9b::192.0.2.1", "64:ff9b::c000:201"],
  ])("spells %s as %s", (text, expected) => {
    expect(canonicalAddress(text)).toBe(expected);
  });

  it("makes two spellings of one address compare equal", () => {
    expect(canonicalAddress("2001:db8:0::0:a")).toBe(canonicalAddress("2001:0DB8::A"));
  });

  it.each(["", "10.0.0.1/32", "fe80::1%eth0", "010.0.0.1", "example.org"])("refuses %j", (text) => {
    expect(() => canonicalAddress(text)).toThrow(ValidationError);
    expect(() => canonicalAddress(text)).toThrow(`Not an IP address ${JSON.stringify(text)}`);
  });
});

describe("addressFamily", () => {
  it.each([
    ["192.0.2.1", "ipv4"],
    ["::ffff:192.0.2.1", "ipv4"],
    ["2001:db8::1", "ipv6"],
    ["::1.2.3.4", "ipv6"],
  ])("says %s is %s", (text, family) => {
    expect(addressFamily(text)).toBe(family);
  });

  it("refuses what is not an address", () => {
    expect(() => addressFamily("10.0.0.0/8")).toThrow('Not an IP address "10.0.0.0/8"');
  });
});

describe("addressScope", () => {
  it.each([
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["FF05::1:3", "multicast"],
    ["127.0.0.53", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["169.254.1.1", "link-local"],
    ["fe80::1", "link-local"],
    ["FEBF::ffff", "link-local"],
    ["::ffff:169.254.0.1", "link-local"],
    ["fec0::1", "global"],
    ["10.0.0.1", "global"],
    ["192.0.2.1", "global"],
    ["2001:db8::1", "global"],
    ["fd00::1", "global"],
    ["::1.2.3.4", "global"],
    ["::ffff:192.0.2.1", "global"],
  ])("says %s is %s", (text, scope) => {
    expect(addressScope(text)).toBe(scope);
  });

  it.each(["fe80::1%eth0", "10.0.0.0/8", "", "0127.0.0.1"])("refuses %j", (text) => {
    expect(() => addressScope(text)).toThrow(ValidationError);
    expect(() => addressScope(text)).toThrow(`Not an IP address ${JSON.stringify(text)}`);
  });
});
