// Two members (two host states, two member names) applying their NICs to one
// 3-member clustered NB (raft) while its leader is SIGKILLed: every NIC ends
// with exactly one row recording the right member, and each member's
// reconcile afterwards changes nothing.
import { OvsdbClient, mapRecord, op, type SelectResult } from "@incusx/ovsdb";
import { OvnNatBackend } from "@incusx/plugin-ovn-external-address";
import type { NatRule } from "@incusx/sdk";
import { MemoryNetworkState } from "@incusx/testkit";
import { startOvnNorthboundCluster, type OvnTestCluster } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const NB = "OVN_Northbound";
const NICS_PER_MEMBER = 100;
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
