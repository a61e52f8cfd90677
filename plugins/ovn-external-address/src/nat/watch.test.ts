// The watch's judgement on monitor updates fed by hand: what is drift and
// what is the backend's own write (also when its update comes before the
// write's reply).
import type { NatStoreChange } from "@incusx/sdk";
import { ovsMap, uuid, type MonitorUpdate, type OvsdbClient, type OvsdbRow, type TableUpdates2 } from "@incusx/ovsdb";
import { describe, expect, it } from "vitest";
import { memberSelector, natRowView, ruleRow } from "./rows.js";
import { NatWatcher, applyMapDiff, rowPrint, type RowPrint } from "./watch.js";

const RULE = { owner: { instance: "c1", device: "eth0" }, network: "ovn0", family: "ipv4" as const, logicalIp: "10.0.0.5", externalIp: "198.51.100.9" };
const ROW = ruleRow(RULE, "m1");

function printOf(row: OvsdbRow): RowPrint {
  return rowPrint(natRowView(row));
}

async function setup() {
  let listener: ((u: MonitorUpdate) => void) | undefined;
  const client = {
    monitor: async (_db: string, _requests: unknown, l: (u: MonitorUpdate) => void) => {
      listener = l;
      return { id: "m", cancel: async () => undefined };
    },
    getSchema: async () => ({ name: "OVN_Northbound", version: "7.0.0", tables: { NAT: { columns: { gateway_port: {} } } } }),
  } as unknown as OvsdbClient;
  const known = new Map<string, RowPrint>([["r1", printOf(ROW)]]);
  const state = { writing: false };
  const planned = new Set<string>(["ovn0-instance-c1-eth0"]);
  const changes: NatStoreChange[] = [];
  const watcher = await NatWatcher.start(client, memberSelector("m1"), { knownRows: () => known, writing: () => state.writing, plannedPorts: () => planned }, (c) => changes.push(c));
  const send = (updates: TableUpdates2, initial = false, found = true): void => listener!({ updates, initial, found, lastTxnId: undefined });
  send(
    {
      NAT: { r1: { initial: ROW } },
      Logical_Router: { lr1: { initial: { name: "lr0", nat: uuid("r1") } } },
      Logical_Switch_Port: { p1: { initial: { name: "ovn0-instance-c1-eth0", dynamic_addresses: "0a:00:00:00:00:05 10.0.0.5" } } },
    },
    true,
    false,
  );
  return { watcher, known, state, changes, send };
}

describe("NatWatcher", () => {
  it("reports nothing for the first contents, and a row deleted by someone else", async () => {
    const t = await setup();
    expect(t.changes).toEqual([]);
    t.send({ NAT: { r1: { delete: null } }, Logical_Router: { lr1: { modify: { nat: uuid("r1") } } } });
    expect(t.changes).toEqual([{ reason: "rules", detail: "NAT row r1 was deleted" }]);
    expect(t.watcher.takeChanges()).toEqual("all");
    t.send({ NAT: { r2: { insert: ROW } } });
    const changes = t.watcher.takeChanges();
    expect(changes !== "all" && [...changes.uuids]).toEqual(["r2"]);
  });

  it("applies a map diff to external_ids and reports the edit", async () => {
    const t = await setup();
    t.send({ NAT: { r1: { modify: { external_ip: "198.51.100.10" } } } });
    expect(t.changes).toEqual([{ reason: "rules", detail: "NAT row r1 was changed" }]);
    expect(applyMapDiff({ a: "1", b: "2" }, { a: "1", b: "3", c: "4" })).toEqual({ b: "3", c: "4" });
  });

  it("holds the backend's own write until its reply is in, then reports nothing", async () => {
    const t = await setup();
    t.watcher.takeChanges();
    t.state.writing = true;
    // The write's update comes first: the backend does not know row r2 yet.
    t.send({ NAT: { r1: { delete: null }, r2: { insert: ROW } }, Logical_Router: { lr1: { modify: { nat: ovsMap({}) } } } });
    expect(t.changes).toEqual([]);
    t.known.delete("r1");
    t.known.set("r2", printOf(ROW));
    t.state.writing = false;
    t.watcher.writeDone();
    expect(t.changes).toEqual([]);
    const changes = t.watcher.takeChanges();
    expect(changes !== "all" && changes.keys.size).toBe(0);
  });

  it("reports a router that comes, goes or is renamed, not one whose nat column changed", async () => {
    const t = await setup();
    t.send({ Logical_Router: { lr1: { modify: { nat: uuid("r9") } } } });
    expect(t.changes).toEqual([]);
    t.send({ Logical_Router: { lr1: { modify: { name: "lr1" } } } });
    t.send({ Logical_Router: { lr2: { insert: { name: "lr2" } } } });
    t.send({ Logical_Router: { lr2: { delete: null } } });
    expect(t.changes.map((c) => c.reason)).toEqual(["router", "router", "router"]);
  });

  it("reports the dynamic addresses of a port a plan read, not of another port", async () => {
    const t = await setup();
    t.send({ Logical_Switch_Port: { p2: { insert: { name: "other", dynamic_addresses: "0a:00:00:00:00:06 10.0.0.6" } } } });
    t.send({ Logical_Switch_Port: { p2: { modify: { dynamic_addresses: "0a:00:00:00:00:06 10.0.0.7" } } } });
    expect(t.changes).toEqual([]);
    t.send({ Logical_Switch_Port: { p1: { modify: { dynamic_addresses: "0a:00:00:00:00:05 10.0.0.8" } } } });
    expect(t.changes).toEqual([{ reason: "address", detail: "Logical_Switch_Port ovn0-instance-c1-eth0 modified" }]);
  });

  it("reports a monitor that started over, and then knows nothing of what changed", async () => {
    const t = await setup();
    t.watcher.takeChanges();
    t.send({ NAT: { r1: { initial: ROW } } }, true, false);
    expect(t.changes).toEqual([{ reason: "resync", detail: "the NB monitor was re-established without the changes since" }]);
    expect(t.watcher.takeChanges()).toBe("all");
    // Resumed from the last transaction: only what changed since follows, nothing to report by itself.
    t.send({}, true, true);
    expect(t.changes).toHaveLength(1);
  });
});
