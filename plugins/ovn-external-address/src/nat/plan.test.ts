import type { NatRule } from "@incusx/sdk";
import { ovsMap, type OvsdbRow } from "@incusx/ovsdb";
import { describe, expect, it } from "vitest";
import { natTransaction, planIsEmpty, planNat, type NatView } from "./plan.js";
import { natRowView, ruleRow, type NatRowView } from "./rows.js";

const R = "lr0";
const RU = "11111111-1111-1111-1111-111111111111";

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
  it("keeps a row that already equals the rule and plans no transaction", () => {
    const plan = planNat(view([row("a", ruleRow(rule("c1", "10.0.0.5")))]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys");
    expect(planIsEmpty(plan)).toBe(true);
    expect(plan.kept).toHaveLength(1);
  });

  it("replaces a row whose external_port_range is not the one the forward's VIP ports need", () => {
    const plain = row("a", ruleRow(rule("c1", "10.0.0.5")));
    const ranged = row("b", { ...ruleRow(rule("c1", "10.0.0.5")), external_port_range: "444-65535" });
    const wanted = { rule: rule("c1", "10.0.0.5"), router: R, portRange: "444-65535" };
    const plan = planNat(view([plain]), [wanted], "keys");
    expect(plan.inserts).toEqual([wanted]);
    expect(plan.deletes.map((d) => d.row.uuid)).toEqual(["a"]);
    const insert = natTransaction(plan, view([plain]), []).ops.find((o) => o.op === "insert");
    expect(insert).toMatchObject({ row: { type: "snat", external_port_range: "444-65535" } });
    expect(planIsEmpty(planNat(view([ranged]), [wanted], "keys"))).toBe(true);
    // And back: no VIP ports any more, no range.
    expect(planNat(view([ranged]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys").deletes.map((d) => d.row.uuid)).toEqual(["b"]);
  });

  it("replaces the NIC's old row when its address changed", () => {
    const plan = planNat(view([row("a", ruleRow(rule("c1", "10.0.0.5")))]), [{ rule: rule("c1", "10.0.0.6"), router: R }], "keys");
    expect(plan.inserts.map((p) => p.rule.logicalIp)).toEqual(["10.0.0.6"]);
    expect(plan.deletes.map((d) => d.row.uuid)).toEqual(["a"]);
  });

  it("re-creates an owned row that sits on another router", () => {
    const plan = planNat(view([row("a", ruleRow(rule("c1", "10.0.0.5")))], []), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys");
    expect(plan.inserts).toHaveLength(1);
    expect(plan.deletes.map((d) => d.row.uuid)).toEqual(["a"]);
  });

  it("reports a foreign row on the same address (also spelt /32) and plans nothing for that rule", () => {
    const foreign = row("f", { type: "snat", logical_ip: "10.0.0.5/32", external_ip: "198.51.100.20", external_ids: ovsMap({}) });
    const plan = planNat(view([foreign]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys");
    expect(plan.inserts).toEqual([]);
    expect(plan.conflicts).toMatchObject([{ uuid: "f", logicalIp: "10.0.0.5/32", ownedBy: undefined }]);
  });

  it("does not take an IPv4-mapped IPv6 logical address (an IPv6 rule to OVN) for the IPv4 address", () => {
    for (const logical of ["::ffff:10.0.0.5", "::ffff:a00:5", "::ffff:10.0.0.5/128"]) {
      const mapped = row("m", { type: "snat", logical_ip: logical, external_ip: "2001:db8::20", external_ids: ovsMap({}) });
      const plan = planNat(view([mapped]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "all");
      expect(plan.conflicts).toEqual([]);
      expect(plan.inserts).toHaveLength(1);
    }
  });

  it("ignores a subnet snat (the network-wide rule) and dnat rows on the same address", () => {
    const subnet = row("s", { type: "snat", logical_ip: "10.0.0.0/24", external_ip: "198.51.100.1", external_ids: ovsMap({}) });
    const dnat = row("d", { type: "dnat_and_snat", logical_ip: "10.0.0.5", external_ip: "198.51.100.2", external_ids: ovsMap({}) });
    const plan = planNat(view([subnet, dnat]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "keys");
    expect(plan.conflicts).toEqual([]);
    expect(plan.inserts).toHaveLength(1);
  });

  it("lets a rule take the address of an owned row that reconcile deletes", () => {
    const old = row("a", ruleRow(rule("gone", "10.0.0.5")));
    const plan = planNat(view([old]), [{ rule: rule("c1", "10.0.0.5"), router: R }], "all");
    expect(plan.conflicts).toEqual([]);
    expect(plan.deletes.map((d) => d.rule?.owner.instance)).toEqual(["gone"]);
  });

  it("reports two desired rules on one address as a conflict instead of writing both", () => {
    const plan = planNat(view([]), [
      { rule: rule("c1", "10.0.0.5"), router: R },
      { rule: rule("c2", "10.0.0.5"), router: R },
    ], "all");
    expect(plan.inserts).toHaveLength(1);
    expect(plan.conflicts).toMatchObject([{ ownedBy: "c1/eth0" }]);
  });

  it("reports a missing router", () => {
    const plan = planNat(view([]), [{ rule: rule("c1", "10.0.0.5"), router: "nope" }], "keys");
    expect(plan.missingRouters).toHaveLength(1);
    expect(planIsEmpty(plan)).toBe(true);
  });
});

describe("natTransaction", () => {
  it("guards the router, the owned rows and the new address with waits before writing", () => {
    const old = row("a", ruleRow(rule("c1", "10.0.0.5")));
    const v = view([old]);
    const plan = planNat(v, [{ rule: rule("c1", "10.0.0.6"), router: R }], "keys");
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
