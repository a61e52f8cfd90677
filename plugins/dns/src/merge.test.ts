import type { IpFamily, LeaseDns, StaticDns } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { mergeDns, type LeaseDnsInput } from "./merge.js";
import { renderResolvConf } from "./resolv-conf.js";
import { IN_PLACE_MAX_BYTES } from "./safe-write.js";

const NONE: StaticDns = { nameservers: [], search: [], options: [] };
const v4 = (iface: string, dns: Partial<LeaseDns>): LeaseDnsInput => lease("ipv4", iface, dns);
const v6 = (iface: string, dns: Partial<LeaseDns>): LeaseDnsInput => lease("ipv6", iface, dns);
function lease(family: IpFamily, iface: string, dns: Partial<LeaseDns>): LeaseDnsInput {
  return { family, interface: iface, dns: { servers: [], search: [], ...dns } };
}

interface Case {
  readonly rule: string;
  readonly statics?: Partial<StaticDns>;
  readonly leases: readonly LeaseDnsInput[];
  readonly nameservers?: readonly string[];
  readonly search?: readonly string[];
  readonly domain?: string;
  readonly options?: readonly string[];
  /** Substrings expected in the warnings, in order; default none. */
  readonly warnings?: readonly string[];
}

const cases: Case[] = [
  {
    rule: "IPv4 leases come before IPv6 leases, whatever order they arrive in",
    leases: [v6("eth0", { servers: ["2001:db8:1::53"], search: ["six.example"] }), v4("eth0", { servers: ["192.0.2.53"], search: ["four.example"] })],
    nameservers: ["192.0.2.53", "2001:db8:1::53"],
    search: ["four.example", "six.example"],
  },
  {
    rule: "interfaces are taken in name order within a family",
    leases: [v4("eth1", { servers: ["198.51.100.53"] }), v4("eth0", { servers: ["192.0.2.53"] }), v6("eth0", { servers: ["2001:db8::53"] })],
    nameservers: ["192.0.2.53", "198.51.100.53", "2001:db8::53"],
  },
  {
    rule: "a static field replaces the leases' values for that field only",
    statics: { nameservers: ["203.0.113.1"], options: ["ndots:2"] },
    leases: [v4("eth0", { servers: ["192.0.2.53"], search: ["lease.example"] })],
    nameservers: ["203.0.113.1"],
    search: ["lease.example"],
    options: ["ndots:2"],
  },
  {
    rule: "static search replaces lease search lists and the lease domain",
    statics: { search: ["static.example"] },
    leases: [v4("eth0", { servers: ["192.0.2.53"], search: ["lease.example"], domain: "dom.example" })],
    nameservers: ["192.0.2.53"],
    search: ["static.example"],
  },
  {
    rule: "duplicate servers are compared as addresses, not strings",
    leases: [
      v4("eth0", { servers: ["192.0.2.53"] }),
      v6("eth0", { servers: ["2001:DB8:0:0::53", "::ffff:192.0.2.53", "2001:db8::53"] }),
    ],
    nameservers: ["192.0.2.53", "2001:db8::53"],
  },
  {
    rule: "duplicate search domains are compared case-insensitively, trailing dot ignored",
    leases: [v4("eth0", { search: ["Example.NET."] }), v6("eth0", { search: ["example.net", "other.example"] })],
    search: ["Example.NET", "other.example"],
  },
  {
    rule: "a link-local IPv6 server is written with its lease's interface",
    leases: [v6("eth1", { servers: ["FE80::1"] }), v6("eth2", { servers: ["fe80::1"] })],
    nameservers: ["fe80::1%eth1", "fe80::1%eth2"],
  },
  {
    rule: "an IPv4 link-local server, or an IPv4-mapped one, takes no interface",
    leases: [v4("eth0", { servers: ["169.254.1.53"] }), v6("eth1", { servers: ["::ffff:169.254.1.54"] })],
    nameservers: ["169.254.1.53", "169.254.1.54"],
  },
  {
    rule: "a zone sent by the server is replaced by the lease's interface",
    leases: [v6("eth0", { servers: ["fe80::1%lo"] })],
    nameservers: [],
    warnings: ['Dropped the name server "fe80::1%lo" from the ipv6 lease on eth0: is not an IP address'],
  },
  {
    rule: "at most three name servers; the rest are named in a warning",
    leases: [v4("eth0", { servers: ["192.0.2.1", "192.0.2.2"] }), v6("eth0", { servers: ["2001:db8::1", "2001:db8::2"] })],
    nameservers: ["192.0.2.1", "192.0.2.2", "2001:db8::1"],
    warnings: ["glibc reads only 3 name servers; dropped 2001:db8::2"],
  },
  {
    rule: "the domain is written as `domain` when no search list is known",
    leases: [v4("eth0", { servers: ["192.0.2.53"], domain: "corp.example" }), v6("eth0", { servers: ["2001:db8::53"] })],
    nameservers: ["192.0.2.53", "2001:db8::53"],
    domain: "corp.example",
  },
  {
    rule: "a search list wins over a domain",
    leases: [v4("eth0", { domain: "corp.example" }), v6("eth0", { search: ["six.example"] })],
    search: ["six.example"],
  },
  {
    rule: "several different domains and no search list become a search list",
    leases: [v4("eth0", { domain: "a.example" }), v4("eth1", { domain: "b.example" })],
    search: ["a.example", "b.example"],
  },
  {
    rule: "options come only from the static settings",
    statics: { options: ["ndots:2", "edns0"] },
    leases: [],
    options: ["ndots:2", "edns0"],
  },
  {
    rule: "no leases and no static settings give an empty config",
    leases: [],
  },
  {
    rule: "a search domain with a newline and a nameserver line is dropped",
    leases: [v4("eth0", { servers: ["192.0.2.53"], search: ["good.example", "evil.example\nnameserver 203.0.113.66"] })],
    nameservers: ["192.0.2.53"],
    search: ["good.example"],
    warnings: ['Dropped the search domain "evil.example\\nnameserver 203.0.113.66" from the ipv4 lease on eth0: contains a control character'],
  },
  {
    rule: "names with whitespace, bad labels or too long are dropped, each named",
    leases: [
      v6("eth0", {
        search: ["a b.example", "-bad.example", "a..example", "x".repeat(64) + ".example", ("a".repeat(60) + ".").repeat(5) + "example", "ok.example", "bad!.example"],
      }),
    ],
    search: ["ok.example"],
    warnings: [
      '"a b.example" from the ipv6 lease on eth0: contains whitespace',
      '"-bad.example" from the ipv6 lease on eth0: has an invalid label "-bad"',
      '"a..example" from the ipv6 lease on eth0: has an empty label',
      "has a label longer than 63 characters",
      "is longer than 253 characters",
      '"bad!.example" from the ipv6 lease on eth0: has an invalid label "bad!"',
    ],
  },
  {
    rule: "a bad domain name (option 15) is dropped",
    leases: [v4("eth0", { domain: "corp.example\tnameserver" })],
    warnings: ['Dropped the domain name "corp.example\\tnameserver" from the ipv4 lease on eth0: contains a control character'],
  },
  {
    rule: "servers that are not addresses, or cannot be queried, are dropped",
    leases: [v4("eth0", { servers: ["192.0.2.53\nnameserver 203.0.113.66", "0.0.0.0", "255.255.255.255", "224.0.0.1", "1.2.3", "192.0.2.54"] })],
    nameservers: ["192.0.2.54"],
    warnings: ["is not an IP address", "is a unspecified address", "is a broadcast address", "is a multicast address", '"1.2.3" from the ipv4 lease on eth0: is not an IP address'],
  },
  {
    rule: "the unusable scopes are 0.0.0.0/8 and ::, multicast of either family, and broadcast",
    leases: [v4("eth0", { servers: ["0.1.2.3", "127.0.0.53"] }), v6("eth0", { servers: ["::", "ff02::1:2", "::1"] })],
    nameservers: ["127.0.0.53", "::1"],
    warnings: ['"0.1.2.3" from the ipv4 lease on eth0: is a unspecified address', '"::" from the ipv6 lease on eth0: is a unspecified address', '"ff02::1:2" from the ipv6 lease on eth0: is a multicast address'],
  },
];

describe("mergeDns", () => {
  it.each(cases)("$rule", (c) => {
    const { config, warnings } = mergeDns({ ...NONE, ...c.statics }, c.leases);
    expect(config.nameservers).toEqual(c.nameservers ?? []);
    expect(config.search).toEqual(c.search ?? []);
    expect(config.domain).toBe(c.domain);
    expect(config.options).toEqual(c.options ?? []);
    expect(warnings.map((w) => w.message)).toHaveLength((c.warnings ?? []).length);
    warnings.forEach((w, i) => expect(w.message).toContain(c.warnings![i]));
  });

  it("gives every interface its own servers, search domains and families, without zones", () => {
    const { config } = mergeDns(NONE, [
      v6("eth1", { servers: ["fe80::1", "2001:db8::53"], search: ["one.example"] }),
      v4("eth1", { servers: ["192.0.2.53"], domain: "one.example" }),
      v4("eth0", { servers: ["198.51.100.53", "198.51.100.54", "198.51.100.55"] }),
    ]);
    expect(config.links).toEqual([
      { interface: "eth0", families: ["ipv4"], nameservers: ["198.51.100.53", "198.51.100.54", "198.51.100.55"], search: [] },
      { interface: "eth1", families: ["ipv4", "ipv6"], nameservers: ["192.0.2.53", "fe80::1", "2001:db8::53"], search: ["one.example"], domain: "one.example" },
    ]);
    // The merged view is capped; the per-link view is not.
    expect(config.nameservers).toEqual(["198.51.100.53", "198.51.100.54", "198.51.100.55"]);
  });

  it("cuts a hostile server's long search list so the file still fits the in-place write, with a warning", () => {
    // 40 valid names of 200 characters: 8 KB of search domains.
    const long = Array.from({ length: 40 }, (_, i) => `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.d${String(i).padStart(2, "0")}.example`);
    const servers = ["fe80::1111:2222:3333:4444", "fe80::5555:6666:7777:8888", "fe80::9999:aaaa:bbbb:cccc"];
    const { config, warnings } = mergeDns(NONE, [v6("interface-name1", { servers, search: long })]);
    expect(Buffer.byteLength(renderResolvConf(config))).toBeLessThanOrEqual(IN_PLACE_MAX_BYTES);
    expect(config.search).toEqual(long.slice(0, config.search.length));
    expect(config.search.length).toBeGreaterThan(5);
    expect(warnings.map((w) => w.message)).toEqual([
      `The search list is limited to 2048 characters; dropped ${long.slice(config.search.length).join(", ")}`,
    ]);
  });

  it("hands the static settings through", () => {
    const statics = { nameservers: ["fe80::1%eth0"], search: ["s.example"], options: ["rotate"] };
    expect(mergeDns(statics, []).config.static).toEqual(statics);
    expect(mergeDns(statics, []).config.nameservers).toEqual(["fe80::1%eth0"]);
  });

  it("names the interface and family of every dropped value in the warning fields", () => {
    const { warnings } = mergeDns(NONE, [v6("eth3", { servers: ["nope"] })]);
    expect(warnings[0]!.fields).toEqual({ interface: "eth3", family: "ipv6", dropped: "nope" });
  });
});
