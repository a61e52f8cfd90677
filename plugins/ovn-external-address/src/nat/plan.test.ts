import type { NatRule } from "@incusx/sdk";
import { mapRecord, ovsMap, type OvsdbRow } from "@incusx/ovsdb";
import { describe, expect, it } from "vitest";
import { natTransaction, planIsEmpty, planNat, type NatView } from "./plan.js";
import { natRowView, ownerKey, ruleRow, type NatRowView } from "./rows.js";

const R = "lr0";
const RU = "11111111-1111-1111-1111-111111111111";
const ME = "m1";

function rule(instance: string, logicalIp: string, externalIp = "198.51.100.9"): NatRule {
  return { owner: { instance, device: "eth0" }, network: "ovn0", family: "ipv4", logicalIp, externalIp };
}

function row(id: string, data: OvsdbRow): NatRowView {
  return natRowView({ _uuid: ["uuid", id], ...data });
}

function view(rows: NatRowView[], onRouter = rows.map((r) => r.uuid)): NatView {
  return { routers: new Map([[R, RU]]), rows, routerOf: (id) => (onRouter.includes(id) ? R : undefined) };
}

describe("planNat", () => {
  it("spares the member's rows of NICs the rules do not name that were written after the state read (a NIC started since); judges the others", () => {
    const stamped = (id: string, instance: string, ip: string, at: number): NatRowView => row(id, ruleRow(rule(instance, ip), ME, {}, at));
    const rows = [stamped("old", "c1", "10.0.0.5", 900), stamped("new", "c2", "10.0.0.6", 1000), stamped("ahead", "c3", "10.0.0.7", 5000), row("plain", ruleRow(rule("c4", "10.0.0.8"), ME))];
    const plan = planNat(view(rows), [], "all", { member: ME, stateRead: { at: 1000, planAt: 1200 } });
    expect(plan.spared.map((r) => r.uuid)).toEqual(["new"]);
    // Before the read, or stamped later than the plan (a clock set back since: proves nothing), or never stamped: judged.
    expect(plan.deletes.map((d) => d.row.uuid).sort()).toEqual(["ahead", "old", "plain"]);
    // Without the read's time, every unwanted row goes.
    expect(planNat(view(rows), [], "all", { member: ME }).deletes).toHaveLength(4);
  });

  it("never spares the row of a NIC the rules name but left out (refused because of a forward), however new", () => {
    const fresh = row("fresh", ruleRow(rule("c1", "10.0.0.5"), ME, {}, 1100));
    const plan = planNat(view([fresh]), [], "all", { member: ME, stateRead: { at: 1000, planAt: 1200 }, named: new Set([ownerKey({ instance: "c1", device: "eth0" }, "ipv4")]) });
    expect(plan.spared).toEqual([]);
    expect(plan.deletes.map((d) => d.row.uuid)).toEqual(["fresh"]);
  });

  it("stamps every row it inserts or updates with the time of the write", () => {
    const plan = planNat(view([]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys", { member: ME });
    const insert = natTransaction(plan, view([]), [], { writtenAt: 1234 }).ops.find((o) => o.op === "insert") as { row: OvsdbRow };
    expect(mapRecord(insert.row.external_ids)["incusx:written"]).toBe("1234");
  });

  it("keeps a row that already equals the rule and plans no transaction", () => {
    const plan = planNat(view([row("a", ruleRow(rule("c1", "10.0.0.5"), ME))]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys", { member: ME });
    expect(planIsEmpty(plan)).toBe(true);
    expect(plan.kept).toHaveLength(1);
  });

  it("replaces a row whose external_port_range is not the one the forward's VIP ports need", () => {
    const plain = row("a", ruleRow(rule("c1", "10.0.0.5"), ME));
    const ranged = row("b", { ...ruleRow(rule("c1", "10.0.0.5"), ME), external_port_range: "444-65535" });
    const wanted = { rule: rule("c1", "10.0.0.5"), router: R, portRange: "444-65535" };
    const plan = planNat(view([plain]), [wanted], "keys", { member: ME });
    expect(plan.inserts).toEqual([wanted]);
    expect(plan.deletes.map((d) => d.row.uuid)).toEqual(["a"]);
    const insert = natTransaction(plan, view([plain]), []).ops.find((o) => o.op === "insert");
    expect(insert).toMatchObject({ row: { type: "snat", external_port_range: "444-65535" } });
    expect(planIsEmpty(planNat(view([ranged]), [wanted], "keys", { member: ME }))).toBe(true);
    // And back: no VIP ports any more, no range.
    expect(planNat(view([ranged]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys", { member: ME }).deletes.map((d) => d.row.uuid)).toEqual(["b"]);
  });

  it("replaces the NIC's old row when its address changed", () => {
    const plan = planNat(view([row("a", ruleRow(rule("c1", "10.0.0.5"), ME))]), [{ rule: rule("c1", "10.0.0.6"), router: R }], "keys", { member: ME });
    expect(plan.inserts.map((p) => p.rule.logicalIp)).toEqual(["10.0.0.6"]);
    expect(plan.deletes.map((d) => d.row.uuid)).toEqual(["a"]);
  });

  it("re-creates an owned row that sits on another router", () => {
    const plan = planNat(view([row("a", ruleRow(rule("c1", "10.0.0.5"), ME))], []), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys", { member: ME });
    expect(plan.inserts).toHaveLength(1);
    expect(plan.deletes.map((d) => d.row.uuid)).toEqual(["a"]);
  });

  it("reports a foreign row on the same address (also spelt /32) and plans nothing for that rule", () => {
    const foreign = row("f", { type: "snat", logical_ip: "10.0.0.5/32", external_ip: "198.51.100.20", external_ids: ovsMap({}) });
    const plan = planNat(view([foreign]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys", { member: ME });
    expect(plan.inserts).toEqual([]);
    expect(plan.conflicts).toMatchObject([{ uuid: "f", logicalIp: "10.0.0.5/32", ownedBy: undefined }]);
  });

  it("does not take an IPv4-mapped IPv6 logical address (an IPv6 rule to OVN) for the IPv4 address", () => {
    for (const logical of ["::ffff:10.0.0.5", "::ffff:a00:5", "::ffff:10.0.0.5/128"]) {
      const mapped = row("m", { type: "snat", logical_ip: logical, external_ip: "2001:db8::20", external_ids: ovsMap({}) });
      const plan = planNat(view([mapped]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "all", { member: ME });
      expect(plan.conflicts).toEqual([]);
      expect(plan.inserts).toHaveLength(1);
    }
  });

  it("ignores a subnet snat (the network-wide rule) and dnat rows on the same address", () => {
    const subnet = row("s", { type: "snat", logical_ip: "10.0.0.0/24", external_ip: "198.51.100.1", external_ids: ovsMap({}) });
    const dnat = row("d", { type: "dnat_and_snat", logical_ip: "10.0.0.5", external_ip: "198.51.100.2", external_ids: ovsMap({}) });
    const plan = planNat(view([subnet, dnat]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys", { member: ME });
    expect(plan.conflicts).toEqual([]);
    expect(plan.inserts).toHaveLength(1);
  });

  it("lets a rule take the address of an owned row that reconcile deletes", () => {
    const old = row("a", ruleRow(rule("gone", "10.0.0.5"), ME));
    const plan = planNat(view([old]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "all", { member: ME });
    expect(plan.conflicts).toEqual([]);
    expect(plan.deletes.map((d) => d.rule?.owner.instance)).toEqual(["gone"]);
  });

  it("reports two desired rules on one address as a conflict instead of writing both", () => {
    const plan = planNat(view([]), [
      { rule: rule("c1", "10.0.0.5"), router: R },
      { rule: rule("c2", "10.0.0.5"), router: R },
    ], "all", { member: ME });
    expect(plan.inserts).toHaveLength(1);
    expect(plan.conflicts).toMatchObject([{ ownedBy: "c1/eth0" }]);
  });

  it("reports a missing router", () => {
    const plan = planNat(view([]), [{ rule: rule("c1", "10.0.0.5"), router: "nope" }], "keys", { member: ME });
    expect(plan.missingRouters).toHaveLength(1);
    expect(planIsEmpty(plan)).toBe(true);
  });
});

describe("natTransaction", () => {
  it("guards the router, the owned rows and the new address with waits before writing", () => {
    const old = row("a", ruleRow(rule("c1", "10.0.0.5"), ME));
    const v = view([old]);
    const plan = planNat(v, [{ rule: rule("c1", "10.0.0.6"), router: R }], "keys", { member: ME });
    const { ops, routerMutations } = natTransaction(plan, v, [{ selector: ovsMap({ k: "v" }), uuids: ["a"] }]);
    expect(ops.map((o) => o.op)).toEqual(["wait", "wait", "wait", "wait", "mutate", "insert", "mutate"]);
    expect(ops[0]).toMatchObject({ table: "Logical_Router", where: [["name", "==", R]], rows: [{ _uuid: ["uuid", RU] }] });
    expect(ops[1]).toMatchObject({ table: "NAT", rows: [{ _uuid: ["uuid", "a"] }] });
    expect(ops[2]).toMatchObject({ where: [["type", "==", "snat"], ["logical_ip", "==", "10.0.0.6"]], rows: [] });
    expect(ops[3]).toMatchObject({ where: [["type", "==", "snat"], ["logical_ip", "==", "10.0.0.6/32"]], rows: [] });
    expect(ops[4]).toMatchObject({ mutations: [["nat", "delete", ["set", [["uuid", "a"]]]]] });
    expect(ops[5]).toMatchObject({ table: "NAT", row: { logical_ip: "10.0.0.6" }, "uuid-name": "nat0" });
    expect(routerMutations).toEqual([{ index: 6, router: R }]);
  });
});

describe("planNat with cluster members", () => {
  const legacyRow = (id: string, r: NatRule): NatRowView => {
    const written = ruleRow(r, ME);
    const ids = Object.fromEntries(Object.entries(mapRecord(written.external_ids)).filter(([k]) => k !== "incusx:member"));
    return row(id, { ...written, external_ids: ovsMap(ids) });
  };

  it("never deletes another member's rows, and reconcile reports a wanted NIC another member holds instead of doubling it", () => {
    const theirs = row("b", ruleRow(rule("c2", "10.0.0.6"), "m2"));
    const held = row("h", ruleRow(rule("c1", "10.0.0.5"), "m2"));
    const plan = planNat(view([theirs, held]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "all", { member: ME });
    expect(planIsEmpty(plan)).toBe(true);
    expect(plan.conflicts).toMatchObject([{ uuid: "h", ownedBy: "c1/eth0", member: "m2" }]);
    expect(plan.legacy).toEqual([]);
  });

  it("keeps its row of a NIC started after the rules were read (moved here, taken over): the stale rules do not delete it", () => {
    // Seen with two keepers: B's reconcile read a state without m5, B's `nic start m5` took m5's row
    // over, then that reconcile deleted it as unwanted: m5 had no SNAT until B's next run.
    const taken = row("t", ruleRow(rule("m5", "10.0.1.15"), ME));
    const stale = row("s", ruleRow(rule("gone", "10.0.1.16"), ME));
    const started = new Set([ownerKey({ instance: "m5", device: "eth0" }, "ipv4")]);
    const plan = planNat(view([taken, stale]), [], "all", { member: ME, started });
    expect(plan.deletes.map((d) => d.row.uuid)).toEqual(["s"]);
    expect(plan.spared.map((r) => r.uuid)).toEqual(["t"]);
    // Without a start since the rules were read it is unwanted, and goes.
    expect(planNat(view([taken]), [], "all", { member: ME }).deletes.map((d) => d.row.uuid)).toEqual(["t"]);
  });

  it("keeps only its own matching row: another member's identical row is not this member's", () => {
    const theirs = row("b", ruleRow(rule("c1", "10.0.0.5"), "m2"));
    const plan = planNat(view([theirs]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys", { member: ME, takeOver: true });
    expect(plan.kept).toEqual([]);
    expect(plan.updates).toMatchObject([{ row: { uuid: "b" }, from: "m2" }]);
  });

  it("takes a moved NIC's row over in place with one update guarded on its external_ids: no delete, no insert", () => {
    const theirs = row("b", ruleRow(rule("c1", "10.0.0.5"), "m2"));
    const v = view([theirs]);
    const plan = planNat(v, [{ rule: rule("c1", "10.0.0.7"), router: R }], "keys", { member: ME, takeOver: true });
    expect(plan.inserts).toEqual([]);
    expect(plan.deletes).toEqual([]);
    const { ops, routerMutations } = natTransaction(plan, v, []);
    expect(ops.map((o) => o.op)).toEqual(["wait", "wait", "wait", "wait", "update"]);
    expect(ops[1]).toMatchObject({ table: "NAT", where: [["_uuid", "==", ["uuid", "b"]]], columns: ["external_ids"], rows: [{ external_ids: ovsMap(theirs.externalIds) }] });
    expect(ops[2]).toMatchObject({ where: [["type", "==", "snat"], ["logical_ip", "==", "10.0.0.7"]] });
    const update = ops[4] as { where: unknown; row: OvsdbRow };
    expect(update.where).toEqual([["_uuid", "==", ["uuid", "b"]]]);
    expect(update.row).toMatchObject({ type: "snat", logical_ip: "10.0.0.7" });
    expect(mapRecord(update.row.external_ids)).toMatchObject({ "incusx:member": ME, "incusx:instance": "c1" });
    expect(routerMutations).toEqual([]);
  });

  it("keeps other writers' external_ids keys on a row it takes over", () => {
    const written = ruleRow(rule("c1", "10.0.0.5"), "m2");
    const theirs = row("b", { ...written, external_ids: ovsMap({ ...mapRecord(written.external_ids), "ops:note": "x" }) });
    const v = view([theirs]);
    const plan = planNat(v, [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys", { member: ME, takeOver: true });
    const update = natTransaction(plan, v, []).ops.find((o) => o.op === "update") as { row: OvsdbRow };
    expect(mapRecord(update.row.external_ids)).toMatchObject({ "ops:note": "x", "incusx:member": ME });
  });

  it("does not take over a row on another router: it inserts its own and leaves that row to its member", () => {
    const theirs = row("b", ruleRow(rule("c1", "10.0.0.5"), "m2"));
    const plan = planNat(view([theirs], []), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys", { member: ME, takeOver: true });
    expect(plan.updates).toEqual([]);
    expect(plan.inserts).toHaveLength(1);
    expect(plan.deletes).toEqual([]);
  });

  it("adopts a legacy row the member wants (in reconcile too), and leaves the other legacy rows alone, reported", () => {
    const wanted = legacyRow("l1", rule("c1", "10.0.0.5"));
    const unwanted = legacyRow("l2", rule("c9", "10.0.0.9"));
    const v = { ...view([wanted, unwanted]), complete: true };
    const plan = planNat(v, [{ rule: rule("c1", "10.0.0.5"), router: R }], "all", { member: ME });
    expect(plan.updates).toMatchObject([{ row: { uuid: "l1" }, from: undefined }]);
    expect(plan.deletes).toEqual([]);
    expect(plan.legacy.map((r) => r.uuid)).toEqual(["l2"]);
    const { ops } = natTransaction(plan, v, [{ selector: ovsMap({ k: "v" }), uuids: [] }]);
    expect(ops.filter((o) => o.op === "update")).toHaveLength(1);
    expect(ops.some((o) => o.op === "wait" && JSON.stringify(o.where).includes('"l1"'))).toBe(true);
    expect(ops.some((o) => JSON.stringify(o).includes('"l2"'))).toBe(false);
  });

  it("deletes a wanted NIC's other legacy rows (stale, on another router) with a guard on each", () => {
    const here = legacyRow("l1", rule("c1", "10.0.0.5"));
    const stale = legacyRow("l2", rule("c1", "10.0.0.4"));
    const v = view([here, stale], ["l1"]);
    const plan = planNat(v, [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys", { member: ME, takeOver: true });
    expect(plan.updates.map((u) => u.row.uuid)).toEqual(["l1"]);
    expect(plan.deletes.map((d) => d.row.uuid)).toEqual(["l2"]);
    const { ops } = natTransaction(plan, v, []);
    expect(ops.filter((o) => o.op === "wait" && JSON.stringify(o.where).includes('"l2"'))).toHaveLength(1);
  });

  it("guards each inserted NIC's instance (every member's rows of it) on a full read", () => {
    const theirs = row("b", ruleRow(rule("c2", "10.0.0.6"), "m2"));
    const v = { ...view([theirs]), complete: true };
    const plan = planNat(v, [{ rule: rule("c2", "10.0.0.8"), router: R }, { rule: rule("c3", "10.0.0.9"), router: R }], "all", { member: "m3" });
    expect(plan.conflicts).toMatchObject([{ member: "m2" }]);
    const { ops } = natTransaction(plan, v, []);
    const instanceGuards = ops.filter((o) => o.op === "wait" && JSON.stringify(o.where).includes("incusx:instance"));
    expect(instanceGuards).toHaveLength(1);
    expect(JSON.stringify(instanceGuards[0])).toContain('"c3"');
  });

  it("guards many inserts of a full read with one wait on every row not this member's", () => {
    const theirs = row("b", ruleRow(rule("x", "10.0.9.6"), "m2"));
    const snat = Array.from({ length: 40 }, (_, i) => row(`f${i}`, { type: "snat", logical_ip: `10.0.8.${i}`, external_ip: "198.51.100.1", external_ids: ovsMap({}) }));
    const v = { ...view([theirs, ...snat]), complete: true };
    const wanted = Array.from({ length: 10 }, (_, i) => ({ rule: rule(`c${i}`, `10.0.1.${i}`), router: R }));
    const plan = planNat(v, wanted, "all", { member: ME });
    expect(plan.inserts).toHaveLength(10);
    const { ops } = natTransaction(plan, v, []);
    const others = ops.filter((o) => o.op === "wait" && JSON.stringify(o.where).includes("excludes"));
    expect(others).toEqual([
      expect.objectContaining({ where: [["external_ids", "includes", expect.anything()], ["external_ids", "excludes", ovsMap({ "incusx:member": ME })]], rows: [{ _uuid: ["uuid", "b"] }] }),
    ]);
    expect(ops.filter((o) => o.op === "wait" && JSON.stringify(o.where).includes("incusx:instance"))).toEqual([]);
  });
});

describe("canonicalWithFamily", () => {
  it("gives the same answer on the dotted-quad fast path as the general parser", async () => {
    const { canonicalWithFamily } = await import("./rows.js");
    const { canonicalAddress } = await import("@incusx/sdk");
    for (const text of ["0.0.0.0", "10.0.0.5", "255.255.255.255", "198.51.100.9", "2001:DB8::9", "::ffff:192.0.2.1"]) {
      expect(canonicalWithFamily(text).canonical).toBe(canonicalAddress(text));
    }
    for (const bad of ["010.0.0.5", "256.0.0.1", "1.2.3", "10.0.0.5/32", "x"]) {
      expect(() => canonicalWithFamily(bad)).toThrow();
    }
  });
});
