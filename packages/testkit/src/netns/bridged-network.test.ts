import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { listNamespaces, processAlive } from "./namespaces.js";
import { run } from "./processes.js";
import { cleanupStaleTestNamespaces, createBridgedNetwork, MAX_BRIDGED_CONTAINERS, rootAvailable, type BridgedNetwork } from "./index.js";

describe("createBridgedNetwork", () => {
  it.each([0, -1, 1.5, MAX_BRIDGED_CONTAINERS + 1, Number.NaN])("refuses %s containers before touching anything", async (containers) => {
    await expect(createBridgedNetwork({ containers })).rejects.toThrow(rootAvailable() ? RangeError : /needs root/);
  });
});

describe.skipIf(!rootAvailable())("createBridgedNetwork (network namespaces and dnsmasq, root)", () => {
  const networks: BridgedNetwork[] = [];
  afterEach(async () => {
    await Promise.all(networks.splice(0).map((net) => net.destroy()));
  });

  it("puts every container's eth0 on one bridge served by one dnsmasq with ranges for them all", async () => {
    const net = await createBridgedNetwork({ containers: 3, prefix: "incusx-tbr" });
    networks.push(net);
    expect(net.serverNs).toMatch(new RegExp(`^incusx-tbr${process.pid}-\\d+-srv$`));
    expect(net.containers.map((c) => c.ns)).toEqual([0, 1, 2].map((i) => net.serverNs.replace(/-srv$/, `-c${i}`)));
    expect(net.containers[2]).toMatchObject({ index: 2, nsPath: `/run/netns/${net.containers[2]!.ns}`, iface: "eth0", port: "p2" });
    for (const c of net.containers) expect(existsSync(c.dir)).toBe(true);
    expect(net.homeNs).toBe(net.serverNs.replace(/-srv$/, "-home"));
    expect((await net.exec(net.homeNs, ["ip", "-o", "link"])).stdout.trim().split("\n")).toEqual([expect.stringMatching(/^1: lo: <LOOPBACK,UP,LOWER_UP>/)]);

    const ports = await run(["ip", "-n", net.serverNs, "-o", "link", "show", "master", "br0"]);
    expect(ports.stdout.match(/ p\d+@/g)?.sort()).toEqual([" p0@", " p1@", " p2@"]);
    expect(await net.addresses(net.serverNs, "br0")).toEqual(
      expect.arrayContaining([expect.objectContaining({ local: "192.0.2.1", prefixlen: 24 }), expect.objectContaining({ local: "2001:db8:1::1", prefixlen: 64 })]),
    );
    expect(net.dnsmasq.argv).toEqual(expect.arrayContaining(["--no-ping", "--interface=br0", "--dhcp-range=192.0.2.10,192.0.2.250,255.255.255.0,1h"]));
    expect(net.dnsmasq.log()).toContain("DHCPv6, IP range 2001:db8:1::1000 -- 2001:db8:1::ffff, lease time 1h");

    // Frames from the last container cross the bridge: its ARP request reaches the server side.
    const last = net.containers[2]!;
    await net.exec(last.ns, ["ip", "addr", "add", "192.0.2.5/24", "dev", "eth0"]);
    await net.exec(last.ns, ["bash", "-c", "echo > /dev/udp/192.0.2.1/9"]);
    await net.waitFor(async () => (await run(["ip", "-n", net.serverNs, "neigh", "show", "192.0.2.5"])).stdout.includes("lladdr"), {
      message: "The server namespace did not see the container's ARP request",
    });
    await net.linkLocalReady();
  });

  it("destroy() kills started processes and deletes every namespace and the files, also twice", async () => {
    const net = await createBridgedNetwork({ containers: 4, prefix: "incusx-tbr" });
    networks.push(net);
    const sleeper = net.spawn(net.containers[3]!.ns, ["sleep", "300"]);
    // Started outside the harness: destroy() still finds it by its namespace.
    const stray = await run(["ip", "netns", "exec", net.containers[1]!.ns, "sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!"]);
    const strayPid = Number(stray.stdout.trim());
    expect(running(strayPid)).toBe(true);
    await Promise.all([net.destroy(), net.destroy()]);
    const left = listNamespaces();
    for (const ns of [net.serverNs, net.homeNs, ...net.containers.map((c) => c.ns)]) expect(left).not.toContain(ns);
    expect(existsSync(net.dir)).toBe(false);
    expect(await sleeper.exited()).toBe(-1);
    await expect.poll(() => running(strayPid)).toBe(false);
  });

  it("stale cleanup also takes the container namespaces of a dead process", async () => {
    const prefix = "incusx-tbcln";
    let deadPid = 4_000_000;
    while (processAlive(deadPid)) deadPid--;
    const stale = [`${prefix}${deadPid}-0-srv`, `${prefix}${deadPid}-0-home`, `${prefix}${deadPid}-0-c0`, `${prefix}${deadPid}-0-c17`];
    const kept = [`${prefix}${process.pid}-99-c0`, `${prefix}${deadPid}-0-cx`];
    try {
      for (const name of [...stale, ...kept]) expect((await run(["ip", "netns", "add", name])).code).toBe(0);
      expect((await cleanupStaleTestNamespaces(prefix)).sort()).toEqual([...stale].sort());
      const left = listNamespaces();
      for (const name of stale) expect(left).not.toContain(name);
      for (const name of kept) expect(left).toContain(name);
    } finally {
      for (const name of [...stale, ...kept]) await run(["ip", "netns", "delete", name]);
    }
  });
});

// Alive and not a zombie: an orphan killed here may wait a while for its reaper.
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
