// Placing rules on routers with several distributed gateway ports, and
// planning several rows of one NIC (one per gateway port).
import type { NatRule } from "@incusx/sdk";
import { ovsMap, uuid, type OvsdbRow } from "@incusx/ovsdb";
import { describe, expect, it } from "vitest";
import { gatewayTargets, placeOnGateways, type GatewayPort } from "./gateway-ports.js";
import { natTransaction, planIsEmpty, planNat, placedRow, type NatView, type PlacedRule } from "./plan.js";
import { natRowView, type NatRowView } from "./rows.js";

const R = "incus-net7-lr";
const RU = "11111111-1111-1111-1111-111111111111";
const ME = "m1";
const EXT: GatewayPort = { uuid: "aaaaaaaa-0000-0000-0000-000000000001", name: `${R}-lrp-ext`, networks: ["198.51.100.10/24", "2001:db8:1::10/64"] };
const TS: GatewayPort = { uuid: "aaaaaaaa-0000-0000-0000-000000000002", name: "ts-incus-ic1-default-ovn0", networks: ["192.0.2.1/30"] };

function rule(externalIp: string, instance = "c1", logicalIp = "10.0.0.5"): NatRule {
  return { owner: { instance, device: "eth0" }, network: "ovn0", family: externalIp.includes(":") ? "ipv6" : "ipv4", logicalIp, externalIp };
}

function row(id: string, data: OvsdbRow): NatRowView {
  return natRowView({ _uuid: ["uuid", id], ...data });
}

function view(rows: NatRowView[]): NatView {
  return { routers: new Map([[R, RU]]), rows, routerOf: () => R };
}

describe("gatewayTargets", () => {
  it("sets no gateway port with at most one distributed gateway port, as Incus writes", () => {
    expect(gatewayTargets(R, "203.0.113.9", [])).toEqual([undefined]);
    expect(gatewayTargets(R, "203.0.113.9", [EXT])).toEqual([undefined]);
  });

  it("takes the port whose networks hold the address, else Incus's uplink port, else every port", () => {
    expect(gatewayTargets(R, "198.51.100.9", [EXT, TS])).toEqual([EXT]);
    expect(gatewayTargets(R, "192.0.2.2", [EXT, TS])).toEqual([TS]);
    expect(gatewayTargets(R, "2001:db8:1::9", [EXT, TS])).toEqual([EXT]);
    expect(gatewayTargets(R, "203.0.113.9", [EXT, TS])).toEqual([EXT]);
    const other = { ...EXT, name: "lrp-a" };
    expect(gatewayTargets(R, "203.0.113.9", [other, TS])).toEqual([other, TS]);
  });

  it("places a rule once per target port", () => {
    const placed: PlacedRule = { rule: rule("203.0.113.9"), router: R, portRange: "1-79" };
    const two = new Map([[R, [{ ...EXT, name: "lrp-a" }, TS]]]);
    expect(placeOnGateways([placed], two)).toEqual([
      { ...placed, gatewayPort: EXT.uuid },
      { ...placed, gatewayPort: TS.uuid },
    ]);
    expect(placeOnGateways([placed], new Map())).toEqual([placed]);
  });
});

describe("planNat with gateway ports", () => {
  const onExt: PlacedRule = { rule: rule("203.0.113.9"), router: R, gatewayPort: EXT.uuid };
  const onTs: PlacedRule = { rule: onExt.rule, router: R, gatewayPort: TS.uuid };

  it("inserts one row per gateway port and keeps them once written", () => {
    const plan = planNat(view([]), [onExt, onTs], "keys", { member: ME });
    expect(plan.inserts).toEqual([onExt, onTs]);
    const inserts = natTransaction(plan, view([]), []).ops.filter((o) => o.op === "insert");
    expect(inserts.map((o) => (o as { row: OvsdbRow }).row.gateway_port)).toEqual([uuid(EXT.uuid), uuid(TS.uuid)]);
    const written = [row("a", placedRow(onExt, ME)), row("b", placedRow(onTs, ME))];
    expect(planIsEmpty(planNat(view(written), [onExt, onTs], "all", { member: ME }))).toBe(true);
  });

  it("replaces the NIC's row on a port it no longer goes on, and a row without port when it now needs one", () => {
    const written = [row("a", placedRow(onExt, ME)), row("b", placedRow(onTs, ME))];
    const single = { rule: onExt.rule, router: R };
    const plan = planNat(view(written), [single], "keys", { member: ME });
    expect(plan.inserts).toEqual([single]);
    expect(plan.deletes.map((d) => d.row.uuid).sort()).toEqual(["a", "b"]);
    const back = planNat(view([row("c", placedRow(single, ME))]), [onExt], "keys", { member: ME });
    expect(back.inserts).toEqual([onExt]);
    expect(back.deletes.map((d) => d.row.uuid)).toEqual(["c"]);
  });

  it("a foreign row at another port does not block; one at the same port or without port does", () => {
    const foreign = (id: string, gw?: string): NatRowView =>
      row(id, { type: "snat", logical_ip: "10.0.0.5", external_ip: "192.0.2.2", external_ids: ovsMap({}), ...(gw === undefined ? {} : { gateway_port: uuid(gw) }) });
    expect(planNat(view([foreign("f", TS.uuid)]), [onExt], "keys", { member: ME }).inserts).toEqual([onExt]);
    expect(planNat(view([foreign("f", EXT.uuid)]), [onExt], "keys", { member: ME }).conflicts.map((c) => c.uuid)).toEqual(["f"]);
    expect(planNat(view([foreign("f")]), [onExt], "keys", { member: ME }).conflicts.map((c) => c.uuid)).toEqual(["f"]);
    // A rule without port (one DGP) is blocked by a foreign row at any port.
    expect(planNat(view([foreign("f", TS.uuid)]), [{ rule: onExt.rule, router: R }], "keys", { member: ME }).conflicts.map((c) => c.uuid)).toEqual(["f"]);
  });

  it("adopts one legacy row per port: the first in place (its gateway port set), the other port inserted", () => {
    const legacy = row("l", { type: "snat", logical_ip: "10.0.0.5", external_ip: "203.0.113.9", external_ids: ovsMap({ ...ownedIds() }) });
    const plan = planNat(view([legacy]), [onExt, onTs], "all", { member: ME });
    expect(plan.updates.map((u) => [u.row.uuid, u.placed.gatewayPort])).toEqual([["l", EXT.uuid]]);
    expect(plan.inserts).toEqual([onTs]);
    const update = natTransaction(plan, view([legacy]), []).ops.find((o) => o.op === "update") as { row: OvsdbRow };
    expect(update.row.gateway_port).toEqual(uuid(EXT.uuid));
  });

  it("a later rule for the same NIC and family loses on every port", () => {
    const other = { rule: rule("203.0.113.10"), router: R, gatewayPort: EXT.uuid };
    expect(planNat(view([]), [onExt, other, onTs], "keys", { member: ME }).inserts).toEqual([onExt, onTs]);
  });
});

function ownedIds(): Record<string, string> {
  return { "incusx:owner": "incusx.ovn-external-address", "incusx:instance": "c1", "incusx:device": "eth0", "incusx:network": "ovn0", "incusx:family": "ipv4" };
}
