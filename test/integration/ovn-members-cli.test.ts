// The two-host scenario through the built CLI: two host states, two
// member names, one real OVN northbound database. Host A's reconcile never
// touches host B's rows; a NIC that moves to B is taken over by B's
// `nic start` and A's later stop and reconcile leave it; a row written
// before members were recorded is adopted or left alone and reported.
// Needs `pnpm run build` (make test does it) and the ovn-central package.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatListEntry } from "@incusx/nic";
import type { HostState, HostStateInstance } from "@incusx/sdk/host";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { incusx } from "./cli-support.js";

function nic(name: string, address: string): HostStateInstance {
  return { name, devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": address, "ipv4.address.external": "198.51.100.9" } } };
}

function hostState(instances: HostStateInstance[]): HostState {
  return {
    networks: [{ name: "ovn0", type: "ovn", ovn_router: "lr-ovn0", config: { "ipv4.address": "10.0.0.1/24" }, forwards: [{ listen_address: "198.51.100.9" }] }],
    instances,
  };
}

describe("two hosts (members) sharing one OVN northbound database through the CLI", () => {
  let nb: OvnTestNorthbound;
  let dir: string;
  const as = (member: string, state: string): string[] => ["--state", state, "--ovn-nb", nb.connection, "--member", member];
  const list = async (): Promise<string[]> => {
    const run = await incusx(["nat", "list", "--ovn-nb", nb.connection, "--json"], dir);
    expect(run.status).toBe(0);
    return (JSON.parse(run.stdout) as NatListEntry[]).map((r) => `${r.owner.instance}@${r.member ?? "-"} ${r.logicalIp}`).sort();
  };

  beforeAll(async () => {
    nb = await startOvnNorthbound();
    dir = await mkdtemp(join(tmpdir(), "incusx-members-cli-"));
    await nb.nbctl("lr-add", "lr-ovn0");
    await writeFile(join(dir, "a.json"), JSON.stringify(hostState([nic("c1", "10.0.0.5")])));
    await writeFile(join(dir, "b.json"), JSON.stringify(hostState([nic("c2", "10.0.0.6")])));
  }, 30_000);
  afterAll(async () => {
    await nb?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("host A's reconcile keeps host B's rule; nat list shows each rule's member", async () => {
    expect((await incusx(["nic", "start", ...as("node-a", "a.json"), "--instance", "c1", "--device", "eth0"], dir)).status).toBe(0);
    expect((await incusx(["nic", "start", ...as("node-b", "b.json"), "--instance", "c2", "--device", "eth0"], dir)).status).toBe(0);
    const reconcile = await incusx(["nat", "reconcile", ...as("node-a", "a.json")], dir);
    expect(reconcile).toMatchObject({ status: 0, stderr: "" });
    expect(reconcile.stdout).toBe("ovn: 1 desired, 0 ensured, 0 removed\n");
    expect(await list()).toEqual(["c1@node-a 10.0.0.5", "c2@node-b 10.0.0.6"]);
    const table = await incusx(["nat", "list", "--ovn-nb", nb.connection], dir);
    expect(table.stdout.split("\n")[0]).toMatch(/^MEMBER\s+INSTANCE\s+DEVICE/);
    expect(table.stdout).toMatch(/^node-b\s+c2\s+eth0\s/m);
    const onlyB = await incusx(["nat", "list", "--ovn-nb", nb.connection, "--member", "node-b", "--json"], dir);
    expect((JSON.parse(onlyB.stdout) as NatListEntry[]).map((r) => r.owner.instance)).toEqual(["c2"]);
  });

  it("moves c1 to host B: B's nic start takes the row over, A's stop and reconcile leave it", async () => {
    await writeFile(join(dir, "b.json"), JSON.stringify(hostState([nic("c1", "10.0.0.5"), nic("c2", "10.0.0.6")])));
    const uuidBefore = (await nb.nbctl("--bare", "--columns=_uuid", "find", "NAT", "logical_ip=10.0.0.5")).trim();
    const start = await incusx(["nic", "start", ...as("node-b", "b.json"), "--instance", "c1", "--device", "eth0"], dir);
    expect(start.stdout).toMatch(/NIC "c1\/eth0": snat ipv4 10\.0\.0\.5 -> 198\.51\.100\.9 on network "ovn0" applied/);
    expect((await nb.nbctl("--bare", "--columns=_uuid", "find", "NAT", "logical_ip=10.0.0.5")).trim()).toBe(uuidBefore);
    // A still lists c1 until it stops it: its reconcile reports B's row, changes nothing and exits 1.
    const early = await incusx(["nat", "reconcile", ...as("node-a", "a.json")], dir);
    expect(early.status).toBe(1);
    expect(early.stderr).toMatch(/NAT_CONFLICT.*the row of NIC "c1\/eth0" of member "node-b"/);
    const stop = await incusx(["nic", "stop", ...as("node-a", "a.json"), "--instance", "c1", "--device", "eth0"], dir);
    expect(stop.stdout).toBe('NIC "c1/eth0": owned no NAT rule\n');
    await writeFile(join(dir, "a.json"), JSON.stringify(hostState([])));
    const later = await incusx(["nat", "reconcile", ...as("node-a", "a.json")], dir);
    expect(later).toMatchObject({ status: 0, stdout: "ovn: 0 desired, 0 ensured, 0 removed\n" });
    expect(await list()).toEqual(["c1@node-b 10.0.0.5", "c2@node-b 10.0.0.6"]);
  });

  it("adopts a row written before members were recorded when the state wants it, and reports the others", async () => {
    const legacy = (instance: string, address: string): string[] => [
      "--", "--id=@n", "create", "NAT", "type=snat", `logical_ip=${address}`, "external_ip=198.51.100.9",
      `external_ids={"incusx:owner"="incusx.ovn-external-address","incusx:instance"="${instance}","incusx:device"="eth0","incusx:network"="ovn0","incusx:family"="ipv4"}`,
      "--", "add", "Logical_Router", "lr-ovn0", "nat", "@n",
    ];
    await nb.nbctl(...legacy("c3", "10.0.0.7"));
    await nb.nbctl(...legacy("c9", "10.0.0.9"));
    await writeFile(join(dir, "a.json"), JSON.stringify(hostState([nic("c3", "10.0.0.7")])));
    const run = await incusx(["nat", "reconcile", ...as("node-a", "a.json")], dir);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^= c3\/eth0: snat ipv4 10\.0\.0\.7 -> 198\.51\.100\.9 on network "ovn0" adopted/m);
    expect(run.stdout).toMatch(/^\? c9\/eth0: snat ipv4 10\.0\.0\.9 -> 198\.51\.100\.9 on network "ovn0" left alone/m);
    expect(run.stdout).toMatch(/ovn: 1 desired, 0 ensured, 0 removed\n$/);
    expect(await list()).toEqual(["c1@node-b 10.0.0.5", "c2@node-b 10.0.0.6", "c3@node-a 10.0.0.7", "c9@- 10.0.0.9"]);
    const table = await incusx(["nat", "list", "--ovn-nb", nb.connection], dir);
    expect(table.stdout).toMatch(/^\(none\)\s+c9\s+eth0\s/m);
  });
});
