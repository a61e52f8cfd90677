// The real LXD peer of the Incus state provider (@incusx/testkit/lxd):
// Debian 12's LXD 5.0 in a namespace of its own, read over its unix socket
// with node's http client and its event websocket with `ws`, exactly the
// /1.0 answers a provider sees. Root and Debian's lxd and nftables; skipped,
// saying why, otherwise.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { lxdSkipReason, LxdRequestError, startLxd, withLxd, type LxdEventStream, type LxdTestServer } from "@incusx/testkit/lxd";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const reason = lxdSkipReason();

interface NetworkJson {
  readonly name: string;
  readonly type: string;
  readonly managed: boolean;
  readonly config: Record<string, string>;
  readonly status?: string;
  readonly locations?: string[] | null;
}

interface ForwardJson {
  readonly listen_address: string;
  readonly description: string;
  readonly config: Record<string, string>;
  readonly ports: { protocol: string; listen_port: string; target_address: string; target_port?: string; description: string }[];
  readonly location?: string;
}

interface InstanceJson {
  readonly name: string;
  readonly project: string;
  readonly location: string;
  readonly status: string;
  readonly config: Record<string, string>;
  readonly expanded_config: Record<string, string>;
  readonly devices: Record<string, Record<string, string>>;
  readonly expanded_devices: Record<string, Record<string, string>>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Network namespace of process `pid` (`net:[inode]`). */
function netnsOf(pid: number | string): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

/** Live processes whose command line contains `text`. */
function processesNaming(text: string): { pid: number; command: string }[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .flatMap((entry) => {
      try {
        const command = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
        return command.includes(text) ? [{ pid: Number(entry), command }] : [];
      } catch {
        return [];
      }
    });
}

describe.skipIf(reason !== undefined)(`LXD harness${reason ? ` (skipped: ${reason})` : ""}`, () => {
  let lxd: LxdTestServer;
  let events: LxdEventStream;

  beforeAll(async () => {
    lxd = await startLxd();
    events = await lxd.events(["lifecycle"]);
  }, 120_000);
  afterAll(async () => {
    await events?.close();
    await lxd?.stop();
  }, 60_000);

  it("answers GET /1.0 on its own unix socket, as LXD 5.0 without clustering", async () => {
    const root = await lxd.get<{ api_version: string; auth: string; environment: Record<string, unknown> }>("/1.0");
    expect(root.api_version).toBe("1.0");
    expect(root.auth).toBe("trusted");
    expect(root.environment.server).toBe("lxd");
    expect(root.environment.server_version).toBe(lxd.version);
    expect(root.environment.server_clustered).toBe(false);
    expect(lxd.apiExtensions).toContain("network_forward");
    const cluster = await lxd.get<{ enabled: boolean; server_name: string }>("/1.0/cluster");
    expect(cluster).toMatchObject({ enabled: false, server_name: "" });
  });

  it("lists its bridge with its config in /1.0/networks?recursion=1, and the bridge exists only in its namespace", async () => {
    const networks = await lxd.get<NetworkJson[]>("/1.0/networks?recursion=1");
    const bridge = networks.find((network) => network.name === lxd.bridge);
    expect(bridge).toMatchObject({
      type: "bridge",
      managed: true,
      status: "Created",
      config: {
        "ipv4.address": "203.0.113.1/24",
        "ipv4.nat": "false",
        "ipv6.address": "2001:db8:7::1/64",
        "ipv6.nat": "false",
      },
    });
    const inside = execFileSync("ip", ["-n", lxd.ns, "-json", "addr", "show", "dev", lxd.bridge], { encoding: "utf8" });
    expect(inside).toContain("203.0.113.1");
    const hostLinks = JSON.parse(execFileSync("ip", ["-json", "link", "show"], { encoding: "utf8" })) as { ifname: string }[];
    expect(hostLinks.map((link) => link.ifname)).not.toContain(lxd.bridge);
  });

  it("runs its dnsmasq inside its namespace only", async () => {
    const lxdNetns = netnsOf(lxd.pid() ?? 0);
    const dnsmasq = processesNaming(lxd.dir).filter((proc) => proc.command.startsWith("dnsmasq"));
    expect(dnsmasq.length).toBeGreaterThan(0);
    for (const proc of dnsmasq) {
      expect(netnsOf(proc.pid)).toBe(lxdNetns);
      expect(proc.command).toContain(`--interface=${lxd.bridge}`);
    }
    expect(lxdNetns).not.toBe(netnsOf(process.pid));
  });

  it("shows a forward made with `lxc network forward create` in /forwards?recursion=1 and announces it on /1.0/events", async () => {
    await lxd.createForward("198.51.100.10", {
      targetAddress: "203.0.113.10",
      description: "web",
      ports: [{ protocol: "tcp", listen_port: "443", target_address: "203.0.113.11", target_port: "8443" }],
    });
    const forwards = await lxd.get<ForwardJson[]>(`/1.0/networks/${lxd.bridge}/forwards?recursion=1`);
    expect(forwards).toEqual([
      {
        listen_address: "198.51.100.10",
        description: "web",
        config: { target_address: "203.0.113.10" },
        ports: [{ protocol: "tcp", listen_port: "443", target_address: "203.0.113.11", target_port: "8443", description: "" }],
        location: "none",
      },
    ]);
    const event = await events.waitFor((e) => e.metadata.action === "network-forward-created");
    expect(event).toMatchObject({
      type: "lifecycle",
      location: "none",
      project: "default",
      metadata: { action: "network-forward-created", source: `/1.0/networks/${lxd.bridge}/forwards/198.51.100.10` },
    });
    // The DNAT rule is in the namespace's own nftables, nowhere else.
    expect(execFileSync("ip", ["netns", "exec", lxd.ns, "nft", "list", "ruleset"], { encoding: "utf8" })).toContain("198.51.100.10");
  });

  it("creates instances with `lxc init --empty` whose NICs show in expanded_devices with volatile.uuid", async () => {
    await lxd.createInstance("c1", {
      devices: { eth0: { type: "nic", network: lxd.bridge, "ipv4.address": "203.0.113.20" } },
      config: { "user.role": "web" },
    });
    const instances = await lxd.get<InstanceJson[]>("/1.0/instances?recursion=1");
    expect(instances).toHaveLength(1);
    const c1 = instances[0] as InstanceJson;
    expect(c1).toMatchObject({ name: "c1", project: "default", location: "none", status: "Stopped" });
    expect(c1.expanded_devices).toEqual({
      eth0: { type: "nic", network: lxd.bridge, "ipv4.address": "203.0.113.20" },
      root: { type: "disk", path: "/", pool: lxd.pool },
    });
    expect(c1.devices).not.toHaveProperty("root");
    expect(c1.config["volatile.uuid"]).toMatch(UUID);
    expect(c1.config["volatile.eth0.hwaddr"]).toMatch(/^00:16:3e(:[0-9a-f]{2}){3}$/);
    expect(c1.expanded_config["user.role"]).toBe("web");
    await events.waitFor((e) => e.metadata.action === "instance-created" && e.metadata.source === "/1.0/instances/c1");

    await lxd.createInstance("gone", { devices: { eth0: { type: "nic", network: lxd.bridge } } });
    await lxd.deleteInstance("gone");
    await events.waitFor((e) => e.metadata.action === "instance-deleted" && e.metadata.source === "/1.0/instances/gone");
    expect((await lxd.get<string[]>("/1.0/instances")).sort()).toEqual(["/1.0/instances/c1"]);
  });

  it("says plainly when the server has no load balancers (LXD 5.0)", async () => {
    if (lxd.supportsLoadBalancers) return;
    await expect(lxd.createLoadBalancer("198.51.100.20")).rejects.toThrow(/network_load_balancer/);
    const missing = await lxd.get(`/1.0/networks/${lxd.bridge}/load-balancers?recursion=1`).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(LxdRequestError);
    expect((missing as LxdRequestError).status).toBe(404);
  });

  it("restarts: the event websocket closes, a new LXD process serves the same state and new events", async () => {
    const before = lxd.pid();
    await lxd.restart();
    await events.closed();
    expect(lxd.pid()).toBeDefined();
    expect(lxd.pid()).not.toBe(before);
    const forwards = await lxd.get<ForwardJson[]>(`/1.0/networks/${lxd.bridge}/forwards?recursion=1`);
    expect(forwards.map((forward) => forward.listen_address)).toEqual(["198.51.100.10"]);
    expect((await lxd.get<string[]>("/1.0/instances")).sort()).toEqual(["/1.0/instances/c1"]);
    events = await lxd.events(["lifecycle"]);
    await lxd.createForward("198.51.100.11");
    await events.waitFor((e) => e.metadata.action === "network-forward-created" && e.metadata.source?.endsWith("/198.51.100.11") === true);
    // After a crash (SIGKILL) too.
    await lxd.restart("SIGKILL");
    await events.closed();
    expect((await lxd.get<ForwardJson[]>(`/1.0/networks/${lxd.bridge}/forwards?recursion=1`)).length).toBe(2);
    events = await lxd.events(["lifecycle"]);
  }, 120_000);
});

describe.skipIf(reason !== undefined)(`LXD harness cleanup${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("leaves no namespace, process, mount or directory behind, also when the test body throws", async () => {
    let server: LxdTestServer | undefined;
    let dnsmasqPids: number[] = [];
    const failing = withLxd(async (lxd) => {
      server = lxd;
      await lxd.createForward("198.51.100.10", { targetAddress: "203.0.113.10" });
      await lxd.createInstance("c1", { devices: { eth0: { type: "nic", network: lxd.bridge } } });
      dnsmasqPids = processesNaming(lxd.dir).filter((proc) => proc.command.startsWith("dnsmasq")).map((proc) => proc.pid);
      expect(lxd.leftovers().mounts.length).toBeGreaterThan(0);
      throw new Error("the test body failed");
    });
    await expect(failing).rejects.toThrow("the test body failed");
    expect(server).toBeDefined();
    expect(dnsmasqPids.length).toBeGreaterThan(0);
    const left = (server as LxdTestServer).leftovers();
    expect(left).toEqual({ namespace: false, processes: [], mounts: [], dir: false });
    expect(processesNaming((server as LxdTestServer).dir)).toEqual([]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain((server as LxdTestServer).dir);
  }, 120_000);

  it("a start that fails after LXD is up (a bad bridge key) rejects with LXD's message and leaves nothing", async () => {
    const ours = () => ({
      namespaces: readdirSync("/run/netns").filter((name) => name.includes(`${process.pid}-`) && name.endsWith("-lxd")),
      dirs: readdirSync(tmpdir()).filter((name) => name.startsWith(`incusx-netns-${process.pid}-`)),
      processes: processesNaming(`${tmpdir()}/incusx-netns-${process.pid}-`),
    });
    const before = ours();
    await expect(startLxd({ bridgeConfig: { "no.such.key": "1" } })).rejects.toThrow(/no\.such\.key/);
    expect(ours()).toEqual(before);
  }, 120_000);
});
