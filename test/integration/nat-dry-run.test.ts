// `incusx nat reconcile --dry-run` asks the backend for its plan: what it
// prints (port ranges kept clear of a forward's ports, rules a portless
// forward VIP refuses, rows replaced or removed), its errors and its exit
// status are what the real run then does. Built CLI against a real NB.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NatReconcileReport } from "@incusx/nic";
import type { HostState } from "@incusx/sdk/host";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { incusx } from "./cli-support.js";

const ROUTER = "lr-ovn0";
const STATE: HostState = {
  networks: [
    {
      name: "ovn0",
      type: "ovn",
      ovn_router: ROUTER,
      config: { "ipv4.address": "10.0.0.1/24" },
      forwards: [{ listen_address: "198.51.100.9" }, { listen_address: "198.51.100.10" }],
    },
  ],
  instances: [
    { name: "c1", devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9" } } },
    { name: "c2", devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.6", "ipv4.address.external": "198.51.100.10" } } },
    { name: "c3", devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.7", "ipv4.address.external": "198.51.100.9" } } },
  ],
};

let nb: OvnTestNorthbound;
let dir: string;
let args: string[];

beforeEach(async () => {
  nb = await startOvnNorthbound();
  dir = await mkdtemp(join(tmpdir(), "incusx-nat-dry-run-"));
  await writeFile(join(dir, "state.json"), JSON.stringify(STATE));
  args = ["nat", "reconcile", "--state", "state.json", "--ovn-nb", nb.connection, "--member", "node-a"];
  await nb.nbctl("lr-add", ROUTER);
});
afterEach(async () => {
  await nb?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** A forward as Incus writes it: a Load_Balancer on the router. */
async function forward(name: string, vip: string, target: string): Promise<void> {
  await nb.nbctl("--id=@lb", "create", "Load_Balancer", `name=${name}`, "protocol=tcp", `vips:"${vip}"="${target}"`, "--", "add", "Logical_Router", ROUTER, "load_balancer", "@lb");
}

/** The NAT rows as `logical external range`, sorted. */
async function natRows(): Promise<string[]> {
  const out = await nb.nbctl("--bare", "--columns=logical_ip,external_ip,external_port_range", "find", "NAT");
  return out.split("\n\n").map((row) => row.trim().split("\n").map((f) => f.trim()).join(" ")).filter((row) => row !== "").sort();
}

describe("incusx nat reconcile --dry-run", () => {
  it("prints, reports and exits as the real run then does: port ranges, a rule a forward refuses, rows replaced and removed", async () => {
    // c1 and c2 have plain rows; then forwards come: ports on c1's address, a portless VIP on c2's.
    expect((await incusx([...args, "--json"], dir)).status).toBe(0);
    await forward("fwd-9", "198.51.100.9:443", "10.0.0.50:443");
    await forward("fwd-10", "198.51.100.10", "10.0.0.51");
    const rowsBefore = await natRows();

    const dry = await incusx([...args, "--dry-run"], dir);
    const dryJson = JSON.parse((await incusx([...args, "--dry-run", "--json"], dir)).stdout) as NatReconcileReport;
    expect(await natRows()).toEqual(rowsBefore);
    const real = await incusx(args, dir);
    const realJson = JSON.parse((await incusx([...args, "--dry-run", "--json"], dir)).stdout) as NatReconcileReport;

    expect(dry.stdout).toContain('+ c1/eth0: snat ipv4 10.0.0.5 -> 198.51.100.9 (ports 444-65535) on network "ovn0" would be ensured');
    expect(dry.stdout).toContain('- c2/eth0: snat ipv4 10.0.0.6 -> 198.51.100.10 on network "ovn0" would be removed');
    expect(dry.stderr).toContain('incusx: error[NAT_CONFLICT]: NIC "c2/eth0": External address "198.51.100.10" of NIC "c2/eth0" is a load balancer VIP without a port');
    // The same lines, errors and status as the run that writes.
    expect(dry.stdout.replaceAll("would be ", "").replace(" (dry run)", "")).toBe(real.stdout);
    expect(dry.stderr).toBe(real.stderr);
    expect(dry.status).toBe(1);
    expect(real.status).toBe(1);
    const [planned] = dryJson.backends;
    expect(planned!.result).toMatchObject({ transactions: 0, failed: [{ rule: { owner: { instance: "c2" } }, error: { code: "NAT_CONFLICT" } }] });
    expect(planned!.ensured.map((r) => [r.owner.instance, r.externalPortRange])).toEqual([
      ["c1", "444-65535"],
      ["c3", "444-65535"],
    ]);
    // What was written is what was planned; a dry run now has nothing left to change but the refusal.
    expect(realJson.backends[0]!.ensured).toEqual([]);
    expect(realJson.backends[0]!.removed).toEqual([]);
    expect(await natRows()).toEqual(["10.0.0.5 198.51.100.9 444-65535", "10.0.0.7 198.51.100.9 444-65535"]);
  });
});
