// Hostile names that dnsmasq refuses to send (a bad name in option 119 or
// option 24 is "bad domain in dhcp-option", even as hex), as real wire bytes:
// raw DHCPv4 and DHCPv6 replies are decoded by the real codec, turned into
// lease DNS by the real plugins, merged and written. No line is injected.
// (dns.test.ts sends option 15 with a raw newline through a real dnsmasq.)
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryLogSink } from "@incusx/testkit";
import { decodeDhcpv4, decodeDhcpv6 } from "@incusx/dhcp-wire";
// By path: the lease mapping of each DHCP plugin is internal to it.
import { dnsOf as dnsOfV4 } from "../../plugins/dhcpv4/src/lease.js";
import { dnsOf as dnsOfV6 } from "../../plugins/dhcpv6/src/lease.js";
import { MARKER, mergeDns, parseResolvConf, ResolvConfSink } from "@incusx/plugin-dns";
import type { Dhcpv6ClientServerMessage } from "@incusx/dhcp-wire";

/** RFC 1035 wire form of `names`, labels split on dots only (so a label may hold a newline or a space). */
function wireNames(names: readonly string[]): number[] {
  const out: number[] = [];
  for (const name of names) {
    for (const label of name.split(".")) out.push(label.length, ...Buffer.from(label, "latin1"));
    out.push(0);
  }
  return out;
}

const HOSTILE = ["ok.example", "bad.example\nnameserver 203\n0\n113\n66", "sp ace.example", "tab\t.example"];

/** A DHCPv4 ACK as bytes: BOOTP header, magic cookie, options 53, 54, 6 and a hostile 119. */
function ackBytes(): Uint8Array {
  const header = new Uint8Array(236);
  header[0] = 2; // BOOTREPLY
  header[1] = 1;
  header[2] = 6;
  header.set([192, 0, 2, 150], 16); // yiaddr
  header.set([0x02, 0, 0, 0, 0, 1], 28); // chaddr
  const search = wireNames(HOSTILE);
  const options = [99, 130, 83, 99, 53, 1, 5, 54, 4, 192, 0, 2, 1, 6, 4, 192, 0, 2, 53, 119, search.length, ...search, 255];
  return Uint8Array.from([...header, ...options]);
}

/** A DHCPv6 Reply as bytes: options 23 (one server) and a hostile 24. */
function replyBytes(): Uint8Array {
  const domains = wireNames(HOSTILE);
  const server = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53];
  return Uint8Array.from([7, 0x12, 0x34, 0x56, 0, 23, 0, 16, ...server, 0, 24, domains.length >> 8, domains.length & 0xff, ...domains]);
}

describe("hostile search lists as real wire bytes", () => {
  it("are decoded, dropped with a warning each, and never reach resolv.conf", async () => {
    const v4 = dnsOfV4(decodeDhcpv4(ackBytes()));
    const v6 = dnsOfV6(decodeDhcpv6(replyBytes()) as Dhcpv6ClientServerMessage);
    // The codec hands bytes that are not letters, digits, `-` or `_` over as `\DDD`.
    const escaped = ["ok.example", "bad.example\\010nameserver\\032203\\0100\\010113\\01066", "sp\\032ace.example", "tab\\009.example"];
    expect(v4).toEqual({ servers: ["192.0.2.53"], search: escaped });
    expect(v6).toEqual({ servers: ["2001:db8:1::53"], search: escaped });

    const { config, warnings } = mergeDns({ nameservers: [], search: [], options: [] }, [
      { interface: "eth0", family: "ipv6", dns: v6 },
      { interface: "eth0", family: "ipv4", dns: v4 },
    ]);
    expect(config.nameservers).toEqual(["192.0.2.53", "2001:db8:1::53"]);
    expect(config.search).toEqual(["ok.example"]);
    expect(warnings.map((w) => w.message)).toHaveLength(6);
    for (const w of warnings) expect(w.message).toMatch(/^Dropped the search domain .* from the ipv[46] lease on eth0: /);

    const dir = await mkdtemp(join(tmpdir(), "incusx-dns-wire-"));
    try {
      const path = join(dir, "resolv.conf");
      await new ResolvConfSink({ path }, new MemoryLogSink().logger("incusx.dns")).apply(config);
      const text = await readFile(path, "utf8");
      expect(text).toBe(`${MARKER}\nnameserver 192.0.2.53\nnameserver 2001:db8:1::53\nsearch ok.example\n`);
      expect(parseResolvConf(text).unknown).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
