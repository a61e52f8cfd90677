import { closeSync, mkdtempSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Lease, LinkConfigurator, StateStore } from "@incusx/sdk";
import { FakeClock, MemoryLeaseEventStream, MemoryLogSink, MemoryStateStore, RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { savedNicFrom, savedNicOf } from "./attachment-store.js";
import { LeaseApplier } from "./lease-applier.js";
import { RecordingRunner } from "./runtime-run.test-support.js";
import { NetworkRuntime, attachedNicKey, nicLeaseKey, type NetworkRuntimeOptions, type NicSpec } from "./network-runtime.js";

const START = Date.UTC(2026, 0, 1);

const leaseOf = (address: string, obtainedAt: number): Lease => ({
  family: "ipv4",
  interface: "eth0",
  server: "192.0.2.1",
  obtainedAt,
  addresses: [{ address, prefixLength: 24, preferredLifetime: 1800, validLifetime: 3600 }],
  routes: [{ destination: "0.0.0.0/0", gateway: "192.0.2.1" }],
  dns: { servers: [], search: [] },
});

let dir: string;
const runtimes: NetworkRuntime[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "incusx-restore-"));
});
afterEach(async () => {
  // Stop, keeping the saved set as a crash would.
  for (const runtime of runtimes.splice(0)) await Promise.all(runtime.list().map((nic) => runtime.detach(nic, { forget: false })));
  rmSync(dir, { recursive: true, force: true });
});

/** A stand-in for a namespace file (`/run/netns/NAME`): what restore checks is that the path exists and is the same file. */
function namespace(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, "");
  return path;
}

// One runtime on `attachments`, with one recording link per namespace path (shared by runtimes of a test, as the kernel's links are).
function runtimeOn(attachments: MemoryStateStore, links: Map<string, RecordingLinkConfigurator>, extra: Partial<NetworkRuntimeOptions> = {}) {
  const clock = new FakeClock(START);
  const v4 = new RecordingRunner("ipv4");
  const logs = new MemoryLogSink();
  const runtime = new NetworkRuntime({
    runners: [v4],
    link: new RecordingLinkConfigurator(),
    linkFor: (nic): LinkConfigurator => {
      const key = nic.netns ?? "";
      if (!links.has(key)) links.set(key, new RecordingLinkConfigurator());
      return links.get(key)!;
    },
    events: new MemoryLeaseEventStream(),
    clock,
    logger: logs.logger(undefined, clock),
    identity: attachments,
    attachments,
    ...extra,
  });
  runtimes.push(runtime);
  return { runtime, v4, clock, logs };
}

const nicOf = (instance: string, extra: Partial<NicSpec> = {}): NicSpec => ({
  instance,
  device: "eth0",
  interface: "eth0",
  hostname: instance,
  families: ["ipv4"],
  ...extra,
});
// The store's methods as a plain object, for a test to replace one.
const storeOf = (store: MemoryStateStore): StateStore => ({
  get: (key) => store.get(key),
  set: (key, value) => store.set(key, value),
  delete: (key) => store.delete(key),
  keys: () => store.keys(),
});
const attachedKeys = async (store: MemoryStateStore) => (await store.keys()).filter((k) => k.startsWith("attached."));

describe("the saved attached set", () => {
  it("saves each NIC's spec when attach resolves, and deletes it on detach", async () => {
    const store = new MemoryStateStore();
    const { runtime } = runtimeOn(store, new Map());
    const netns = namespace("c1");
    await runtime.attach(nicOf("c1", { netns, families: ["ipv4"], duid: Uint8Array.of(0, 4, 1, 2), releaseOnStop: true }));
    await runtime.attach(nicOf("c2"));
    expect(await attachedKeys(store)).toEqual(["attached.nic.i.c1.eth0", "attached.nic.i.c2.eth0"]);
    expect(await store.get(attachedNicKey({ instance: "c1", device: "eth0" }))).toEqual({
      spec: { instance: "c1", device: "eth0", interface: "eth0", hostname: "c1", families: ["ipv4"], netns, releaseOnStop: true, duid: "00040102" },
      netnsId: expect.stringMatching(/^\d+:\d+$/),
    });
    await runtime.detach({ instance: "c1", device: "eth0" });
    expect(await attachedKeys(store)).toEqual(["attached.nic.i.c2.eth0"]);
  });

  it("keeps a NIC saved when detach is told not to forget it (a graceful stop)", async () => {
    const store = new MemoryStateStore();
    const { runtime } = runtimeOn(store, new Map());
    await runtime.attach(nicOf("c1"));
    await runtime.detach({ instance: "c1", device: "eth0" }, { forget: false });
    expect(runtime.list()).toEqual([]);
    expect(await attachedKeys(store)).toEqual(["attached.nic.i.c1.eth0"]);
  });

  it("never leaves a NIC saved when it is detached while its attach is being saved", async () => {
    const store = new MemoryStateStore();
    const { runtime } = runtimeOn(store, new Map());
    const attaching = runtime.attach(nicOf("c1"));
    const detaching = runtime.detach({ instance: "c1", device: "eth0" });
    await Promise.all([attaching, detaching]);
    expect(await attachedKeys(store)).toEqual([]);
  });

  it("logs a failed save and runs the NIC anyway", async () => {
    const store = new MemoryStateStore();
    const failing: StateStore = { ...storeOf(store), set: () => Promise.reject(new Error("disk full")) };
    const { runtime, v4, logs } = runtimeOn(store, new Map(), { attachments: failing });
    await runtime.attach(nicOf("c1"));
    expect(v4.runs).toHaveLength(1);
    expect(logs.messages({ level: "error" })).toEqual([expect.stringContaining("disk full")]);
  });
});

describe("restore", () => {
  it("attaches every saved NIC again in a new runtime on the same store, with the same spec and lease key", async () => {
    const store = new MemoryStateStore();
    const links = new Map<string, RecordingLinkConfigurator>();
    const first = runtimeOn(store, links);
    const specs = ["c1", "c2", "c3"].map((c) => nicOf(c, { netns: namespace(c), fqdn: `${c}.example.org` }));
    for (const spec of specs) await first.runtime.attach(spec);
    // SIGKILL: the first runtime is gone without detaching anything.
    const second = runtimeOn(store, links);
    const result = await second.runtime.restore();
    expect(result.dropped).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.restored.map((n) => n.instance).sort()).toEqual(["c1", "c2", "c3"]);
    expect(second.runtime.list().map((n) => [n.instance, n.netns]).sort()).toEqual(specs.map((s) => [s.instance, s.netns]));
    expect(second.v4.runs.map((r) => [r.interface, r.hostname, r.fqdn, r.leaseKey]).sort()).toEqual(
      specs.map((s) => ["eth0", s.instance, s.fqdn, nicLeaseKey(s.instance, "eth0")]),
    );
    // A second restore finds them attached.
    expect((await second.runtime.restore()).restored).toHaveLength(3);
    expect(second.v4.runs).toHaveLength(3);
  });

  it("restores a NIC with its container's resolv.conf and its optimistic DAD, as it was attached", () => {
    const spec = nicOf("c1", { netns: "/run/netns/c1", resolvConf: { root: "/proc/42/root", path: "/etc/resolv.conf" }, optimisticDad: true });
    expect(savedNicFrom(JSON.parse(JSON.stringify(savedNicOf(spec, "3:4"))))).toEqual({ spec, netnsId: "3:4" });
    expect(savedNicFrom({ spec: { ...spec, resolvConf: { root: 7 } } })).toBe("its resolvConf is not a root and path");
    expect(savedNicFrom({ spec: { ...spec, optimisticDad: "yes" } })).toBe("its optimisticDad is not a boolean");
  });

  it("drops a NIC whose namespace is gone, one whose path names another namespace now, and an unreadable entry; the others are restored", async () => {
    const store = new MemoryStateStore();
    const first = runtimeOn(store, new Map());
    const kept = namespace("kept");
    const gone = namespace("gone");
    const replaced = namespace("replaced");
    for (const [instance, netns] of [["kept", kept], ["gone", gone], ["replaced", replaced]] as const) await first.runtime.attach(nicOf(instance, { netns }));
    rmSync(gone);
    // A new namespace under the old name (created before the old one goes, so it is another file).
    writeFileSync(`${replaced}.new`, "");
    renameSync(`${replaced}.new`, replaced);
    await store.set("attached.nic.i.broken.eth0", { spec: { instance: "broken", device: "eth0", interface: 7 } });
    await store.set("attached.nic.i.elsewhere.eth0", { spec: { instance: "other", device: "eth0", interface: "eth0" } });

    const second = runtimeOn(store, new Map());
    const result = await second.runtime.restore();
    expect(result.restored).toEqual([{ instance: "kept", device: "eth0" }]);
    expect(result.failed).toEqual([]);
    expect(result.dropped.map((d) => [d.key, d.reason]).sort()).toEqual([
      ["attached.nic.i.broken.eth0", "the entry is unreadable: its interface name is not a name"],
      ["attached.nic.i.elsewhere.eth0", 'the entry names NIC "eth0" of instance "other", whose key is another'],
      ["attached.nic.i.gone.eth0", `NIC "eth0" of instance "gone" was attached in "${gone}", which no longer exists`],
      ["attached.nic.i.replaced.eth0", `NIC "eth0" of instance "replaced" was attached in "${replaced}", which is another network namespace now`],
    ]);
    expect(await attachedKeys(store)).toEqual(["attached.nic.i.kept.eth0"]);
    expect(second.logs.messages({ level: "warn" }).filter((m) => m.startsWith("Dropping saved NIC"))).toHaveLength(4);
  });

  it("with openNetns (bare names, as a host takes them): knows the namespace by its held fd, drops one that cannot be opened (NOT_FOUND) or is another, keeps one that failed otherwise", async () => {
    const store = new MemoryStateStore();
    // Opens a bare name in the test's directory, as a host opens it under /run/netns, and holds it by fd.
    const openNetns = (name: string) => {
      const path = join(dir, name);
      let fd: number;
      try {
        fd = openSync(path, "r");
      } catch (error) {
        throw Object.assign(new Error(`No such namespace "${path}"`), { code: (error as NodeJS.ErrnoException).code });
      }
      return { path, fd, close: () => closeSync(fd) };
    };
    const first = runtimeOn(store, new Map(), { openNetns });
    for (const c of ["ok", "vanishing", "refused", "replaced"]) {
      namespace(c);
      await first.runtime.attach(nicOf(c, { netns: c }));
    }
    expect(await store.get(attachedNicKey({ instance: "ok", device: "eth0" }))).toMatchObject({ spec: { netns: "ok" }, netnsId: expect.stringMatching(/^\d+:\d+$/) });
    await Promise.all(first.runtime.list().map((nic) => first.runtime.detach(nic, { forget: false })));
    rmSync(join(dir, "vanishing"));
    writeFileSync(join(dir, "replaced.new"), "");
    renameSync(join(dir, "replaced.new"), join(dir, "replaced"));
    const second = runtimeOn(store, new Map(), {
      openNetns,
      linkFor: (nic) => {
        if (nic.instance === "refused") throw new Error("no link today");
        return new RecordingLinkConfigurator();
      },
    });
    const result = await second.runtime.restore();
    expect(result.restored).toEqual([{ instance: "ok", device: "eth0" }]);
    expect(result.dropped.map((d) => d.nic?.instance).sort()).toEqual(["replaced", "vanishing"]);
    expect(result.failed.map((d) => [d.nic?.instance, d.reason])).toEqual([["refused", expect.stringContaining("no link today")]]);
    expect(await attachedKeys(store)).toEqual(["attached.nic.i.ok.eth0", "attached.nic.i.refused.eth0"]);
    expect(second.runtime.list().map((n) => n.netns)).toEqual(["ok"]);
  });

  it("keeps an entry the store fails to read (maybe for a moment) and reports it failed", async () => {
    const store = new MemoryStateStore();
    const first = runtimeOn(store, new Map());
    await first.runtime.attach(nicOf("c1"));
    await first.runtime.attach(nicOf("c2"));
    const flaky: StateStore = { ...storeOf(store), get: (key) => (key === "attached.nic.i.c1.eth0" ? Promise.reject(new Error("EIO")) : store.get(key)) };
    const second = runtimeOn(store, new Map(), { attachments: flaky });
    const result = await second.runtime.restore();
    expect(result.restored).toEqual([{ instance: "c2", device: "eth0" }]);
    expect(result.failed).toEqual([{ key: "attached.nic.i.c1.eth0", reason: "the entry cannot be read: EIO" }]);
    expect(result.dropped).toEqual([]);
    expect(await attachedKeys(store)).toEqual(["attached.nic.i.c1.eth0", "attached.nic.i.c2.eth0"]);
  });

  it("does nothing without an attachments store", async () => {
    const { runtime } = runtimeOn(new MemoryStateStore(), new Map(), { attachments: undefined });
    expect(await runtime.restore()).toEqual({ restored: [], dropped: [], failed: [] });
  });
});

describe("re-adopting a NIC leaves its addresses on the link", () => {
  it("replaces the address a re-adopted runner binds again: no removal, lifetimes refreshed", async () => {
    const store = new MemoryStateStore();
    const links = new Map<string, RecordingLinkConfigurator>();
    const netns = namespace("c1");
    const first = runtimeOn(store, links);
    await first.runtime.attach(nicOf("c1", { netns }));
    first.v4.bind("c1", leaseOf("192.0.2.10", START), START);
    await first.clock.flush();
    const link = links.get(netns)!;
    expect((await link.snapshot("eth0")).addresses.map((a) => a.address)).toEqual(["192.0.2.10"]);
    link.clearCalls();

    const second = runtimeOn(store, links);
    await second.clock.advance(600_000);
    await second.runtime.restore();
    second.v4.bind("c1", leaseOf("192.0.2.10", START + 600_000), START + 600_000);
    await second.clock.flush();
    expect(link.calls.map((c) => c.op)).toEqual(["addAddress", "addRoute"]);
    expect((await link.snapshot("eth0")).addresses).toEqual([expect.objectContaining({ address: "192.0.2.10", prefixLength: 24, validLifetime: 3600 })]);
    expect(second.runtime.list()[0]!.families).toEqual([expect.objectContaining({ family: "ipv4", state: "bound" })]);
  });

  it("LeaseApplier: a fresh applier given the lease already on the link only replaces it", async () => {
    const clock = new FakeClock(START);
    const link = new RecordingLinkConfigurator();
    const lease = leaseOf("192.0.2.10", START);
    await new LeaseApplier("eth0", link, clock).apply(lease);
    link.clearCalls();
    await clock.advance(1_000_000);
    const problems = await new LeaseApplier("eth0", link, clock).apply({ ...lease, obtainedAt: clock.now() });
    expect(problems).toEqual([]);
    expect(link.calls.map((c) => c.op)).toEqual(["addAddress", "addRoute"]);
    expect((await link.snapshot("eth0")).addresses).toEqual([expect.objectContaining({ address: "192.0.2.10", validLifetime: 3600 })]);
  });
});
