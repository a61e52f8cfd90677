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
  // The last rules: 198.51.100.9 on router lr0.
  const addresses = new Map([["lr0", new Set(["198.51.100.9"])]]);
  const watcher = await NatWatcher.start(
    client,
    memberSelector("m1"),
    { knownRows: () => known, writing: () => state.writing, plannedPorts: () => planned, plannedAddresses: () => addresses },
    (c) => changes.push(c),
  );
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

  it("reports a load balancer VIP change on a planned external address of the rules' router (direct or through a group), and nothing else", async () => {
    const t = await setup();
    t.watcher.takeChanges();
    // A forward on another address, and the planned address on another router: not this backend's business.
    t.send({ Load_Balancer: { lb1: { insert: { vips: ovsMap({ "203.0.113.5:80": "10.0.0.50:80" }) } } }, Logical_Router: { lr1: { modify: { load_balancer: uuid("lb1") } } } });
    t.send({ Load_Balancer: { lb2: { insert: { vips: ovsMap({ "198.51.100.9:80": "10.0.0.50:80" }) } } } });
    t.send({ Logical_Router: { lr2: { insert: { name: "lr9", load_balancer: uuid("lb2") } } } });
    expect(t.changes.map((c) => c.reason)).toEqual(["router"]);
    t.changes.length = 0;
    t.watcher.takeChanges();
    // The planned address gets a port VIP on lr0.
    t.send({ Load_Balancer: { lb1: { modify: { vips: ovsMap({ "198.51.100.9:80": "10.0.0.50:80" }) } } } });
    expect(t.changes).toEqual([{ reason: "forward", detail: "load balancer VIPs on 198.51.100.9 of router lr0 changed: [] -> [198.51.100.9:80]" }]);
    expect(t.watcher.takeChanges()).toBe("all");
    // Its target changed: no VIP came or went, nothing to report.
    t.send({ Load_Balancer: { lb1: { modify: { vips: ovsMap({ "198.51.100.9:80": "10.0.0.51:80" }) } } } });
    expect(t.changes).toHaveLength(1);
    // Through a load balancer group: a portless VIP on the address.
    t.send({ Load_Balancer: { lb3: { insert: { vips: ovsMap({ "198.51.100.9": "10.0.0.52" }) } } }, Load_Balancer_Group: { g1: { insert: { load_balancer: uuid("lb3") } } } });
    expect(t.changes).toHaveLength(1);
    t.send({ Logical_Router: { lr1: { modify: { load_balancer_group: uuid("g1") } } } });
    expect(t.changes.at(-1)).toEqual({ reason: "forward", detail: "load balancer VIPs on 198.51.100.9 of router lr0 changed: [198.51.100.9:80] -> [198.51.100.9 198.51.100.9:80]" });
    // The group loses it again.
    t.send({ Load_Balancer_Group: { g1: { modify: { load_balancer: uuid("lb3") } } } });
    expect(t.changes.at(-1)?.detail).toBe("load balancer VIPs on 198.51.100.9 of router lr0 changed: [198.51.100.9 198.51.100.9:80] -> [198.51.100.9:80]");
    expect(t.changes).toHaveLength(3);
  });
});
