// Forwards (OVN load balancers) and the NAT rows, against a real NB: the
// keeper re-screens the NICs when a forward on their external address is
// added, changed or removed (directly on the router or through a load
// balancer group), within 1 s; and a write decided from the load balancers
// as read does not land when they changed before it committed.
import { OvsdbClient } from "@incusx/ovsdb";
import { OvnNatBackend, OvnNatError } from "@incusx/plugin-ovn-external-address";
import type { NatRule } from "@incusx/sdk";
import { MemoryNetworkState } from "@incusx/testkit";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NbObserver, clientChangingBeforeFirstWrite, startKeeperHost, type KeeperHost } from "./nat-keeper-support.js";

/** The repair limit the issue sets. */
const REPAIR_MS = 1000;
const ROUTER = "lr-ovn0";

describe("NAT keeper and forwards", () => {
  let nb: OvnTestNorthbound;
  let observer: NbObserver;
  let keeper: KeeperHost;

  beforeEach(async () => {
    nb = await startOvnNorthbound();
    await nb.nbctl("lr-add", ROUTER);
    observer = await NbObserver.start(nb.connection);
    keeper = await startKeeperHost(nb.connection, [
      { name: "c1", ipv4: "10.0.0.5" },
      { name: "c3", ipv4: "10.0.0.7", external: "198.51.100.10" },
    ]);
    await observer.until(() => observer.rows.size === 2, 10_000, "the first reconcile's rows");
  }, 60_000);
  afterEach(async () => {
    await keeper?.stop();
    await observer?.close();
    await nb?.stop();
  });

  /** Runs `act` and resolves with how long after its start `done` held (checked at every NB update). */
  async function within(act: () => Promise<unknown>, done: () => boolean, what: string): Promise<number> {
    const started = performance.now();
    const at = observer.when(done, 10_000, what);
    await act();
    return (await at) - started;
  }

  it("gives the row a port range when a forward with ports comes on its address, drops the row for a portless VIP, and restores it when the forward goes, each within 1 s", async () => {
    const c3 = observer.row("c3");
    const ranged = await within(
      () => nb.nbctl("--id=@lb", "create", "Load_Balancer", "name=fwd-tcp", "protocol=tcp", 'vips:"198.51.100.9:80"="10.0.0.50:8080"', "--", "add", "Logical_Router", ROUTER, "load_balancer", "@lb"),
      () => observer.row("c1")?.portRange === "81-65535",
      "the port range",
    );
    expect(ranged).toBeLessThan(REPAIR_MS);
    const beforeDrop = keeper.reports.length;
    const dropped = await within(
      () => nb.nbctl("set", "Load_Balancer", "fwd-tcp", 'vips:"198.51.100.9"="10.0.0.50"'),
      () => observer.row("c1") === undefined,
      "the row removed",
    );
    expect(dropped).toBeLessThan(REPAIR_MS);
    // Reported as a drift repair, the refused rule not counted as owned.
    await keeper.report((r) => r.kind === "reconciled" && r.trigger === "drift" && r.ownedRows === 1, beforeDrop, 5000).catch((e) => {
      throw new Error(`${String(e)} ${JSON.stringify(keeper.reports.slice(beforeDrop))}`);
    });
    const restored = await within(
      () => nb.nbctl("lb-del", "fwd-tcp"),
      () => observer.row("c1") !== undefined && observer.row("c1")!.portRange === "",
      "the row back",
    );
    expect(restored).toBeLessThan(REPAIR_MS);
    // The NIC on the other address was never touched.
    expect(observer.row("c3")).toEqual(c3);
  });

  it("follows a forward through a load balancer group of the router", async () => {
    const ms = await within(
      () =>
        nb.nbctl(
          "--id=@lb", "create", "Load_Balancer", "name=dns-udp", "protocol=udp", 'vips:"198.51.100.10:53"="10.0.0.50:53"',
          "--", "--id=@g", "create", "Load_Balancer_Group", "name=grp", "load_balancer=@lb",
          "--", "add", "Logical_Router", ROUTER, "load_balancer_group", "@g",
        ),
      () => observer.row("c3")?.portRange === "54-65535",
      "the port range",
    );
    expect(ms).toBeLessThan(REPAIR_MS);
    const cleared = await within(() => nb.nbctl("clear", "Load_Balancer_Group", "grp", "load_balancer"), () => observer.row("c3")?.portRange === "", "the range cleared");
    expect(cleared).toBeLessThan(REPAIR_MS);
  });
});

describe("a write decided from the load balancers as read", () => {
  let nb: OvnTestNorthbound;
  let client: OvsdbClient;

  beforeEach(async () => {
    nb = await startOvnNorthbound();
    await nb.nbctl("lr-add", ROUTER);
    client = await OvsdbClient.connect(nb.connection, { database: "OVN_Northbound" });
  });
  afterEach(async () => {
    client?.close();
    await nb?.stop();
  });

  /**
   * A backend whose first NAT write runs `meanwhile` (a forward changed by
   * someone else) after the backend decided and before its transaction
   * reaches the NB.
   */
  function backendChangingForwards(meanwhile: () => Promise<unknown>): OvnNatBackend {
    const state = new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: ROUTER }] });
    return OvnNatBackend.withClient(clientChangingBeforeFirstWrite(client, meanwhile), state, { member: "node-a" });
  }

  const rule = (instance: string, logicalIp: string): NatRule => ({ owner: { instance, device: "eth0" }, network: "ovn0", family: "ipv4", logicalIp, externalIp: "198.51.100.9" });
  const portlessForward = (): Promise<string> =>
    nb.nbctl("--id=@lb", "create", "Load_Balancer", "name=fwd", 'vips:"198.51.100.9"="10.0.0.50"', "--", "add", "Logical_Router", ROUTER, "load_balancer", "@lb");

  async function natRows(): Promise<string[]> {
    const lines = (await nb.nbctl("--bare", "--columns=logical_ip,external_port_range", "find", "NAT")).split("\n\n");
    return lines.map((l) => l.trim().split("\n").map((f) => f.trim()).join(" ")).filter((l) => l !== "").sort();
  }

  it("ensure: a portless VIP added meanwhile fails the transaction; the retry refuses the rule and writes nothing", async () => {
    const backend = backendChangingForwards(portlessForward);
    const error = await backend.ensure(rule("c1", "10.0.0.5")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OvnNatError);
    expect(error).toMatchObject({ reason: "forward-lb-conflict" });
    expect(await natRows()).toEqual([]);
  });

  it("reconcile: a forward with ports added meanwhile fails the transaction; the retry writes the row with the port range", async () => {
    const backend = backendChangingForwards(() =>
      nb.nbctl("--id=@lb", "create", "Load_Balancer", "name=fwd", 'vips:"198.51.100.9:443"="10.0.0.50:443"', "--", "add", "Logical_Router", ROUTER, "load_balancer", "@lb"),
    );
    const result = await backend.reconcile([rule("c1", "10.0.0.5"), rule("c2", "10.0.0.6")]);
    expect(result.ensured.map((r) => r.externalPortRange)).toEqual(["444-65535", "444-65535"]);
    expect(await natRows()).toEqual(["10.0.0.5 444-65535", "10.0.0.6 444-65535"]);
  });

  it("reconcile: a portless VIP added meanwhile fails the transaction; the retry refuses both rules", async () => {
    const backend = backendChangingForwards(portlessForward);
    const result = await backend.reconcile([rule("c1", "10.0.0.5"), rule("c2", "10.0.0.6")]);
    expect(result.failed.map((f) => f.error.reason)).toEqual(["forward-lb-conflict", "forward-lb-conflict"]);
    expect(result.transactions).toBe(0);
    expect(await natRows()).toEqual([]);
  });
});
