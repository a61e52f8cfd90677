import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "@incusx/sdk";
import { FakeIncus, untilState } from "./testing/index.js";
import { IncusNetworkState, type IncusNetworkStateOptions } from "./incus-network-state.js";
import { IncusStateError } from "./errors.js";

let fake: FakeIncus;
let states: IncusNetworkState[];

beforeEach(async () => {
  fake = await FakeIncus.start();
  states = [];
});
afterEach(async () => {
  await Promise.all(states.map((s) => s.close()));
  await fake.stop();
});

function open(options: IncusNetworkStateOptions = {}): IncusNetworkState {
  const state = new IncusNetworkState({ socket: fake.socket, ...options });
  states.push(state);
  return state;
}


// Resolves when `check` holds; for conditions no event announces (a stream reconnected).
function condition(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (check()) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
}

describe("IncusNetworkState reads the server", () => {
  it("reads managed networks of every project, with router, forwards and load balancers", async () => {
    const state = open();
    const networks = await state.networks();
    expect(networks.map((n) => n.name)).toEqual(["incusbr0", "ovn0", "tenant_ovn0"]);
    expect(await state.network("ovn0")).toEqual({
      name: "ovn0",
      type: "ovn",
      ovnRouter: "incus-net1-lr",
      config: expect.objectContaining({ network: "UPLINK", "ipv4.address": "10.0.0.1/24" }),
    });
    expect((await state.network("tenant_ovn0"))?.ovnRouter).toBe("incus-net5-lr");
    expect(await state.forwards("ovn0")).toEqual([
      { network: "ovn0", listenAddress: "198.51.100.9", description: "Outbound address of c1" },
      { network: "ovn0", listenAddress: "2001:db8::9" },
    ]);
    expect(await state.forwards("tenant_ovn0")).toEqual([{ network: "tenant_ovn0", listenAddress: "203.0.113.7", description: "Outbound address of c2" }]);
    const document = await state.document();
    const ovn0 = document.networks!.find((n) => n.name === "ovn0")!;
    // Incus-only fields the state file has no place for (a port's "snat", "location") are left out.
    expect(ovn0.forwards![0]).toEqual({
      listen_address: "198.51.100.9",
      description: "Outbound address of c1",
      config: { target_address: "10.0.0.5" },
      ports: [{ protocol: "tcp", listen_port: "443", target_address: "10.0.0.5", target_port: "8443", description: "My web server forward" }],
    });
    expect(ovn0.load_balancers).toEqual([
      {
        listen_address: "198.51.100.20",
        description: "My public IP load balancer",
        config: {},
        backends: [{ name: "c1-http", target_address: "10.0.0.5", target_port: "80", description: "C1 webserver" }],
        ports: [{ protocol: "tcp", listen_port: "80", target_backend: ["c1-http"], description: "My web server load balancer" }],
      },
    ]);
    expect(fake.requests).toContain("/1.0/networks?recursion=1&all-projects=true");
    expect(fake.requests).not.toContain("/1.0/networks/eth0/state?project=default");
  });

  it("reads NICs from expanded devices, with Incus-only keys, project-qualified names, location and volatile.uuid", async () => {
    const C3 = "a7b8c9d0-1e2f-4a3b-8c4d-5e6f7a8b9c03";
    const state = open();
    const nics = await state.nics();
    expect(nics).toEqual([
      {
        instance: "c1",
        device: "eth0",
        type: "ovn",
        location: "server01",
        instanceUuid: "5f2ad8b0-7c43-4c5e-9d4e-6f0b3a1c2d01",
        config: {
          network: "ovn0",
          "ipv4.address": "10.0.0.5",
          "ipv4.address.external": "198.51.100.9",
          "ipv6.address": "fd00::5",
          "ipv6.address.external": "2001:db8::9",
        },
      },
      { instance: "c3", device: "eth0", type: "bridged", location: "server01", instanceUuid: C3, config: { parent: "incusbr0", hwaddr: "00:16:3e:00:00:03" } },
      { instance: "c3", device: "eth1", type: "bridged", location: "server01", instanceUuid: C3, config: { network: "incusbr0", "ipv4.address": "192.0.2.10" } },
      {
        instance: "tenant_c2",
        device: "eth0",
        type: "ovn",
        location: "server02",
        instanceUuid: "0c9e1f3a-2b44-4d6e-8f70-91a2b3c4d502",
        config: { network: "tenant_ovn0", "ipv4.address": "10.1.0.7", "ipv4.address.external": "203.0.113.7" },
      },
    ]);
    expect(await state.instances()).toContainEqual({
      name: "tenant_c2",
      instance: "c2",
      project: "tenant",
      location: "server02",
      uuid: "0c9e1f3a-2b44-4d6e-8f70-91a2b3c4d502",
    });
  });

  it("reads an OVN network of a server without load balancers (LXD 5.0 answers 404) as having none", async () => {
    fake.overrides.set("/1.0/networks/ovn0/load-balancers", (_req, res) =>
      res.writeHead(404).end(JSON.stringify({ type: "error", error: "not found", error_code: 404 })),
    );
    const state = open();
    expect((await state.network("ovn0"))?.type).toBe("ovn");
    expect((await state.document()).networks!.find((n) => n.name === "ovn0")!.load_balancers).toEqual([]);
  });

  it("names the server's own cluster member, and none when it is not clustered", async () => {
    expect(await open().member()).toBe("server01");
    fake.data.cluster = { server_name: "", enabled: false, member_config: [] };
    expect(await open().member()).toBeUndefined();
  });

  it("finds no socket and says where it looked", () => {
    const error = (() => {
      try {
        new IncusNetworkState({ socket: undefined });
      } catch (e) {
        return e;
      }
    })();
    // Only meaningful where no server runs; a machine with one finds it.
    if (error !== undefined) {
      expect(error).toBeInstanceOf(IncusStateError);
      expect((error as Error).message).toContain("/var/lib/incus/unix.socket");
    }
  });

  it("reads once without start(), and again on refresh()", async () => {
    const state = open();
    await state.nics();
    const asked = fake.requests.length;
    await state.nics();
    await state.networks();
    expect(fake.requests.length).toBe(asked);
    fake.data.instances = fake.data.instances.filter((i) => i.name !== "c1");
    await state.refresh();
    expect((await state.nics()).map((n) => n.instance)).not.toContain("c1");
  });
});

describe("IncusNetworkState follows lifecycle events", () => {
  it("re-reads only the forwards of the network an event names, and tells its watchers", async () => {
    const state = open();
    await state.start();
    const before = fake.requests.length;
    let told = 0;
    state.watch(() => told++);
    fake.data.forwards.find((f) => f.project === "default" && f.network === "incusbr0")!.forwards.push({ listen_address: "192.0.2.60", config: {}, ports: [] });
    const seen = untilState(state, async () => (await state.forwards("incusbr0")).some((f) => f.listenAddress === "192.0.2.60"));
    fake.emit("network-forward-created", "/1.0/networks/incusbr0/forwards/192.0.2.60");
    await seen;
    expect(told).toBeGreaterThan(0);
    expect(fake.requests.slice(before)).toEqual(["/1.0/networks/incusbr0/forwards?project=default&recursion=1"]);
  });

  it("drops a deleted instance, and reads one of another project by its project", async () => {
    const state = open();
    await state.start();
    const before = fake.requests.length;
    fake.data.instances = fake.data.instances.filter((i) => i.name !== "c2");
    const gone = untilState(state, async () => !(await state.nics()).some((n) => n.instance === "tenant_c2"));
    fake.emit("instance-deleted", "/1.0/instances/c2?project=tenant", "tenant");
    await gone;
    expect(fake.requests.slice(before)).toEqual(["/1.0/instances/c2?project=tenant"]);
  });

  it("re-reads every instance when a profile changes (profiles feed expanded devices)", async () => {
    const state = open();
    await state.start();
    (fake.data.instances[0]!.expanded_devices as Record<string, Record<string, string>>).eth1 = { type: "nic", network: "ovn0" };
    const seen = untilState(state, async () => (await state.nics()).some((n) => n.instance === "c1" && n.device === "eth1"));
    fake.emit("profile-updated", "/1.0/profiles/default");
    await seen;
    expect(fake.requests.at(-1)).toBe("/1.0/instances?recursion=1&all-projects=true");
  });

  it("a deleted network disappears with its forwards", async () => {
    const state = open();
    await state.start();
    fake.data.networks = fake.data.networks.filter((n) => n.name !== "incusbr0");
    const gone = untilState(state, async () => (await state.network("incusbr0")) === undefined);
    fake.emit("network-deleted", "/1.0/networks/incusbr0");
    await gone;
    expect(await state.forwards("incusbr0")).toEqual([]);
  });

  it("reconnects a lost stream and re-reads everything, so a change made while it was down is seen", async () => {
    const errors: IncusStateError[] = [];
    const state = open({ initialBackoffMs: 10, onError: (e) => errors.push(e) });
    await state.start();
    fake.dropStreams();
    fake.data.instances = fake.data.instances.filter((i) => i.name !== "c1");
    await untilState(state, async () => !(await state.nics()).some((n) => n.instance === "c1"));
    expect(fake.streams).toBe(1);
    expect(errors[0]).toMatchObject({ kind: "events", message: expect.stringContaining("closed; reconnecting") });
  });
});

describe("IncusNetworkState against hostile answers", () => {
  it("a value of the wrong type is a typed error naming the request and the pointer", async () => {
    (fake.data.networks[0]!.config as Record<string, unknown>).mtu = 1442;
    const error = await open().networks().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncusStateError);
    expect(error).toMatchObject({ code: ErrorCode.StateUnavailable, kind: "malformed" });
    expect((error as Error).message).toMatch(/GET \/1\.0\/networks\?recursion=1&all-projects=true on .*: \/0\/config\/mtu: expected a string, got number/);
  });

  it("a list that is not a list, a device without a type, a missing name: typed errors", async () => {
    fake.overrides.set("/1.0/instances", (_req, res) => res.writeHead(200).end(JSON.stringify({ type: "sync", metadata: { c1: {} } })));
    await expect(open().nics()).rejects.toMatchObject({ kind: "malformed", message: expect.stringContaining(": /: expected an array, got object") });
    fake.overrides.clear();
    (fake.data.instances[0]!.expanded_devices as Record<string, unknown>).eth9 = { network: "ovn0" };
    await expect(open().nics()).rejects.toMatchObject({ kind: "malformed", message: expect.stringContaining("/0/expanded_devices/eth9/type: expected a device type") });
    delete fake.data.instances[0]!.name;
    await expect(open().nics()).rejects.toMatchObject({ kind: "malformed", message: expect.stringContaining("/0/name: expected a string") });
  });

  it("an answer that is not JSON, or not Incus's envelope, or an error: typed errors", async () => {
    fake.overrides.set("/1.0/networks", (_req, res) => res.writeHead(200).end("<html>proxy</html>"));
    await expect(open().networks()).rejects.toMatchObject({ kind: "malformed", message: expect.stringContaining("not JSON") });
    fake.overrides.set("/1.0/networks", (_req, res) => res.writeHead(200).end("[1,2]"));
    await expect(open().networks()).rejects.toMatchObject({ kind: "malformed", message: expect.stringContaining("not a sync response") });
    fake.overrides.set("/1.0/networks", (_req, res) => res.writeHead(500).end(JSON.stringify({ type: "error", error: "database is locked", error_code: 500 })));
    await expect(open().networks()).rejects.toMatchObject({ kind: "status", status: 500, message: expect.stringContaining("database is locked") });
  });

  it("a body over the limit is cut off, however long the server goes on", async () => {
    let written = 0;
    fake.overrides.set("/1.0/networks", (_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) break;
        }
        if (!res.destroyed) res.once("drain", pump);
      };
      res.on("close", () => undefined);
      pump();
    });
    const error = await open({ limits: { maxResponseBytes: 256 * 1024 } }).networks().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.StateUnavailable, kind: "too-large", message: expect.stringContaining("larger than 262144 bytes") });
    // The server could send little more than the limit and the socket buffers (about 0.4 MiB here) before the client hung up.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(written).toBeLessThan(4 * 1024 * 1024);
  });

  it("a declared length over the limit is refused before reading", async () => {
    fake.overrides.set("/1.0/networks", (_req, res) => {
      res.writeHead(200, { "content-length": String(1024 * 1024 * 1024) });
      res.write("[");
    });
    await expect(open({ limits: { maxResponseBytes: 1024 } }).networks()).rejects.toMatchObject({ kind: "too-large" });
  });

  it("a server that never answers, or stops half way, times out", async () => {
    fake.overrides.set("/1.0/networks", () => undefined);
    await expect(open({ limits: { requestTimeoutMs: 200 } }).networks()).rejects.toMatchObject({ kind: "timeout", message: expect.stringContaining("within 200 ms") });
    fake.overrides.set("/1.0/networks", (_req, res) => {
      res.writeHead(200);
      res.write('{"type":"sync","metadata":[');
    });
    await expect(open({ limits: { requestTimeoutMs: 200 } }).networks()).rejects.toMatchObject({ kind: "timeout" });
  });

  it("no server on the socket is a connect error", async () => {
    await fake.stop();
    await expect(open().networks()).rejects.toMatchObject({ kind: "connect" });
    fake = await FakeIncus.start();
  });

  it("an event stream whose handshake never completes fails start() in time", async () => {
    fake.eventsMode = "hang";
    const error = await open({ limits: { requestTimeoutMs: 200 } }).start().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.StateUnavailable, kind: "events" });
  });

  it("a start() that failed keeps trying in the background, and follows events once the server answers", async () => {
    fake.eventsMode = "hang";
    const errors: IncusStateError[] = [];
    const state = open({ initialBackoffMs: 10, maxBackoffMs: 50, limits: { requestTimeoutMs: 100 }, onError: (e) => errors.push(e) });
    await expect(state.start()).rejects.toMatchObject({ kind: "events" });
    fake.eventsMode = "normal";
    await condition(() => fake.streams === 1);
    fake.data.instances = fake.data.instances.filter((i) => i.name !== "c1");
    const gone = untilState(state, async () => !(await state.nics()).some((n) => n.instance === "c1"));
    fake.emit("instance-deleted", "/1.0/instances/c1");
    await gone;
  });

  it("garbage on the event stream: reported, the stream is dropped, and everything is read again", async () => {
    const errors: IncusStateError[] = [];
    const state = open({ initialBackoffMs: 10, onError: (e) => errors.push(e) });
    await state.start();
    const reads = () => fake.requests.filter((r) => r === "/1.0/instances?recursion=1&all-projects=true").length;
    const before = reads();
    fake.data.instances = fake.data.instances.filter((i) => i.name !== "c3");
    const reread = untilState(state, async () => !(await state.nics()).some((n) => n.instance === "c3"));
    fake.send("this is not JSON");
    await reread;
    expect(reads()).toBe(before + 1);
    expect(errors[0]).toMatchObject({ kind: "events", message: expect.stringContaining("not JSON") });
    for (const bad of [JSON.stringify({ type: "lifecycle", metadata: { action: 7 } }), JSON.stringify([1]), Buffer.from([1, 2])]) {
      await condition(() => fake.streams === 1);
      const count = errors.length;
      fake.send(bad);
      await condition(() => errors.length > count);
      expect(errors.at(-1)).toMatchObject({ kind: "events" });
    }
  });

  it("an event over the size limit drops the stream, which is reconnected", async () => {
    const errors: IncusStateError[] = [];
    const state = open({ initialBackoffMs: 10, limits: { maxEventBytes: 4096 }, onError: (e) => errors.push(e) });
    await state.start();
    fake.data.instances = fake.data.instances.filter((i) => i.name !== "c1");
    const reread = untilState(state, async () => !(await state.nics()).some((n) => n.instance === "c1"));
    fake.send(JSON.stringify({ type: "lifecycle", metadata: { action: "x", source: "y".repeat(64 * 1024) } }));
    await reread;
    expect(errors.some((e) => e.kind === "events" && /payload/i.test(e.message))).toBe(true);
  });

  it("a stream that never answers pings is found dead and replaced", async () => {
    fake.eventsMode = "no-pong";
    const errors: IncusStateError[] = [];
    const state = open({ initialBackoffMs: 10, heartbeatMs: 50, onError: (e) => errors.push(e) });
    await state.start();
    fake.eventsMode = "normal";
    fake.data.instances = fake.data.instances.filter((i) => i.name !== "c1");
    await untilState(state, async () => !(await state.nics()).some((n) => n.instance === "c1"));
    expect(errors.some((e) => e.kind === "events" && e.message.includes("no answer to a ping"))).toBe(true);
  });
});

describe("IncusNetworkState heartbeat during a slow handshake", () => {
  it("does not ping a stream that is still opening (the handshake's own limit ends it)", async () => {
    fake.eventsMode = "hang";
    const errors: IncusStateError[] = [];
    const state = open({ heartbeatMs: 20, limits: { requestTimeoutMs: 300 }, onError: (e) => errors.push(e) });
    const error = await state.start().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "events" });
    expect((error as Error).message).not.toMatch(/not open/);
  });
});

describe("IncusNetworkState with many networks", () => {
  it("sends up to 8 requests at once during a full read, never more", async () => {
    for (let i = 0; i < 40; i++) {
      fake.data.networks.push({ name: `br${i}`, type: "bridge", project: "default", managed: true, config: {} });
    }
    let inFlight = 0;
    let most = 0;
    for (let i = 0; i < 40; i++) {
      fake.overrides.set(`/1.0/networks/br${i}/forwards`, (_req, res) => {
        inFlight++;
        most = Math.max(most, inFlight);
        setImmediate(() => {
          inFlight--;
          res.writeHead(200).end(JSON.stringify({ type: "sync", metadata: [] }));
        });
      });
    }
    expect((await open().networks()).length).toBe(43);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);
  });
});
