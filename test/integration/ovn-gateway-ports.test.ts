// Routers with several distributed gateway ports (Incus adds one per OVN-IC
// network integration, beside the uplink's `-lrp-ext`): a snat row without
// `gateway_port` is applied only at the gateway port whose networks contain
// its external address, and ovn-northd drops it when none does; several
// snat rows on one logical address are legal when their gateway ports
// differ. Checked against ovn-northd's logical flows.
import type { OvsdbClient } from "@incusx/ovsdb";
import { OvnNatBackend } from "@incusx/plugin-ovn-external-address";
import type { NatRule, NatStoreChange } from "@incusx/sdk";
import { MemoryNetworkState } from "@incusx/testkit";
import type { OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addTransitGatewayPort, incusNames, portUuid, routerSnatFlows, startIncusNorthbound } from "./ovn-incus-layout.js";

let nb: OvnTestNorthbound;
let client: OvsdbClient;

const ID = 7;
const names = incusNames(ID);
const TRANSIT = "ts-incus-ic1-default-ovn0";
const LAYOUT = { id: ID, uplink: "198.51.100.0/24", routerExternal: "198.51.100.10", subnet: "10.0.0.0/24", routerInternal: "10.0.0.1/24" };

beforeEach(async () => {
  ({ nb, client } = await startIncusNorthbound(LAYOUT));
});
afterEach(async () => {
  client?.close();
  await nb?.stop();
});

const state = (): MemoryNetworkState => new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: names.router }] });

function rule(externalIp: string, device = "eth0", logicalIp = "10.0.0.5"): NatRule {
  return { owner: { instance: "c1", device }, network: "ovn0", family: "ipv4", logicalIp, externalIp };
}

/** The lr_out_snat flows of the network's router for `ip4.src == SRC`. */
const snatFlows = (src: string): Promise<string[]> => routerSnatFlows(nb, names.router, src);

/**
 * A router laid out by hand with two distributed gateway ports, neither
 * named `<router>-lrp-ext` nor holding 203.0.113.20 (network `ovn1`), and
 * a backend on it.
 */
async function handRouterBackend(): Promise<OvnNatBackend> {
  await nb.nbctl("lr-add", "lr-hand");
  for (const [port, net, chassis, mac] of [["lrp-a", "192.0.2.1/26", "gwa", "00:16:3e:00:09:01"], ["lrp-b", "192.0.2.65/26", "gwb", "00:16:3e:00:09:02"]] as const) {
    await nb.nbctl("lrp-add", "lr-hand", port, mac, net);
    await nb.nbctl("lrp-set-gateway-chassis", port, chassis, "10");
  }
  const hand = new MemoryNetworkState({ networks: [{ name: "ovn1", type: "ovn", config: {}, ovnRouter: "lr-hand" }] });
  return OvnNatBackend.withClient(client, hand, { member: "m1" });
}

/** Inserts a snat row as libovsdb does (Incus), bypassing ovn-nbctl's own gateway-port checks; `gatewayPort` a port's `_uuid`. */
async function createSnat(externalIp: string, logicalIp: string, gatewayPort?: string): Promise<void> {
  await nb.nbctl(
    "--", "--id=@n", "create", "NAT", "type=snat", `logical_ip="${logicalIp}"`, `external_ip="${externalIp}"`, "options:stateless=false",
    ...(gatewayPort === undefined ? [] : [`gateway_port=${gatewayPort}`]),
    "--", "add", "Logical_Router", names.router, "nat", "@n",
  );
}

/** Waits until northd has processed everything written so far. */
async function synced(): Promise<void> {
  await nb.nbctl("--wait=sb", "sync");
}

/** Every snat row on `logicalIp`: external address and gateway port name ("" when none). */
async function snatRows(logicalIp: string): Promise<string[]> {
  const lines = (await nb.nbctl("--bare", "--columns=external_ip,gateway_port", "find", "NAT", "type=snat", `logical_ip="${logicalIp}"`)).trim();
  const ports = new Map<string, string>();
  for (const name of [names.routerExtPort, TRANSIT]) {
    const id = await portUuid(nb, name);
    if (id !== "") ports.set(id, name);
  }
  const out: string[] = [];
  const fields = lines.split("\n\n").filter((b) => b.trim() !== "");
  for (const block of fields) {
    const [ext = "", gw = ""] = block.split("\n").map((l) => l.trim());
    out.push(`${ext} ${ports.get(gw) ?? gw}`.trim());
  }
  return out.sort();
}

describe("routers with several distributed gateway ports", () => {
  it("a row without gateway_port (Incus's) gets no flow for a routed external address; ours names the uplink's gateway port", async () => {
    await addTransitGatewayPort(nb, ID, TRANSIT, ["192.0.2.1/30"]);
    // What Incus writes (CreateLogicalRouterNAT): no gateway_port. northd cannot place it.
    await createSnat("203.0.113.8", "10.0.0.4/32");
    await synced();
    expect(await snatFlows("10.0.0.4")).toEqual([]);

    const backend = OvnNatBackend.withClient(client, state(), { member: "m1" });
    await backend.ensure(rule("203.0.113.9"));
    expect(await snatRows("10.0.0.5")).toEqual([`203.0.113.9 ${names.routerExtPort}`]);
    await synced();
    const flows = await snatFlows("10.0.0.5");
    expect(flows.join("\n")).toContain("ct_snat(203.0.113.9)");
    expect(flows.join("\n")).toContain(`is_chassis_resident("cr-${names.routerExtPort}")`);
    expect(flows.join("\n")).not.toContain(`cr-${TRANSIT}`);
    // In place: nothing to write again, by ensure or by reconcile.
    const writes = backend.writeTransactions;
    await backend.ensure(rule("203.0.113.9"));
    expect((await backend.reconcile([rule("203.0.113.9")])).transactions).toBe(0);
    expect(backend.writeTransactions).toBe(writes);
  });

  it("an external address inside a gateway port's networks goes on that port", async () => {
    await addTransitGatewayPort(nb, ID, TRANSIT, ["192.0.2.1/24"]);
    const backend = OvnNatBackend.withClient(client, state(), { member: "m1" });
    await backend.ensure(rule("192.0.2.9"));
    expect(await snatRows("10.0.0.5")).toEqual([`192.0.2.9 ${TRANSIT}`]);
    await synced();
    expect((await snatFlows("10.0.0.5")).join("\n")).toContain(`is_chassis_resident("cr-${TRANSIT}")`);
  });

  it("a foreign snat row on the same logical address at another gateway port does not block the NIC's row", async () => {
    const transit = await addTransitGatewayPort(nb, ID, TRANSIT, ["192.0.2.1/30"]);
    // Someone SNATs the NIC's address towards the other availability zone.
    await createSnat("192.0.2.2", "10.0.0.5", transit);
    const backend = OvnNatBackend.withClient(client, state(), { member: "m1" });
    await backend.ensure(rule("203.0.113.9"));
    expect(await snatRows("10.0.0.5")).toEqual([`192.0.2.2 ${TRANSIT}`, `203.0.113.9 ${names.routerExtPort}`]);
    await synced();
    const flows = (await snatFlows("10.0.0.5")).join("\n");
    expect(flows).toContain(`is_chassis_resident("cr-${names.routerExtPort}")`);
    expect(flows).toContain(`is_chassis_resident("cr-${TRANSIT}")`);
    // The foreign row stays when the NIC stops.
    await backend.remove({ instance: "c1", device: "eth0" });
    expect(await snatRows("10.0.0.5")).toEqual([`192.0.2.2 ${TRANSIT}`]);
  });

  it("a foreign row without gateway_port still blocks (it may apply at any gateway port)", async () => {
    await addTransitGatewayPort(nb, ID, TRANSIT, ["192.0.2.1/30"]);
    await createSnat("203.0.113.77", "10.0.0.5");
    const backend = OvnNatBackend.withClient(client, state(), { member: "m1" });
    await expect(backend.ensure(rule("203.0.113.9"))).rejects.toMatchObject({ reason: "foreign-conflict" });
  });

  it("several gateway ports, none the uplink's and none holding the address: one row per gateway port, each reconciled", async () => {
    const backend = await handRouterBackend();
    const r: NatRule = { owner: { instance: "c2", device: "eth0" }, network: "ovn1", family: "ipv4", logicalIp: "10.1.0.5", externalIp: "203.0.113.20" };
    const result = await backend.reconcile([r]);
    expect(result.transactions).toBe(1);
    const rows = (await nb.nbctl("--bare", "--columns=gateway_port", "find", "NAT", "logical_ip=10.1.0.5")).trim().split(/\s+/).filter(Boolean);
    expect(rows.sort()).toEqual([await portUuid(nb, "lrp-a"), await portUuid(nb, "lrp-b")].sort());
    expect((await backend.list()).filter((x) => x.owner.instance === "c2")).toHaveLength(2);
    expect((await backend.reconcile([r])).transactions).toBe(0);

    // One gateway port removed: its row's gateway_port is cleared (weak reference), the router has one DGP left,
    // so the NIC's rows become one row without gateway_port.
    await nb.nbctl("lrp-del", "lrp-b");
    expect((await backend.reconcile([r])).transactions).toBe(1);
    const left = (await nb.nbctl("--bare", "--columns=gateway_port", "find", "NAT", "logical_ip=10.1.0.5")).trim().split("\n");
    expect(left).toEqual([""]);
    expect((await backend.reconcile([r])).transactions).toBe(0);
  });

  it("a keeper's repair on the watch's mirror restores a NIC's row on one of its gateway ports", async () => {
    const backend = await handRouterBackend();
    const changes: NatStoreChange[] = [];
    const watch = await backend.watch((c) => changes.push(c));
    try {
      const rules: NatRule[] = [{ owner: { instance: "c2", device: "eth0" }, network: "ovn1", family: "ipv4", logicalIp: "10.1.0.5", externalIp: "203.0.113.20" }];
      expect((await backend.reconcile(rules)).transactions).toBe(1);
      const b = await portUuid(nb, "lrp-b");
      const gone = (await nb.nbctl("--bare", "--columns=_uuid", "find", "NAT", "logical_ip=10.1.0.5", `gateway_port=${b}`)).trim();
      await nb.nbctl("remove", "Logical_Router", "lr-hand", "nat", gone);
      await expect.poll(() => changes.some((c) => c.reason === "rules"), { timeout: 10_000 }).toBe(true);
      // The same rules array: the restricted repair, planned on the mirror for the changed NIC only.
      const repaired = await backend.reconcile(rules);
      expect(repaired.transactions).toBe(1);
      const ports = (await nb.nbctl("--bare", "--columns=gateway_port", "find", "NAT", "logical_ip=10.1.0.5")).trim().split(/\s+/).filter(Boolean);
      expect(ports.sort()).toEqual([await portUuid(nb, "lrp-a"), b].sort());
      expect((await backend.reconcile(rules)).transactions).toBe(0);
    } finally {
      await watch.close();
    }
  });

  it("the watch does not take the backend's own rows with gateway_port for drift, and reconcile on its mirror writes nothing", async () => {
    await addTransitGatewayPort(nb, ID, TRANSIT, ["192.0.2.1/30"]);
    const backend = OvnNatBackend.withClient(client, state(), { member: "m1" });
    const changes: NatStoreChange[] = [];
    const watch = await backend.watch((c) => changes.push(c));
    try {
      expect((await backend.reconcile([rule("203.0.113.9")])).transactions).toBe(1);
      await backend.ensure(rule("203.0.113.10", "eth1", "10.0.0.6"));
      // A marker write after ours: once its update is in, ours were seen too.
      await nb.nbctl("lr-add", "marker");
      await expect.poll(() => changes.some((c) => c.reason === "router"), { timeout: 10_000 }).toBe(true);
      expect(changes.filter((c) => c.reason === "rules")).toEqual([]);
      const again = await backend.reconcile([rule("203.0.113.9"), rule("203.0.113.10", "eth1", "10.0.0.6")]);
      expect(again.transactions).toBe(0);
      expect(again.conflicts).toEqual([]);
    } finally {
      await watch.close();
    }
  });

  it("a gateway port added later (an OVN-IC integration) is reported, and the same rules are placed on the uplink port", async () => {
    const backend = OvnNatBackend.withClient(client, state(), { member: "m1" });
    const changes: NatStoreChange[] = [];
    const watch = await backend.watch((c) => changes.push(c));
    try {
      const rules = [rule("203.0.113.9")];
      expect((await backend.reconcile(rules)).transactions).toBe(1);
      expect(await snatRows("10.0.0.5")).toEqual(["203.0.113.9"]);
      await addTransitGatewayPort(nb, ID, TRANSIT, ["192.0.2.1/30"]);
      await expect.poll(() => changes.some((c) => c.reason === "router"), { timeout: 10_000 }).toBe(true);
      // The keeper repairs towards the same rules array: the placement changed, so the NIC is planned again.
      expect((await backend.reconcile(rules)).transactions).toBe(1);
      expect(await snatRows("10.0.0.5")).toEqual([`203.0.113.9 ${names.routerExtPort}`]);
      expect((await backend.reconcile(rules)).transactions).toBe(0);
    } finally {
      await watch.close();
    }
  });
});
