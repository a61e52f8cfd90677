// Reconciles planned from a host state read before a NIC's start, against a
// real OVN northbound database: the start (another process: its own backend
// and connection, same member) writes the NIC's row after the reconcile read
// the state but before it read the NB. The reconcile must not delete that
// row (the state it planned from cannot say the NIC is unwanted); the next
// one, from a newer state, decides.
import { OvsdbClient, mapRecord, op, type SelectResult } from "@incusx/ovsdb";
import { NicLifecycle } from "@incusx/nic";
import { ExternalAddressValidator, OvnNatBackend } from "@incusx/plugin-ovn-external-address";
import type { NatBackend, NetworkState, NicDevice } from "@incusx/sdk";
import { MemoryNetworkState } from "@incusx/testkit";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const NB = "OVN_Northbound";
const MEMBER = "node-a";

let nb: OvnTestNorthbound;
let clients: OvsdbClient[];

beforeEach(async () => {
  nb = await startOvnNorthbound();
  clients = [];
  await nb.nbctl("lr-add", "lr0");
});
afterEach(async () => {
  for (const c of clients) c.close();
  await nb.stop();
});

function nic(instance: string, address: string): NicDevice {
  return { instance, device: "eth0", type: "ovn", config: { network: "ovn0", "ipv4.address": address, "ipv4.address.external": "198.51.100.9" } };
}

function memoryState(nics: readonly NicDevice[]): MemoryNetworkState {
  return new MemoryNetworkState({
    networks: [{ name: "ovn0", type: "ovn", config: { "ipv4.address": "10.0.0.1/24" }, ovnRouter: "lr0" }],
    forwards: [{ network: "ovn0", listenAddress: "198.51.100.9" }],
    nics,
  });
}

/**
 * A state whose `nics()` answers what it holds when called, then holds the
 * answer until `release()`: what a reconcile planned from is fixed before
 * whatever the test does meanwhile.
 */
class HeldState implements NetworkState {
  #release: () => void = () => undefined;
  readonly #released = new Promise<void>((resolve) => (this.#release = resolve));
  #readOnce: () => void = () => undefined;
  /** Resolves once `nics()` was called. */
  readonly read = new Promise<void>((resolve) => (this.#readOnce = resolve));
  constructor(private readonly inner: NetworkState) {}
  networks = () => this.inner.networks();
  network = (name: string) => this.inner.network(name);
  forwards = (network: string) => this.inner.forwards(network);
  async nics(): Promise<readonly NicDevice[]> {
    const answer = await this.inner.nics();
    this.#readOnce();
    await this.#released;
    return answer;
  }
  release(): void {
    this.#release();
  }
}

/** A host of member `MEMBER` on its own NB connection (one process of that member). */
async function lifecycle(state: NetworkState): Promise<{ lifecycle: NicLifecycle; backend: OvnNatBackend }> {
  const client = await OvsdbClient.connect(nb.connection, { database: NB });
  clients.push(client);
  const backend = OvnNatBackend.withClient(client, state, { member: MEMBER });
  return { lifecycle: new NicLifecycle({ state, validators: [new ExternalAddressValidator(state)], backends: [backend as NatBackend] }), backend };
}

async function instancesWithRows(): Promise<string[]> {
  const [nat] = (await clients[0]!.transact(NB, [op.select("NAT", [], ["external_ids"])])) as [SelectResult];
  return nat.rows.map((r) => mapRecord(r.external_ids)["incusx:instance"] ?? "?").sort();
}

describe("a reconcile planned from a state read before a new NIC's start", () => {
  it("leaves the row that start wrote (reported as spared); the next reconcile keeps it and changes nothing", async () => {
    const before = memoryState([nic("c1", "10.0.0.5")]);
    const after = memoryState([nic("c1", "10.0.0.5"), nic("c2", "10.0.0.6")]);
    const reconciler = await lifecycle(before);
    await reconciler.lifecycle.reconcile();
    expect(await instancesWithRows()).toEqual(["c1"]);

    // The reconcile reads the state (no c2) and is held there.
    const held = new HeldState(before);
    const late = await lifecycle(held);
    const running = late.lifecycle.reconcile();
    await held.read;
    // Meanwhile c2 is added to the state and started by another process of the member.
    const starter = await lifecycle(after);
    await starter.lifecycle.start("c2", "eth0");
    expect(await instancesWithRows()).toEqual(["c1", "c2"]);
    held.release();
    const report = await running;

    const [ovn] = report.backends;
    expect(ovn!.removed).toEqual([]);
    expect(ovn!.result?.spared?.map((r) => r.owner.instance)).toEqual(["c2"]);
    expect(await instancesWithRows()).toEqual(["c1", "c2"]);

    // A reconcile from the newer state wants c2: nothing to do.
    const next = await (await lifecycle(after)).lifecycle.reconcile();
    expect(next.backends[0]!.result).toMatchObject({ ensured: [], removed: [], transactions: 0 });
    expect(await instancesWithRows()).toEqual(["c1", "c2"]);
  });

  it("still removes a row written before the state was read that the state does not want", async () => {
    const both = memoryState([nic("c1", "10.0.0.5"), nic("c2", "10.0.0.6")]);
    await (await lifecycle(both)).lifecycle.reconcile();
    expect(await instancesWithRows()).toEqual(["c1", "c2"]);
    const report = await (await lifecycle(memoryState([nic("c1", "10.0.0.5")]))).lifecycle.reconcile();
    expect(report.backends[0]!.removed.map((r) => r.owner.instance)).toEqual(["c2"]);
    expect(report.backends[0]!.result?.spared ?? []).toEqual([]);
    expect(await instancesWithRows()).toEqual(["c1"]);
  });
});
