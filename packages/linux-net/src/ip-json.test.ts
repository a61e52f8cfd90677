import { describe, expect, it } from "vitest";
import {
  addressesFromJson,
  addressFlagsFromJson,
  isLinkLocal6,
  lifetimeFromJson,
  routesFromJson,
  usableLinkLocalFromJson,
  type IpLinkJson,
  type IpRouteJson,
} from "./ip-json.js";
import { linkInfoFromJson } from "./link-info.js";

// Recorded from iproute2 6.1 on Linux 6.x (addresses from the test network).
const addrShow: IpLinkJson[] = JSON.parse(
  '[{"ifindex":2,"link_index":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"62:4e:3a:15:a1:b3","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[{"family":"inet","local":"192.0.2.150","prefixlen":24,"scope":"global","dynamic":true,"label":"eth0","valid_life_time":3600,"preferred_life_time":1800},{"family":"inet6","local":"2001:db8:1::101","prefixlen":128,"scope":"global","tentative":true,"dynamic":true,"valid_life_time":3600,"preferred_life_time":1800},{"family":"inet6","local":"fe80::604e:3aff:fe15:a1b3","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]',
);
const dadFailed: IpLinkJson[] = JSON.parse(
  '[{"ifindex":2,"link_index":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_netnsid":0,"addr_info":[{"family":"inet6","local":"2001:db8:1::77","prefixlen":128,"scope":"global","dadfailed":true,"tentative":true,"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::783b:2cff:fef1:e06a","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]',
);
const tentativeLinkLocal: IpLinkJson[] = JSON.parse(
  '[{"ifindex":2,"link_index":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_netnsid":0,"addr_info":[{"family":"inet6","local":"fe80::604e:3aff:fe15:a1b3","prefixlen":64,"scope":"link","tentative":true,"valid_life_time":4294967295,"preferred_life_time":4294967295}]}]',
);
// Recorded with optimistic_dad=1 right after link up: RFC 4429's optimistic address is also tentative.
const optimisticLinkLocal: IpLinkJson[] = JSON.parse(
  '[{"ifindex":2,"link_index":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"da:c2:a9:ac:41:9e","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[{"family":"inet6","local":"fe80::d8c2:a9ff:feac:419e","prefixlen":64,"scope":"link","optimistic":true,"tentative":true,"valid_life_time":4294967295,"preferred_life_time":4294967295}]}]',
);
const linkDown: IpLinkJson[] = JSON.parse(
  '[{"ifindex":2,"link_index":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST"],"mtu":1500,"qdisc":"noop","operstate":"DOWN","group":"default","txqlen":1000,"link_type":"ether","address":"62:4E:3A:15:A1:B3","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"addr_info":[]}]',
);
const routes4: IpRouteJson[] = JSON.parse(
  '[{"dst":"default","gateway":"192.0.2.1","metric":100,"flags":[]},{"dst":"192.0.2.0/24","protocol":"kernel","scope":"link","prefsrc":"192.0.2.150","flags":[]}]',
);
const routes6: IpRouteJson[] = JSON.parse(
  '[{"dst":"2001:db8:1::101","protocol":"kernel","metric":256,"flags":[],"expires":3599,"pref":"medium"},{"dst":"fe80::/64","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},{"dst":"default","gateway":"fe80::1","metric":1024,"flags":[],"pref":"medium"}]',
);

describe("addresses read back from ip -json addr", () => {
  it("gives both families with remaining lifetimes in seconds", () => {
    expect(addressesFromJson(addrShow)).toEqual([
      { family: "ipv4", address: "192.0.2.150", prefixLength: 24, validLifetime: 3600, preferredLifetime: 1800 },
      { family: "ipv6", address: "2001:db8:1::101", prefixLength: 128, validLifetime: 3600, preferredLifetime: 1800 },
      { family: "ipv6", address: "fe80::604e:3aff:fe15:a1b3", prefixLength: 64 },
    ]);
  });

  it("treats 4294967295 (forever) and a missing lifetime as no lifetime", () => {
    expect(lifetimeFromJson(4294967295)).toBeUndefined();
    expect(lifetimeFromJson(undefined)).toBeUndefined();
    expect(lifetimeFromJson(0)).toBe(0);
  });

  it("is empty for a link without addresses", () => {
    expect(addressesFromJson(linkDown)).toEqual([]);
  });
});

describe("address flags", () => {
  it("lists every flag the kernel set, sorted", () => {
    expect(addressFlagsFromJson(dadFailed)).toEqual([
      { address: "2001:db8:1::77", prefixLength: 128, flags: ["dadfailed", "tentative"] },
      { address: "fe80::783b:2cff:fef1:e06a", prefixLength: 64, flags: [] },
    ]);
    expect(addressFlagsFromJson(addrShow)[1]).toEqual({ address: "2001:db8:1::101", prefixLength: 128, flags: ["dynamic", "tentative"] });
  });
});

describe("usable link-local address", () => {
  it("is found once DAD has finished", () => {
    expect(usableLinkLocalFromJson(addrShow)).toBe("fe80::604e:3aff:fe15:a1b3");
  });

  it("is found while DAD still runs when the kernel made it optimistic (RFC 4429), not once DAD failed", () => {
    expect(usableLinkLocalFromJson(optimisticLinkLocal)).toBe("fe80::d8c2:a9ff:feac:419e");
    const failed = JSON.parse(JSON.stringify(optimisticLinkLocal).replace('"optimistic":true', '"optimistic":true,"dadfailed":true')) as IpLinkJson[];
    expect(usableLinkLocalFromJson(failed)).toBeUndefined();
  });

  it("is not reported while tentative or when there is none", () => {
    expect(usableLinkLocalFromJson(tentativeLinkLocal)).toBeUndefined();
    expect(usableLinkLocalFromJson(linkDown)).toBeUndefined();
  });

  it("ignores global addresses", () => {
    expect(isLinkLocal6("2001:db8:1::101")).toBe(false);
    expect(isLinkLocal6("fe80::1")).toBe(true);
    expect(isLinkLocal6("febf::1")).toBe(true);
    expect(isLinkLocal6("fec0::1")).toBe(false);
  });
});

describe("routes read back from ip -json route", () => {
  it("gives CIDR destinations, gateways and metrics, kernel routes included", () => {
    expect(routesFromJson(routes4, "ipv4")).toEqual([
      { family: "ipv4", destination: "0.0.0.0/0", gateway: "192.0.2.1", metric: 100 },
      { family: "ipv4", destination: "192.0.2.0/24" },
    ]);
    expect(routesFromJson(routes6, "ipv6")).toEqual([
      { family: "ipv6", destination: "2001:db8:1::101/128", metric: 256 },
      { family: "ipv6", destination: "fe80::/64", metric: 256 },
      { family: "ipv6", destination: "::/0", gateway: "fe80::1", metric: 1024 },
    ]);
  });
});

describe("link info", () => {
  it("reads name, index, lower-case MAC, MTU and state", () => {
    expect(linkInfoFromJson(linkDown[0]!)).toEqual({ name: "eth0", index: 2, mac: "62:4e:3a:15:a1:b3", mtu: 1500, up: false, carrier: false });
    expect(linkInfoFromJson(addrShow[0]!)).toMatchObject({ up: true, carrier: true });
  });
});
