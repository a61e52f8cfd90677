// The OVN NatBackend against a real ovsdb-server with OVN's NB schema,
// every row checked with ovn-nbctl.
import { hostname } from "node:os";
import { OvsdbClient, OvsdbProtocolError, type MonitorUpdate } from "@incusx/ovsdb";
import { OvnNatBackend, OvnNatError, ovnSwitchPortName } from "@incusx/plugin-ovn-external-address";
import type { NatRule } from "@incusx/sdk";
import { MemoryNetworkState, describeNatBackendContract } from "@incusx/testkit";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const NB = "OVN_Northbound";

interface Fixture {
  nb: OvnTestNorthbound;
  client: OvsdbClient;
  state: MemoryNetworkState;
  backend: OvnNatBackend;
  stop(): Promise<void>;
}

async function fixture(): Promise<Fixture> {
  const nb = await startOvnNorthbound();
  try {
    await nb.nbctl("lr-add", "lr0");
    const client = await OvsdbClient.connect(nb.connection, { database: NB });
    const state = new MemoryNetworkState({
      networks: [
        { name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr0" },
        { name: "ovn-gone", type: "ovn", config: {}, ovnRouter: "lr-missing" },
      ],
    });
    const backend = OvnNatBackend.withClient(client, state);
    return {
      nb,
      client,
      state,
      backend,
      stop: async () => {
        client.close();
        await nb.stop();
      },
    };
  } catch (error) {
    await nb.stop();
    throw error;
  }
}

describeNatBackendContract("OvnNatBackend on a real NB", async () => {
  const f = await fixture();
  return { backend: f.backend, network: "ovn0", dispose: f.stop };
});

function rule(instance: string, logicalIp: string, externalIp: string, family: "ipv4" | "ipv6" = "ipv4"): NatRule {
  return { owner: { instance, device: "eth0" }, network: "ovn0", family, logicalIp, externalIp };
}

interface NatCsvRow {
  uuid: string;
  type: string;
  logical_ip: string;
  external_ip: string;
  external_ids: string;
}

async function natRows(nb: OvnTestNorthbound): Promise<NatCsvRow[]> {
  const csv = await nb.nbctl("--format=csv", "--data=bare", "--columns=_uuid,type,logical_ip,external_ip,external_ids", "find", "NAT", "type=snat");
  const [, ...lines] = csv.trim().split("\n").filter((l) => l !== "");
  return lines.map((line) => {
    const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, "").replace(/^"|"$/g, "").replace(/""/g, '"'));
    return { uuid: cells[0]!, type: cells[1]!, logical_ip: cells[2]!, external_ip: cells[3]!, external_ids: cells[4]! };
  });
}

function natList(nb: OvnTestNorthbound, router = "lr0"): Promise<string> {
  return nb.nbctl("lr-nat-list", router);
}

let f: Fixture;
beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  await f.stop();
});

describe("OvnNatBackend ensure", () => {
  it("writes one snat row per family on the network's router, plain logical address, owner and member in external_ids", async () => {
    await f.backend.ensure(rule("c1", "10.0.0.5", "198.51.100.9"));
    await f.backend.ensure(rule("c1", "fd00::5", "2001:db8::9", "ipv6"));
    const list = await natList(f.nb);
    expect(list).toMatch(/snat\s+198\.51\.100\.9\s+10\.0\.0\.5\s/);
    expect(list).toMatch(/snat\s+2001:db8::9\s+fd00::5\s/);
    const rows = await natRows(f.nb);
    expect(rows).toHaveLength(2);
    const v4 = rows.find((r) => r.logical_ip === "10.0.0.5")!;
    expect(v4.external_ids.split(" ").sort()).toEqual([
      "incusx:device=eth0",
      "incusx:family=ipv4",
      "incusx:instance=c1",
      `incusx:member=${hostname()}`,
      "incusx:network=ovn0",
      "incusx:owner=incusx.ovn-external-address",
      // When it was written (ms since the epoch): a reconcile from an older state read leaves it.
      expect.stringMatching(/^incusx:written=\d{13}$/),
    ]);
  });

  it("commits nothing when the rule is already in place", async () => {
    const r = rule("c1", "10.0.0.5", "198.51.100.9");
    await f.backend.ensure(r);
    const before = await natRows(f.nb);
    const writes = f.backend.writeTransactions;
    // Every NB change after this point shows up in the monitor; the sentinel marks the end.
    const updates: MonitorUpdate[] = [];
    await f.client.monitor(NB, { NAT: {}, Logical_Router: { columns: ["name", "nat"] } }, (u) => updates.push(u));
    await f.backend.ensure(r);
    await f.backend.ensure({ ...r, logicalIp: "10.0.0.5" });
    // A backend that starts afresh (nothing cached) finds the row in place too.
    const restarted = OvnNatBackend.withClient(f.client, f.state);
    await restarted.ensure(r);
    expect(restarted.writeTransactions).toBe(0);
    await f.nb.nbctl("lr-add", "sentinel");
    await expect.poll(() => updates.length).toBe(2);
    expect(Object.values(updates[1]!.updates.Logical_Router!)).toEqual([{ insert: { name: "sentinel" } }]);
    expect(updates[1]!.updates.NAT).toBeUndefined();
    expect(f.backend.writeTransactions).toBe(writes);
    expect(await natRows(f.nb)).toEqual(before);
  });

  it("replaces the NIC's own old row in one transaction when its address changes", async () => {
    await f.backend.ensure(rule("c1", "10.0.0.5", "198.51.100.9"));
    const writes = f.backend.writeTransactions;
    await f.backend.ensure(rule("c1", "10.0.0.6", "198.51.100.9"));
    expect(f.backend.writeTransactions).toBe(writes + 1);
    const rows = await natRows(f.nb);
    expect(rows.map((r) => r.logical_ip)).toEqual(["10.0.0.6"]);
    expect(await natList(f.nb)).not.toMatch(/10\.0\.0\.5/);
  });

  it("replaces a NIC's row written before a restart when another NIC of the instance was ensured first", async () => {
    const eth1 = (logicalIp: string): NatRule => ({ ...rule("c1", logicalIp, "198.51.100.9"), owner: { instance: "c1", device: "eth1" } });
    await f.backend.ensure(rule("c1", "10.0.0.5", "198.51.100.9"));
    await f.backend.ensure(eth1("10.0.0.6"));
    // The host restarts: a fresh backend sees eth0 first, then eth1 with a new address.
    const restarted = OvnNatBackend.withClient(f.client, f.state);
    await restarted.ensure(rule("c1", "10.0.0.5", "198.51.100.9"));
    await restarted.ensure(eth1("10.0.0.7"));
    expect((await natRows(f.nb)).map((r) => r.logical_ip).sort()).toEqual(["10.0.0.5", "10.0.0.7"]);
  });

  it("refuses a foreign snat row whose IPv6 logical address is spelled differently, as reconcile does", async () => {
    await f.nb.nbctl("--id=@n", "create", "NAT", "type=snat", 'logical_ip="FD00:0::5"', 'external_ip="2001:db8::99"', "--", "add", "Logical_Router", "lr0", "nat", "@n");
    const r = rule("c1", "fd00::5", "2001:db8::9", "ipv6");
    const viaReconcile = await f.backend.reconcile([r]);
    expect(viaReconcile.conflicts).toHaveLength(1);
    await expect(f.backend.ensure(r)).rejects.toMatchObject({ reason: "foreign-conflict" });
    const fresh = OvnNatBackend.withClient(f.client, f.state);
    await expect(fresh.ensure(r)).rejects.toMatchObject({ reason: "foreign-conflict" });
    expect(await f.nb.nbctl("--bare", "--columns=logical_ip", "find", "NAT", "type=snat")).not.toMatch(/fd00::5\b/);
  });

  it("refuses a missing router by name, writing nothing", async () => {
    const attempt = f.backend.ensure({ ...rule("c1", "10.0.0.5", "198.51.100.9"), network: "ovn-gone" });
    await expect(attempt).rejects.toBeInstanceOf(OvnNatError);
    await expect(attempt).rejects.toMatchObject({
      reason: "router-missing",
      code: "NOT_FOUND",
      message: expect.stringMatching(/Logical router "lr-missing" of network "ovn-gone" does not exist/),
    });
    expect(await natRows(f.nb)).toEqual([]);
  });

  it("refuses an unknown network and a rule of the wrong family, naming them", async () => {
    await expect(f.backend.ensure({ ...rule("c1", "10.0.0.5", "198.51.100.9"), network: "nope" })).rejects.toMatchObject({
      reason: "unknown-network",
      code: "NOT_FOUND",
      message: 'Network "nope" is not known to the host',
    });
    await expect(f.backend.ensure(rule("c1", "10.0.0.5", "2001:db8::9"))).rejects.toMatchObject({
      reason: "invalid-rule",
      message: expect.stringContaining('NIC "c1/eth0" on network "ovn0": external address "2001:db8::9" is not an IPv4 address'),
    });
  });

  it("reports a foreign snat row on the same logical address and leaves it alone", async () => {
    await f.nb.nbctl("lr-nat-add", "lr0", "snat", "198.51.100.20", "10.0.0.5");
    const attempt = f.backend.ensure(rule("c1", "10.0.0.5", "198.51.100.9"));
    await expect(attempt).rejects.toMatchObject({ reason: "foreign-conflict", code: "NAT_CONFLICT", message: expect.stringMatching(/10\.0\.0\.5.*c1\/eth0.*lr0.*foreign writer/) });
    const rows = await natRows(f.nb);
    expect(rows.map((r) => [r.logical_ip, r.external_ip])).toEqual([["10.0.0.5", "198.51.100.20"]]);
  });

  it("still refuses a foreign row when the first attempt is the one-round-trip guess (router already known)", async () => {
    await f.backend.ensure(rule("c2", "10.0.0.6", "198.51.100.9"));
    await f.nb.nbctl("lr-nat-add", "lr0", "snat", "198.51.100.20", "10.0.0.5");
    await expect(f.backend.ensure(rule("c1", "10.0.0.5", "198.51.100.9"))).rejects.toMatchObject({ reason: "foreign-conflict" });
    await f.nb.nbctl("lr-del", "lr0");
    await f.nb.nbctl("lr-add", "lr0");
    // Same name, new router: the guess's guard on the router's uuid fails, and the rule lands on the new router.
    await f.backend.ensure(rule("c3", "10.0.0.7", "198.51.100.9"));
    expect(await natList(f.nb)).toMatch(/snat\s+198\.51\.100\.9\s+10\.0\.0\.7/);
  });

  it("does not count a foreign /32 spelling or a row on another router alike: the first conflicts, the second does not", async () => {
    await f.nb.nbctl("lr-add", "lr1");
    await f.nb.nbctl("lr-nat-add", "lr1", "snat", "198.51.100.30", "10.0.0.7");
    await f.backend.ensure(rule("c2", "10.0.0.7", "198.51.100.9"));
    await f.nb.nbctl("--", "--id=@n", "create", "NAT", "type=snat", "logical_ip=10.0.0.8/32", "external_ip=198.51.100.31", "--", "add", "Logical_Router", "lr0", "nat", "@n");
    await expect(f.backend.ensure(rule("c3", "10.0.0.8", "198.51.100.9"))).rejects.toMatchObject({ reason: "foreign-conflict" });
    expect(await natList(f.nb)).toMatch(/10\.0\.0\.7/);
  });
});

describe("OvnNatBackend with concurrent writers", () => {
  it("ends with exactly one row per NIC when two backends on two connections ensure the same NICs at once", async () => {
    const other = await OvsdbClient.connect(f.nb.connection, { database: NB });
    try {
      const second = OvnNatBackend.withClient(other, f.state);
      const rules = Array.from({ length: 20 }, (_, i) => rule(`c${i}`, `10.0.2.${i + 2}`, "198.51.100.9"));
      // Both race on every NIC; half the NICs get a new address from the second writer.
      const moved = rules.map((r, i) => (i % 2 === 0 ? { ...r, logicalIp: `10.0.3.${i + 2}` } : r));
      await Promise.all([Promise.all(rules.map((r) => f.backend.ensure(r))), Promise.all(rules.map((r) => second.ensure(r)))]);
      await Promise.all([...rules.map((r) => f.backend.ensure(r)), ...moved.map((r) => second.ensure(r))]);
      const rows = await natRows(f.nb);
      expect(rows).toHaveLength(rules.length);
      const byOwner = new Map(rows.map((r) => [r.external_ids.match(/incusx:instance=(\S+)/)![1], r.logical_ip]));
      expect(byOwner.size).toBe(rules.length);
      // Whichever writer won, each NIC has one of its two addresses, and a final ensure converges every NIC.
      for (const [i, r] of rules.entries()) expect([r.logicalIp, moved[i]!.logicalIp]).toContain(byOwner.get(`c${i}`));
      for (const r of moved) await second.ensure(r);
      expect((await natRows(f.nb)).map((r) => r.logical_ip).sort()).toEqual(moved.map((r) => r.logicalIp).sort());
    } finally {
      other.close();
    }
  });
});

describe("OvnNatBackend remove", () => {
  it("keeps the other NIC's rule when two NICs share one external address", async () => {
    await f.backend.ensure(rule("c1", "10.0.0.5", "198.51.100.9"));
    await f.backend.ensure(rule("c2", "10.0.0.6", "198.51.100.9"));
    await f.backend.remove({ instance: "c1", device: "eth0" });
    const list = await natList(f.nb);
    expect(list).not.toMatch(/10\.0\.0\.5/);
    expect(list).toMatch(/snat\s+198\.51\.100\.9\s+10\.0\.0\.6/);
  });

  it("keeps the instance's other NIC and family when one NIC is removed", async () => {
    const eth1 = { ...rule("c1", "10.0.0.6", "198.51.100.9"), owner: { instance: "c1", device: "eth1" } };
    await f.backend.ensure(rule("c1", "10.0.0.5", "198.51.100.9"));
    await f.backend.ensure(rule("c1", "fd00::5", "2001:db8::9", "ipv6"));
    await f.backend.ensure(eth1);
    await f.backend.remove({ instance: "c1", device: "eth0" });
    expect((await natRows(f.nb)).map((r) => r.logical_ip)).toEqual(["10.0.0.6"]);
    // A second NIC of the same instance, added after a removal, lands next to it.
    await f.backend.ensure(rule("c1", "10.0.0.7", "198.51.100.9"));
    expect((await natRows(f.nb)).map((r) => r.logical_ip).sort()).toEqual(["10.0.0.6", "10.0.0.7"]);
    expect(await f.backend.list()).toHaveLength(2);
  });

  it("still replaces the NIC's row after a failed remove left it in place", async () => {
    await f.backend.ensure(rule("c1", "10.0.0.5", "198.51.100.9"));
    // The NB fails the remove's read (a broken reply): the row stays.
    const transact = f.client.transact.bind(f.client);
    f.client.transact = () => Promise.reject(new OvsdbProtocolError("broken reply"));
    await expect(f.backend.remove({ instance: "c1", device: "eth0" })).rejects.toMatchObject({ reason: "database" });
    f.client.transact = transact;
    await f.backend.ensure(rule("c1", "10.0.0.6", "198.51.100.9"));
    expect((await natRows(f.nb)).map((r) => r.logical_ip)).toEqual(["10.0.0.6"]);
  });

  it("never deletes a foreign row, even with the same addresses", async () => {
    await f.nb.nbctl("lr-nat-add", "lr0", "snat", "198.51.100.9", "10.0.0.9");
    await f.backend.remove({ instance: "c1", device: "eth0" });
    await f.backend.reconcile([]);
    expect(await natList(f.nb)).toMatch(/snat\s+198\.51\.100\.9\s+10\.0\.0\.9/);
  });
});

describe("OvnNatBackend reconcile", () => {
  it("repairs manual tampering with one transaction, reports foreign conflicts, and is idempotent", async () => {
    const a = rule("a", "10.0.0.2", "198.51.100.9");
    const b = rule("b", "10.0.0.3", "198.51.100.9");
    const c = rule("c", "10.0.0.4", "198.51.100.10");
    const d = rule("d", "10.0.0.5", "198.51.100.10");
    for (const r of [a, b, c]) await f.backend.ensure(r);
    // Tamper: delete a's row, change b's external address, add a foreign row where d wants to go.
    await f.nb.nbctl("lr-nat-del", "lr0", "snat", "10.0.0.2");
    const bRow = (await natRows(f.nb)).find((r) => r.logical_ip === "10.0.0.3")!;
    await f.nb.nbctl("set", "NAT", bRow.uuid, "external_ip=198.51.100.99");
    await f.nb.nbctl("lr-nat-add", "lr0", "snat", "198.51.100.50", "10.0.0.5");
    const writes = f.backend.writeTransactions;
    const result = await f.backend.reconcile([a, b, d]);
    expect(f.backend.writeTransactions).toBe(writes + 1);
    expect(result.ensured).toEqual(expect.arrayContaining([a, b]));
    expect(result.ensured).toHaveLength(2);
    expect(result.removed.map((r) => r.owner.instance).sort()).toEqual(["b", "c"]);
    expect(result.conflicts).toMatchObject([{ rule: d, router: "lr0", logicalIp: "10.0.0.5", externalIp: "198.51.100.50", ownedBy: undefined }]);
    const rows = await natRows(f.nb);
    expect(rows.map((r) => `${r.logical_ip}>${r.external_ip}`).sort()).toEqual(["10.0.0.2>198.51.100.9", "10.0.0.3>198.51.100.9", "10.0.0.5>198.51.100.50"]);
    const again = await f.backend.reconcile([a, b, d]);
    expect(f.backend.writeTransactions).toBe(writes + 1);
    expect([again.ensured, again.removed, again.transactions]).toEqual([[], [], 0]);
    expect(again.conflicts).toHaveLength(1);
  });

  it("reports a rule whose router is missing and still applies the others", async () => {
    const ok = rule("a", "10.0.0.2", "198.51.100.9");
    const gone = { ...rule("b", "10.0.0.3", "198.51.100.9"), network: "ovn-gone" };
    const result = await f.backend.reconcile([ok, gone]);
    expect(result.ensured).toEqual([ok]);
    expect(result.failed.map((x) => [x.rule.owner.instance, x.error.reason])).toEqual([["b", "router-missing"]]);
    expect(await natList(f.nb)).toMatch(/10\.0\.0\.2/);
  });

  it("ensures many NICs in one transaction with ensureAll", async () => {
    const rules = Array.from({ length: 50 }, (_, i) => rule(`c${i}`, `10.0.1.${i + 1}`, "198.51.100.9"));
    const result = await f.backend.ensureAll(rules);
    expect(result.transactions).toBe(1);
    expect(await natRows(f.nb)).toHaveLength(50);
    expect((await f.backend.ensureAll(rules)).transactions).toBe(0);
  });
});

describe("OvnNatBackend plan", () => {
  it("takes a dynamically assigned address from the switch port's dynamic_addresses, and says which family has none", async () => {
    const port = ovnSwitchPortName("ovn0", "c1", "eth0");
    await f.nb.nbctl("ls-add", "ls0");
    await f.nb.nbctl("lsp-add", "ls0", port);
    await f.nb.nbctl("lsp-set-addresses", port, "dynamic");
    await f.nb.nbctl("set", "Logical_Switch_Port", port, 'dynamic_addresses="0a:00:00:00:00:05 10.0.0.50"');
    const nic = {
      instance: "c1",
      device: "eth0",
      type: "ovn",
      config: { network: "ovn0", "ipv4.address.external": "198.51.100.9", "ipv6.address.external": "2001:db8::9" },
    };
    const plan = await f.backend.plan(nic);
    expect(plan.rules).toEqual([rule("c1", "10.0.0.50", "198.51.100.9")]);
    expect(plan.skipped).toEqual([{ family: "ipv6", reason: 'NIC "c1/eth0" has no IPv6 address' }]);
    const staticNic = { ...nic, config: { ...nic.config, "ipv4.address": "10.0.0.60" } };
    expect((await f.backend.plan(staticNic)).rules[0]!.logicalIp).toBe("10.0.0.60");
  });
});
