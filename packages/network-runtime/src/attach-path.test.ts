// What an attach does before its first lease is on the link, and what it
// holds until detach: the attached set is written while the runners
// already run, but no address goes on before it is saved; the instance's
// DUID is read once; a link of linkFor that keeps something open (a
// netlink socket in the NIC's namespace) is closed with its NIC.
import { afterEach, describe, expect, it } from "vitest";
import type { JsonValue, Lease, LinkConfigurator, NetworkNamespace, StateStore } from "@incusx/sdk";
import { FakeClock, MemoryLeaseEventStream, MemoryLogSink, MemoryStateStore, RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { RecordingRunner } from "./runtime-run.test-support.js";
import { NetworkRuntime, attachedNicKey, instanceDuidKey, type NetworkRuntimeOptions, type NicGoneReport, type NicSpec } from "./network-runtime.js";

const START = Date.UTC(2026, 0, 1);

/** `runner` binds `address`/24 for the NIC of `instance` (its hostname). */
function bind(runner: RecordingRunner, instance: string, address: string): void {
  const lease: Lease = {
    family: "ipv4",
    interface: "eth0",
    server: "192.0.2.1",
    obtainedAt: START,
    addresses: [{ address, prefixLength: 24, preferredLifetime: 1800, validLifetime: 3600 }],
    routes: [{ destination: "0.0.0.0/0", gateway: "192.0.2.1" }],
    dns: { servers: [], search: [] },
  };
  runner.bind(instance, lease, START);
}

/** A link that says when it was closed. */
class ClosableLink extends RecordingLinkConfigurator {
  closes = 0;
  close(): void {
    this.closes++;
  }
}

// A store whose writes of `attached.` keys wait until released, counting every read.
class HeldStore implements StateStore {
  readonly inner = new MemoryStateStore();
  readonly reads: string[] = [];
  held = true;
  #waiting: (() => void)[] = [];

  async get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined> {
    this.reads.push(key);
    return this.inner.get<T>(key);
  }
  async set(key: string, value: JsonValue): Promise<void> {
    if (key.startsWith("attached.") && this.held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    await this.inner.set(key, value);
  }
  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
  keys(): Promise<string[]> {
    return this.inner.keys();
  }
  release(): void {
    this.held = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

const runtimes: NetworkRuntime[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await Promise.all(runtime.list().map((nic) => runtime.detach(nic, { forget: false })));
});

function setup(store: StateStore, extra: Partial<NetworkRuntimeOptions> = {}) {
  const clock = new FakeClock(START);
  const v4 = new RecordingRunner("ipv4");
  const links = new Map<string, ClosableLink>();
  const shared = new ClosableLink();
  const runtime = new NetworkRuntime({
    runners: [v4],
    link: shared,
    linkFor: (nic): LinkConfigurator => {
      const link = new ClosableLink();
      links.set(nic.instance, link);
      return link;
    },
    events: new MemoryLeaseEventStream(),
    clock,
    logger: new MemoryLogSink().logger(undefined, clock),
    identity: store,
    attachments: store,
    ...extra,
  });
  runtimes.push(runtime);
  const nic = (instance: string, more: Partial<NicSpec> = {}): NicSpec => ({ instance, device: "eth0", interface: "eth0", hostname: instance, families: ["ipv4"], ...more });
  const state = () => runtime.list()[0]?.families[0]?.state;
  return { runtime, v4, links, shared, nic, state };
}

// Lets every pending promise callback run (the memory store and the runtime only chain promises).
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("attach's order: runners at once, addresses only once the NIC is saved", () => {
  it("starts the runners before the attached set is written, and applies no lease until it is", async () => {
    const store = new HeldStore();
    const t = setup(store);
    const attaching = t.runtime.attach(t.nic("c1"));
    await settle();
    // The runner runs (its DISCOVER can leave) while the write waits.
    expect(t.v4.runs).toHaveLength(1);
    expect(await store.inner.get(attachedNicKey({ instance: "c1", device: "eth0" }))).toBeUndefined();
    bind(t.v4, "c1", "192.0.2.10");
    await settle();
    // Bound by the server, but nothing on the link: a SIGKILL now would leave no address the restart does not know of.
    expect(t.links.get("c1")!.calls).toEqual([]);
    expect(t.state()).toBe("starting");
    store.release();
    await attaching;
    await settle();
    expect(await store.inner.get(attachedNicKey({ instance: "c1", device: "eth0" }))).toMatchObject({ spec: { instance: "c1" } });
    expect(t.links.get("c1")!.calls.map((c) => c.op)).toEqual(["addAddress", "addRoute"]);
    expect(t.state()).toBe("bound");
  });

  it("applies at once after a restore, which writes nothing", async () => {
    const store = new HeldStore();
    store.release();
    const first = setup(store);
    await first.runtime.attach(first.nic("c1"));
    await first.runtime.detach({ instance: "c1", device: "eth0" }, { forget: false });
    store.held = true;
    const t = setup(store);
    await t.runtime.restore();
    bind(t.v4, "c1", "192.0.2.10");
    await settle();
    expect(t.links.get("c1")!.calls.map((c) => c.op)).toEqual(["addAddress", "addRoute"]);
  });
});

describe("the instance's DUID", () => {
  it("is read from the store once, not at every attach of the instance's NICs", async () => {
    const store = new HeldStore();
    store.release();
    const t = setup(store);
    const key = instanceDuidKey("c1");
    await t.runtime.attach(t.nic("c1"));
    await settle();
    const duid = t.v4.runs[0]!.duid;
    expect(duid).toBeDefined();
    await t.runtime.detach({ instance: "c1", device: "eth0" });
    await t.runtime.attach(t.nic("c1"));
    await t.runtime.attach(t.nic("c1", { device: "net1", interface: "eth1" }));
    await settle();
    expect(store.reads.filter((k) => k === key)).toHaveLength(1);
    expect(t.v4.runs.map((r) => Buffer.from(r.duid!).toString("hex"))).toEqual(Array(3).fill(Buffer.from(duid!).toString("hex")));
    // The runners of an instance whose DUID is known start in the attach's own turn.
    const before = t.v4.runs.length;
    void t.runtime.attach(t.nic("c1", { device: "net2", interface: "eth2" }));
    await Promise.resolve();
    await Promise.resolve();
    expect(t.v4.runs.length).toBe(before + 1);
  });
});

describe("the link of linkFor", () => {
  it("is closed once the NIC's runners stopped, at detach and when the NIC is gone; the shared link never", async () => {
    const store = new HeldStore();
    store.release();
    let report: ((gone: NicGoneReport) => void) | undefined;
    const t = setup(store, {
      openNetns: (path) => ({ path, fd: 0, close: () => undefined }),
      watchNic: (_nic: NicSpec, _netns: NetworkNamespace, onGone) => {
        report = onGone;
        return { close: () => undefined };
      },
    });
    await t.runtime.attach(t.nic("c1", { netns: "/run/netns/c1" }));
    bind(t.v4, "c1", "192.0.2.10");
    await settle();
    expect(t.links.get("c1")!.closes).toBe(0);
    await t.runtime.detach({ instance: "c1", device: "eth0" });
    expect(t.links.get("c1")!.closes).toBe(1);
    await t.runtime.attach(t.nic("c2", { netns: "/run/netns/c2" }));
    report!({ reason: "namespace-gone", message: "gone" });
    await settle();
    expect(t.runtime.list()).toEqual([]);
    expect(t.links.get("c2")!.closes).toBe(1);
    expect(t.shared.closes).toBe(0);
  });
});

describe("a link of linkFor shared by NICs", () => {
  it("is closed with the last NIC that uses it", async () => {
    const store = new HeldStore();
    store.release();
    const one = new ClosableLink();
    const t = setup(store, { linkFor: () => one });
    await t.runtime.attach(t.nic("c1"));
    await t.runtime.attach(t.nic("c2"));
    await t.runtime.detach({ instance: "c1", device: "eth0" });
    expect(one.closes).toBe(0);
    await t.runtime.detach({ instance: "c2", device: "eth0" });
    expect(one.closes).toBe(1);
  });
});

/** A link that reads its addresses alone, as IpRoute2LinkConfigurator does; `hide` makes the kernel refuse them silently. */
class AddressReadingLink extends RecordingLinkConfigurator {
  snapshots = 0;
  addressReads = 0;
  hide = false;
  override async snapshot(iface: string) {
    this.snapshots++;
    return super.snapshot(iface);
  }
  async addresses(iface: string) {
    this.addressReads++;
    return this.hide ? [] : (await super.snapshot(iface)).addresses;
  }
}

describe("the read back of an applied lease", () => {
  it("reads only the addresses when the link can, and still notices an address that is not there", async () => {
    const store = new HeldStore();
    store.release();
    const links: AddressReadingLink[] = [];
    const t = setup(store, { linkFor: () => (links.push(new AddressReadingLink()), links.at(-1)!) });
    await t.runtime.attach(t.nic("c1"));
    bind(t.v4, "c1", "192.0.2.10");
    await settle();
    expect(t.state()).toBe("bound");
    expect(links[0]).toMatchObject({ snapshots: 0, addressReads: 1 });
    expect(t.runtime.list()[0]!.families[0]!.error).toBeUndefined();
    await t.runtime.detach({ instance: "c1", device: "eth0" });
    await t.runtime.attach(t.nic("c1"));
    links[1]!.hide = true;
    bind(t.v4, "c1", "192.0.2.10");
    await settle();
    expect(t.runtime.list()[0]!.families[0]!.error).toMatchObject({ code: "LINK_FAILED", message: expect.stringContaining('"192.0.2.10/24" is not on "eth0"') });
  });
});
