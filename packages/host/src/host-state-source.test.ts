// Where the host reads its network state: a state file or a live
// Incus-compatible server (here @incusx/state-incus's fake one), chosen by
// the host config's "state"; and the NatKeeper re-plans on whichever
// reports a change.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { API_VERSION, HostIdentityToken, NatBackendExtension, NetworkStateToken, definePlugin, type NatBackend, type NetworkState, type NicDevice } from "@incusx/sdk";
import { IncusNetworkState } from "@incusx/state-incus";
import { FakeIncus } from "@incusx/state-incus/testing";
import { hostOptionsFromConfig, loadHostConfig } from "./config.js";
import { Host } from "./host.js";
import type { NatKeeperReport } from "./nat-keeper.js";

const quiet = { logSink: () => {} };

// A NAT backend that plans nothing and counts its reconciles (one per NatKeeper run).
function countingNat(): NatBackend & { planned: number } {
  const backend = {
    planned: 0,
    networkType: "ovn",
    plan: async () => ({ rules: [], skipped: [] }),
    ensure: async () => undefined,
    remove: async () => undefined,
    list: async () => [],
    reconcile: async () => {
      backend.planned++;
      return { ensured: [], removed: [] };
    },
  };
  return backend;
}

function natSource(backend: NatBackend) {
  const plugin = definePlugin({
    id: "test.nat",
    register(registrar) {
      registrar.contribute(NatBackendExtension, { useValue: backend });
    },
  });
  return { plugin, manifest: { id: "test.nat", apiVersions: [API_VERSION], provides: ["nat-backend"] } };
}

let fake: FakeIncus;
let dir: string;
beforeEach(async () => {
  fake = await FakeIncus.start();
  dir = await mkdtemp(join(tmpdir(), "incusx-state-source-"));
});
afterEach(async () => {
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
});

// Resolves when the fake server has `count` event streams open (a close reaches it a little later).
function streams(count: number): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (fake.streams === count) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
  });
}

describe("the host's state source", () => {
  it("the NatKeeper re-plans when any network state with watch() says it changed, not only a state file", async () => {
    let changed: () => void = () => undefined;
    const nic: NicDevice = { instance: "c1", device: "eth0", type: "ovn", config: { network: "ovn0" } };
    const state: NetworkState = {
      networks: async () => [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr" }],
      network: async () => ({ name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr" }),
      forwards: async () => [],
      nics: async () => [nic],
      watch: (listener) => {
        changed = listener;
        return () => undefined;
      },
    };
    const backend = countingNat();
    const host = new Host({ plugins: [natSource(backend)], stateDir: dir, services: { ...quiet, networkState: state } });
    expect((await host.start()).plugins).toEqual([expect.objectContaining({ state: "started" })]);
    const keeper = host.natKeeper();
    const reports: NatKeeperReport[] = [];
    const second = new Promise<void>((resolve) => keeper.onReport((r) => (reports.push(r), reports.length === 2 && resolve())));
    keeper.start();
    await new Promise<void>((resolve) => keeper.onReport(() => resolve()));
    changed();
    await second;
    expect(reports.map((r) => r.kind), JSON.stringify(reports)).toEqual(["reconciled", "reconciled"]);
    expect(backend.planned).toBe(2);
    keeper.stop();
    await host.stop();
  });

  it('reads a live server named by options.state { type: "incus" }, takes its member name, and closes it at stop', async () => {
    const host = new Host({ plugins: [], stateDir: dir, state: { type: "incus", socket: fake.socket }, services: quiet });
    await host.start();
    expect((await host.nicLifecycle().nic("tenant_c2", "eth0")).config["ipv4.address.external"]).toBe("203.0.113.7");
    expect(host.resolve(HostIdentityToken).member).toBe("server01");
    await host.stop();
    await streams(0);
  });

  it("a member name given in the options wins over the server's", async () => {
    const host = new Host({ plugins: [], member: "m9", state: { type: "incus", socket: fake.socket }, services: quiet });
    await host.start();
    expect(host.resolve(HostIdentityToken).member).toBe("m9");
    await host.stop();
  });

  it("the NatKeeper over a live server re-plans after a lifecycle event", async () => {
    const backend = countingNat();
    const host = new Host({ plugins: [natSource(backend)], stateDir: dir, state: { type: "incus", socket: fake.socket }, services: quiet });
    expect((await host.start()).ok).toBe(true);
    const keeper = host.natKeeper({ debounceMs: 1 });
    const first = new Promise<void>((resolve) => keeper.onReport(() => resolve()));
    keeper.start();
    await first;
    const planned = backend.planned;
    await streams(1);
    const next = new Promise<void>((resolve) => keeper.onReport(() => resolve()));
    fake.data.instances = fake.data.instances.filter((i) => i.name !== "c1");
    fake.emit("instance-deleted", "/1.0/instances/c1");
    await next;
    expect(backend.planned).toBeGreaterThan(planned);
    keeper.stop();
    await host.stop();
  });

  it('reads a state file named by options.state { type: "file" }', async () => {
    await writeFile(join(dir, "s.json"), JSON.stringify({ networks: [{ name: "br0", type: "bridge" }] }));
    const host = new Host({ plugins: [], baseDir: dir, state: { type: "file", file: "s.json" }, services: quiet });
    await host.start();
    expect(await host.resolve(NetworkStateToken).networks()).toEqual([{ name: "br0", type: "bridge", config: {} }]);
    await host.stop();
  });

  it("the host config's state source becomes options, paths resolved from the config's directory", async () => {
    expect(hostOptionsFromConfig({ state: { type: "incus", socket: "run/incus.socket" } }, "/etc/incusx").state).toEqual({
      type: "incus",
      socket: "/etc/incusx/run/incus.socket",
    });
    expect(hostOptionsFromConfig({ state: { type: "file", file: "state.json" } }, "/etc/incusx").state).toEqual({ type: "file", file: "/etc/incusx/state.json" });
    await writeFile(join(dir, "host.json"), JSON.stringify({ state: { type: "incus", socket: "/x", bogus: 1 } }));
    await expect(loadHostConfig(join(dir, "host.json"))).rejects.toThrow(/bogus|additional/);
    await writeFile(join(dir, "host.json"), JSON.stringify({ state: { type: "incus", url: "http://plain" } }));
    await expect(loadHostConfig(join(dir, "host.json"))).rejects.toThrow();
  });

  it("an HTTPS source without client certificate files is a config error", () => {
    expect(() => new Host({ plugins: [], state: { type: "incus", url: "https://incus.example:8443" }, services: quiet })).toThrow(/client certificate/);
  });

  it("IncusNetworkState is what options.state { type: \"incus\" } gives", async () => {
    const host = new Host({ plugins: [], state: { type: "incus", socket: fake.socket }, services: quiet });
    expect(host.resolve(NetworkStateToken)).toBeInstanceOf(IncusNetworkState);
    await host.stop();
  });
});
