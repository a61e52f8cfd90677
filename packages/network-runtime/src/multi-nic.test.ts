import { afterEach, describe, expect, it } from "vitest";
import { isIncusxError, type DhcpRunOptions, type DhcpRunner, type IpFamily, type Lease, type NetworkNamespace } from "@incusx/sdk";
import { FakeClock, MemoryLeaseEventStream, MemoryLogSink, MemoryStateStore, RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { NIC_GONE, NetworkRuntime, instanceDuidKey, nicLeaseKey, type GoneNic, type NetworkRuntimeOptions, type NicGoneReport, type NicSpec } from "./network-runtime.js";

const START = Date.UTC(2026, 0, 1);

interface Session {
  readonly options: DhcpRunOptions;
  readonly startedAt: number;
  /** The run resolved or rejected. */
  ended: boolean;
  fail(error: Error): void;
}

/**
 * One runner of a family serving every NIC, as a plugin's runner does. The
 * test tells NICs apart by the hostname each was attached with; on stop a
 * session releases its lease when `releaseOnStop` says so at that moment.
 */
class SharedRunner implements DhcpRunner {
  readonly sessions: Session[] = [];
  failOnStart = new Set<string>();

  constructor(
    readonly family: IpFamily,
    private readonly clock: FakeClock,
  ) {}

  run(options: DhcpRunOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const lease = this.bound.get(options);
        if (options.releaseOnStop === true && lease !== undefined) {
          options.emit({ kind: "released", family: this.family, interface: options.interface, at: this.clock.now(), lease });
        }
        session.ended = true;
        resolve();
      };
      options.signal.addEventListener("abort", onAbort, { once: true });
      const fail = (error: Error): void => {
        options.signal.removeEventListener("abort", onAbort);
        session.ended = true;
        reject(error);
      };
      const session: Session = { options, startedAt: this.clock.now(), ended: false, fail };
      this.sessions.push(session);
      if (this.failOnStart.has(options.hostname ?? "")) void Promise.resolve().then(() => fail(new Error("Crashed")));
    });
  }

  private bound = new Map<DhcpRunOptions, Lease>();

  of(hostname: string): Session[] {
    return this.sessions.filter((s) => s.options.hostname === hostname);
  }

  bind(hostname: string, address: string): void {
    const session = this.of(hostname).at(-1)!;
    const lease = leaseOf(this.family, this.clock, address);
    this.bound.set(session.options, lease);
    session.options.emit({ kind: "bound", family: this.family, interface: session.options.interface, at: this.clock.now(), lease });
  }
}

function leaseOf(family: IpFamily, clock: FakeClock, address: string): Lease {
  const v4 = family === "ipv4";
  return {
    family,
    interface: "eth0",
    server: v4 ? "192.0.2.1" : "0001",
    obtainedAt: clock.now(),
    addresses: [{ address, prefixLength: v4 ? 24 : 128, preferredLifetime: 1800, validLifetime: 3600 }],
    routes: [],
    dns: { servers: [], search: [] },
  };
}

let runtime: NetworkRuntime | undefined;
afterEach(async () => {
  await Promise.all((runtime?.list() ?? []).map((nic) => runtime!.detach(nic)));
  runtime = undefined;
});

function setup(extra: Partial<NetworkRuntimeOptions> = {}) {
  const clock = new FakeClock(START);
  const links = new Map<string, RecordingLinkConfigurator>();
  const linkCalls: NicSpec[] = [];
  const linkNetns: (NetworkNamespace | undefined)[] = [];
  const events = new MemoryLeaseEventStream();
  const identity = new MemoryStateStore();
  const v4 = new SharedRunner("ipv4", clock);
  const v6 = new SharedRunner("ipv6", clock);
  runtime = new NetworkRuntime({
    runners: [v4, v6],
    link: new RecordingLinkConfigurator(),
    // One link per namespace, as a host binds each to its NIC's namespace.
    linkFor: (nic, netns) => {
      linkCalls.push(nic);
      linkNetns.push(netns);
      const ns = nic.netns ?? "";
      if (!links.has(ns)) links.set(ns, new RecordingLinkConfigurator());
      return links.get(ns)!;
    },
    events,
    clock,
    logger: new MemoryLogSink().logger(undefined, clock),
    identity,
    ...extra,
  });
  const nic = (instance: string, extra: Partial<NicSpec> = {}): NicSpec => ({
    instance,
    device: "eth0",
    interface: "eth0",
    netns: `/run/netns/${instance}`,
    hostname: instance,
    ...extra,
  });
  const addresses = async (instance: string) =>
    (await links.get(`/run/netns/${instance}`)!.snapshot("eth0")).addresses.map((a) => `${a.address}/${a.prefixLength}`).sort();
  const state = (instance: string, family: IpFamily) =>
    runtime!.list().find((n) => n.instance === instance)?.families.find((f) => f.family === family);
  return { clock, links, linkCalls, linkNetns, events, identity, v4, v6, runtime, nic, addresses, state };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("It resolved");
}

describe("NetworkRuntime with many NICs", () => {
  it("binds two NICs with the same interface name in two namespaces independently, each on its own link and DUID", async () => {
    const t = setup();
    await t.runtime.attach(t.nic("c1"));
    await t.runtime.attach(t.nic("c2"));
    expect(t.linkCalls.map((n) => n.netns)).toEqual(["/run/netns/c1", "/run/netns/c2"]);
    expect(t.v4.sessions).toHaveLength(2);
    expect(t.v6.sessions).toHaveLength(2);

    t.v4.bind("c1", "192.0.2.10");
    await t.events.waitFor((e) => e.kind === "bound");
    expect(await t.addresses("c1")).toEqual(["192.0.2.10/24"]);
    expect(await t.addresses("c2")).toEqual([]);
    expect(t.state("c1", "ipv4")).toMatchObject({ state: "bound", lease: { addresses: [{ address: "192.0.2.10" }] } });
    expect(t.state("c2", "ipv4")).toEqual({ family: "ipv4", state: "starting" });

    t.v4.bind("c2", "192.0.2.20");
    t.v6.bind("c2", "2001:db8:1::20");
    await t.events.waitFor((e) => e.kind === "bound" && e.family === "ipv6");
    expect(await t.addresses("c1")).toEqual(["192.0.2.10/24"]);
    expect(await t.addresses("c2")).toEqual(["192.0.2.20/24", "2001:db8:1::20/128"]);
    expect(t.state("c2", "ipv4")?.lease?.addresses[0]?.address).toBe("192.0.2.20");

    // One DUID per instance, shared by its families, kept under its own key.
    const duid = (hostname: string, runner: SharedRunner) => Buffer.from(runner.of(hostname)[0]!.options.duid!).toString("hex");
    expect(duid("c1", t.v4)).toBe(duid("c1", t.v6));
    expect(duid("c1", t.v4)).not.toBe(duid("c2", t.v4));
    expect(await t.identity.get(instanceDuidKey("c1"))).toBe(duid("c1", t.v4));
    expect(await t.identity.get(instanceDuidKey("c2"))).toBe(duid("c2", t.v4));
    expect(t.runtime.list().map((n) => [n.instance, n.device, n.interface, n.netns])).toEqual([
      ["c1", "eth0", "eth0", "/run/netns/c1"],
      ["c2", "eth0", "eth0", "/run/netns/c2"],
    ]);
  });

  it("keeps the other NIC bound while one NIC's runner crashes and is restarted by its own backoff", async () => {
    const t = setup();
    t.v4.failOnStart.add("c1");
    await t.runtime.attach(t.nic("c1", { families: ["ipv4"] }));
    await t.runtime.attach(t.nic("c2", { families: ["ipv4"] }));
    t.v4.bind("c2", "192.0.2.20");
    await t.events.waitFor((e) => e.kind === "bound");
    await t.clock.advance(10);
    expect(t.state("c1", "ipv4")).toMatchObject({ state: "failed", error: { message: "Crashed" } });
    await t.clock.advance(100_000);
    expect(t.v4.of("c1").map((s) => s.startedAt - START)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 63_000]);
    expect(t.v4.of("c2")).toHaveLength(1);
    expect(t.v4.of("c2")[0]!.options.signal.aborted).toBe(false);
    expect(t.state("c2", "ipv4")).toMatchObject({ state: "bound" });
    expect(await t.addresses("c2")).toEqual(["192.0.2.20/24"]);
    expect(t.events.events.filter((e) => e.kind === "failed")).toHaveLength(7);
  });

  it("detaches only that NIC, frees its timers, and releases only when asked", async () => {
    const t = setup();
    const baseline = t.clock.pendingTimers;
    t.v4.failOnStart.add("c1");
    await t.runtime.attach(t.nic("c1", { families: ["ipv4"] }));
    await t.runtime.attach(t.nic("c2", { families: ["ipv4"] }));
    await t.runtime.attach(t.nic("c3", { families: ["ipv4"] }));
    t.v4.bind("c2", "192.0.2.20");
    t.v4.bind("c3", "192.0.2.30");
    await t.clock.flush();
    expect(t.clock.pendingTimers).toBe(baseline + 1); // c1's restart delay

    await t.runtime.detach({ instance: "c1", device: "eth0" });
    expect(t.clock.pendingTimers).toBe(baseline);
    await t.clock.advance(10_000);
    expect(t.v4.of("c1")).toHaveLength(1);

    await t.runtime.detach({ instance: "c2", device: "eth0" });
    expect(t.v4.of("c2")[0]!.options.signal.aborted).toBe(true);
    expect(t.v4.of("c3")[0]!.options.signal.aborted).toBe(false);
    expect(await t.addresses("c2")).toEqual(["192.0.2.20/24"]); // kept: not asked to release

    await t.runtime.detach({ instance: "c3", device: "eth0" }, { release: true });
    expect(await t.addresses("c3")).toEqual([]);
    expect(t.events.events.map((e) => `${e.kind} ${e.lease?.addresses[0]?.address ?? ""}`)).toContain("released 192.0.2.30");
    expect(t.runtime.list()).toEqual([]);
    expect(t.clock.pendingTimers).toBe(baseline);
  });

  it("refuses to attach the same NIC twice and to detach an unknown one, with typed errors", async () => {
    const t = setup();
    await t.runtime.attach(t.nic("c1"));
    const twice = await rejection(t.runtime.attach(t.nic("c1", { interface: "eth1" })));
    expect(isIncusxError(twice) && twice.code).toBe("IN_USE");
    expect((twice as Error).message).toBe('NIC "eth0" of instance "c1" is attached already');
    expect(t.v4.sessions).toHaveLength(1);

    const unknown = await rejection(t.runtime.detach({ instance: "c9", device: "eth0" }));
    expect(isIncusxError(unknown) && unknown.code).toBe("NOT_FOUND");
    expect((unknown as Error).message).toBe('NIC "eth0" of instance "c9" is not attached');

    const empty = await rejection(t.runtime.attach(t.nic("")));
    expect(isIncusxError(empty) && empty.code).toBe("INVALID_CONFIG");

    // Another device of the same instance is another NIC; a detached NIC can come back.
    await t.runtime.attach(t.nic("c1", { device: "eth1", interface: "eth1" }));
    await t.runtime.detach({ instance: "c1", device: "eth0" });
    const again = await rejection(t.runtime.detach({ instance: "c1", device: "eth0" }));
    expect(isIncusxError(again) && again.code).toBe("NOT_FOUND");
    await t.runtime.attach(t.nic("c1"));
    expect(t.runtime.list().map((n) => n.device).sort()).toEqual(["eth0", "eth1"]);
  });

  it("gives two NICs of one instance attached at once the same DUID", async () => {
    const t = setup();
    await Promise.all([t.runtime.attach(t.nic("c1", { families: ["ipv6"] })), t.runtime.attach(t.nic("c1", { device: "eth1", interface: "eth1", families: ["ipv6"] }))]);
    const [a, b] = t.v6.sessions.map((s) => Buffer.from(s.options.duid!).toString("hex"));
    expect(a).toBe(b);
    expect(await t.identity.get(instanceDuidKey("c1"))).toBe(a);
  });

  it("resolves detach only once the NIC's runners stopped", async () => {
    const clock = new FakeClock(START);
    let stoppedAt: number | undefined;
    const slow: DhcpRunner = {
      family: "ipv4",
      run: (options) =>
        new Promise<void>((resolve) => {
          // Sends a Release and waits for its answer, say: 2 s.
          options.signal.addEventListener("abort", () => void clock.sleep(2_000).then(() => ((stoppedAt = clock.now()), resolve())), { once: true });
        }),
    };
    runtime = new NetworkRuntime({ runners: [slow], link: new RecordingLinkConfigurator(), events: new MemoryLeaseEventStream(), clock, logger: new MemoryLogSink().logger() });
    await runtime.attach({ instance: "c1", device: "eth0", interface: "eth0" });
    let detached = false;
    const detaching = runtime.detach({ instance: "c1", device: "eth0" }).then(() => (detached = true));
    expect(runtime.list()[0]?.families).toEqual([{ family: "ipv4", state: "stopping" }]);
    await clock.advance(1_999);
    expect(detached).toBe(false);
    await clock.advance(1);
    await detaching;
    expect(stoppedAt).toBe(START + 2_000);
    expect(runtime.list()).toEqual([]);
  });

  it("starts no runner of a NIC detached while it was being attached", async () => {
    const t = setup();
    const attaching = t.runtime.attach(t.nic("c1"));
    await t.runtime.detach({ instance: "c1", device: "eth0" });
    await attaching;
    expect(t.v4.sessions.length + t.v6.sessions.length).toBe(0);
    expect(t.runtime.list()).toEqual([]);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it("makes no timers for idle bound NICs", async () => {
    const t = setup();
    for (const name of ["c1", "c2", "c3"]) await t.runtime.attach(t.nic(name));
    for (const [i, name] of ["c1", "c2", "c3"].entries()) {
      t.v4.bind(name, `192.0.2.${10 + i}`);
      t.v6.bind(name, `2001:db8:1::${10 + i}`);
    }
    await t.clock.flush();
    expect(t.runtime.list().flatMap((n) => n.families.map((f) => f.state))).toEqual(Array(6).fill("bound"));
    expect(t.clock.pendingTimers).toBe(0);
  });

  it("sends each NIC's events to the stream eventsFor gives it", async () => {
    const clock = new FakeClock(START);
    const v4 = new SharedRunner("ipv4", clock);
    const streams = new Map<string, MemoryLeaseEventStream>();
    const shared = new MemoryLeaseEventStream();
    runtime = new NetworkRuntime({
      runners: [v4],
      link: new RecordingLinkConfigurator(),
      events: shared,
      eventsFor: (nic) => {
        const stream = new MemoryLeaseEventStream();
        streams.set(nic.instance, stream);
        return stream;
      },
      clock,
      logger: new MemoryLogSink().logger(undefined, clock),
    });
    await runtime.attach({ instance: "c1", device: "eth0", interface: "eth0", hostname: "c1" });
    await runtime.attach({ instance: "c2", device: "eth0", interface: "eth0", hostname: "c2" });
    v4.bind("c2", "192.0.2.20");
    await streams.get("c2")!.waitFor((e) => e.kind === "bound");
    expect(streams.get("c1")!.events).toEqual([]);
    expect(shared.events).toEqual([]);
  });

  it("keeps a NIC's link failure on that NIC", async () => {
    const t = setup();
    await t.runtime.attach(t.nic("c1", { families: ["ipv4"] }));
    await t.runtime.attach(t.nic("c2", { families: ["ipv4"] }));
    t.links.get("/run/netns/c1")!.failNext("addAddress", new Error("RTNETLINK answers: No such device"));
    t.v4.bind("c1", "192.0.2.10");
    t.v4.bind("c2", "192.0.2.20");
    await t.events.waitFor((e) => e.kind === "failed");
    await t.clock.flush();
    expect(t.state("c1", "ipv4")).toMatchObject({ error: { code: "LINK_FAILED" } });
    expect(t.state("c2", "ipv4")).toMatchObject({ state: "bound" });
    expect(t.state("c2", "ipv4")?.error).toBeUndefined();
    expect(await t.addresses("c2")).toEqual(["192.0.2.20/24"]);
    expect(t.v4.sessions.every((s) => !s.options.signal.aborted)).toBe(true);
  });
});

/** A fake `openNetns`: records opens and closes, refuses the paths in `missing` as ENOENT. */
function fakeNamespaces() {
  const opened: string[] = [];
  const closed: string[] = [];
  const missing = new Set<string>();
  let nextFd = 100;
  let onClose: (path: string) => void = () => {};
  const openNetns = (path: string): NetworkNamespace & { close(): void } => {
    if (missing.has(path)) throw Object.assign(new Error(`Cannot open network namespace "${path}": No such file or directory`), { code: "ENOENT" });
    opened.push(path);
    const fd = nextFd++;
    let open = true;
    return {
      path,
      get fd() {
        if (!open) throw new Error(`The network namespace handle of "${path}" is closed`);
        return fd;
      },
      close() {
        open = false;
        onClose(path);
        closed.push(path);
      },
    };
  };
  return { opened, closed, missing, openNetns, whenClosed: (fn: (path: string) => void) => (onClose = fn) };
}

describe("NetworkRuntime holding each NIC's network namespace", () => {
  it("opens a NIC's namespace once and hands it to every runner, to each restart and to linkFor", async () => {
    const ns = fakeNamespaces();
    const t = setup({ openNetns: ns.openNetns });
    t.v4.failOnStart.add("c1");
    await t.runtime.attach(t.nic("c1"));
    await t.clock.advance(3_500); // two restarts of the crashing v4 runner
    expect(ns.opened).toEqual(["/run/netns/c1"]);
    const given = [...t.v4.of("c1"), ...t.v6.of("c1")].map((s) => s.options.netns);
    expect(given).toHaveLength(4);
    for (const netns of given) expect(netns).toBe(given[0]);
    expect(given[0]).toMatchObject({ path: "/run/netns/c1", fd: 100 });
    // A runner or a link may use the namespace, not close it.
    expect((given[0] as { close?: unknown }).close).toBeUndefined();
    expect(t.linkNetns).toEqual([given[0]]);
    expect(t.runtime.list()[0]?.netns).toBe("/run/netns/c1");
    expect(ns.closed).toEqual([]);
  });

  it("closes the namespace only after the NIC's runners stopped and its released lease left the link", async () => {
    const ns = fakeNamespaces();
    const t = setup({ openNetns: ns.openNetns });
    await t.runtime.attach(t.nic("c1", { families: ["ipv4"] }));
    await t.runtime.attach(t.nic("c2", { families: ["ipv4"] }));
    t.v4.bind("c1", "192.0.2.10");
    await t.events.waitFor((e) => e.kind === "bound");
    await t.clock.flush();
    const atClose: { ended: boolean; ops: string[] }[] = [];
    ns.whenClosed(() => atClose.push({ ended: t.v4.of("c1").every((s) => s.ended), ops: t.links.get("/run/netns/c1")!.calls.map((c) => c.op) }));
    await t.runtime.detach({ instance: "c1", device: "eth0" }, { release: true });
    expect(ns.closed).toEqual(["/run/netns/c1"]);
    expect(atClose).toEqual([{ ended: true, ops: ["addAddress", "removeAddress"] }]);
    expect(() => t.v4.of("c1")[0]!.options.netns!.fd).toThrow(/closed/);
    expect(t.v4.of("c2")[0]!.options.netns!.fd).toBe(101);
  });

  it("rejects attach with NOT_FOUND when the namespace cannot be opened, and leaves nothing attached", async () => {
    const ns = fakeNamespaces();
    const t = setup({ openNetns: ns.openNetns });
    await t.runtime.attach(t.nic("c1"));
    ns.missing.add("/run/netns/c2");
    const error = await rejection(t.runtime.attach(t.nic("c2")));
    expect(isIncusxError(error) && error.code).toBe("NOT_FOUND");
    expect((error as Error).message).toBe(
      'Cannot attach NIC "eth0" of instance "c2": Cannot open network namespace "/run/netns/c2": No such file or directory',
    );
    expect(t.runtime.list().map((n) => n.instance)).toEqual(["c1"]);
    expect(t.linkCalls.map((n) => n.instance)).toEqual(["c1"]);
    expect(t.v4.of("c2").length + t.v6.of("c2").length).toBe(0);
    expect(t.clock.pendingTimers).toBe(0);

    // Nothing was left behind: the NIC can be attached once its namespace exists.
    ns.missing.clear();
    await t.runtime.attach(t.nic("c2"));
    expect(t.v4.of("c2")[0]!.options.netns?.path).toBe("/run/netns/c2");
  });

  it("closes the namespace again when linkFor refuses the NIC", async () => {
    const ns = fakeNamespaces();
    const t = setup({
      openNetns: ns.openNetns,
      linkFor: () => {
        throw new Error("No link for you");
      },
    });
    const error = await rejection(t.runtime.attach(t.nic("c1")));
    expect(isIncusxError(error) && error.code).toBe("INVALID_CONFIG");
    expect(ns.opened).toEqual(["/run/netns/c1"]);
    expect(ns.closed).toEqual(["/run/netns/c1"]);
    expect(t.runtime.list()).toEqual([]);
  });

  it("closes the namespace of a NIC detached while it was being attached", async () => {
    const ns = fakeNamespaces();
    const t = setup({ openNetns: ns.openNetns });
    const attaching = t.runtime.attach(t.nic("c1"));
    await t.runtime.detach({ instance: "c1", device: "eth0" });
    await attaching;
    expect(ns.closed).toEqual(["/run/netns/c1"]);
  });

  it("gives each NIC its own lease key, so two containers' eth0 never share a saved lease", async () => {
    const t = setup();
    await t.runtime.attach(t.nic("c1"));
    await t.runtime.attach(t.nic("c2"));
    await t.runtime.attach(t.nic("c1", { device: "net1", interface: "eth1" }));
    const keys = t.v4.sessions.map((s) => s.options.leaseKey);
    expect(keys).toEqual([nicLeaseKey("c1", "eth0"), nicLeaseKey("c2", "eth0"), nicLeaseKey("c1", "net1")]);
    expect(new Set(keys).size).toBe(3);
    expect(t.v6.sessions.map((s) => s.options.leaseKey)).toEqual(keys);
  });
});

describe("nicLeaseKey", () => {
  it("keeps plain names readable and hashes the others, always a safe state key", () => {
    expect(nicLeaseKey("c1", "eth0")).toBe("nic.i.c1.eth0");
    const odd = [
      ["c1.x", "eth0"],
      ["c1", "x.eth0"],
      ["ünïcode", "eth0"],
      ["a".repeat(200), "eth0"],
      ["../etc", "passwd"],
    ] as const;
    const keys = odd.map(([instance, device]) => nicLeaseKey(instance, device));
    for (const key of keys) expect(key).toMatch(/^nic\.h\.[0-9a-f]{40}$/);
    expect(new Set(keys).size).toBe(odd.length);
    for (const key of [nicLeaseKey("a".repeat(40), "b".repeat(40)), ...keys]) {
      expect(key.length).toBeLessThanOrEqual(90);
      expect(key).toMatch(/^[A-Za-z0-9._-]+$/);
    }
  });
});

/** A fake `watchNic`: records each watch, and reports a NIC gone on demand. */
function fakeWatcher() {
  const watches: { nic: NicSpec; netns: NetworkNamespace; closed: boolean; onGone: (gone: NicGoneReport) => void }[] = [];
  const watchNic = (nic: NicSpec, netns: NetworkNamespace, onGone: (gone: NicGoneReport) => void) => {
    const watch = { nic, netns, closed: false, onGone };
    watches.push(watch);
    return { close: () => void (watch.closed = true) };
  };
  const of = (instance: string) => watches.find((w) => w.nic.instance === instance)!;
  const gone = (instance: string, reason = "namespace-gone") => of(instance).onGone({ reason, message: `"/run/netns/${instance}" no longer exists` });
  return { watches, watchNic, of, gone };
}

describe("NetworkRuntime letting go of a NIC that is gone", () => {
  it("stops the gone NIC's runners without release, closes its namespace and watch, and drops it, leaving the other NIC alone", async () => {
    const ns = fakeNamespaces();
    const watcher = fakeWatcher();
    const goneNics: GoneNic[] = [];
    const t = setup({ openNetns: ns.openNetns, watchNic: watcher.watchNic, onNicGone: (nic) => goneNics.push(nic) });
    await t.runtime.attach(t.nic("c1", { releaseOnStop: true }));
    await t.runtime.attach(t.nic("c2", { releaseOnStop: true }));
    for (const [i, name] of ["c1", "c2"].entries()) {
      t.v4.bind(name, `192.0.2.${10 + i}`);
      t.v6.bind(name, `2001:db8:1::${10 + i}`);
    }
    await t.clock.flush();
    expect(watcher.watches.map((w) => [w.nic.instance, w.netns.path, w.netns.fd])).toEqual([
      ["c1", "/run/netns/c1", 100],
      ["c2", "/run/netns/c2", 101],
    ]);

    watcher.gone("c1");
    expect(t.runtime.list().find((n) => n.instance === "c1")?.gone).toEqual({ reason: "namespace-gone", message: '"/run/netns/c1" no longer exists' });
    await t.events.waitFor((e) => e.kind === "failed" && e.error?.code === NIC_GONE && e.family === "ipv6");

    expect(t.runtime.list().map((n) => n.instance)).toEqual(["c2"]);
    expect([...t.v4.of("c1"), ...t.v6.of("c1")].every((s) => s.ended)).toBe(true);
    // Not released: nothing removed from the gone link, no released event.
    expect(t.links.get("/run/netns/c1")!.calls.map((c) => c.op)).not.toContain("removeAddress");
    expect(t.events.events.filter((e) => e.kind === "released")).toEqual([]);
    expect(ns.closed).toEqual(["/run/netns/c1"]);
    expect(watcher.of("c1").closed).toBe(true);
    expect(t.events.events.filter((e) => e.error?.code === NIC_GONE).map((e) => e.family)).toEqual(["ipv4", "ipv6"]);
    expect(goneNics).toEqual([{ instance: "c1", device: "eth0", interface: "eth0", netns: "/run/netns/c1", gone: { reason: "namespace-gone", message: '"/run/netns/c1" no longer exists' } }]);

    // c2 untouched: bound, its runners running, its namespace and watch open.
    expect(t.runtime.list()[0]!.families.map((f) => f.state)).toEqual(["bound", "bound"]);
    expect([...t.v4.of("c2"), ...t.v6.of("c2")].some((s) => s.ended)).toBe(false);
    expect(watcher.of("c2").closed).toBe(false);
    expect(t.v4.of("c2")[0]!.options.netns!.fd).toBe(101);
    expect(t.clock.pendingTimers).toBe(0);

    // A second report, and a detach after, change nothing more.
    watcher.gone("c1", "interface-removed");
    expect((await rejection(t.runtime.detach({ instance: "c1", device: "eth0" })) as { code?: string }).code).toBe("NOT_FOUND");
    expect(goneNics).toHaveLength(1);
    // The same NIC can be attached again, with a new watch.
    await t.runtime.attach(t.nic("c1"));
    expect(watcher.watches.filter((w) => w.nic.instance === "c1")).toHaveLength(2);
  });

  it("publishes a gone NIC's failed NIC_GONE events before its detached events, so a listener learns why before it drops the NIC", async () => {
    const ns = fakeNamespaces();
    const watcher = fakeWatcher();
    const t = setup({ openNetns: ns.openNetns, watchNic: watcher.watchNic });
    await t.runtime.attach(t.nic("c1"));
    t.v4.bind("c1", "192.0.2.10");
    t.v6.bind("c1", "2001:db8:1::10");
    await t.clock.flush();

    watcher.gone("c1");
    await t.events.waitFor((e) => e.kind === "detached" && e.family === "ipv6");
    await t.events.waitFor((e) => e.kind === "failed" && e.error?.code === NIC_GONE && e.family === "ipv6");
    const ending = t.events.events.filter((e) => e.kind === "detached" || e.error?.code === NIC_GONE).map((e) => `${e.kind} ${e.family}`);
    expect(ending).toEqual(["failed ipv4", "failed ipv6", "detached ipv4", "detached ipv6"]);
  });

  it("lets a detach under way win over a later report, and a detach of a gone NIC wait for its stop without release", async () => {
    const ns = fakeNamespaces();
    const watcher = fakeWatcher();
    const goneNics: GoneNic[] = [];
    const t = setup({ openNetns: ns.openNetns, watchNic: watcher.watchNic, onNicGone: (nic) => goneNics.push(nic) });
    await t.runtime.attach(t.nic("c1", { families: ["ipv4"] }));
    await t.runtime.attach(t.nic("c2", { families: ["ipv4"] }));
    t.v4.bind("c1", "192.0.2.10");
    t.v4.bind("c2", "192.0.2.11");
    await t.clock.flush();

    const detaching = t.runtime.detach({ instance: "c1", device: "eth0" }, { release: true });
    watcher.gone("c1");
    await detaching;
    expect(goneNics).toEqual([]);
    expect(t.links.get("/run/netns/c1")!.calls.map((c) => c.op)).toContain("removeAddress");

    watcher.gone("c2");
    await t.runtime.detach({ instance: "c2", device: "eth0" }, { release: true }).catch(() => undefined);
    expect(t.links.get("/run/netns/c2")!.calls.map((c) => c.op)).not.toContain("removeAddress");
    expect(t.runtime.list()).toEqual([]);
    expect(ns.closed.sort()).toEqual(["/run/netns/c1", "/run/netns/c2"]);
  });

  it("starts no runner of a NIC reported gone while it is being attached", async () => {
    const ns = fakeNamespaces();
    const t = setup({
      openNetns: ns.openNetns,
      watchNic: (_nic, _netns, onGone) => {
        onGone({ reason: "interface-removed", message: "Interface gone" });
        return { close: () => {} };
      },
    });
    await t.runtime.attach(t.nic("c1"));
    await t.events.waitFor((e) => e.error?.code === NIC_GONE && e.family === "ipv6");
    expect(t.v4.sessions).toEqual([]);
    expect(t.v6.sessions).toEqual([]);
    expect(t.runtime.list()).toEqual([]);
    expect(ns.closed).toEqual(["/run/netns/c1"]);
  });

  it("attaches a NIC unwatched, with a warning, when its watcher throws; and watches only NICs whose namespace it holds", async () => {
    const ns = fakeNamespaces();
    const logs = new MemoryLogSink();
    const clock = new FakeClock(START);
    let calls = 0;
    runtime = new NetworkRuntime({
      runners: [new SharedRunner("ipv4", clock)],
      link: new RecordingLinkConfigurator(),
      events: new MemoryLeaseEventStream(),
      clock,
      logger: logs.logger(undefined, clock),
      openNetns: ns.openNetns,
      watchNic: () => {
        calls++;
        throw new Error("No native addon");
      },
    });
    await runtime.attach({ instance: "c1", device: "eth0", interface: "eth0", netns: "/run/netns/c1" });
    await runtime.attach({ instance: "c2", device: "eth0", interface: "eth0" });
    expect(calls).toBe(1);
    expect(runtime.list().map((n) => n.instance)).toEqual(["c1", "c2"]);
    expect(logs.messages({ level: "warn", message: /Cannot watch NIC "eth0" of instance "c1".*No native addon/ })).toHaveLength(1);
  });
});
