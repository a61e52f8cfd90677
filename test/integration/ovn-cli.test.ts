// `incusx nic|nat|network forward` end to end: the built CLI against a real
// OVN northbound ovsdb-server (testkit harness), rows checked with ovn-nbctl.
// Needs `pnpm run build` (make test does it) and the ovn-central package.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatListEntry } from "@incusx/nic";
import type { HostState } from "@incusx/sdk/host";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { incusx } from "./cli-support.js";

const STATE: HostState = {
  networks: [
    {
      name: "ovn0",
      type: "ovn",
      ovn_router: "lr-ovn0",
      config: { "ipv4.address": "10.0.0.1/24", "ipv6.address": "fd00::1/64" },
      forwards: [{ listen_address: "198.51.100.9" }, { listen_address: "2001:db8::9" }],
      load_balancers: [{ listen_address: "198.51.100.20" }],
    },
  ],
  instances: [
    // A static IPv4 address; no IPv6 address at all.
    { name: "c1", devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9" } } },
    // Addresses OVN assigned (dynamic_addresses); the same external IPv4 address as c1, IPv6 spelled non-canonically.
    {
      name: "c2",
      devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address.external": "198.51.100.9", "ipv6.address.external": "2001:DB8:0::9" } },
    },
    // A load balancer address is no forward.
    { name: "bad", devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.8", "ipv4.address.external": "198.51.100.20" } } },
  ],
};

/** The snat rows of the router as `external logical` pairs, sorted. */
async function snatRows(nb: OvnTestNorthbound): Promise<string[]> {
  const out = await nb.nbctl("lr-nat-list", "lr-ovn0");
  return out
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols[0] === "snat")
    .map((cols) => `${cols[1]} ${cols[2]}`)
    .sort();
}

describe("incusx nic, nat and network forward against a real OVN northbound database", () => {
  let nb: OvnTestNorthbound;
  let dir: string;
  let conn: string[];
  const nic = (instance: string) => ["--state", "state.json", ...conn, "--instance", instance, "--device", "eth0"];

  beforeAll(async () => {
    nb = await startOvnNorthbound();
    conn = ["--ovn-nb", nb.connection];
    dir = await mkdtemp(join(tmpdir(), "incusx-ovn-cli-"));
    await writeFile(join(dir, "state.json"), JSON.stringify(STATE, null, 2));
    await nb.nbctl("lr-add", "lr-ovn0");
    await nb.nbctl("ls-add", "ovn0");
    await nb.nbctl("lsp-add", "ovn0", "ovn0-instance-c2-eth0");
    // What ovn-northd writes for a port with "dynamic" addresses.
    await nb.nbctl("set", "Logical_Switch_Port", "ovn0-instance-c2-eth0", 'dynamic_addresses="0a:00:00:00:00:07 10.0.0.7 fd00::7"');
  });

  afterAll(async () => {
    await nb?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("rejects an external address that is no forward with Incus's message, and writes nothing", async () => {
    const validate = await incusx(["nic", "validate", "--state", "state.json", "--instance", "bad", "--device", "eth0"], dir);
    expect(validate).toEqual({
      status: 1,
      stdout: "",
      stderr:
        'incusx: error[INVALID_CONFIG]: Invalid value for device option "ipv4.address.external": External address "198.51.100.20" is not a network forward on network "ovn0": Network_forward not found\n',
    });
    const start = await incusx(["nic", "start", ...nic("bad")], dir);
    expect(start.status).toBe(1);
    expect(start.stderr).toContain('External address "198.51.100.20" is not a network forward on network "ovn0"');
    expect(await snatRows(nb)).toEqual([]);
  });

  it("applies a good external address as one snat row per family, static or dynamic NIC address", async () => {
    const c1 = await incusx(["nic", "start", ...nic("c1")], dir);
    expect(c1.status, c1.stderr).toBe(0);
    expect(c1.stdout).toContain('NIC "c1/eth0": snat ipv4 10.0.0.5 -> 198.51.100.9 on network "ovn0" applied');
    expect(c1.stdout).not.toContain("ipv6"); // c1 asks for no IPv6 rule
    const c2 = await incusx(["nic", "start", ...nic("c2"), "--json"], dir);
    expect(c2.status, c2.stderr).toBe(0);
    expect(JSON.parse(c2.stdout).applied).toEqual([
      { owner: { instance: "c2", device: "eth0" }, network: "ovn0", family: "ipv4", logicalIp: "10.0.0.7", externalIp: "198.51.100.9" },
      { owner: { instance: "c2", device: "eth0" }, network: "ovn0", family: "ipv6", logicalIp: "fd00::7", externalIp: "2001:db8::9" },
    ]);
    expect(await snatRows(nb)).toEqual(["198.51.100.9 10.0.0.5", "198.51.100.9 10.0.0.7", "2001:db8::9 fd00::7"]);
    // Starting again changes nothing.
    expect((await incusx(["nic", "start", ...nic("c1")], dir)).status).toBe(0);
    expect(await snatRows(nb)).toHaveLength(3);
  });

  it("lists the owned rules as JSON, by router", async () => {
    const list = await incusx(["nat", "list", ...conn, "--state", "state.json", "--router", "lr-ovn0", "--json"], dir);
    expect(list.status, list.stderr).toBe(0);
    const rules = JSON.parse(list.stdout) as NatListEntry[];
    expect(rules.map((r) => [r.owner.instance, r.family, r.logicalIp, r.externalIp, r.router]).sort()).toEqual([
      ["c1", "ipv4", "10.0.0.5", "198.51.100.9", "lr-ovn0"],
      ["c2", "ipv4", "10.0.0.7", "198.51.100.9", "lr-ovn0"],
      ["c2", "ipv6", "fd00::7", "2001:db8::9", "lr-ovn0"],
    ]);
    const none = await incusx(["nat", "list", ...conn, "--state", "state.json", "--router", "lr-other"], dir);
    expect(none.stdout).toBe("No NAT rules owned by incusx.\n");
  });

  it("refuses to delete a forward NICs still use, naming each", async () => {
    const refused = await incusx(["network", "forward", "delete", "--state", "state.json", "--network", "ovn0", "198.51.100.9"], dir);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('is in use: device "eth0" of instance "c1" has it as "ipv4.address.external"');
    expect(refused.stderr).toContain('is in use: device "eth0" of instance "c2" has it as "ipv4.address.external"');
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as HostState;
    expect(state.networks?.[0]?.forwards).toHaveLength(2);
  });

  it("stops one NIC without touching the other's rule on the same external address", async () => {
    const stop = await incusx(["nic", "stop", ...nic("c1")], dir);
    expect(stop.status, stop.stderr).toBe(0);
    expect(stop.stdout).toBe('NIC "c1/eth0": snat ipv4 10.0.0.5 -> 198.51.100.9 on network "ovn0" removed\n');
    expect(await snatRows(nb)).toEqual(["198.51.100.9 10.0.0.7", "2001:db8::9 fd00::7"]);
  });

  it("reconciles after tampering with ovn-nbctl: dry run first, then exactly the changes, then nothing", async () => {
    await nb.nbctl("lr-nat-del", "lr-ovn0", "snat", "10.0.0.7");
    await nb.nbctl("lr-nat-add", "lr-ovn0", "snat", "198.51.100.99", "10.0.0.50"); // someone else's row
    const dry = await incusx(["nat", "reconcile", "--state", "state.json", ...conn, "--dry-run", "--json"], dir);
    expect(dry.status, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout).backends[0];
    expect(planned.ensured.map((r: { owner: { instance: string }; logicalIp: string }) => `${r.owner.instance} ${r.logicalIp}`).sort()).toEqual([
      "c1 10.0.0.5",
      "c2 10.0.0.7",
    ]);
    expect(planned.invalid).toEqual([expect.objectContaining({ instance: "bad", device: "eth0" })]);
    expect(await snatRows(nb)).toEqual(["198.51.100.99 10.0.0.50", "2001:db8::9 fd00::7"]);

    const real = await incusx(["nat", "reconcile", "--state", "state.json", ...conn], dir);
    expect(real.status, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/^ovn: 3 desired, 2 ensured, 0 removed, 1 invalid NIC left out$/m);
    expect(real.stderr).toContain('incusx: warning: NIC "bad/eth0" left out');
    expect(await snatRows(nb)).toEqual(["198.51.100.9 10.0.0.5", "198.51.100.9 10.0.0.7", "198.51.100.99 10.0.0.50", "2001:db8::9 fd00::7"]);

    const again = await incusx(["nat", "reconcile", "--state", "state.json", ...conn, "--dry-run"], dir);
    expect(again.stdout).toMatch(/^ovn: 3 desired, 0 would be ensured, 0 would be removed, 1 invalid NIC left out \(dry run\)$/m);
  });

  it("leaves a foreign row on a NIC's address alone, reports it and exits 1", async () => {
    await nb.nbctl("lr-nat-del", "lr-ovn0", "snat", "10.0.0.5");
    await nb.nbctl("lr-nat-add", "lr-ovn0", "snat", "198.51.100.77", "10.0.0.5"); // not ours, same logical address as c1
    const run = await incusx(["nat", "reconcile", "--state", "state.json", ...conn], dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^incusx: error\[NAT_CONFLICT\]: NIC "c1\/eth0": snat ipv4 10\.0\.0\.5 -> 198\.51\.100\.9 on network "ovn0" not applied: a row incusx does not own/m);
    expect(await snatRows(nb)).toContain("198.51.100.77 10.0.0.5");
    expect(await snatRows(nb)).not.toContain("198.51.100.9 10.0.0.5");
    await nb.nbctl("lr-nat-del", "lr-ovn0", "snat", "10.0.0.5");
  });

  it("deletes a forward once nothing uses it", async () => {
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as HostState;
    state.instances = state.instances?.filter((i) => i.name !== "c2");
    await writeFile(join(dir, "state.json"), JSON.stringify(state));
    const deleted = await incusx(["network", "forward", "delete", "--state", "state.json", "--network", "ovn0", "2001:db8:0:0::9"], dir);
    expect(deleted).toEqual({ status: 0, stdout: 'Network forward "2001:db8::9" deleted from network "ovn0"\n', stderr: "" });
  });
});
