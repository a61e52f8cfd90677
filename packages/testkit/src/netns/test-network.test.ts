import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { API_VERSION } from "@incusx/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { listNamespaces, networkBaseName, nextNetworkNumber, processAlive } from "./namespaces.js";
import { run } from "./processes.js";
import { cleanupStaleTestNamespaces, createTestNetwork, rootAvailable, type TestNetwork } from "./index.js";

describe("namespace names", () => {
  it("carry the prefix, the pid and a number that never repeats in this process", () => {
    const first = nextNetworkNumber();
    expect(nextNetworkNumber()).toBe(first + 1);
    expect(networkBaseName("incusx-t", 4242, 7)).toBe("incusx-t4242-7");
  });
});

describe.skipIf(!rootAvailable())("createTestNetwork (network namespaces and dnsmasq, root)", () => {
  const networks: TestNetwork[] = [];
  const create = async (...args: Parameters<typeof createTestNetwork>): Promise<TestNetwork> => {
    const net = await createTestNetwork(...args);
    networks.push(net);
    return net;
  };
  afterEach(async () => {
    await Promise.all(networks.splice(0).map((net) => net.destroy()));
  });

  it("joins a server and a container namespace by a veth pair with dnsmasq serving on the server side", async () => {
    const net = await create();
    expect(net.serverNs).toMatch(new RegExp(`^incusx-t${process.pid}-\\d+-srv$`));
    expect(net.containerNs).toBe(net.serverNs.replace(/-srv$/, "-ctr"));
    expect(net.containerNsPath).toBe(`/run/netns/${net.containerNs}`);
    const server = await net.addresses("server", "veth-srv");
    expect(server).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ local: "192.0.2.1", prefixlen: 24 }),
        expect.objectContaining({ local: "2001:db8:1::1", prefixlen: 64 }),
      ]),
    );
    expect((await net.addresses("container", "eth0")).filter((a) => a.scope !== "link")).toEqual([]);
    const sockets = await net.exec("server", ["ss", "-Hulnp"]);
    expect(sockets.stdout).toMatch(/:67 .*dnsmasq/);
    expect(sockets.stdout).toMatch(/:547 .*dnsmasq/);
    expect(net.dnsmasq.running).toBe(true);
    expect(net.dnsmasq.log()).toContain("DHCPv6, IP range 2001:db8:1::100 -- 2001:db8:1::200, lease time 1h");
    // The host's own interfaces are not part of it.
    expect((await net.exec("container", ["ip", "-o", "link"])).stdout).not.toMatch(/veth-srv/);
  });

  it("serves stateless DHCPv6 when asked, and restarts dnsmasq with new arguments", async () => {
    const net = await create({ v4: false, v6: "stateless", leaseTime: "2m" });
    expect(net.dnsmasq.log()).toMatch(/DHCPv6 stateless on 2001:db8:1::/);
    await net.dnsmasq.restart(["--dhcp-option=option6:domain-search,example.test"]);
    expect(net.dnsmasq.running).toBe(true);
    expect(net.dnsmasq.argv).toContain("--dhcp-option=option6:domain-search,example.test");
    await net.dnsmasq.stop();
    expect(net.dnsmasq.running).toBe(false);
    expect((await net.exec("server", ["ss", "-Hulnp"])).stdout).not.toMatch(/dnsmasq/);
  });

  it("fails with dnsmasq's own message when dnsmasq cannot start, leaving nothing behind", async () => {
    const ours = (): string[] => listNamespaces().filter((name) => name.startsWith(`incusx-t${process.pid}-`));
    const before = ours();
    await expect(createTestNetwork({ dnsmasqArgs: ["--no-such-option"] })).rejects.toThrow(
      /dnsmasq exited with code 1: dnsmasq: bad command line options/,
    );
    expect(ours()).toEqual(before);
  });

  it("runs a TypeScript script in a namespace, with workspace packages from source", async () => {
    const net = await create({ startDnsmasq: false });
    const script = fileURLToPath(new URL("./fixtures/probe.ts", import.meta.url));
    const result = await net.runNode("container", script, ["a b"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ names: expect.arrayContaining(["lo", "eth0"]), apiVersion: API_VERSION, argv: ["a b"] });
  });

  it("destroy() kills dnsmasq and started processes and deletes namespaces and files, and is idempotent", async () => {
    const net = await create();
    const sleeper = net.spawn("container", ["sleep", "300"]);
    const dnsmasqPid = (await net.exec("server", ["ss", "-Hulnp"])).stdout.match(/pid=(\d+)/)?.[1];
    await Promise.all([net.destroy(), net.destroy()]);
    await net.destroy();
    expect(listNamespaces()).not.toContain(net.serverNs);
    expect(listNamespaces()).not.toContain(net.containerNs);
    expect(existsSync(net.dir)).toBe(false);
    expect(await sleeper.exited()).toBe(-1);
    expect(processAlive(Number(dnsmasqPid))).toBe(false);
  });

  it("cleans up namespaces of dead test processes only", async () => {
    const prefix = "incusx-tcln";
    let deadPid = 4_000_000;
    while (processAlive(deadPid)) deadPid--;
    const stale = [`${prefix}${deadPid}-0-srv`, `${prefix}${deadPid}-0-ctr`];
    const kept = [`${prefix}${process.pid}-99-srv`, `${prefix}-other`];
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
