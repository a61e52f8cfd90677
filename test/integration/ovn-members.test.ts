// Member-scoped ownership of NAT rows on one real OVN northbound database
// shared by two hosts (two backends, two member names): each member acts on
// its own rows only, a NIC that moves is taken over in place, legacy rows
// (written before members were recorded) are adopted or left alone.
import { OvsdbClient, mapRecord, namedUuid, op, ovsMap, uuidOf, type MonitorUpdate, type SelectResult } from "@incusx/ovsdb";
import { OvnNatBackend } from "@incusx/plugin-ovn-external-address";
import type { NatRule } from "@incusx/sdk";
import { MemoryNetworkState } from "@incusx/testkit";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const NB = "OVN_Northbound";

interface Row {
  readonly uuid: string;
  readonly logicalIp: string;
  readonly externalIp: string;
  readonly ids: Record<string, string>;
}

let nb: OvnTestNorthbound;
let clients: OvsdbClient[];
let state: MemoryNetworkState;

beforeEach(async () => {
  nb = await startOvnNorthbound();
  clients = [];
  await nb.nbctl("lr-add", "lr0");
  state = new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr0" }] });
});
afterEach(async () => {
  for (const c of clients) c.close();
  await nb.stop();
});

/** A member's backend on its own connection, as a host of that member would have. */
async function member(name: string): Promise<OvnNatBackend> {
  const client = await OvsdbClient.connect(nb.connection, { database: NB });
  clients.push(client);
  return OvnNatBackend.withClient(client, state, { member: name });
}

function rule(instance: string, logicalIp: string, externalIp = "198.51.100.9"): NatRule {
  return { owner: { instance, device: "eth0" }, network: "ovn0", family: "ipv4", logicalIp, externalIp };
}

async function rows(): Promise<Row[]> {
  const client = clients[0] ?? (await OvsdbClient.connect(nb.connection, { database: NB }));
  if (clients.length === 0) clients.push(client);
  const [nat] = (await client.transact(NB, [op.select("NAT", [], ["_uuid", "logical_ip", "external_ip", "external_ids"])])) as [SelectResult];
  return nat.rows
    .map((r) => ({ uuid: uuidOf(r._uuid)!, logicalIp: String(r.logical_ip), externalIp: String(r.external_ip), ids: mapRecord(r.external_ids) }))
    .sort((a, b) => a.logicalIp.localeCompare(b.logicalIp));
}

/** Rows as `instance@member logical`, sorted. */
async function owners(): Promise<string[]> {
  return (await rows()).map((r) => `${r.ids["incusx:instance"]}@${r.ids["incusx:member"] ?? "-"} ${r.logicalIp}`);
}

/** Writes a row as an incusx without members did: owner keys, no `incusx:member`. */
async function legacyRow(instance: string, logicalIp: string, externalIp = "198.51.100.9"): Promise<string> {
  const client = clients[0] ?? (await OvsdbClient.connect(nb.connection, { database: NB }));
  if (clients.length === 0) clients.push(client);
  const ids = {
    "incusx:owner": "incusx.ovn-external-address",
    "incusx:instance": instance,
    "incusx:device": "eth0",
    "incusx:network": "ovn0",
    "incusx:family": "ipv4",
  };
  const results = await client.transact(NB, [
    op.insert("NAT", { type: "snat", logical_ip: logicalIp, external_ip: externalIp, external_ids: ovsMap(ids) }, "n"),
    op.mutate("Logical_Router", [["name", "==", "lr0"]], [["nat", "insert", namedUuid("n")]]),
  ]);
  return uuidOf((results[0] as { uuid: unknown }).uuid)!;
}

describe("two members on one NB", () => {
  it("member A's reconcile, list and remove never touch member B's rows", async () => {
    const a = await member("node-a");
    const b = await member("node-b");
    await a.ensure(rule("c1", "10.0.0.5"));
    await b.ensure(rule("c2", "10.0.0.6"));
    // Same external address, and B also has a NIC A's state does not know.
    await b.ensure(rule("c3", "10.0.0.7"));
    const before = await rows();
    const result = await a.reconcile([rule("c1", "10.0.0.5")]);
    expect(result).toMatchObject({ ensured: [], removed: [], conflicts: [], transactions: 0 });
    // Even with nothing desired, A removes only its own row.
    const emptied = await a.reconcile([]);
    expect(emptied.removed.map((r) => r.owner.instance)).toEqual(["c1"]);
    await a.remove({ instance: "c2", device: "eth0" });
    expect(await owners()).toEqual(["c2@node-b 10.0.0.6", "c3@node-b 10.0.0.7"]);
    expect((await rows()).filter((r) => r.ids["incusx:member"] === "node-b")).toEqual(before.filter((r) => r.ids["incusx:member"] === "node-b"));
    expect(await a.list()).toEqual([]);
    expect((await b.list()).map((r) => `${r.owner.instance}@${r.member}`).sort()).toEqual(["c2@node-b", "c3@node-b"]);
    expect((await a.list({ allMembers: true })).map((r) => r.member)).toEqual(["node-b", "node-b"]);
  });

  it("reconciles many new NICs next to another member's and legacy rows in one transaction (their guard holds)", async () => {
    const a = await member("node-a");
    const b = await member("node-b");
    await b.ensure(rule("b1", "10.0.3.1"));
    await legacyRow("old", "10.0.3.2");
    const wanted = Array.from({ length: 12 }, (_, i) => rule(`a${i}`, `10.0.4.${i + 2}`));
    const result = await a.reconcile(wanted);
    expect(result).toMatchObject({ transactions: 1, conflicts: [], removed: [] });
    expect(result.ensured).toHaveLength(12);
    expect((await rows()).filter((r) => r.ids["incusx:member"] === "node-a")).toHaveLength(12);
  });

  it("reports a NIC both members' states want, held by the other, instead of writing a second row", async () => {
    const a = await member("node-a");
    const b = await member("node-b");
    await b.ensure(rule("c1", "10.0.0.5"));
    const result = await a.reconcile([rule("c1", "10.0.0.5")]);
    expect(result.transactions).toBe(0);
    expect(result.conflicts).toMatchObject([{ ownedBy: "c1/eth0", member: "node-b" }]);
    expect(await owners()).toEqual(["c1@node-b 10.0.0.5"]);
  });

  it("ends with one row per NIC when both members ensure the same NICs at once, and each member's reconcile then changes nothing", async () => {
    const a = await member("node-a");
    const b = await member("node-b");
    const rules = Array.from({ length: 20 }, (_, i) => rule(`c${i}`, `10.0.1.${i + 2}`));
    await Promise.all([Promise.all(rules.map((r) => a.ensure(r))), Promise.all(rules.map((r) => b.ensure(r)))]);
    const all = await rows();
    expect(all).toHaveLength(rules.length);
    expect(new Set(all.map((r) => r.ids["incusx:instance"])).size).toBe(rules.length);
    // The last start wins: B starts every NIC again and holds them all, in place.
    for (const r of rules) await b.ensure(r);
    expect((await rows()).map((r) => r.ids["incusx:member"])).toEqual(rules.map(() => "node-b"));
    expect((await b.reconcile(rules)).transactions).toBe(0);
    const fromA = await a.reconcile([]);
    expect(fromA).toMatchObject({ removed: [], transactions: 0 });
  });
});

describe("a NIC that moves to another member", () => {
  /** Records every NAT change the NB reports: deletes and inserts of the moving row would show here. */
  async function watchNat(): Promise<MonitorUpdate[]> {
    const client = await OvsdbClient.connect(nb.connection, { database: NB });
    clients.push(client);
    const updates: MonitorUpdate[] = [];
    await client.monitor(NB, { NAT: { columns: ["logical_ip", "external_ids"] } }, (u) => updates.push(u));
    return updates;
  }

  function changesOf(updates: readonly MonitorUpdate[], uuid: string): string[] {
    return updates.filter((u) => !u.initial).flatMap((u) => Object.entries(u.updates.NAT ?? {}).filter(([id]) => id === uuid).map(([, c]) => Object.keys(c)[0]!));
  }

  it("is taken over in place when the new member starts before the old one stops; the old member's stop and reconcile leave it", async () => {
    const a = await member("node-a");
    const b = await member("node-b");
    await a.ensure(rule("c1", "10.0.0.5"));
    const [original] = await rows();
    const updates = await watchNat();
    const writes = b.writeTransactions;
    await b.ensure(rule("c1", "10.0.0.5"));
    expect(b.writeTransactions - writes).toBe(1);
    // Same row, now B's: one modify, never a delete or a second row.
    expect(await rows()).toEqual([{ ...original!, ids: { ...original!.ids, "incusx:member": "node-b", "incusx:written": expect.stringMatching(/^\d+$/) } }]);
    await expect.poll(() => changesOf(updates, original!.uuid)).toEqual(["modify"]);
    await a.remove({ instance: "c1", device: "eth0" });
    expect(await a.reconcile([])).toMatchObject({ removed: [], transactions: 0 });
    expect(await owners()).toEqual(["c1@node-b 10.0.0.5"]);
    expect(changesOf(updates, original!.uuid)).toEqual(["modify"]);
    // Starting it again on B changes nothing.
    await b.ensure(rule("c1", "10.0.0.5"));
    expect(b.writeTransactions - writes).toBe(1);
  });

  it("takes over a row the old member left (it died, or moved the address) in place, correcting its columns", async () => {
    const a = await member("node-a");
    const b = await member("node-b");
    await a.ensure(rule("c1", "10.0.0.5"));
    const [original] = await rows();
    await b.ensure(rule("c1", "10.0.0.8", "198.51.100.10"));
    expect(await rows()).toEqual([
      { uuid: original!.uuid, logicalIp: "10.0.0.8", externalIp: "198.51.100.10", ids: { ...original!.ids, "incusx:member": "node-b", "incusx:written": expect.stringMatching(/^\d+$/) } },
    ]);
  });

  it("is written anew when the new member starts after the old one stopped, and the old member's later reconcile leaves it", async () => {
    const a = await member("node-a");
    const b = await member("node-b");
    await a.ensure(rule("c1", "10.0.0.5"));
    await a.remove({ instance: "c1", device: "eth0" });
    expect(await rows()).toEqual([]);
    await b.ensure(rule("c1", "10.0.0.5"));
    expect(await a.reconcile([])).toMatchObject({ removed: [], transactions: 0 });
    expect(await owners()).toEqual(["c1@node-b 10.0.0.5"]);
  });

  it("ends with one row when the old member restarts the NIC while the new one takes it over", async () => {
    const a = await member("node-a");
    const b = await member("node-b");
    const rules = Array.from({ length: 10 }, (_, i) => rule(`m${i}`, `10.0.2.${i + 2}`));
    for (const r of rules) await a.ensure(r);
    // A corrects each row's external address while B takes them over: guards make one of them re-read.
    await Promise.all([...rules.map((r) => a.ensure({ ...r, externalIp: "198.51.100.11" })), ...rules.map((r) => b.ensure(r))]);
    const all = await rows();
    expect(all).toHaveLength(rules.length);
    expect(new Set(all.map((r) => r.ids["incusx:instance"])).size).toBe(rules.length);
    for (const r of rules) await b.ensure(r);
    expect((await rows()).every((r) => r.ids["incusx:member"] === "node-b" && r.externalIp === "198.51.100.9")).toBe(true);
    expect(await a.list()).toEqual([]);
  });
});

describe("rows written before members were recorded", () => {
  it("are adopted in place by the member whose state wants them, and otherwise left alone and reported", async () => {
    const wanted = await legacyRow("c1", "10.0.0.5");
    const unwanted = await legacyRow("c9", "10.0.0.9");
    const a = await member("node-a");
    const first = await a.reconcile([rule("c1", "10.0.0.5")]);
    expect(first.adopted.map((r) => r.owner.instance)).toEqual(["c1"]);
    expect(first.legacy.map((r) => r.owner.instance)).toEqual(["c9"]);
    expect(first).toMatchObject({ ensured: [], removed: [], transactions: 1 });
    const after = await rows();
    expect(after.map((r) => [r.uuid, r.ids["incusx:member"]])).toEqual([
      [wanted, "node-a"],
      [unwanted, undefined],
    ]);
    const again = await a.reconcile([rule("c1", "10.0.0.5")]);
    expect(again).toMatchObject({ adopted: [], transactions: 0 });
    expect(again.legacy.map((r) => r.owner.instance)).toEqual(["c9"]);
    // Listed, with no member; another member's reconcile leaves it too.
    expect((await a.list({ allMembers: true })).map((r) => `${r.owner.instance}@${r.member ?? "-"}`).sort()).toEqual(["c1@node-a", "c9@-"]);
    const b = await member("node-b");
    expect(await b.reconcile([])).toMatchObject({ removed: [], transactions: 0 });
    await b.remove({ instance: "c9", device: "eth0" });
    expect((await rows()).map((r) => r.uuid)).toEqual([wanted, unwanted]);
  });

  it("is adopted by a NIC start (ensure) with the same row kept", async () => {
    const wanted = await legacyRow("c1", "10.0.0.5");
    const a = await member("node-a");
    await a.ensure(rule("c1", "10.0.0.5"));
    expect((await rows()).map((r) => [r.uuid, r.ids["incusx:member"]])).toEqual([[wanted, "node-a"]]);
  });
});
