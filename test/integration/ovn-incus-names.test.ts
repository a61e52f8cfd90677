// The OVN NAT backend on a northbound database laid out exactly as Incus
// lays it out (ovn-incus-layout.ts), with ovn-northd assigning the NIC's
// address: the dynamic-address lookup finds Incus's port
// `incus-net<network ID>-instance-<instance UUID>-<device>`, the snat row
// reaches the logical flows, and the watch reports a change of that port.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OvsdbClient } from "@incusx/ovsdb";
import { OvnNatBackend } from "@incusx/plugin-ovn-external-address";
import type { NatStoreChange, NicDevice } from "@incusx/sdk";
import { MemoryNetworkState } from "@incusx/testkit";
import type { OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import type { HostState } from "@incusx/sdk/host";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { incusx } from "./cli-support.js";
import { createIncusInstancePort, dynamicAddresses, incusNames, routerSnatFlows, startIncusNorthbound } from "./ovn-incus-layout.js";

let nb: OvnTestNorthbound;
let client: OvsdbClient;

const ID = 7;
const UUID = "8f0c3e4a-5b6d-4e7f-9a1b-2c3d4e5f6a7b";
const LAYOUT = { id: ID, uplink: "198.51.100.0/24", routerExternal: "198.51.100.10", subnet: "10.0.0.0/24", routerInternal: "10.0.0.1/24" };
const names = incusNames(ID);

beforeEach(async () => {
  ({ nb, client } = await startIncusNorthbound(LAYOUT));
});
afterEach(async () => {
  client?.close();
  await nb?.stop();
});

/** The lr_out_snat flow lines of `router` matching `ip4.src == SRC`. */
const snatFlows = (router: string, src: string): Promise<string[]> => routerSnatFlows(nb, router, src);

function nic(extra: Partial<NicDevice> = {}): NicDevice {
  return { instance: "c1", device: "eth0", type: "ovn", config: { network: "ovn0", "ipv4.address.external": "203.0.113.9" }, instanceUuid: UUID, ...extra };
}

describe("Incus's OVN names", () => {
  it("finds the dynamic address of Incus's port (network ID from the router name) and SNATs it on the distributed gateway port", async () => {
    const port = await createIncusInstancePort(nb, ID, UUID, "eth0", "00:16:3e:11:22:33", "m1");
    expect(port).toBe(`incus-net7-instance-${UUID}-eth0`);
    await expect.poll(() => dynamicAddresses(nb, port), { timeout: 10_000 }).toMatch(/^00:16:3e:11:22:33 10\.0\.0\.\d+$/);
    const assigned = (await dynamicAddresses(nb, port)).split(" ")[1]!;

    const state = new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: names.router }] });
    const backend = OvnNatBackend.withClient(client, state, { member: "m1" });
    const plan = await backend.plan(nic());
    expect(plan.skipped).toEqual([]);
    expect(plan.rules).toEqual([
      { owner: { instance: "c1", device: "eth0" }, network: "ovn0", family: "ipv4", logicalIp: assigned, externalIp: "203.0.113.9" },
    ]);
    await backend.ensure(plan.rules[0]!);
    // The row applies on the router's distributed gateway port (its chassis-redirect port), above the subnet snat.
    await expect.poll(async () => (await snatFlows(names.router, assigned)).join("\n"), { timeout: 10_000 }).toContain("ct_snat(203.0.113.9)");
    const line = (await snatFlows(names.router, assigned))[0]!;
    expect(line).toContain(`is_chassis_resident("cr-${names.routerExtPort}")`);
    const subnet = (await snatFlows(names.router, "10.0.0.0/24"))[0]!;
    expect(Number(line.match(/priority=(\d+)/)![1])).toBeGreaterThan(Number(subnet.match(/priority=(\d+)/)![1]));
  });

  it("takes the network ID from the state's network id when the router name does not carry it", async () => {
    // A router renamed by an operator: only the state's id names the port.
    await nb.nbctl("set", "Logical_Router", names.router, "name=edge-router");
    const port = await createIncusInstancePort(nb, ID, UUID, "eth1", "00:16:3e:11:22:44", "m1");
    await expect.poll(() => dynamicAddresses(nb, port), { timeout: 10_000 }).toMatch(/ 10\.0\.0\.\d+$/);
    const assigned = (await dynamicAddresses(nb, port)).split(" ")[1]!;
    const state = new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: "edge-router", id: ID }] });
    const backend = OvnNatBackend.withClient(client, state, { member: "m1" });
    const plan = await backend.plan(nic({ device: "eth1" }));
    expect(plan.rules.map((r) => r.logicalIp)).toEqual([assigned]);
  });

  it("says which ports it looked for when none exists", async () => {
    const state = new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: names.router }] });
    const backend = OvnNatBackend.withClient(client, state, { member: "m1" });
    const plan = await backend.plan(nic({ device: "eth9" }));
    expect(plan.rules).toEqual([]);
    expect(plan.skipped).toEqual([{ family: "ipv4", reason: `NIC "c1/eth9" has no IPv4 address (no logical switch port ${names.instancePort(UUID, "eth9")} or ovn0-instance-c1-eth9)` }]);
  });

  it("reports a change of the Incus-named port a plan read to the watch", async () => {
    const port = await createIncusInstancePort(nb, ID, UUID, "eth0", "00:16:3e:11:22:33", "m1");
    await expect.poll(() => dynamicAddresses(nb, port), { timeout: 10_000 }).toMatch(/ 10\.0\.0\.\d+$/);
    const state = new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: names.router }] });
    const backend = OvnNatBackend.withClient(client, state, { member: "m1" });
    const changes: NatStoreChange[] = [];
    const watch = await backend.watch((change) => changes.push(change));
    try {
      expect((await backend.plan(nic())).rules).toHaveLength(1);
      // Incus restarting the NIC with a static address: northd clears dynamic_addresses.
      await nb.nbctl("lsp-set-addresses", port, "00:16:3e:11:22:33 10.0.0.77");
      await expect.poll(() => changes.find((c) => c.reason === "address")?.detail, { timeout: 10_000 }).toContain(port);
    } finally {
      await watch.close();
    }
  });

  it("`incusx nic start` with a host state file carrying volatile.uuid SNATs the dynamically addressed NIC", async () => {
    const port = await createIncusInstancePort(nb, ID, UUID, "eth0", "00:16:3e:11:22:33", "m1");
    await expect.poll(() => dynamicAddresses(nb, port), { timeout: 10_000 }).toMatch(/ 10\.0\.0\.\d+$/);
    const assigned = (await dynamicAddresses(nb, port)).split(" ")[1]!;
    const state: HostState = {
      networks: [{ name: "ovn0", type: "ovn", ovn_router: names.router, config: { "ipv4.address": "10.0.0.1/24" }, forwards: [{ listen_address: "203.0.113.9" }] }],
      instances: [
        { name: "c1", config: { "volatile.uuid": UUID }, devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address.external": "203.0.113.9" } } },
      ],
    };
    const dir = await mkdtemp(join(tmpdir(), "incusx-incus-names-"));
    try {
      await writeFile(join(dir, "state.json"), JSON.stringify(state));
      const run = await incusx(["nic", "start", "--state", "state.json", "--ovn-nb", nb.connection, "--member", "m1", "--instance", "c1", "--device", "eth0", "--json"], dir);
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      const rows = (await nb.nbctl("--bare", "--columns=logical_ip,external_ip", "find", "NAT", "external_ip=203.0.113.9")).trim().split("\n").map((l) => l.trim()).filter(Boolean);
      expect(rows).toEqual([assigned, "203.0.113.9"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
