// The NIC's snat row through real ovn-northd: the logical flows give it a
// higher priority than the network-wide subnet snat (longest prefix wins),
// and a dynamically addressed NIC gets its address from northd's
// dynamic_addresses.
import { OvsdbClient } from "@incusx/ovsdb";
import { OvnNatBackend, ovnSwitchPortName } from "@incusx/plugin-ovn-external-address";
import { MemoryNetworkState } from "@incusx/testkit";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let nb: OvnTestNorthbound;
let client: OvsdbClient;

beforeEach(async () => {
  nb = await startOvnNorthbound({ northd: true });
  client = await OvsdbClient.connect(nb.connection, { database: "OVN_Northbound" });
});
afterEach(async () => {
  client?.close();
  await nb.stop();
});

/** `priority` of the lr_out_snat flow whose match has `ip4.src == SRC`, or undefined. */
async function snatPriority(router: string, src: string): Promise<number | undefined> {
  const flows = (await nb.sbctl("lflow-list", router)).split("\n").filter((l) => l.includes("lr_out_snat"));
  const line = flows.find((l) => new RegExp(`ip4\\.src == ${src.replace(/\./g, "\\.")}( |\\))`).test(l));
  const m = line?.match(/priority=(\d+)/);
  return m ? Number(m[1]) : undefined;
}

describe("NIC snat through ovn-northd", () => {
  it("gets a higher lr_out_snat priority than the network's subnet snat, for a NIC addressed dynamically by OVN", async () => {
    // A gateway router (options:chassis) so northd emits snat flows; the network's
    // internal switch with a subnet, so northd assigns the NIC's address.
    await nb.nbctl("lr-add", "lr0", "--", "set", "Logical_Router", "lr0", "options:chassis=gw1");
    await nb.nbctl("lrp-add", "lr0", "lrp-int", "00:00:00:00:01:01", "10.0.0.1/24");
    await nb.nbctl("lrp-add", "lr0", "lrp-ext", "00:00:00:00:01:02", "198.51.100.1/24");
    await nb.nbctl("ls-add", "ls-int", "--", "set", "Logical_Switch", "ls-int", "other_config:subnet=10.0.0.0/24");
    const port = ovnSwitchPortName("ovn0", "c1", "eth0");
    await nb.nbctl("lsp-add", "ls-int", port, "--", "lsp-set-addresses", port, "dynamic");
    // The network-wide snat Incus writes for the whole subnet (not ours).
    await nb.nbctl("lr-nat-add", "lr0", "snat", "198.51.100.1", "10.0.0.0/24");

    const state = new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr0" }] });
    const backend = OvnNatBackend.withClient(client, state);
    const nic = { instance: "c1", device: "eth0", type: "ovn", config: { network: "ovn0", "ipv4.address.external": "198.51.100.9" } };
    let plan = await backend.plan(nic);
    await expect
      .poll(async () => (plan = await backend.plan(nic)).rules.length, { timeout: 10_000 })
      .toBe(1);
    const logicalIp = plan.rules[0]!.logicalIp;
    expect(logicalIp).toMatch(/^10\.0\.0\.\d+$/);
    const dynamic = (await nb.nbctl("--bare", "--columns=dynamic_addresses", "list", "Logical_Switch_Port", port)).trim();
    expect(dynamic.split(" ")[1]).toBe(logicalIp);

    await backend.ensure(plan.rules[0]!);
    await expect.poll(() => snatPriority("lr0", logicalIp), { timeout: 10_000 }).toBeDefined();
    const nicPriority = (await snatPriority("lr0", logicalIp))!;
    const subnetPriority = await snatPriority("lr0", "10.0.0.0/24");
    expect(subnetPriority).toBeDefined();
    expect(nicPriority).toBeGreaterThan(subnetPriority!);
    const flows = await nb.sbctl("lflow-list", "lr0");
    expect(flows).toMatch(new RegExp(`ip4\\.src == ${logicalIp.replace(/\./g, "\\.")}.*ct_snat\\(198\\.51\\.100\\.9\\)`));

    // Stopping the NIC removes its flow; the subnet snat stays.
    await backend.remove({ instance: "c1", device: "eth0" });
    await expect.poll(() => snatPriority("lr0", logicalIp), { timeout: 10_000 }).toBeUndefined();
    expect(await snatPriority("lr0", "10.0.0.0/24")).toBe(subnetPriority);
  });
});
