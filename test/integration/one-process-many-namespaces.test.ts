// One host process configures the NICs of several container namespaces at
// once against real dnsmasq (root only): `host.networkRuntime()` with the
// DHCPv4 and DHCPv6 plugins, run in this test process, which stays in its
// own network namespace. Each NIC gets its IPv4 and IPv6 address and its
// IPv4 default route (read back with `ip -n NS -j`); detaching with release
// removes them; every socket and namespace fd is closed again afterwards.
import { readdirSync, statSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { Host, LeaseEventBus } from "@incusx/host";
import dhcpv4 from "@incusx/plugin-dhcpv4";
import dhcpv6 from "@incusx/plugin-dhcpv6";
import { dhcpAddresses, dhcpv4Addresses, perTestResources, skipReason, type TestNetwork } from "./dhcp-support.js";

const reason = skipReason();
const { network, state } = perTestResources();
const require = createRequire(import.meta.url);
const manifest = (dir: string): unknown => (require(`@incusx/plugin-${dir}/package.json`) as { incusx: unknown }).incusx;

/** The network namespace of this process and of the calling thread, as inode numbers. */
function where(): string {
  return ["/proc/self/ns/net", "/proc/thread-self/ns/net"].map((file) => String(statSync(file).ino)).join(" ");
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/** The container's IPv4 default route through dnsmasq's address, if there. */
async function defaultRoute(net: TestNetwork) {
  return (await net.routes("container", net.iface, "ipv4")).find((r) => r.dst === "default" && r.gateway === "192.0.2.1");
}

describe.skipIf(reason !== undefined)(`one process serving NICs of many namespaces, against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("configures three containers' eth0 at once from the host namespace, and detach with release removes every address and frees every fd", async () => {
    const nets = await Promise.all([network({}), network({}), network({})]);
    const home = where();
    const events = new LeaseEventBus();
    const host = new Host({
      stateDir: await state(),
      defaults: { onFailure: "abort" },
      plugins: [
        { plugin: dhcpv4, manifest: manifest("dhcpv4") },
        { plugin: dhcpv6, manifest: manifest("dhcpv6") },
      ],
      services: { leaseEvents: events, logSink: () => {} },
    });
    const report = await host.start();
    expect(report.ok, JSON.stringify(report.plugins)).toBe(true);
    const runtime = host.networkRuntime();
    // libuv opens one inotify fd for the event loop at the first fs.watch
    // (the NIC watch on /run/netns uses it) and keeps it for the loop's
    // life: open it before counting, so the count is what NICs hold.
    watch(tmpdir()).close();
    // Counted once the host is up and before any NIC: what attach opens, detach must close.
    const baseline = openFds();

    const nics = nets.map((net, i) => ({ instance: `c${i}`, device: "eth0", interface: net.iface, netns: net.containerNsPath, hostname: `c${i}` }));
    await Promise.all(nics.map((nic) => runtime.attach(nic)));
    expect(where()).toBe(home);

    const bound = () => runtime.list().filter((n) => n.families.length === 2 && n.families.every((f) => f.state === "bound")).length;
    await nets[0]!.waitFor(() => bound() === 3, { timeoutMs: 30_000, message: `Not every NIC was bound: ${JSON.stringify(runtime.list())}` });
    for (const [i, net] of nets.entries()) {
      const listed = runtime.list().find((n) => n.instance === `c${i}`)!;
      const v4 = listed.families.find((f) => f.family === "ipv4")!.lease!.addresses[0]!.address;
      const v6 = listed.families.find((f) => f.family === "ipv6")!.lease!.addresses[0]!.address;
      // What the kernel of that namespace shows, read with ip -n NS -j.
      await net.waitFor(async () => (await dhcpv4Addresses(net)).some((a) => a.local === v4), { timeoutMs: 10_000, message: `c${i} lacks ${v4}` });
      await net.waitFor(async () => (await dhcpAddresses(net)).some((a) => a.local === v6), { timeoutMs: 10_000, message: `c${i} lacks ${v6}` });
      expect((await dhcpv4Addresses(net)).map((a) => a.local)).toEqual([v4]);
      expect((await dhcpAddresses(net)).map((a) => a.local)).toEqual([v6]);
      expect(await defaultRoute(net)).toBeDefined();
      expect(listed.netns).toBe(net.containerNsPath);
    }
    // Three containers, three leases each family: no two NICs shared an identity.
    const leased = (family: "ipv4" | "ipv6") => new Set(runtime.list().map((n) => n.families.find((f) => f.family === family)!.lease!.addresses[0]!.address));
    expect(leased("ipv4").size).toBe(3);
    expect(leased("ipv6").size).toBe(3);
    expect(where()).toBe(home);

    await Promise.all(nics.map((nic) => runtime.detach(nic, { release: true })));
    expect(runtime.list()).toEqual([]);
    for (const net of nets) {
      expect(await dhcpv4Addresses(net)).toEqual([]);
      expect(await dhcpAddresses(net)).toEqual([]);
      expect(await defaultRoute(net)).toBeUndefined();
    }
    expect(where()).toBe(home);
    // Sockets, netlink watches and namespace fds of all three NICs are closed again.
    await nets[0]!.waitFor(() => openFds() === baseline, { timeoutMs: 10_000, message: `Open fds: ${openFds()}, baseline ${baseline}` });
    await host.stop();
  });
});
