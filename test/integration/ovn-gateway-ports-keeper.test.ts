// Routers with several distributed gateway ports (one row per port) meet
// the keeper's guarantees, against a real NB: the load balancer guards of a
// write that lands a NIC's rows on every gateway port, the write stamps
// (`incusx:written`) on each of those rows and the state read time that
// spares them, the forward watch re-screening them, and the dry run.
import { OvsdbClient, mapRecord, op, uuidOf, type SelectResult } from "@incusx/ovsdb";
import { OvnNatBackend } from "@incusx/plugin-ovn-external-address";
import type { NatRule, NatStoreChange } from "@incusx/sdk";
import { MemoryNetworkState } from "@incusx/testkit";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientChangingBeforeFirstWrite } from "./nat-keeper-support.js";

const ROUTER = "lr-hand";
const MEMBER = "node-a";

let nb: OvnTestNorthbound;
let client: OvsdbClient;
/** The `_uuid`s of the router's two gateway ports, by name. */
let ports: Map<string, string>;

beforeEach(async () => {
  nb = await startOvnNorthbound();
  // Two distributed gateway ports, neither `<router>-lrp-ext` nor holding 203.0.113.20: every rule goes on both.
  await nb.nbctl("lr-add", ROUTER);
  ports = new Map();
  for (const [port, net, chassis, mac] of [["lrp-a", "192.0.2.1/26", "gwa", "00:16:3e:00:09:01"], ["lrp-b", "192.0.2.65/26", "gwb", "00:16:3e:00:09:02"]] as const) {
    await nb.nbctl("lrp-add", ROUTER, port, mac, net);
    await nb.nbctl("lrp-set-gateway-chassis", port, chassis, "10");
    ports.set((await nb.nbctl("--bare", "--columns=_uuid", "find", "Logical_Router_Port", `name=${port}`)).trim(), port);
  }
  client = await OvsdbClient.connect(nb.connection, { database: "OVN_Northbound" });
});
afterEach(async () => {
  client?.close();
  await nb?.stop();
});

const state = (): MemoryNetworkState => new MemoryNetworkState({ networks: [{ name: "ovn1", type: "ovn", config: {}, ovnRouter: ROUTER }] });

const rule = (instance: string, logicalIp: string): NatRule => ({ owner: { instance, device: "eth0" }, network: "ovn1", family: "ipv4", logicalIp, externalIp: "203.0.113.20" });

interface Row {
  readonly instance: string;
  readonly port: string;
  readonly range: string;
  readonly written: string | undefined;
}

/** Every NAT row: its NIC, gateway port name, port range and write stamp, sorted. */
async function natRows(): Promise<Row[]> {
  const [result] = (await client.transact("OVN_Northbound", [op.select("NAT", [], ["gateway_port", "external_port_range", "external_ids"])])) as [SelectResult];
  return result.rows
    .map((r) => {
      const ids = mapRecord(r.external_ids);
      return { instance: ids["incusx:instance"] ?? "", port: ports.get(uuidOf(r.gateway_port) ?? "") ?? "", range: String(r.external_port_range ?? ""), written: ids["incusx:written"] };
    })
    .sort((a, b) => `${a.instance} ${a.port}`.localeCompare(`${b.instance} ${b.port}`));
}

/** A backend whose first NAT write runs `meanwhile` after it decided and before its transaction reaches the NB. */
function backendChangingForwards(meanwhile: () => Promise<unknown>): OvnNatBackend {
  return OvnNatBackend.withClient(clientChangingBeforeFirstWrite(client, meanwhile), state(), { member: MEMBER });
}

/**
 * Runs `body` with a backend watching the NB (its reports in `changes`),
 * after one write that reconciled `rules` (NIC c1 on both gateway ports).
 */
async function watchedAfterReconcile(body: (backend: OvnNatBackend, changes: NatStoreChange[], rules: NatRule[]) => Promise<void>): Promise<void> {
  const backend = OvnNatBackend.withClient(client, state(), { member: MEMBER });
  const changes: NatStoreChange[] = [];
  const watch = await backend.watch((c) => changes.push(c));
  try {
    const rules = [rule("c1", "10.1.0.5")];
    expect((await backend.reconcile(rules)).transactions).toBe(1);
    await body(backend, changes, rules);
  } finally {
    await watch.close();
  }
}

const forwardWithPorts = (): Promise<string> =>
  nb.nbctl("--id=@lb", "create", "Load_Balancer", "name=fwd", "protocol=tcp", 'vips:"203.0.113.20:443"="10.1.0.50:443"', "--", "add", "Logical_Router", ROUTER, "load_balancer", "@lb");
const portlessForward = (): Promise<string> =>
  nb.nbctl("--id=@lb", "create", "Load_Balancer", "name=fwd", 'vips:"203.0.113.20"="10.1.0.50"', "--", "add", "Logical_Router", ROUTER, "load_balancer", "@lb");

describe("several gateway ports and the load balancer guards", () => {
  it("reconcile: a forward with ports added before the commit fails it; the retry writes the NIC's row on each gateway port with the range", async () => {
    const backend = backendChangingForwards(forwardWithPorts);
    const result = await backend.reconcile([rule("c1", "10.1.0.5")]);
    expect(result.failed).toEqual([]);
    expect(result.transactions).toBe(1);
    expect((await natRows()).map(({ instance, port, range }) => `${instance} ${port} ${range}`)).toEqual(["c1 lrp-a 444-65535", "c1 lrp-b 444-65535"]);
    expect((await backend.reconcile([rule("c1", "10.1.0.5")])).transactions).toBe(0);
  });

  it("ensure: a portless VIP added before the commit fails it; the retry refuses the rule and no gateway port gets a row", async () => {
    const backend = backendChangingForwards(portlessForward);
    await expect(backend.ensure(rule("c1", "10.1.0.5"))).rejects.toMatchObject({ reason: "forward-lb-conflict" });
    expect(await natRows()).toEqual([]);
  });

  it("the dry run plans the rows of every gateway port with the range, writing nothing", async () => {
    await forwardWithPorts();
    const backend = OvnNatBackend.withClient(client, state(), { member: MEMBER });
    const plan = await backend.planReconcile([rule("c1", "10.1.0.5")]);
    expect(plan.transactions).toBe(0);
    expect(plan.ensured.map((r) => r.externalPortRange)).toEqual(["444-65535", "444-65535"]);
    expect(await natRows()).toEqual([]);
  });
});

describe("several gateway ports and the write stamps", () => {
  it("stamps each gateway port's row; a reconcile from a state read before they were written spares both, a newer one removes both", async () => {
    const backend = OvnNatBackend.withClient(client, state(), { member: MEMBER });
    const before = Date.now();
    await backend.ensure(rule("c1", "10.1.0.5"));
    const after = Date.now();
    const rows = await natRows();
    expect(rows.map((r) => r.port)).toEqual(["lrp-a", "lrp-b"]);
    for (const r of rows) {
      expect(Number(r.written)).toBeGreaterThanOrEqual(before);
      expect(Number(r.written)).toBeLessThanOrEqual(after);
    }
    // Planned from a state read before the NIC's start: neither of its rows is this reconcile's to delete.
    const stale = await backend.reconcile([], { stateReadAt: before });
    expect(stale.removed).toEqual([]);
    expect(stale.spared).toHaveLength(2);
    expect(stale.transactions).toBe(0);
    expect(await natRows()).toHaveLength(2);
    // A state read after the writes decides: both go.
    const fresh = await backend.reconcile([], { stateReadAt: Date.now() + 1 });
    expect(fresh.removed).toHaveLength(2);
    expect(await natRows()).toEqual([]);
  });

  it("a row of one gateway port restored by the keeper's repair on the watch's mirror is stamped again", async () => {
    await watchedAfterReconcile(async (backend, changes, rules) => {
      const first = await natRows();
      const b = [...ports].find(([, name]) => name === "lrp-b")![0];
      const gone = (await nb.nbctl("--bare", "--columns=_uuid", "find", "NAT", `gateway_port=${b}`)).trim();
      await nb.nbctl("remove", "Logical_Router", ROUTER, "nat", gone);
      await expect.poll(() => changes.some((c) => c.reason === "rules"), { timeout: 10_000 }).toBe(true);
      const repairedAt = Date.now();
      expect((await backend.reconcile(rules)).transactions).toBe(1);
      const rows = await natRows();
      expect(rows.map((r) => r.port)).toEqual(["lrp-a", "lrp-b"]);
      expect(rows[0]!.written).toBe(first[0]!.written);
      expect(Number(rows[1]!.written)).toBeGreaterThanOrEqual(repairedAt);
      // Its own stamped rows are not drift: nothing more to write.
      expect((await backend.reconcile(rules)).transactions).toBe(0);
    });
  });
});

describe("several gateway ports and the forward watch", () => {
  it("reports a forward on the rules' address and the repair gives the rows on both gateway ports the range, then restores them", async () => {
    await watchedAfterReconcile(async (backend, changes, rules) => {
      await forwardWithPorts();
      await expect.poll(() => changes.some((c) => c.reason === "forward"), { timeout: 10_000 }).toBe(true);
      // The keeper repairs towards the same rules array: every NIC screened again.
      expect((await backend.reconcile(rules)).transactions).toBe(1);
      expect((await natRows()).map(({ port, range }) => `${port} ${range}`)).toEqual(["lrp-a 444-65535", "lrp-b 444-65535"]);
      const reported = changes.length;
      await nb.nbctl("lb-del", "fwd");
      await expect.poll(() => changes.slice(reported).some((c) => c.reason === "forward"), { timeout: 10_000 }).toBe(true);
      expect((await backend.reconcile(rules)).transactions).toBe(1);
      expect((await natRows()).map(({ port, range }) => `${port} ${range}`)).toEqual(["lrp-a ", "lrp-b "]);
      expect((await backend.reconcile(rules)).transactions).toBe(0);
    });
  });
});
