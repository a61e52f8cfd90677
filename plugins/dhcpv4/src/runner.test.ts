import { Dhcpv4MessageType as T, decodeDhcpv4, dhcpv4OptionValue as opt, encodeDhcpv4, encodeDuid, type Dhcpv4Message } from "@incusx/dhcp-wire";
import { FakeSocketLink, RunnerRuns, ScriptedSocket } from "@incusx/dhcp-client/testing";
import { DhcpRunnerToken, definePlugin, type DhcpRunOptions, type JsonValue, type NetworkNamespace } from "@incusx/sdk";
import { FakeClock, MemoryLogSink, MemoryStateStore, describeDhcpRunnerContract, startTestHost } from "@incusx/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { ack, offer } from "./fake-server.test-support.js";
import { DUID_KEY, leaseKey } from "./identity.js";
import plugin from "./index.js";
import { Dhcpv4LinkAccessToken, Dhcpv4Runner, LINUX_NET_LINK_ACCESS, type Dhcpv4Socket, type LinkAccess } from "./runner.js";

const START = Date.UTC(2025, 0, 1);
const MAC = "02:16:3e:aa:bb:cc";
const MAC_BYTES = Uint8Array.of(2, 0x16, 0x3e, 0xaa, 0xbb, 0xcc);

/** A socket whose far end is a scripted server answering every DISCOVER and REQUEST at once (or no server). */
class FakeSocket extends ScriptedSocket<Dhcpv4Message> implements Dhcpv4Socket {
  constructor(serve: boolean) {
    const answer = (message: Dhcpv4Message): Dhcpv4Message | undefined => {
      const type = opt(message, 53);
      return type === T.Discover ? offer(message) : type === T.Request ? ack(message) : undefined;
    };
    super({ decode: (bytes) => decodeDhcpv4(bytes.slice()), encode: encodeDhcpv4 }, serve ? answer : undefined, { address: "192.0.2.1", port: 67 });
  }

  readonly #errorListeners = new Set<(error: Error) => void>();

  onError(listener: (error: Error) => void): { close(): void } {
    this.#errorListeners.add(listener);
    return { close: () => void this.#errorListeners.delete(listener) };
  }

  /** Fails the socket, as the kernel does with a POLLERR. */
  fail(error: Error): void {
    for (const listener of this.#errorListeners) listener(error);
  }
}

/** Fake link operations, recording what the runner asked for. */
class FakeLink extends FakeSocketLink<{ iface: string; port: number; chaddr?: Uint8Array; netns?: NetworkNamespace }, FakeSocket> implements LinkAccess {
  constructor(serve = true, mac = MAC) {
    super(mac, () => new FakeSocket(serve));
  }

  openUdp4DeviceSocket(options: { iface: string; port: number; chaddr?: Uint8Array; netns?: NetworkNamespace }): Promise<Dhcpv4Socket> {
    return this.openSocket(options);
  }
}

interface Setup {
  readonly clock: FakeClock;
  readonly store: MemoryStateStore;
  readonly link: FakeLink;
  readonly runner: Dhcpv4Runner;
  readonly logs: MemoryLogSink;
}

function setup(options: { store?: MemoryStateStore; link?: FakeLink; config?: unknown } = {}): Setup {
  const clock = new FakeClock(START);
  const store = options.store ?? new MemoryStateStore();
  const link = options.link ?? new FakeLink();
  const logs = new MemoryLogSink();
  const runner = new Dhcpv4Runner(clock, store, logs.logger("incusx.dhcpv4", clock), options.config ?? {}, link);
  return { clock, store, link, runner, logs };
}

const runs = new RunnerRuns();
afterEach(() => runs.stopAll());

function run(s: Setup, extra: Partial<Pick<DhcpRunOptions, "hostname" | "fqdn" | "releaseOnStop" | "duid" | "netns" | "leaseKey">> & { iface?: string } = {}) {
  const { iface, ...rest } = extra;
  return runs.start(s.runner, { interface: iface ?? "eth0", ...rest });
}

const sentDuidHex = (m: Dhcpv4Message): string => {
  const id = opt(m, 61);
  if (id?.form !== "duid") throw new Error("No RFC 4361 client identifier");
  return Buffer.from(encodeDuid(id.duid)).toString("hex");
};

describeDhcpRunnerContract("Dhcpv4Runner with a scripted server", () => {
  const s = setup();
  return { runner: s.runner, interface: "eth0", clock: s.clock, runOptions: { releaseOnStop: true, hostname: "c1" } };
});

describeDhcpRunnerContract("Dhcpv4Runner with no server", () => {
  const s = setup({ link: new FakeLink(false) });
  return { runner: s.runner, interface: "eth0", clock: s.clock };
});

describe("Dhcpv4Runner", () => {
  it("binds through a device-bound socket on port 68 filtered to its MAC: broadcasts to 255.255.255.255 port 67", async () => {
    const s = setup();
    const r = run(s, { hostname: "c1" });
    await s.clock.flush();
    // chaddr: the kernel drops the broadcast replies to other clients on the link (one process may serve hundreds).
    expect(s.link.opened).toEqual([{ iface: "eth0", port: 68, chaddr: MAC_BYTES }]);
    const socket = s.link.sockets[0]!;
    expect(socket.sent.map((m) => [opt(m.message, 53), m.address, m.port])).toEqual([
      [T.Discover, "255.255.255.255", 67],
      [T.Request, "255.255.255.255", 67],
    ]);
    expect(socket.sent[0]!.message.chaddr).toEqual(MAC_BYTES);
    expect(socket.sent[0]!.message.broadcast).toBe(true);
    expect(opt(socket.sent[0]!.message, 12)).toBe("c1");
    expect(r.events.map((e) => [e.kind, e.family, e.interface, e.lease?.addresses[0]?.address])).toEqual([["bound", "ipv4", "eth0", "192.0.2.100"]]);
    expect(await s.store.get(leaseKey("eth0"))).toEqual({ address: "192.0.2.100", server: "192.0.2.1", expiresAt: START + 3_600_000, prefixLength: 24 });
    await r.stop();
    expect(socket.closed).toBe(true);
  });

  it("works in the NIC's namespace when given one: reads the link and opens the socket there, and keeps the lease under leaseKey", async () => {
    const s = setup();
    const netns: NetworkNamespace = { path: "/run/netns/c1", fd: 42 };
    const readIn: (NetworkNamespace | undefined)[] = [];
    s.link.readLinkInfo = async (_iface?: string, where?: NetworkNamespace) => (readIn.push(where), { mac: MAC });
    const r = run(s, { netns, leaseKey: "nic.i.c1.eth0" });
    await s.clock.flush();
    expect(readIn).toEqual([netns]);
    expect(s.link.opened).toEqual([{ iface: "eth0", port: 68, chaddr: MAC_BYTES, netns }]);
    expect(r.events.map((e) => [e.kind, e.interface])).toEqual([["bound", "eth0"]]);
    expect(await s.store.get(leaseKey("nic.i.c1.eth0"))).toMatchObject({ address: "192.0.2.100" });
    expect(await s.store.get(leaseKey("eth0"))).toBeUndefined();
    await r.stop();
  });

  it("asks for the saved address of its own leaseKey after a restart, not another NIC's eth0", async () => {
    const store = new MemoryStateStore();
    await store.set(leaseKey("eth0"), { address: "192.0.2.99", server: "192.0.2.1", expiresAt: START + 3_600_000 });
    await store.set(leaseKey("nic.i.c2.eth0"), { address: "192.0.2.150", server: "192.0.2.1", expiresAt: START + 3_600_000 });
    const s = setup({ store });
    const r = run(s, { leaseKey: "nic.i.c2.eth0" });
    await s.clock.flush();
    const first = s.link.sockets[0]!.sent[0]!.message;
    expect([opt(first, 53), opt(first, 50)]).toEqual([T.Request, "192.0.2.150"]);
    await r.stop();
  });

  it("ends with the socket's error when the socket fails, so the runtime restarts it, and closes the socket", async () => {
    const s = setup();
    const r = run(s);
    await s.clock.flush();
    expect(r.events.map((e) => e.kind)).toEqual(["bound"]);
    const socket = s.link.sockets[0]!;
    const error = Object.assign(new Error('The UDP/IPv4 socket on interface "eth0" failed: Software caused connection abort (ECONNABORTED)'), { code: "ECONNABORTED" });
    socket.fail(error);
    await expect(r.done).rejects.toBe(error);
    expect(socket.closed).toBe(true);
  });

  it("keeps the lease when the socket fails, even with release on stop: a restart is no stop", async () => {
    const s = setup();
    const r = run(s, { releaseOnStop: true });
    await s.clock.flush();
    const socket = s.link.sockets[0]!;
    const error = Object.assign(new Error('The UDP/IPv4 socket on interface "eth0" failed'), { code: "EIO" });
    socket.fail(error);
    await expect(r.done).rejects.toBe(error);
    expect(socket.sent.map((m) => opt(m.message, 53))).toEqual([T.Discover, T.Request]);
    expect(r.events.map((e) => e.kind)).toEqual(["bound"]);
    // The restarted runner asks for the same address again (INIT-REBOOT).
    expect(await s.store.get(leaseKey("eth0"))).toMatchObject({ address: "192.0.2.100" });
  });

  it("renews by unicast to the server, port 67", async () => {
    const s = setup();
    const r = run(s);
    // T1 of the one-hour lease is 1800 s with up to 5 % random fuzz.
    await s.clock.advance(1_890_000);
    const renewal = s.link.sockets[0]!.sent[2]!;
    expect([opt(renewal.message, 53), renewal.address, renewal.port, renewal.message.ciaddr]).toEqual([T.Request, "192.0.2.1", 67, "192.0.2.100"]);
    expect(r.events.map((e) => e.kind)).toEqual(["bound", "renewed"]);
  });

  it("uses the runtime's DUID in an RFC 4361 identifier with the MAC-derived IAID, and stores none of its own", async () => {
    const s = setup();
    const duid = Uint8Array.from(Buffer.from("000300010216fe000001", "hex"));
    run(s, { duid });
    await s.clock.flush();
    const id = opt(s.link.sockets[0]!.sent[0]!.message, 61);
    expect(id).toMatchObject({ form: "duid", iaid: 0x3eaabbcc });
    expect(sentDuidHex(s.link.sockets[0]!.sent[0]!.message)).toBe("000300010216fe000001");
    expect(await s.store.get(DUID_KEY)).toBeUndefined();
  });

  it("prefers a DUID pinned in the config over the runtime's", async () => {
    const s = setup({ config: { duid: "0003000102000000beef" } });
    run(s, { duid: Uint8Array.from(Buffer.from("000300010216fe000001", "hex")) });
    await s.clock.flush();
    expect(sentDuidHex(s.link.sockets[0]!.sent[0]!.message)).toBe("0003000102000000beef");
  });

  it("creates a DUID-LLT from the MAC and the clock once without one, and keeps it across restarts", async () => {
    const s = setup();
    const first = run(s);
    await s.clock.flush();
    const stored = (await s.store.get(DUID_KEY)) as string;
    const seconds = (START - Date.UTC(2000, 0, 1)) / 1000;
    expect(stored).toBe(`00010001${seconds.toString(16).padStart(8, "0")}${MAC.replaceAll(":", "")}`);
    expect(sentDuidHex(s.link.sockets[0]!.sent[0]!.message)).toBe(stored);
    await first.stop();
    await s.clock.advance(10_000);
    run(s);
    await s.clock.flush();
    expect(sentDuidHex(s.link.sockets[1]!.sent[0]!.message)).toBe(stored);
  });

  it("sends a MAC-based client identifier when configured", async () => {
    const s = setup({ config: { clientIdentifier: "mac" } });
    run(s);
    await s.clock.flush();
    expect(opt(s.link.sockets[0]!.sent[0]!.message, 61)).toEqual({ form: "hardware", hardwareType: 1, address: MAC_BYTES });
  });

  it("asks for the saved address first after a restart (INIT-REBOOT)", async () => {
    const store = new MemoryStateStore({ [leaseKey("eth0")]: { address: "192.0.2.150", server: "192.0.2.1", expiresAt: START + 60_000 } });
    const s = setup({ store });
    const r = run(s);
    await s.clock.flush();
    const first = s.link.sockets[0]!.sent[0]!.message;
    expect([opt(first, 53), opt(first, 50), opt(first, 54)]).toEqual([T.Request, "192.0.2.150", undefined]);
    expect(r.events.map((e) => [e.kind, e.lease?.addresses[0]?.address])).toEqual([["bound", "192.0.2.150"]]);
  });

  it.each([{ address: 5 }, { address: "192.0.2.150", server: "192.0.2.1", expiresAt: null, prefixLength: 33 }])(
    "ignores an unreadable saved lease, with a warning: %j",
    async (stored) => {
      const s = setup({ store: new MemoryStateStore({ [leaseKey("eth0")]: stored as JsonValue }) });
      run(s);
      await s.clock.flush();
      expect(opt(s.link.sockets[0]!.sent[0]!.message, 53)).toBe(T.Discover);
      expect(s.logs.messages({ level: "warn" })).toEqual([`Ignoring the unreadable saved DHCPv4 lease ${JSON.stringify(stored)}`]);
    },
  );

  it("sends a RELEASE to the server on stop when asked, and forgets the saved lease", async () => {
    const s = setup();
    const r = run(s, { releaseOnStop: true });
    await s.clock.flush();
    await r.stop();
    const release = s.link.sockets[0]!.sent.at(-1)!;
    expect([opt(release.message, 53), release.address, release.port]).toEqual([T.Release, "192.0.2.1", 67]);
    expect(r.events.map((e) => e.kind)).toEqual(["bound", "released"]);
    expect(await s.store.get(leaseKey("eth0"))).toBeUndefined();
  });

  it("reads releaseOnStop when it stops, so a runtime's detach can still ask for the RELEASE", async () => {
    const s = setup();
    const r = run(s);
    await s.clock.flush();
    await r.stopReleasing();
    expect(opt(s.link.sockets[0]!.sent.at(-1)!.message, 53)).toBe(T.Release);
    expect(r.events.map((e) => e.kind)).toEqual(["bound", "released"]);
  });

  it("reports failed with the socket error's code and rejects when the socket cannot be opened", async () => {
    const link = new FakeLink();
    link.openError = Object.assign(new Error("The DHCPv4 socket addon is not loaded: no prebuilt binary"), { code: "ADDON_UNAVAILABLE" });
    const s = setup({ link });
    const r = run(s);
    await expect(r.done).rejects.toThrow("addon is not loaded");
    expect(r.events).toEqual([
      {
        kind: "failed",
        family: "ipv4",
        interface: "eth0",
        at: START,
        error: { code: "ADDON_UNAVAILABLE", message: "The DHCPv4 socket addon is not loaded: no prebuilt binary" },
      },
    ]);
  });

  it("reports failed when the interface has no MAC address", async () => {
    const s = setup({ link: new FakeLink(true, "") });
    const r = run(s);
    await expect(r.done).rejects.toThrow('Interface "eth0" has no MAC address');
    expect(r.events[0]).toMatchObject({ kind: "failed", error: { code: "DHCPV4_NO_MAC" } });
    expect(s.link.opened).toEqual([]);
  });
});

// The plugin as shipped, with its link operations replaced through the
// plugin's own token: the host builds the runner, the test owns the link.
const withFakeLink = (link: LinkAccess) =>
  definePlugin({
    ...plugin,
    register(registrar) {
      plugin.register!(registrar);
      registrar.provide(Dhcpv4LinkAccessToken, { useValue: link });
    },
  });

describe("incusx.dhcpv4 in a host", () => {
  it("provides the runner @incusx/linux-net's link operations", async () => {
    const t = await startTestHost({ plugins: [{ plugin, packageDir: new URL("..", import.meta.url) }] });
    try {
      const [runner] = t.host.resolveAll(DhcpRunnerToken) as Dhcpv4Runner[];
      expect(runner).toBeInstanceOf(Dhcpv4Runner);
      expect((runner as unknown as { net: LinkAccess }).net).toBe(LINUX_NET_LINK_ACCESS);
    } finally {
      await t.stop();
    }
  });

  it("loads from its manifest and contributes an ipv4 DhcpRunner with the schema's defaults", async () => {
    const link = new FakeLink();
    const t = await startTestHost({ plugins: [{ plugin: withFakeLink(link), packageDir: new URL("..", import.meta.url) }] });
    try {
      expect(t.report.plugins).toEqual([expect.objectContaining({ id: "incusx.dhcpv4", state: "started" })]);
      const runners = t.host.resolveAll(DhcpRunnerToken);
      expect(runners).toHaveLength(1);
      const runner = runners[0]!;
      expect(runner.family).toBe("ipv4");
      const r = runs.start(runner, { interface: "eth0" });
      await t.clock.flush();
      await r.stop();
      expect(r.events.map((e) => [e.kind, e.lease?.addresses[0]?.address])).toEqual([["bound", "192.0.2.100"]]);
      const discover = link.sockets[0]!.sent[0]!.message;
      expect([discover.broadcast, opt(discover, 61)?.form]).toEqual([true, "duid"]);
      expect(await t.stateStore("incusx.dhcpv4").get(DUID_KEY)).toMatch(/^00010001/);
    } finally {
      await t.stop();
    }
  });

  it("rejects an unknown client identifier form", async () => {
    await expect(
      startTestHost({ plugins: [{ plugin, packageDir: new URL("..", import.meta.url), config: { clientIdentifier: "uuid" } }] }),
    ).rejects.toThrow(/clientIdentifier|uuid|allowed/);
  });
});

describe("Dhcpv4Runner serving many interfaces", () => {
  it("lets at most maxConcurrentDiscovers interfaces of the runner exchange at once; the next starts when one is bound", async () => {
    const link = new FakeLink(false);
    const s = setup({ link, config: { maxConcurrentDiscovers: 2 } });
    for (const iface of ["eth0", "eth1", "eth2"]) run(s, { iface });
    await s.clock.flush();
    expect(link.sockets.map((socket) => socket.sent.length)).toEqual([1, 1, 0]);
    // The server answers eth1 (OFFER, then ACK to its REQUEST): eth2 starts.
    const second = link.sockets[1]!;
    second.deliver(offer(second.sent[0]!.message));
    await s.clock.flush();
    second.deliver(ack(second.sent[1]!.message));
    await s.clock.flush();
    expect(link.sockets.map((socket) => socket.sent.map((m) => opt(m.message, 53)))).toEqual([[T.Discover], [T.Discover, T.Request], [T.Discover]]);
  });

  it("starts a lone interface's DISCOVER at once", async () => {
    const link = new FakeLink(false);
    const s = setup({ link, config: { maxConcurrentDiscovers: 1 } });
    run(s);
    await s.clock.flush();
    expect([link.sockets[0]!.sent.length, s.clock.now()]).toEqual([1, START]);
  });
});

/** A fake ARP socket: records what is sent, delivers nothing unless told. */
class FakeArpSocket {
  readonly sent: Uint8Array[] = [];
  closed = false;
  readonly #listeners = new Set<(packet: Uint8Array) => void>();
  async send(packet: Uint8Array): Promise<void> {
    this.sent.push(packet);
  }
  onPacket(listener: (packet: Uint8Array) => void): { close(): void } {
    this.#listeners.add(listener);
    return { close: () => void this.#listeners.delete(listener) };
  }
  onError(): { close(): void } {
    return { close: () => {} };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe("Dhcpv4Runner with addressConflictDetection", () => {
  function withArp(): { s: Setup; arpOpened: { iface: string; netns?: NetworkNamespace }[]; arps: FakeArpSocket[] } {
    const link = new FakeLink();
    const arpOpened: { iface: string; netns?: NetworkNamespace }[] = [];
    const arps: FakeArpSocket[] = [];
    Object.assign(link, {
      openArpSocket: async (options: { iface: string; netns?: NetworkNamespace }) => {
        arpOpened.push(options);
        const arp = new FakeArpSocket();
        arps.push(arp);
        return arp;
      },
    });
    return { s: setup({ link, config: { addressConflictDetection: true } }), arpOpened, arps };
  }

  it("opens an ARP socket on the interface in the NIC's namespace, probes before reporting bound, and closes it on stop", async () => {
    const { s, arpOpened, arps } = withArp();
    const netns: NetworkNamespace = { path: "/run/netns/c1", fd: 42 };
    const r = run(s, { netns });
    await s.clock.flush();
    expect(arpOpened).toEqual([{ iface: "eth0", netns }]);
    expect(r.events).toEqual([]);
    // Probing takes 4 to 7 s (RFC 5227 timing with random waits).
    await s.clock.advance(7_000);
    expect(r.events.map((e) => e.kind)).toEqual(["bound"]);
    expect(r.events[0]!.at - START).toBeGreaterThanOrEqual(4_000);
    // Three probes (sender 0.0.0.0), then the first announcement (and, 2 s later, the second).
    expect(arps[0]!.sent.map((p) => Buffer.from(p.subarray(14, 18)).join(".")).slice(0, 4)).toEqual(["0.0.0.0", "0.0.0.0", "0.0.0.0", "192.0.2.100"]);
    await r.stop();
    expect(arps[0]!.closed).toBe(true);
    expect(s.link.sockets[0]!.closed).toBe(true);
  });

  it("opens no ARP socket by default", async () => {
    const s = setup();
    let asked = 0;
    Object.assign(s.link, { openArpSocket: async () => (asked++, new FakeArpSocket()) });
    const r = run(s);
    await s.clock.flush();
    expect(r.events.map((e) => e.kind)).toEqual(["bound"]);
    expect(asked).toBe(0);
  });

  it("fails the start, saying why, when the ARP socket cannot be opened", async () => {
    const { s } = withArp();
    Object.assign(s.link, {
      openArpSocket: async () => {
        throw Object.assign(new Error("Cannot open an ARP socket on interface \"eth0\": the native addon predates ARP sockets"), { code: "ADDON_UNAVAILABLE" });
      },
    });
    const r = run(s);
    const ended = r.done.then(() => undefined, (error: unknown) => error);
    await s.clock.flush();
    expect(String(await ended)).toMatch("ARP");
    expect(r.events.map((e) => [e.kind, e.error?.code])).toEqual([["failed", "ADDON_UNAVAILABLE"]]);
    expect(s.link.sockets[0]?.closed ?? true).toBe(true);
  });
});
