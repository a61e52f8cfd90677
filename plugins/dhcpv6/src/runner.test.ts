import { Dhcpv6MessageType as T, Dhcpv6OptionCode as O, decodeDhcpv6, encodeDhcpv6, findDhcpv6Option, type Dhcpv6ClientServerMessage } from "@incusx/dhcp-wire";
import { FakeSocketLink, RunnerRuns, ScriptedSocket } from "@incusx/dhcp-client/testing";
import { DhcpRunnerToken, definePlugin, type DhcpRunOptions, type NetworkNamespace } from "@incusx/sdk";
import { FakeClock, MemoryLogSink, MemoryStateStore, describeDhcpRunnerContract, startTestHost } from "@incusx/testkit";
import type { LinkLocalBlocker } from "@incusx/linux-net";
import { afterEach, describe, expect, it } from "vitest";
import { advertise, reply } from "./fake-server.test-support.js";
import { DUID_KEY, bindingKey, iaidKey } from "./identity.js";
import { STABLE_SECRET_KEY, stableLinkLocalAddress } from "./stable-link-local.js";
import plugin from "./index.js";
import { Dhcpv6LinkAccessToken, Dhcpv6Runner, LINUX_NET_LINK_ACCESS, type Dhcpv6Socket, type LinkAccess } from "./runner.js";

const START = Date.UTC(2025, 0, 1);
const MAC = "02:16:3e:aa:bb:cc";
const LINK_LOCAL = "fe80::16:3eff:feaa:bbcc";

/** A socket whose far end is a scripted server answering every exchange at once (or no server). */
class FakeSocket extends ScriptedSocket<Dhcpv6ClientServerMessage> implements Dhcpv6Socket {
  constructor(serve: boolean) {
    const answer = (message: Dhcpv6ClientServerMessage): Dhcpv6ClientServerMessage | undefined =>
      message.messageType === T.SOLICIT ? advertise(message, { preference: 255 }) : message.messageType === T.INFORMATION_REQUEST ? undefined : reply(message);
    super({ decode: (bytes) => decodeDhcpv6(bytes) as Dhcpv6ClientServerMessage, encode: encodeDhcpv6 }, serve ? answer : undefined, {
      address: "fe80::1",
      port: 547,
    });
  }
}

/** Fake link operations, recording what the runner asked for. */
class FakeLink extends FakeSocketLink<{ iface: string; localAddress: string; port: number; netns?: NetworkNamespace }, FakeSocket> implements LinkAccess {
  flagsListener: ((addresses: { address: string; flags: readonly string[] }[]) => void) | undefined;
  watchesClosed = 0;
  /** The namespace each call other than openUdp6Socket was given, by call. */
  readonly netnsOf: [string, NetworkNamespace | undefined][] = [];
  linkLocal: Promise<string> = Promise.resolve(LINK_LOCAL);
  blocker: LinkLocalBlocker | undefined;
  addLinkLocal: ((iface: string, address: string, netns?: NetworkNamespace) => Promise<void>) | undefined;
  /** Link-local addresses on the interface, reported by watchAddressFlags with {@link FakeLink.dadFlags}. */
  readonly linkLocals: string[] = [];
  dadFlags: (address: string) => readonly string[] = () => [];
  readonly removed: string[] = [];

  async removeLinkLocal(_iface: string, address: string): Promise<void> {
    this.removed.push(address);
    this.linkLocals.splice(this.linkLocals.indexOf(address), 1);
  }

  constructor(serve = true, mac = MAC) {
    super(mac, () => new FakeSocket(serve));
  }

  override async readLinkInfo(_iface?: string, netns?: NetworkNamespace): Promise<{ mac: string }> {
    this.netnsOf.push(["readLinkInfo", netns]);
    return super.readLinkInfo();
  }

  waitForLinkLocal(_iface: string, signal: AbortSignal, netns?: NetworkNamespace): Promise<string> {
    this.netnsOf.push(["waitForLinkLocal", netns]);
    return Promise.race([
      this.linkLocal,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
    ]);
  }

  linkLocalBlocker(): LinkLocalBlocker | undefined {
    return this.blocker;
  }

  openUdp6Socket(options: { iface: string; localAddress: string; port: number; netns?: NetworkNamespace }): Promise<Dhcpv6Socket> {
    return this.openSocket(options);
  }

  watchAddressFlags(
    _iface: string,
    onChange: (addresses: { address: string; flags: readonly string[] }[]) => void,
    _onError?: (error: unknown) => void,
    netns?: NetworkNamespace,
  ): { close(): void } {
    this.netnsOf.push(["watchAddressFlags", netns]);
    this.flagsListener = onChange;
    const now = this.linkLocals.map((address) => ({ address, flags: this.dadFlags(address) }));
    queueMicrotask(() => onChange(now));
    return { close: () => void this.watchesClosed++ };
  }
}

interface Setup {
  readonly clock: FakeClock;
  readonly store: MemoryStateStore;
  readonly link: FakeLink;
  readonly runner: Dhcpv6Runner;
  readonly logs: MemoryLogSink;
}

function setup(options: { store?: MemoryStateStore; link?: FakeLink; config?: unknown } = {}): Setup {
  const clock = new FakeClock(START);
  const store = options.store ?? new MemoryStateStore();
  const link = options.link ?? new FakeLink();
  const logs = new MemoryLogSink();
  const runner = new Dhcpv6Runner(clock, store, logs.logger("incusx.dhcpv6", clock), options.config ?? {}, link);
  return { clock, store, link, runner, logs };
}

const runs = new RunnerRuns();
afterEach(() => runs.stopAll());

function run(s: Setup, extra: Partial<Pick<DhcpRunOptions, "hostname" | "releaseOnStop" | "duid" | "netns" | "leaseKey">> & { iface?: string } = {}) {
  const { iface, ...rest } = extra;
  return runs.start(s.runner, { interface: iface ?? "eth0", ...rest });
}

describeDhcpRunnerContract("Dhcpv6Runner with a scripted server", () => {
  const s = setup();
  return { runner: s.runner, interface: "eth0", clock: s.clock, runOptions: { releaseOnStop: true, hostname: "c1" } };
});

describeDhcpRunnerContract("Dhcpv6Runner with no server", () => {
  const s = setup({ link: new FakeLink(false) });
  return { runner: s.runner, interface: "eth0", clock: s.clock };
});

describe("Dhcpv6Runner", () => {
  it("binds through the socket: multicast to ff02::1:2 port 547 from the link-local address, port 546", async () => {
    const s = setup();
    const r = run(s, { hostname: "c1" });
    await s.clock.flush();
    expect(s.link.opened).toEqual([{ iface: "eth0", localAddress: LINK_LOCAL, port: 546 }]);
    const socket = s.link.sockets[0]!;
    expect(socket.sent.map((m) => [m.message.messageType, m.address, m.port])).toEqual([
      [T.SOLICIT, "ff02::1:2", 547],
      [T.REQUEST, "ff02::1:2", 547],
    ]);
    expect(findDhcpv6Option(socket.sent[0]!.message, O.CLIENT_FQDN)?.name).toBe("c1");
    expect(r.events.map((e) => [e.kind, e.family, e.interface, e.lease?.addresses[0]?.prefixLength])).toEqual([["bound", "ipv6", "eth0", 128]]);
    await r.stop();
    expect(socket.closed).toBe(true);
    expect(s.link.watchesClosed).toBe(1);
  });

  it("works in the NIC's namespace when given one: link-local wait, link read, socket and flag watch there; IAID under leaseKey", async () => {
    const s = setup();
    const netns: NetworkNamespace = { path: "/run/netns/c1", fd: 42 };
    const r = run(s, { netns, leaseKey: "nic.i.c1.eth0" });
    await s.clock.flush();
    expect(r.events.map((e) => [e.kind, e.interface])).toEqual([["bound", "eth0"]]);
    expect(s.link.opened).toEqual([{ iface: "eth0", localAddress: LINK_LOCAL, port: 546, netns }]);
    expect(new Set(s.link.netnsOf.map(([call]) => call))).toEqual(new Set(["readLinkInfo", "waitForLinkLocal", "watchAddressFlags"]));
    expect(s.link.netnsOf.every(([, where]) => where === netns)).toBe(true);
    expect(await s.store.get(iaidKey("nic.i.c1.eth0"))).toBe(0x3eaabbcc);
    expect(await s.store.get(iaidKey("eth0"))).toBeUndefined();
    await r.stop();
  });

  it("passes no namespace without one, as a process per container runs it", async () => {
    const s = setup();
    const r = run(s);
    await s.clock.flush();
    expect(s.link.opened).toEqual([{ iface: "eth0", localAddress: LINK_LOCAL, port: 546 }]);
    expect(s.link.netnsOf.every(([, where]) => where === undefined)).toBe(true);
    expect(await s.store.get(iaidKey("eth0"))).toBe(0x3eaabbcc);
    await r.stop();
  });

  it("reads its identity during DAD and sends the first Solicit before starting the address flag watch", async () => {
    const s = setup();
    let dadDone!: (address: string) => void;
    s.link.linkLocal = new Promise((resolve) => (dadDone = resolve));
    const order: string[] = [];
    const readLinkInfo = s.link.readLinkInfo.bind(s.link);
    s.link.readLinkInfo = async () => {
      order.push("identity");
      return readLinkInfo();
    };
    const watchAddressFlags = s.link.watchAddressFlags.bind(s.link);
    s.link.watchAddressFlags = (iface, onChange) => {
      order.push(`watch after ${s.link.sockets[0]?.sent.length ?? 0} sent`);
      return watchAddressFlags(iface, onChange);
    };
    const r = run(s);
    await s.clock.flush();
    // DAD still running: the MAC, DUID and IAID are ready, nothing is open yet.
    expect(order).toEqual(["identity"]);
    expect(await s.store.get(DUID_KEY)).toBeDefined();
    expect(s.link.opened).toEqual([]);
    dadDone(LINK_LOCAL);
    await s.clock.flush();
    expect(order).toEqual(["identity", "watch after 1 sent"]);
    expect(r.events.map((e) => e.kind)).toEqual(["bound"]);
    await r.stop();
    expect(s.link.watchesClosed).toBe(1);
  });

  it("reads its identity again when the interface only appears with its link-local address", async () => {
    const s = setup();
    let calls = 0;
    const readLinkInfo = s.link.readLinkInfo.bind(s.link);
    s.link.readLinkInfo = async () => {
      if (calls++ === 0) throw Object.assign(new Error('Interface "eth0" not found'), { code: "ENODEV" });
      return readLinkInfo();
    };
    const r = run(s);
    await s.clock.flush();
    expect(calls).toBe(2);
    expect(r.events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it("gives addresses the configured prefix length and leaves Rapid Commit out when disabled", async () => {
    const s = setup({ config: { addressPrefixLength: 64, rapidCommit: false } });
    const r = run(s);
    await s.clock.flush();
    expect(findDhcpv6Option(s.link.sockets[0]!.sent[0]!.message, O.RAPID_COMMIT)).toBeUndefined();
    expect(r.events[0]!.lease!.addresses[0]!.prefixLength).toBe(64);
  });

  it("asks for Rapid Commit by default", async () => {
    const s = setup();
    run(s);
    await s.clock.flush();
    expect(findDhcpv6Option(s.link.sockets[0]!.sent[0]!.message, O.RAPID_COMMIT)).toBeDefined();
  });

  it("creates a DUID-LLT from the MAC and the clock once, and persists it as hex", async () => {
    const s = setup();
    run(s);
    await s.clock.flush();
    const stored = (await s.store.get(DUID_KEY)) as string;
    const seconds = (START - Date.UTC(2000, 0, 1)) / 1000;
    expect(stored).toBe(`00010001${seconds.toString(16).padStart(8, "0")}${MAC.replaceAll(":", "")}`);
    const sentDuid = findDhcpv6Option(s.link.sockets[0]!.sent[0]!.message, O.CLIENTID)!.duid;
    expect(Buffer.from(stored, "hex")).toEqual(Buffer.from(encodeDhcpv6({ messageType: 1, transactionId: 0, options: [{ code: 1, duid: sentDuid }] }).subarray(8)));
  });

  it("keeps the stored DUID and IAID across restarts", async () => {
    const store = new MemoryStateStore({ [DUID_KEY]: "000300010216fe000001", [iaidKey("eth0")]: 42 });
    const s = setup({ store });
    run(s);
    await s.clock.flush();
    const solicit = s.link.sockets[0]!.sent[0]!.message;
    expect(findDhcpv6Option(solicit, O.CLIENTID)!.duid).toEqual({ type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0x16, 0xfe, 0, 0, 1) });
    expect(findDhcpv6Option(solicit, O.IA_NA)!.iaid).toBe(42);
    expect(store.toJSON()).toEqual({ [DUID_KEY]: "000300010216fe000001", [iaidKey("eth0")]: 42, [bindingKey("eth0")]: expect.objectContaining({ iaid: 42 }) });
  });

  it("uses the runtime's shared DUID when given one, and leaves its own alone", async () => {
    const shared = Uint8Array.from(Buffer.from("0004" + "0123456789abcdef0123456789abcdef", "hex"));
    const s = setup();
    run(s, { duid: shared });
    await s.clock.flush();
    const sent = findDhcpv6Option(s.link.sockets[0]!.sent[0]!.message, O.CLIENTID)!.duid;
    expect(sent).toEqual({ type: "uuid", uuid: "01234567-89ab-cdef-0123-456789abcdef" });
    expect(await s.store.get(DUID_KEY)).toBeUndefined();
  });

  it("falls back to its own DUID, with a warning, when the shared one is unreadable", async () => {
    const s = setup();
    run(s, { duid: Uint8Array.of(0, 1) });
    await s.clock.flush();
    expect(findDhcpv6Option(s.link.sockets[0]!.sent[0]!.message, O.CLIENTID)!.duid.type).toBe("llt");
    expect(s.logs.messages({ level: "warn" })[0]).toMatch(/^Ignoring the unreadable shared DUID/);
  });

  it("replaces an unreadable stored DUID, with a warning", async () => {
    const s = setup({ store: new MemoryStateStore({ [DUID_KEY]: "0001" }) });
    run(s);
    await s.clock.flush();
    expect(((await s.store.get(DUID_KEY)) as string).startsWith("00010001")).toBe(true);
    expect(s.logs.messages({ level: "warn" })).toEqual(['Replacing the unreadable stored DHCPv6 DUID "0001"']);
  });

  it("derives a stable IAID per interface from the MAC, or the name without one, and a UUID DUID without a MAC", async () => {
    const s = setup();
    run(s, { iface: "eth0" });
    await s.clock.flush();
    expect(await s.store.get(iaidKey("eth0"))).toBe(0x3eaabbcc);
    const t = setup({ link: new FakeLink(true, "00:00:00:00:00:00") });
    run(t, { iface: "wg@0" });
    await t.clock.flush();
    expect(iaidKey("wg@0")).toBe("dhcp6.iaid.wg_0");
    expect(typeof (await t.store.get("dhcp6.iaid.wg_0"))).toBe("number");
    expect(((await t.store.get(DUID_KEY)) as string).startsWith("0004")).toBe(true);
  });

  it("waits for the link-local address before opening the socket", async () => {
    const link = new FakeLink();
    let ready!: (address: string) => void;
    link.linkLocal = new Promise((resolve) => (ready = resolve));
    const s = setup({ link });
    run(s);
    await s.clock.advance(60_000);
    expect(link.opened).toEqual([]);
    ready(LINK_LOCAL);
    await s.clock.flush();
    expect(link.opened).toHaveLength(1);
  });

  it("returns quietly when stopped while waiting for the link-local address", async () => {
    const link = new FakeLink();
    link.linkLocal = new Promise(() => {});
    const s = setup({ link });
    const r = run(s);
    await s.clock.flush();
    await r.stop();
    expect(link.opened).toEqual([]);
    expect(r.events).toEqual([]);
  });

  it.each([
    ["addr-gen-mode-none", "address generation is off (addr_gen_mode = none"],
    ["ipv6-disabled", "IPv6 is disabled on it"],
  ] as const)("fails at once with NO_LINK_LOCAL when the kernel will make no link-local address (%s)", async (blocker, words) => {
    const link = new FakeLink();
    link.linkLocal = new Promise(() => {});
    link.blocker = blocker;
    const s = setup({ link });
    const failures: unknown[] = [];
    const r = runs.start(s.runner, { interface: "eth0", attemptFailed: (f) => void failures.push(f) });
    await expect(r.done).rejects.toMatchObject({ name: "NoLinkLocalError", code: "NO_LINK_LOCAL", blocker });
    expect(s.clock.now()).toBe(START);
    expect(r.events).toEqual([
      { kind: "failed", family: "ipv6", interface: "eth0", at: START, error: { code: "NO_LINK_LOCAL", message: expect.stringContaining(words) } },
    ]);
    expect(failures).toEqual([{ code: "NO_LINK_LOCAL", message: expect.stringContaining('"eth0" has no IPv6 link-local address') }]);
    expect(link.opened).toEqual([]);
  });

  it("adds a stable (RFC 7217) link-local address instead of failing when stableLinkLocal is on, then binds", async () => {
    const link = new FakeLink();
    link.blocker = "addr-gen-mode-none";
    const added: string[] = [];
    link.addLinkLocal = async (_iface, address) => {
      added.push(address);
      link.linkLocals.push(address);
    };
    const s = setup({ link, config: { stableLinkLocal: true } });
    const r = run(s);
    await s.clock.flush();
    expect(added).toEqual([stableLinkLocalAddress(MAC, Buffer.from((await s.store.get(STABLE_SECRET_KEY)) as string, "hex"))]);
    expect(r.events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it("tries the next RFC 7217 address when the stable one fails DAD, removing the duplicate", async () => {
    const link = new FakeLink();
    link.blocker = "addr-gen-mode-none";
    link.addLinkLocal = async (_iface, address) => void link.linkLocals.push(address);
    const secret = Buffer.alloc(16, 7);
    const [first, second] = [0, 1].map((counter) => stableLinkLocalAddress(MAC, secret, counter));
    // The first address is held by another host on the link.
    link.dadFlags = (address) => (address === first ? ["tentative", "dadfailed"] : ["permanent"]);
    const s = setup({ link, config: { stableLinkLocal: true }, store: new MemoryStateStore({ [STABLE_SECRET_KEY]: secret.toString("hex") }) });
    const r = run(s);
    await s.clock.flush();
    expect(first).not.toBe(second);
    expect(link.removed).toEqual([first]);
    expect(link.linkLocals).toEqual([second]);
    expect(r.events.map((e) => e.kind)).toEqual(["bound"]);
    expect(s.logs.messages({ level: "warn" })).toContainEqual(expect.stringContaining("duplicate on the link"));
  });

  it("fails with NO_LINK_LOCAL naming DAD when every stable address tried is a duplicate", async () => {
    const link = new FakeLink();
    link.blocker = "addr-gen-mode-none";
    link.addLinkLocal = async (_iface, address) => void link.linkLocals.push(address);
    link.dadFlags = () => ["tentative", "dadfailed"];
    const s = setup({ link, config: { stableLinkLocal: true } });
    const r = run(s);
    await expect(r.done).rejects.toMatchObject({ code: "NO_LINK_LOCAL", blocker: "stable-dad-failed" });
    expect(link.removed).toHaveLength(4);
    expect(r.events).toEqual([
      { kind: "failed", family: "ipv6", interface: "eth0", at: START, error: { code: "NO_LINK_LOCAL", message: expect.stringContaining("was a duplicate on the link") } },
    ]);
  });

  it("still fails with NO_LINK_LOCAL with stableLinkLocal on when IPv6 is disabled on the interface", async () => {
    const link = new FakeLink();
    link.blocker = "ipv6-disabled";
    link.addLinkLocal = async () => {
      throw new Error("must not be called");
    };
    const s = setup({ link, config: { stableLinkLocal: true } });
    const r = run(s);
    await expect(r.done).rejects.toMatchObject({ code: "NO_LINK_LOCAL", blocker: "ipv6-disabled" });
  });

  it("reports failed and rejects when the socket cannot be opened", async () => {
    const link = new FakeLink();
    link.openError = Object.assign(new Error("bind EADDRINUSE"), { code: "EADDRINUSE" });
    const s = setup({ link });
    const r = run(s);
    await expect(r.done).rejects.toThrow("EADDRINUSE");
    expect(r.events).toEqual([
      { kind: "failed", family: "ipv6", interface: "eth0", at: START, error: { code: "EADDRINUSE", message: "bind EADDRINUSE" } },
    ]);
  });

  it("declines an address the kernel marks dadfailed", async () => {
    const s = setup();
    const r = run(s);
    await s.clock.flush();
    const address = r.events[0]!.lease!.addresses[0]!.address;
    s.link.flagsListener!([
      { address: LINK_LOCAL, flags: ["permanent"] },
      { address, flags: ["dadfailed", "tentative"] },
    ]);
    await s.clock.flush();
    const types = s.link.sockets[0]!.sent.map((m) => m.message.messageType);
    expect(types.slice(0, 4)).toEqual([T.SOLICIT, T.REQUEST, T.DECLINE, T.SOLICIT]);
    expect(r.events.map((e) => e.kind).slice(0, 2)).toEqual(["bound", "expired"]);
  });

  it("reads releaseOnStop when it stops, so a runtime's detach can still ask for the Release", async () => {
    const s = setup();
    const r = run(s);
    await s.clock.flush();
    await r.stopReleasing();
    expect(s.link.sockets[0]!.sent.at(-1)!.message.messageType).toBe(T.RELEASE);
    expect(r.events.map((e) => e.kind)).toEqual(["bound", "released"]);
  });

  it("sends a Release on stop when asked", async () => {
    const s = setup();
    const r = run(s, { releaseOnStop: true });
    await s.clock.flush();
    await r.stop();
    expect(s.link.sockets[0]!.sent.at(-1)!.message.messageType).toBe(T.RELEASE);
    expect(r.events.map((e) => e.kind)).toEqual(["bound", "released"]);
  });
});

describe("Dhcpv6Runner across a restart", () => {
  // A first runner binds and is stopped without a Release (as a killed process leaves it); a second one starts on the same store.
  async function boundThenRestarted(options: { leaseKey?: string; edit?: (store: MemoryStateStore, key: string) => Promise<void> } = {}) {
    const store = new MemoryStateStore();
    const key = bindingKey(options.leaseKey ?? "eth0");
    const first = setup({ store });
    const r1 = run(first, options.leaseKey === undefined ? {} : { leaseKey: options.leaseKey });
    await first.clock.flush();
    await r1.stop();
    const firstLease = r1.events[0]!.lease!;
    await options.edit?.(store, key);
    const second = setup({ store });
    await second.clock.advance(60_000);
    const r2 = run(second, options.leaseKey === undefined ? {} : { leaseKey: options.leaseKey });
    await second.clock.flush();
    return { store, key, firstLease, second, r2 };
  }

  it("keeps the binding under the interface and renews it first after a restart, reporting it bound", async () => {
    const { store, key, firstLease, second, r2 } = await boundThenRestarted();
    expect(key).toBe("dhcp6.lease.eth0");
    const sent = second.link.sockets[0]!.sent.map((m) => m.message.messageType);
    expect(sent).toEqual([T.RENEW]);
    expect(r2.events.map((e) => [e.kind, e.lease?.addresses.map((a) => a.address)])).toEqual([["bound", firstLease.addresses.map((a) => a.address)]]);
    expect(await store.get(key)).toMatchObject({ obtainedAt: START + 60_000 });
  });

  it("keeps it under the NIC's lease key when the runtime gives one", async () => {
    const { store, second } = await boundThenRestarted({ leaseKey: "nic.i.c1.eth0" });
    expect(Object.keys(store.toJSON())).toContain("dhcp6.lease.nic.i.c1.eth0");
    expect(Object.keys(store.toJSON())).not.toContain("dhcp6.lease.eth0");
    expect(second.link.sockets[0]!.sent[0]!.message.messageType).toBe(T.RENEW);
  });

  it("solicits, with a warning, when the saved binding is unreadable", async () => {
    const { second, r2 } = await boundThenRestarted({ edit: (store, key) => store.set(key, { iaid: "x" }) });
    expect(second.link.sockets[0]!.sent[0]!.message.messageType).toBe(T.SOLICIT);
    expect(second.logs.messages({ level: "warn" })).toEqual([expect.stringMatching(/^Ignoring the unreadable saved DHCPv6 binding: its IAID "x"/)]);
    expect(r2.events.map((e) => e.kind)).toEqual(["bound"]);
  });

  it("deletes the binding when it is released", async () => {
    const s = setup();
    const r = run(s, { releaseOnStop: true });
    await s.clock.flush();
    expect(await s.store.get(bindingKey("eth0"))).toBeDefined();
    await r.stop();
    expect(await s.store.get(bindingKey("eth0"))).toBeUndefined();
  });
});

// The plugin as shipped, with its link operations replaced through the
// plugin's own token: the host builds the runner, the test owns the link.
const withFakeLink = (link: LinkAccess) =>
  definePlugin({
    ...plugin,
    register(registrar) {
      plugin.register!(registrar);
      registrar.provide(Dhcpv6LinkAccessToken, { useValue: link });
    },
  });

describe("incusx.dhcpv6 in a host", () => {
  it("provides the runner @incusx/linux-net's link operations", async () => {
    const t = await startTestHost({ plugins: [{ plugin, packageDir: new URL("..", import.meta.url) }] });
    try {
      const [runner] = t.host.resolveAll(DhcpRunnerToken) as Dhcpv6Runner[];
      expect(runner).toBeInstanceOf(Dhcpv6Runner);
      expect((runner as unknown as { net: LinkAccess }).net).toBe(LINUX_NET_LINK_ACCESS);
    } finally {
      await t.stop();
    }
  });

  it("loads from its manifest and contributes an ipv6 DhcpRunner with the schema's defaults", async () => {
    const t = await startTestHost({ plugins: [{ plugin: withFakeLink(new FakeLink()), packageDir: new URL("..", import.meta.url) }] });
    try {
      expect(t.report.plugins).toEqual([expect.objectContaining({ id: "incusx.dhcpv6", state: "started" })]);
      const runners = t.host.resolveAll(DhcpRunnerToken);
      expect(runners).toHaveLength(1);
      const runner = runners[0]!;
      expect(runner.family).toBe("ipv6");
      const r = runs.start(runner, { interface: "eth0" });
      await t.clock.flush();
      await r.stop();
      expect(r.events.map((e) => [e.kind, e.lease?.addresses[0]?.prefixLength])).toEqual([["bound", 128]]);
      expect(await t.stateStore("incusx.dhcpv6").get(DUID_KEY)).toMatch(/^00010001/);
    } finally {
      await t.stop();
    }
  });

  it("rejects a prefix length outside 64..128", async () => {
    await expect(
      startTestHost({ plugins: [{ plugin, packageDir: new URL("..", import.meta.url), config: { addressPrefixLength: 48 } }] }),
    ).rejects.toThrow(/addressPrefixLength|48|minimum/);
  });
});

describe("Dhcpv6Runner serving many interfaces", () => {
  it("lets at most maxConcurrentSolicits interfaces of the runner solicit at once; the next starts when one is bound", async () => {
    const link = new FakeLink(false);
    const s = setup({ link, config: { maxConcurrentSolicits: 2, rapidCommit: true } });
    for (const iface of ["eth0", "eth1", "eth2"]) run(s, { iface });
    await s.clock.flush();
    expect(link.sockets.map((socket) => socket.sent.length)).toEqual([1, 1, 0]);
    const second = link.sockets[1]!;
    second.deliver(reply(second.sent[0]!.message, { rapidCommit: true }));
    await s.clock.flush();
    expect(link.sockets.map((socket) => socket.sent.map((m) => m.message.messageType))).toEqual([[T.SOLICIT], [T.SOLICIT], [T.SOLICIT]]);
  });
});
