// `incusx forknet dhcp` against OVN's own DHCP: ovn-controller's native
// responder (DHCP_Options rows in the NB, referenced by the logical switch
// port's dhcpv4_options and dhcpv6_options), on a real chassis in
// throwaway namespaces (ovs-vswitchd's userspace datapath, no kernel
// module). Root only; skipped when the OVS/OVN packages are absent.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseResolvConf } from "@incusx/plugin-dns";
import { OVN_TEST_CONTAINER_MAC, ovnChassisSkipReason, startOvnChassis, type OvnTestChassis } from "@incusx/testkit/ovn";
import { afterEach, describe, expect, it } from "vitest";
import { forknet, skipReason as dhcpSkipReason, stateDir } from "./dhcp-support.js";

const reason = dhcpSkipReason() ?? ovnChassisSkipReason();

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const PORT = "c1";
const V4 = "198.51.100.10";
const V6 = "2001:db8::10";
const SERVER_MAC = "00:00:5e:00:53:ff";

/**
 * A chassis whose container eth0 is port c1 of switch ls0, with DHCPv4 and
 * DHCPv6 options from OVN. As in an Incus OVN network, the router's port on
 * the switch holds the gateway address and MAC that DHCP_Options name as
 * the server: OVN answers ARP for it, so renewals unicast to the server
 * reach ovn-controller.
 */
async function ovnWithDhcp(v4Options: Record<string, string> = {}, v6Options: Record<string, string> = {}): Promise<OvnTestChassis> {
  const ovn = await startOvnChassis();
  cleanups.push(() => ovn.stop());
  await ovn.nbctl("ls-add", "ls0");
  await ovn.nbctl("lr-add", "lr0");
  await ovn.nbctl("lrp-add", "lr0", "lr0-ls0", SERVER_MAC, "198.51.100.1/24", "2001:db8::1/64");
  await ovn.nbctl(
    "lsp-add", "ls0", "ls0-lr0",
    "--", "lsp-set-type", "ls0-lr0", "router",
    "--", "lsp-set-addresses", "ls0-lr0", "router",
    "--", "lsp-set-options", "ls0-lr0", "router-port=lr0-ls0",
  );
  await ovn.nbctl("lsp-add", "ls0", PORT, "--", "lsp-set-addresses", PORT, `${OVN_TEST_CONTAINER_MAC} ${V4} ${V6}`);
  const v4 = {
    lease_time: "3600",
    router: "198.51.100.1",
    server_id: "198.51.100.1",
    server_mac: SERVER_MAC,
    dns_server: "{198.51.100.53}",
    domain_name: '"ovn.example"',
    // Incus sets the bridge MTU (geneve: 1442 on a 1500 underlay) and the search list.
    mtu: "1442",
    domain_search_list: '"ovn.example,more.example"',
    ...v4Options,
  };
  const options = (o: Record<string, string>): string => Object.entries(o).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
  const dhcp4 = (await ovn.nbctl("create", "DHCP_Options", "cidr=198.51.100.0/24", `options={${options(v4)}}`)).trim();
  const dhcp6 = (
    await ovn.nbctl("create", "DHCP_Options", 'cidr="2001:db8::/64"', `options={${options({ server_id: SERVER_MAC, dns_server: "{2001:db8::53}", ...v6Options })}}`)
  ).trim();
  await ovn.nbctl("lsp-set-dhcpv4-options", PORT, dhcp4);
  await ovn.nbctl("lsp-set-dhcpv6-options", PORT, dhcp6);
  await ovn.bindContainer(PORT);
  return ovn;
}

async function state(): Promise<string> {
  const s = await stateDir();
  cleanups.push(s.remove);
  return s.dir;
}

describe.skipIf(reason !== undefined)(`incusx forknet dhcp against OVN's native DHCP${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("takes the address, router and DNS of both families from ovn-controller and applies them", { timeout: 60_000 }, async () => {
    const ovn = await ovnWithDhcp();
    const net = ovn.network;
    const dir = await mkdtemp(join(tmpdir(), "incusx-ovn-dhcp-it-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const resolvConf = join(dir, "resolv.conf");

    const run = forknet(net, ["--resolv-conf", resolvConf, "--state-dir", await state()]);
    cleanups.push(() => run.stop());
    const v4 = await run.waitForEvent((e) => e.kind === "bound" && e.family === "ipv4", 30_000);
    const v6 = await run.waitForEvent((e) => e.kind === "bound" && e.family === "ipv6", 30_000);

    expect(v4.lease).toMatchObject({
      server: "198.51.100.1",
      addresses: [{ address: V4, prefixLength: 24, validLifetime: 3600 }],
      routes: [{ destination: "0.0.0.0/0", gateway: "198.51.100.1" }],
      dns: { servers: ["198.51.100.53"] },
    });
    // OVN's server DUID is the DUID-LL of server_id; it grants IA_NA addresses with infinite lifetimes.
    expect(v6.lease).toMatchObject({
      server: `00030001${SERVER_MAC.replace(/:/g, "")}`,
      addresses: [{ address: V6, prefixLength: 128, validLifetime: 4294967295 }],
      dns: { servers: ["2001:db8::53"] },
    });

    const addresses = await net.addresses("container", net.iface);
    expect(addresses.find((a) => a.local === V4)).toMatchObject({ family: "inet", prefixlen: 24 });
    expect(addresses.find((a) => a.local === V4)!.valid_life_time).toBeLessThanOrEqual(3600);
    expect(addresses.find((a) => a.local === V4)!.valid_life_time).toBeGreaterThan(3600 - 60);
    expect(addresses.find((a) => a.local === V6)).toMatchObject({ family: "inet6", prefixlen: 128, valid_life_time: 4294967295 });
    const routes = await net.routes("container", net.iface, "ipv4");
    expect(routes.find((r) => r.dst === "default"), JSON.stringify(routes)).toMatchObject({ gateway: "198.51.100.1" });
    expect(v4.lease!.mtu).toBe(1442);
    const link = JSON.parse((await net.exec("container", ["ip", "-json", "link", "show", "dev", net.iface])).stdout) as { mtu: number }[];
    expect(link[0]!.mtu).toBe(1442);

    const text = await net.waitFor(
      async () => {
        const t = await readFile(resolvConf, "utf8").catch(() => "");
        return t.includes("198.51.100.53") && t.includes("2001:db8::53") ? t : undefined;
      },
      { timeoutMs: 10_000, message: "resolv.conf never named both OVN DNS servers" },
    );
    expect(parseResolvConf(text).nameservers).toEqual(["198.51.100.53", "2001:db8::53"]);
    expect(parseResolvConf(text).search).toEqual(["ovn.example", "more.example"]);

    // The DAD of the OVN address passed: OVN does not answer a port's own neighbour solicitations.
    await net.waitFor(async () => {
      const a = (await net.addresses("container", net.iface)).find((x) => x.local === V6);
      return a !== undefined && a.tentative !== true;
    }, { timeoutMs: 10_000, message: `${V6} stayed tentative` });
    expect((await net.addresses("container", net.iface)).find((a) => a.local === V6)!.dadfailed).toBeUndefined();
  });

  it("renews the DHCPv4 lease with ovn-controller at OVN's T1 and refreshes the address's lifetime", { timeout: 60_000 }, async () => {
    // The client's shortest honoured lease and T1 (60 s, 10 s; plugins/dhcpv4/src/lease.ts).
    const ovn = await ovnWithDhcp({ lease_time: "60", T1: "10", T2: "50" });
    const net = ovn.network;
    const run = forknet(net, ["--no-ipv6", "--state-dir", await state()]);
    cleanups.push(() => run.stop());
    const bound = await run.waitForEvent((e) => e.kind === "bound", 30_000);
    expect(bound.lease!.addresses[0]).toMatchObject({ address: V4, validLifetime: 60 });

    const renewed = await run.waitForEvent((e) => e.kind === "renewed", 30_000);
    expect((renewed.at - bound.at) / 1000).toBeGreaterThan(9);
    expect(renewed.lease!.addresses[0]).toMatchObject({ address: V4, validLifetime: 60 });
    const address = (await net.addresses("container", net.iface)).find((a) => a.local === V4)!;
    // Refreshed by the renewal: more left than the 50 s the first ACK's lifetime had by then.
    expect(address.valid_life_time).toBeGreaterThan(55);
  });

  it("falls back to stateless DHCPv6 (Information-request) on a network in Incus's default, ipv6.dhcp.stateful off", { timeout: 60_000 }, async () => {
    const ovn = await ovnWithDhcp({}, { dhcpv6_stateless: "true" });
    const net = ovn.network;
    const run = forknet(net, ["--no-ipv4", "--state-dir", await state()]);
    cleanups.push(() => run.stop());
    const bound = await run.waitForEvent((e) => e.kind === "bound" && e.family === "ipv6", 30_000);
    expect(bound.lease).toMatchObject({ addresses: [], dns: { servers: ["2001:db8::53"] } });
    expect((await net.addresses("container", net.iface)).filter((a) => a.family === "inet6" && a.scope === "global")).toEqual([]);
  });

  // OVN 23.03 encodes DHCPv6 option 24 (domain search, which Incus fills
  // from dns.search) as ONE label holding the dotted name: `0b "ovn.example"
  // 00` on the wire. The client reads it as the dotted name OVN means
  // (dottedLabelName in @incusx/dhcp-wire).
  it("takes OVN's DHCPv6 domain search as the dotted name OVN means", { timeout: 60_000 }, async () => {
    const ovn = await ovnWithDhcp({}, { dhcpv6_stateless: "true", domain_search: '"ovn.example"' });
    const run = forknet(ovn.network, ["--no-ipv4", "--state-dir", await state()]);
    cleanups.push(() => run.stop());
    const bound = await run.waitForEvent((e) => e.kind === "bound" && e.family === "ipv6", 30_000);
    expect(bound.lease!.dns.servers).toEqual(["2001:db8::53"]);
    expect(bound.lease!.dns.search).toEqual(["ovn.example"]);
  });

  // OVN (23.03, pinctrl.c) answers Solicit, Request, Confirm, Decline and
  // Information-request, never Renew or Rebind; its bindings are infinite
  // (T1 = T2 = 0, lifetimes 0xffffffff). A restarted client Renews the
  // binding an earlier run saved, and after RESTART_RENEW_WAIT_MS (2 s)
  // without a Reply confirms it (RFC 8415 section 18.2.12, "the client
  // reboots"), which OVN answers.
  it("configures IPv6 again after a restart that kept the binding an earlier run saved", { timeout: 60_000 }, async () => {
    const ovn = await ovnWithDhcp();
    const net = ovn.network;
    const dir = await state();
    const first = forknet(net, ["--no-ipv4", "--exit-when-configured", "--timeout", "20", "--state-dir", dir]);
    expect(await first.exited(), first.stderr()).toBe(0);
    // A restarted container's namespace has none of the old addresses.
    await net.exec("container", ["ip", "-6", "addr", "del", `${V6}/128`, "dev", net.iface]);

    const second = forknet(net, ["--no-ipv4", "--exit-when-configured", "--timeout", "8", "--state-dir", dir]);
    expect(await second.exited(), second.stderr()).toBe(0);
    expect((await net.addresses("container", net.iface)).map((a) => a.local)).toContain(V6);
  });
});
