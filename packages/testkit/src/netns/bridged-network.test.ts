import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { listNamespaces, processAlive } from "./namespaces.js";
import { run } from "./processes.js";
import { cleanupStaleTestNamespaces, createBridgedNetwork, MAX_BRIDGED_CONTAINERS, rootAvailable, type BridgedNetwork } from "./index.js";
import { BRIDGE_MAC, containerMac, eui64LinkLocal } from "./bridged-network.js";

describe("containerMac and eui64LinkLocal", () => {
  it("give each container a unique locally administered MAC and the link-local address the kernel derives from it", () => {
    expect(containerMac(0)).toBe("02:1c:00:00:00:00");
    expect(containerMac(219)).toBe("02:1c:00:00:00:db");
    expect(new Set(Array.from({ length: MAX_BRIDGED_CONTAINERS }, (_, i) => containerMac(i))).size).toBe(MAX_BRIDGED_CONTAINERS);
    expect(eui64LinkLocal("02:1c:00:00:00:07")).toBe("fe80::1c:ff:fe00:7");
    expect(eui64LinkLocal("52:54:00:12:34:56")).toBe("fe80::5054:ff:fe12:3456");
    expect(eui64LinkLocal("02:00:00:00:00:01")).toBe("fe80::ff:fe00:1");
    expect(() => eui64LinkLocal("02:00:00:00:01")).toThrow(RangeError);
  });
});

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

  it("learns container neighbours by default, and with serverNeighbours: \"pinned\" fixes each eth0's MAC and pins its link-local address on br0", async () => {
    const learned = await createBridgedNetwork({ containers: 2, prefix: "incusx-tbr" });
    networks.push(learned);
    expect(learned.containers.map((c) => c.mac)).toEqual([undefined, undefined]);
    expect((await run(["ip", "-n", learned.serverNs, "-6", "neigh", "show", "dev", "br0", "nud", "permanent"])).stdout.trim()).toBe("");

    const net = await createBridgedNetwork({ containers: 16, prefix: "incusx-tbr", serverNeighbours: "pinned" });
    networks.push(net);
    expect(net.containers.map((c) => c.mac)).toEqual(Array.from({ length: 16 }, (_, i) => containerMac(i)));
    await net.linkLocalReady();
    const pinned = (await run(["ip", "-n", net.serverNs, "-6", "neigh", "show", "dev", "br0", "nud", "permanent"])).stdout;
    for (const c of net.containers) {
      const link = (await run(["ip", "-n", c.ns, "-o", "link", "show", "dev", "eth0"])).stdout;
      expect(link).toContain(`link/ether ${c.mac!} `);
      // The pinned address is the one the container really has.
      const local = (await net.addresses(c.ns, c.iface)).find((a) => a.family === "inet6" && a.scope === "link")?.local;
      expect(local).toBe(eui64LinkLocal(c.mac!));
      expect(pinned).toContain(`${local!} lladdr ${c.mac!} PERMANENT`);
    }
    // Ports with lower MACs than the bridge's did not change it (a change flushes the table).
    expect((await run(["ip", "-n", net.serverNs, "-o", "link", "show", "dev", "br0"])).stdout).toContain(`link/ether ${BRIDGE_MAC} `);
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
