// A 3-member clustered NB (raft) on 127.0.0.1: the client picks usable
// members, and the NAT backend survives losing the leader mid-series with
// every ensure applied exactly once.
import { OvsdbClient, OvsdbUnavailableError, op, type MonitorUpdate, type SelectResult } from "@incusx/ovsdb";
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
