// One resolv.conf per DNS target: the NICs of a multi-NIC runtime name the
// container's resolv.conf on their events (LeaseEvent.nic.resolvConf), and
// the NICs naming one target share one file merged from their leases.
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type DnsSink, type IpFamily, type LeaseEvent, type LeaseEventKind, type ResolverConfig, type ResolvConfTarget } from "@incusx/sdk";
import { FakeClock, MemoryLogSink, startTestHost } from "@incusx/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { DnsCoordinator } from "./coordinator.js";
import { tempDir } from "./fs.test-support.js";
import dnsPlugin from "./index.js";
import { MARKER } from "./resolv-conf.js";
import { ResolvConfSink } from "./resolv-conf-sink.js";

const clock = new FakeClock();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Nic {
  readonly instance: string;
  readonly device: string;
  readonly interface: string;
  readonly resolvConf?: ResolvConfTarget;
}

function event(kind: LeaseEventKind, family: IpFamily, nic: Nic | undefined, servers: string[] = [], iface = nic?.interface ?? "eth0"): LeaseEvent {
  const lease =
    kind === "detached" || kind === "failed"
      ? undefined
      : { family, interface: iface, server: "192.0.2.1", obtainedAt: clock.now(), addresses: [], routes: [], dns: { servers, search: [] } };
  const stamp = nic === undefined ? {} : { nic: { instance: nic.instance, device: nic.device, ...(nic.resolvConf === undefined ? {} : { resolvConf: nic.resolvConf }) } };
  return { kind, family, interface: iface, at: clock.now(), ...(lease === undefined ? {} : { lease }), ...stamp };
}

class RecordingSink implements DnsSink {
  readonly name = "recording";
  readonly applied: ResolverConfig[] = [];
  apply(config: ResolverConfig): Promise<void> {
    this.applied.push(config);
    return Promise.resolve();
  }
}

/** A coordinator as the plugin makes it (its own sinks, plus one resolv.conf sink per target), and container roots with /etc. */
async function setup(): Promise<{ coordinator: DnsCoordinator; logs: MemoryLogSink; recorder: RecordingSink; root(name: string): Promise<string> }> {
  const d = await tempDir();
  cleanups.push(d.remove);
  const recorder = new RecordingSink();
  const logs = new MemoryLogSink();
  const logger = logs.logger("incusx.dns");
  const coordinator = new DnsCoordinator({
    statics: { nameservers: [], search: [], options: [] },
    sinks: () => [recorder],
    targetSink: (target) => new ResolvConfSink({ root: target.root, path: target.path ?? "/etc/resolv.conf", takeOver: true }, logger),
    logger,
  });
  cleanups.push(() => coordinator.idle());
  const root = async (name: string): Promise<string> => {
    await mkdir(join(d.dir, name, "etc"), { recursive: true });
    return join(d.dir, name);
  };
  return { coordinator, logs, recorder, root };
}

const fileOf = (root: string) => join(root, "etc", "resolv.conf");
const servers = (...list: string[]) => `${MARKER}\n${list.map((s) => `nameserver ${s}\n`).join("")}`;
const text = (path: string) => readFile(path, "utf8").catch(() => "none");

/** Two NICs of container c1, eth0 and eth1 (device net1), naming `target`. */
function twoNics(target: ResolvConfTarget): { eth0: Nic; eth1: Nic } {
  return {
    eth0: { instance: "c1", device: "eth0", interface: "eth0", resolvConf: target },
    eth1: { instance: "c1", device: "net1", interface: "eth1", resolvConf: target },
  };
}

describe("DNS per target", () => {
  it("merges two NICs of one container (eth0, eth1) naming the same target into one file, and nothing into the plugin's sinks", async () => {
    const { coordinator: t, recorder, root } = await setup();
    const c1 = { root: await root("c1") };
    const { eth0, eth1 } = twoNics(c1);
    t.handle(event("bound", "ipv4", eth0, ["192.0.2.53"]));
    t.handle(event("bound", "ipv4", eth1, ["198.51.100.53"]));
    t.handle(event("bound", "ipv6", eth1, ["2001:db8:2::53"]));
    await t.idle();
    expect(await text(fileOf(c1.root))).toBe(servers("192.0.2.53", "198.51.100.53", "2001:db8:2::53"));
    expect(recorder.applied).toEqual([]);
    expect(t.targets()).toEqual([`${c1.root}/etc/resolv.conf`]);
  });

  it("keeps the other NIC's DNS when one detaches, and leaves the file as it is when the last one does", async () => {
    const { coordinator: t, root } = await setup();
    const c1 = { root: await root("c1"), path: "/etc/resolv.conf" };
    const { eth0, eth1 } = twoNics(c1);
    t.handle(event("bound", "ipv4", eth0, ["192.0.2.53"]));
    t.handle(event("bound", "ipv6", eth0, ["2001:db8:1::53"]));
    t.handle(event("bound", "ipv4", eth1, ["198.51.100.53"]));
    await t.idle();
    expect(await text(fileOf(c1.root))).toBe(servers("192.0.2.53", "198.51.100.53", "2001:db8:1::53"));

    t.handle(event("detached", "ipv4", eth0));
    t.handle(event("detached", "ipv6", eth0));
    await t.idle();
    expect(await text(fileOf(c1.root))).toBe(servers("198.51.100.53"));

    // The last NIC goes: the target is forgotten, its file kept (as the addresses are, on a detach without release).
    t.handle(event("detached", "ipv4", eth1));
    await t.idle();
    expect(await text(fileOf(c1.root))).toBe(servers("198.51.100.53"));
    expect(t.targets()).toEqual([]);

    // Forgotten: a NIC attached again starts from its own leases alone.
    t.handle(event("bound", "ipv6", eth0, ["2001:db8:1::54"]));
    await t.idle();
    expect(await text(fileOf(c1.root))).toBe(servers("2001:db8:1::54"));
  });

  it("keeps two targets independent, and a refused target does not stop the other", async () => {
    const { coordinator: t, logs, root } = await setup();
    const c1 = { root: await root("c1") };
    const c2 = { root: await root("c2") };
    const hostile = { root: await root("c3") };
    const hostEtc = join(await root("host"), "etc");
    await writeFile(join(hostEtc, "resolv.conf"), "nameserver 203.0.113.1\n");
    await symlink(hostEtc, join(hostile.root, "etc-link"));
    t.handle(event("bound", "ipv4", { instance: "c3", device: "eth0", interface: "eth0", resolvConf: { ...hostile, path: "/etc-link/resolv.conf" } }, ["192.0.2.99"]));
    t.handle(event("bound", "ipv4", { instance: "c1", device: "eth0", interface: "eth0", resolvConf: c1 }, ["192.0.2.53"]));
    t.handle(event("bound", "ipv4", { instance: "c2", device: "eth0", interface: "eth0", resolvConf: c2 }, ["198.51.100.53"]));
    await t.idle();
    expect(await text(fileOf(c1.root))).toBe(servers("192.0.2.53"));
    expect(await text(fileOf(c2.root))).toBe(servers("198.51.100.53"));
    expect(logs.find({ level: "error" })).toHaveLength(1);
    expect(logs.find({ level: "error" })[0]).toMatchObject({
      message: expect.stringMatching(/"\/etc-link" inside the container is a symbolic link/),
      fields: { code: "UNSAFE_TARGET" },
    });
    expect(await readFile(join(hostEtc, "resolv.conf"), "utf8")).toBe("nameserver 203.0.113.1\n");
  });

  it("handles events without a target as before: every sink gets the one merge, detached changes nothing", async () => {
    const { coordinator: t, recorder } = await setup();
    t.handle(event("bound", "ipv4", undefined, ["192.0.2.53"]));
    t.handle(event("bound", "ipv6", { instance: "c9", device: "eth0", interface: "eth1" }, ["2001:db8:1::53"]));
    await t.idle();
    expect(recorder.applied.map((c) => c.nameservers)).toEqual([["192.0.2.53", "2001:db8:1::53"]]);
    t.handle(event("detached", "ipv6", { instance: "c9", device: "eth0", interface: "eth1" }));
    await t.idle();
    expect(recorder.applied).toHaveLength(1);
    expect(t.targets()).toEqual([]);
  });
});

describe("the DNS plugin in a host, with targets", () => {
  it("writes a target's file and leaves its own resolv.conf to events without a target", async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    const own = join(d.dir, "resolv.conf");
    await mkdir(join(d.dir, "c1", "etc"), { recursive: true });
    const t = await startTestHost({ plugins: [{ plugin: dnsPlugin, packageDir: new URL("..", import.meta.url), config: { resolvConf: own, options: ["edns0"] } }] });
    cleanups.push(() => t.stop());
    const nic = { instance: "c1", device: "eth0", interface: "eth0", resolvConf: { root: join(d.dir, "c1") } };
    t.leaseEvents.publish(event("bound", "ipv4", nic, ["192.0.2.53"]));
    t.leaseEvents.publish(event("bound", "ipv4", undefined, ["198.51.100.53"], "eth9"));
    await t.stop();
    // The plugin's static settings and write rules hold for every target.
    expect(await text(fileOf(join(d.dir, "c1")))).toBe(`${servers("192.0.2.53")}options edns0\n`);
    expect(await text(own)).toBe(`${servers("198.51.100.53")}options edns0\n`);
  });
});
