// A 3-member clustered NB (raft) on 127.0.0.1: the client picks usable
// members, and the NAT backend survives losing the leader mid-series with
// every ensure applied exactly once, also with two members (two host
// states, two member names) applying at once.
import { OvsdbClient, OvsdbUnavailableError, mapRecord, op, type MonitorUpdate, type SelectResult } from "@incusx/ovsdb";
import { OvnNatBackend } from "@incusx/plugin-ovn-external-address";
import type { NatRule } from "@incusx/sdk";
import { MemoryNetworkState } from "@incusx/testkit";
import { startOvnNorthboundCluster, type OvnTestCluster } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const NB = "OVN_Northbound";
let cluster: OvnTestCluster;
const clients: OvsdbClient[] = [];

beforeEach(async () => {
  cluster = await startOvnNorthboundCluster(3);
}, 60_000);
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await cluster.stop();
});

async function connect(connection: string): Promise<OvsdbClient> {
  const client = await OvsdbClient.connect(connection, { database: NB, requestTimeoutMs: 10_000, connectTimeoutMs: 2000 });
  clients.push(client);
  return client;
}

describe("clustered NB", () => {
  it("reads _Server.Database and refuses a member that lost its cluster", async () => {
    const client = await connect(cluster.connection);
    const [db] = (await client.transact("_Server", [op.select("Database", [["name", "==", NB]], ["model", "connected", "leader"])])) as [SelectResult];
    expect(db.rows[0]).toMatchObject({ model: "clustered", connected: true });
    // Two of three gone: the survivor has no quorum and soon says it is not connected.
    await cluster.kill(1);
    await cluster.kill(2);
    const survivor = cluster.members[0]!.connection;
    let lastError: unknown;
    await expect
      .poll(
        async () => {
          try {
            const c = await OvsdbClient.connect(survivor, { database: NB, connectTimeoutMs: 2000 });
            c.close();
            return "accepted";
          } catch (error) {
            lastError = error;
            return String((error as Error).message);
          }
        },
        { timeout: 15_000, interval: 200 },
      )
      .toMatch(/not connected to its cluster/);
    expect(lastError).toBeInstanceOf(OvsdbUnavailableError);
  });

  it("resumes a monitor on another member from the last transaction seen", async () => {
    const client = await connect(cluster.connection);
    const updates: MonitorUpdate[] = [];
    await client.monitor(NB, { Logical_Router: { columns: ["name"] } }, (u) => updates.push(u));
    await cluster.nbctl(["lr-add", "before"]);
    await expect.poll(() => updates.length, { timeout: 10_000 }).toBe(2);
    const used = cluster.members.find((m) => m.connection === client.endpoint)!.index;
    await cluster.kill(used);
    await cluster.nbctl(["lr-add", "while-away"]);
    // Re-established on a survivor: only what changed since the last transaction seen arrives.
    await expect.poll(() => updates.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    expect(updates[2]).toMatchObject({ initial: true, found: true });
    const since = (): unknown[] => updates.slice(2).flatMap((u) => Object.values(u.updates.Logical_Router ?? {}));
    await expect.poll(() => since().length, { timeout: 10_000 }).toBe(1);
    expect(since()).toEqual([{ insert: { name: "while-away" } }]);
  }, 60_000);

  it("applies every ensure of a series exactly once when the leader is killed in the middle", async () => {
    const state = new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr0" }] });
    await cluster.nbctl(["lr-add", "lr0"]);
    const leader = await cluster.leader();
    // The leader first: the client starts on it, so killing it cuts our connection mid-series.
    const members = cluster.members;
    const client = await connect([members[leader]!, ...members.filter((m) => m.index !== leader)].map((m) => m.connection).join(","));
    const backend = OvnNatBackend.withClient(client, state);
    const rules: NatRule[] = Array.from({ length: 200 }, (_, i) => ({
      owner: { instance: `c${i}`, device: "eth0" },
      network: "ovn0",
      family: "ipv4",
      logicalIp: `10.0.${Math.floor(i / 200)}.${(i % 200) + 2}`,
      externalIp: "198.51.100.9",
    }));
    expect(client.endpoint).toBe(members[leader]!.connection);
    const lost: string[] = [];
    client.on("disconnect", (e: Error) => lost.push(e.message));
    let done = 0;
    const series = (async () => {
      for (const r of rules) {
        await backend.ensure(r);
        done++;
      }
    })();
    await expect.poll(() => done, { timeout: 20_000, interval: 5 }).toBeGreaterThanOrEqual(10);
    await cluster.kill(leader);
    const doneAtKill = done;
    await series;
    // The kill really fell in the middle of the series and cut our connection; we moved to a survivor.
    expect(doneAtKill).toBeLessThan(rules.length);
    expect(lost.length).toBeGreaterThan(0);
    expect(client.endpoint).not.toBe(members[leader]!.connection);
    expect(done).toBe(rules.length);
    const survivor = cluster.members.find((m) => m.running)!.index;
    const csv = await cluster.nbctl(["--format=csv", "--data=bare", "--no-headings", "--columns=logical_ip", "find", "NAT", "type=snat"], survivor);
    const ips = csv.trim().split("\n").sort();
    expect(ips).toEqual(rules.map((r) => r.logicalIp).sort());
    expect(new Set(ips).size).toBe(rules.length);
    const refs = await cluster.nbctl(["--bare", "--columns=nat", "list", "Logical_Router", "lr0"], survivor);
    expect(refs.trim().split(/\s+/)).toHaveLength(rules.length);
    // A leader that comes back catches up; re-running the series changes nothing.
    await cluster.restart(leader);
    const writes = backend.writeTransactions;
    for (const r of rules) await backend.ensure(r);
    expect(backend.writeTransactions).toBe(writes);
  }, 60_000);
});

const NICS_PER_MEMBER = 100;

describe("two members on a clustered NB", () => {
  it("leaves every NIC's row exactly once with the right member when the leader is killed while both apply", async () => {
    await cluster.nbctl(["lr-add", "lr0"]);
    const leader = await cluster.leader();
    const members = cluster.members;
    // Both start on the leader, so the kill cuts both connections mid-series.
    const connection = [members[leader]!, ...members.filter((m) => m.index !== leader)].map((m) => m.connection).join(",");
    // Each member's host state knows only its own instances; the network is shared.
    const stateOf = (): MemoryNetworkState => new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr0" }] });
    const hosts = ["node-a", "node-b"].map((name, m) => ({
      name,
      rules: Array.from({ length: NICS_PER_MEMBER }, (_, i): NatRule => ({
        owner: { instance: `${name}-c${i}`, device: "eth0" },
        network: "ovn0",
        family: "ipv4",
        logicalIp: `10.${m + 1}.${Math.floor(i / 200)}.${(i % 200) + 2}`,
        externalIp: m === 0 ? "198.51.100.9" : "198.51.100.10",
      })),
      done: 0,
      backend: undefined as OvnNatBackend | undefined,
    }));
    const lost: string[] = [];
    for (const host of hosts) {
      const client = await connect(connection);
      client.on("disconnect", () => lost.push(host.name));
      host.backend = OvnNatBackend.withClient(client, stateOf(), { member: host.name });
    }
    const applying = hosts.map(async (host) => {
      for (const r of host.rules) {
        await host.backend!.ensure(r);
        host.done++;
      }
    });
    await expect.poll(() => Math.min(...hosts.map((h) => h.done)), { timeout: 20_000, interval: 5 }).toBeGreaterThanOrEqual(10);
    await cluster.kill(leader);
    const doneAtKill = hosts.map((h) => h.done);
    await Promise.all(applying);
    expect(Math.min(...doneAtKill)).toBeLessThan(NICS_PER_MEMBER);
    expect(new Set(lost)).toEqual(new Set(["node-a", "node-b"]));

    const survivor = cluster.members.find((m) => m.running)!;
    const reader = await connect(survivor.connection);
    const [nat] = (await reader.transact(NB, [op.select("NAT", [], ["logical_ip", "external_ids"])])) as [SelectResult];
    const seen = nat.rows.map((r) => {
      const ids = mapRecord(r.external_ids);
      return `${ids["incusx:instance"]} ${ids["incusx:member"]} ${String(r.logical_ip)}`;
    });
    const expected = hosts.flatMap((h) => h.rules.map((r) => `${r.owner.instance} ${h.name} ${r.logicalIp}`));
    expect(seen.sort()).toEqual(expected.sort());
    const [router] = (await reader.transact(NB, [op.select("Logical_Router", [["name", "==", "lr0"]], ["nat"])])) as [SelectResult];
    expect((router.rows[0]!.nat as [string, unknown[]])[1]).toHaveLength(2 * NICS_PER_MEMBER);

    // Each member's reconcile of its own state changes nothing.
    for (const host of hosts) {
      const result = await host.backend!.reconcile(host.rules);
      expect(result).toMatchObject({ ensured: [], removed: [], conflicts: [], failed: [], adopted: [], legacy: [], transactions: 0 });
    }
  }, 90_000);
});
