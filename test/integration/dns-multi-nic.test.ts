// DNS per container with the multi-NIC runtime against two real dnsmasq
// (root only): one container namespace with eth0 on one network and eth1
// on another, both attached to one in-process runtime naming the same
// resolv.conf, gets one file merged from both networks' servers; detaching
// one NIC leaves the other's servers.
import { execFileSync } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Host, LeaseEventBus } from "@incusx/host";
import type { NetworkRuntime } from "@incusx/network-runtime";
import { IpRoute2LinkConfigurator } from "@incusx/linux-net";
import dhcpv4 from "@incusx/plugin-dhcpv4";
import dhcpv6 from "@incusx/plugin-dhcpv6";
import dns, { MARKER, parseResolvConf } from "@incusx/plugin-dns";
import type { LeaseEvent } from "@incusx/sdk";
import { MemoryLogSink } from "@incusx/testkit";
import { perTestResources, skipReason } from "./dhcp-support.js";

const reason = skipReason();
// Networks and state directories, removed after each test (after the host below stops: hooks run newest first).
const resources = perTestResources();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const require = createRequire(import.meta.url);
const manifest = (dir: string): unknown => (require(`@incusx/plugin-${dir}/package.json`) as { incusx: unknown }).incusx;

/** A host in this process with the DHCPv4, DHCPv6 and DNS plugins (no resolv.conf of its own), and its multi-NIC runtime. */
async function startHost(): Promise<{ runtime: NetworkRuntime; events: LeaseEvent[]; logs: MemoryLogSink }> {
  const bus = new LeaseEventBus();
  const events: LeaseEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const logs = new MemoryLogSink();
  const host = new Host({
    stateDir: await resources.state(),
    defaults: { onFailure: "abort" },
    plugins: [
      { plugin: dhcpv4, manifest: manifest("dhcpv4") },
      { plugin: dhcpv6, manifest: manifest("dhcpv6") },
      { plugin: dns, manifest: manifest("dns"), config: {} },
    ],
    services: { linkConfigurator: new IpRoute2LinkConfigurator(), logSink: logs.sink, leaseEvents: bus },
  });
  const report = await host.start();
  for (const plugin of report.plugins) if (plugin.error) throw new Error(`${plugin.id}: ${plugin.error.code}: ${plugin.error.message}`);
  const runtime = host.networkRuntime();
  cleanups.push(async () => {
    await Promise.all(runtime.list().map((nic) => runtime.detach(nic).catch(() => undefined)));
    await host.stop();
  });
  return { runtime, events, logs };
}

describe.skipIf(reason !== undefined)(`DNS per container with the multi-NIC runtime${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("gives a namespace with eth0 and eth1 on two networks one resolv.conf merged from both, and keeps eth1's when eth0 detaches", { timeout: 180_000 }, async () => {
    const one = await resources.network({});
    // The second network's servers differ (dnsmasq takes the last dns-server option).
    const two = await resources.network({ dnsmasqArgs: ["--dhcp-option=option:dns-server,198.51.100.53", "--dhcp-option=option6:dns-server,[2001:db8:2::53]"] });
    // Its container end becomes eth1 of the first network's container namespace.
    const ip = (ns: string, ...args: string[]) => execFileSync("ip", ["-n", ns, ...args]);
    ip(two.containerNs, "link", "set", "eth0", "down");
    ip(two.containerNs, "link", "set", "eth0", "name", "eth1");
    ip(two.containerNs, "link", "set", "eth1", "netns", one.containerNs);
    ip(one.containerNs, "link", "set", "eth1", "up");

    // The container's root as the host sees it (a rootfs directory here).
    const root = join(await resources.state(), "rootfs");
    await mkdir(join(root, "etc"), { recursive: true });
    const file = join(root, "etc", "resolv.conf");
    const { runtime, events, logs } = await startHost();
    const resolvConf = { root };
    await runtime.attach({ instance: "c1", device: "eth0", netns: one.containerNsPath, interface: "eth0", resolvConf });
    await runtime.attach({ instance: "c1", device: "net1", netns: one.containerNsPath, interface: "eth1", resolvConf });

    const merged = await one.waitFor(
      async () => {
        const text = await readFile(file, "utf8").catch(() => "");
        return ["192.0.2.53", "198.51.100.53", "2001:db8:1::53"].every((s) => text.includes(`nameserver ${s}\n`)) ? text : undefined;
      },
      { timeoutMs: 60_000, message: `resolv.conf never had both networks' servers: ${await readFile(file, "utf8").catch(() => "(none)")}; ${logs.messages({ level: "error" }).join("; ")}` },
    );
    // glibc reads 3 servers: both IPv4 ones first, then the first IPv6 one by interface order.
    expect(parseResolvConf(merged)).toMatchObject({ marked: true, nameservers: ["192.0.2.53", "198.51.100.53", "2001:db8:1::53"] });
    expect(events.filter((e) => e.kind === "bound").map((e) => `${e.nic?.device} ${e.interface} ${e.family}`).sort()).toEqual(
      expect.arrayContaining(["eth0 eth0 ipv4", "net1 eth1 ipv4"]),
    );
    expect((await one.addresses("container", "eth1")).some((a) => a.family === "inet" && a.local.startsWith("192.0.2."))).toBe(true);

    // eth0 goes (without a release: its addresses stay); the file keeps eth1's servers only.
    await runtime.detach({ instance: "c1", device: "eth0" });
    await one.waitFor(
      async () => {
        const parsed = parseResolvConf(await readFile(file, "utf8"));
        return parsed.nameservers.includes("198.51.100.53") && !parsed.nameservers.includes("192.0.2.53") ? parsed : undefined;
      },
      { timeoutMs: 30_000, message: "eth0's servers stayed after its detach" },
    );
    await one.waitFor(async () => parseResolvConf(await readFile(file, "utf8")).nameservers.includes("2001:db8:2::53"), {
      timeoutMs: 60_000,
      message: "eth1's IPv6 server never showed",
    });
    expect(await readFile(file, "utf8")).toBe(`${MARKER}\nnameserver 198.51.100.53\nnameserver 2001:db8:2::53\n`);
  });
});
