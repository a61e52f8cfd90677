// A NIC's external address that is also a network forward, through real
// ovn-northd and ovn-trace: the NB is laid out as Incus lays it out (router
// with a distributed gateway port, internal switch, the instance's port, the
// network's subnet snat, the forward as Load_Balancers on router and switch),
// plus the row the backend writes. Incus's bug (lxc/incus#2921, #3578): a
// forward's default target written as a portless load balancer VIP makes
// northd skip un-SNAT for all TCP/UDP to that address once any NAT row uses
// it, so the NIC's own outbound TCP/UDP never gets its replies back.
import { OvsdbClient } from "@incusx/ovsdb";
import { OvnNatBackend, OvnNatError } from "@incusx/plugin-ovn-external-address";
import type { NatRule } from "@incusx/sdk";
import { MemoryNetworkState } from "@incusx/testkit";
import { startOvnNorthbound, type OvnTestNorthbound } from "@incusx/testkit/ovsdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/** The cluster member this test's backend writes as. */
const MEMBER = "member-a";

const ROUTER = "incus-net1-lr";
const INT_SWITCH = "incus-net1-ls-int";
const EXT_SWITCH = "incus-net1-ls-ext";
const PROVIDER = "incus-net1-ls-ext-lsp-provider";
const NIC_PORT = "incus-net1-instance-c1-eth0";
const NIC_MAC = "00:16:3e:00:00:05";
const LRP_EXT_MAC = "00:16:3e:00:00:01";
const UPLINK_GW_MAC = "00:00:5e:00:01:01";
const LISTEN = "198.51.100.9";
const NETWORK_SNAT = "198.51.100.2";
const NIC_IP = "10.0.0.5";
const REMOTE = "203.0.113.7";

let nb: OvnTestNorthbound;
let client: OvsdbClient;
let backend: OvnNatBackend;

const rule: NatRule = { owner: { instance: "c1", device: "eth0" }, network: "ovn0", family: "ipv4", logicalIp: NIC_IP, externalIp: LISTEN };

beforeEach(async () => {
  nb = await startOvnNorthbound({ northd: true });
  client = await OvsdbClient.connect(nb.connection, { database: "OVN_Northbound" });
  const state = new MemoryNetworkState({ networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: ROUTER }] });
  backend = OvnNatBackend.withClient(client, state, { member: MEMBER });
  await incusNetwork();
});
afterEach(async () => {
  client?.close();
  await nb?.stop();
});

/** The NB rows Incus writes for an OVN network with uplink (driver_ovn.go setup) and one instance NIC. */
async function incusNetwork(): Promise<void> {
  const n = (...args: string[]) => nb.nbctl(...args);
  await n("ha-chassis-group-add", "incus-net1");
  await n("ha-chassis-group-add-chassis", "incus-net1", "gw1", "10");
  await n("lr-add", ROUTER);
  await n("lrp-add", ROUTER, "incus-net1-lr-lrp-ext", LRP_EXT_MAC, `${NETWORK_SNAT}/24`);
  const group = (await n("--bare", "--columns=_uuid", "find", "HA_Chassis_Group", "name=incus-net1")).trim();
  // The uplink port is a distributed gateway port (HA chassis group), as in Incus.
  await n("set", "Logical_Router_Port", "incus-net1-lr-lrp-ext", `ha_chassis_group=${group}`);
  await n("lrp-add", ROUTER, "incus-net1-lr-lrp-int", "00:16:3e:00:00:02", "10.0.0.1/24");
  await n("ls-add", EXT_SWITCH);
  await routerPort(EXT_SWITCH, "incus-net1-ls-ext-lsp-router", "incus-net1-lr-lrp-ext");
  await n("lsp-add", EXT_SWITCH, PROVIDER, "--", "lsp-set-type", PROVIDER, "localnet", "--", "lsp-set-addresses", PROVIDER, "unknown",
    "--", "lsp-set-options", PROVIDER, "network_name=UPLINK");
  await n("ls-add", INT_SWITCH);
  await routerPort(INT_SWITCH, "incus-net1-ls-int-lsp-router", "incus-net1-lr-lrp-int");
  await n("lsp-add", INT_SWITCH, NIC_PORT, "--", "lsp-set-addresses", NIC_PORT, `${NIC_MAC} ${NIC_IP}`);
  await n("lr-route-add", ROUTER, "0.0.0.0/0", "198.51.100.1");
  // The network-wide snat (ipv4.nat) on the router's uplink address.
  await n("lr-nat-add", ROUTER, "snat", NETWORK_SNAT, "10.0.0.0/24");
  // The uplink gateway's MAC as ovn-controller would learn it (ovn-trace resolves next hops from the SB's MAC_Binding).
  await n("--timeout=30", "--wait=sb", "sync");
  const datapath = (await nb.sbctl("--bare", "--columns=_uuid", "find", "Datapath_Binding", `external_ids:name=${ROUTER}`)).trim();
  await nb.sbctl("create", "MAC_Binding", "logical_port=incus-net1-lr-lrp-ext", "ip=198.51.100.1", `mac="${UPLINK_GW_MAC}"`, `datapath=${datapath}`);
}

async function routerPort(sw: string, port: string, lrp: string): Promise<void> {
  await nb.nbctl("lsp-add", sw, port, "--", "lsp-set-type", port, "router", "--", "lsp-set-addresses", port, "router",
    "--", "lsp-set-options", port, `router-port=${lrp}`);
}

/**
 * The forward as Incus's CreateLoadBalancer writes it: one Load_Balancer per
 * protocol named `<net>-lb-<listen>-<proto>`, in the router's and the internal
 * switch's load_balancer columns.
 */
async function forwardLoadBalancers(vips: Readonly<Record<"tcp" | "udp", Readonly<Record<string, string>>>>): Promise<void> {
  for (const protocol of ["tcp", "udp"] as const) {
    const entries = Object.entries(vips[protocol]);
    if (entries.length === 0) continue;
    await nb.nbctl(
      "--id=@lb", "create", "Load_Balancer", `name=incus-net1-lb-${LISTEN}-${protocol}`, `protocol=${protocol}`,
      ...entries.map(([vip, target]) => `vips:"${vip}"="${target}"`),
      "--", "add", "Logical_Router", ROUTER, "load_balancer", "@lb",
      "--", "add", "Logical_Switch", INT_SWITCH, "load_balancer", "@lb",
    );
  }
}

/** Waits until northd has turned the NB into flows, then traces `packet` from `from` in detail (conntrack: every ct action sees a new connection). */
async function trace(from: "nic" | "uplink", packet: string): Promise<string> {
  await nb.nbctl("--timeout=30", "--wait=sb", "sync");
  const ether =
    from === "nic"
      ? `inport == "${NIC_PORT}" && eth.src == ${NIC_MAC} && eth.dst == 00:16:3e:00:00:02`
      : `inport == "${PROVIDER}" && eth.src == ${UPLINK_GW_MAC} && eth.dst == ${LRP_EXT_MAC}`;
  return nb.trace(...Array(6).fill("--ct=new"), from === "nic" ? INT_SWITCH : EXT_SWITCH, `${ether} && ip.ttl == 64 && ${packet}`);
}

/** The actions of every hit of logical stage `stage` in a detailed trace. */
function stage(text: string, name: string): string[] {
  const lines = text.split("\n");
  return lines.flatMap((line, i) => (new RegExp(`^\\s*\\d+\\. ${name} `).test(line) ? [lines[i + 1]!.trim()] : []));
}

/** The logical switch port a detailed trace finally sends the packet to. */
function deliveredTo(text: string): string | undefined {
  const egress = [...text.matchAll(/^\s*egress\(dp="[^"]+", inport="[^"]+", outport="([^"]+)"\)/gm)].map((m) => m[1]);
  return egress.at(-1);
}

/** The NIC's outbound TCP and UDP go out SNATed to `source` (source ports within `range`, when given). */
async function expectOutboundSnat(source: string, range?: string): Promise<void> {
  for (const l4 of ["tcp && tcp.src == 40000 && tcp.dst == 80", "udp && udp.src == 40001 && udp.dst == 53"]) {
    const t = await trace("nic", `ip4.src == ${NIC_IP} && ip4.dst == ${REMOTE} && ${l4}`);
    expect(stage(t, "lr_out_snat")).toEqual([`ct_snat_in_czone(${source}${range === undefined ? "" : `,${range}`});`]);
    expect(deliveredTo(t)).toBe(PROVIDER);
  }
}

/** Replies to the NIC's outbound TCP and UDP (to the external address) are handed to the SNAT zone to be un-SNATed, not skipped past it. */
async function expectRepliesUnsnatted(): Promise<void> {
  for (const l4 of ["tcp && tcp.src == 80 && tcp.dst == 40000", "udp && udp.src == 53 && udp.dst == 40001"]) {
    const t = await trace("uplink", `ip4.src == ${REMOTE} && ip4.dst == ${LISTEN} && ${l4}`);
    expect(stage(t, "lr_in_unsnat")).toEqual(["ct_snat_in_czone;"]);
  }
}

/** Inbound traffic to the listen address and `l4` reaches the NIC, translated by `dnat`. */
async function expectInbound(l4: string, dnat: string): Promise<void> {
  const t = await trace("uplink", `ip4.src == ${REMOTE} && ip4.dst == ${LISTEN} && ${l4}`);
  expect(stage(t, "lr_in_dnat")).toEqual([dnat]);
  expect(deliveredTo(t)).toBe(NIC_PORT);
}

async function natRowsOn(address: string): Promise<string> {
  return (await nb.nbctl("--bare", "--columns=type,logical_ip", "find", "NAT", `external_ip="${address}"`)).trim();
}

describe("NIC external address on a network forward, through ovn-northd and ovn-trace", () => {
  it("forward with port maps (port VIPs): the snat row keeps SNATed source ports off the VIP ports; outbound is SNATed, replies un-SNATed, the forward's ports still reach the target", async () => {
    await forwardLoadBalancers({ tcp: { [`${LISTEN}:443`]: `${NIC_IP}:443` }, udp: { [`${LISTEN}:5353`]: `${NIC_IP}:53` } });
    await backend.ensure(rule);
    expect(await natRowsOn(LISTEN)).toBe(`snat\n${NIC_IP}`);
    // northd skips un-SNAT for the VIP's own ports (never for all TCP/UDP): a reply to a
    // connection the NIC opened from source port 443 or 5353 would skip it too, so those ports are left out.
    await nb.nbctl("--timeout=30", "--wait=sb", "sync");
    const flows = await nb.sbctl("lflow-list", ROUTER);
    expect(flows).toContain(`match=(ip4 && ip4.dst == ${LISTEN} && tcp && tcp.dst == 443), action=(next;)`);
    expect(flows).toContain(`match=(ip4 && ip4.dst == ${LISTEN} && udp && udp.dst == 5353), action=(next;)`);
    expect(flows).not.toContain(`match=(ip4 && ip4.dst == ${LISTEN} && tcp), action=(next;)`);
    await expectOutboundSnat(LISTEN, "5354-65535");
    await expectRepliesUnsnatted();
    await expectInbound("tcp && tcp.src == 50000 && tcp.dst == 443", `ct_lb_mark(backends=${NIC_IP}:443);`);
    await expectInbound("udp && udp.src == 50000 && udp.dst == 5353", `ct_lb_mark(backends=${NIC_IP}:53);`);
    // Reconcile agrees with ensure: nothing to change.
    expect((await backend.reconcile([rule])).transactions).toBe(0);
  });

  it("forward default target as a dnat row (Incus with PR 3596): snat + dnat give both directions", async () => {
    await nb.nbctl("lr-nat-add", ROUTER, "dnat", LISTEN, NIC_IP);
    await forwardLoadBalancers({ tcp: { [`${LISTEN}:443`]: `${NIC_IP}:8443` }, udp: {} });
    await backend.ensure(rule);
    await expectOutboundSnat(LISTEN, "444-65535");
    await expectRepliesUnsnatted();
    await expectInbound("tcp && tcp.src == 50000 && tcp.dst == 22", `ct_dnat_in_czone(${NIC_IP});`);
    await expectInbound("tcp && tcp.src == 50000 && tcp.dst == 443", `ct_lb_mark(backends=${NIC_IP}:8443);`);
  });

  it("forward default target as a portless VIP (Incus before PR 3596): no NAT row on the address, which would break the NIC's TCP/UDP", async () => {
    await forwardLoadBalancers({ tcp: { [LISTEN]: NIC_IP }, udp: { [LISTEN]: NIC_IP } });
    const error = await backend.ensure(rule).then(() => undefined, (e: unknown) => e);
    // With a snat row on the VIP, northd would skip un-SNAT for every TCP/UDP packet to it (priority 120, action next).
    await nb.nbctl("--timeout=30", "--wait=sb", "sync");
    const unsnat = (await nb.sbctl("lflow-list", ROUTER)).split("\n").filter((l) => l.includes("lr_in_unsnat") && l.includes(LISTEN));
    expect(unsnat).toEqual([]);
    expect(error).toBeInstanceOf(OvnNatError);
    expect((error as OvnNatError).reason).toBe("forward-lb-conflict");
    expect((error as OvnNatError).message).toContain(`incus-net1-lb-${LISTEN}-tcp`);
    expect(await natRowsOn(LISTEN)).toBe("");
    // The NIC keeps working through the network's snat; the forward still reaches it on every port.
    await expectOutboundSnat(NETWORK_SNAT);
    await expectInbound("tcp && tcp.src == 50000 && tcp.dst == 22", `ct_lb_mark(backends=${NIC_IP});`);
  });

  it("a row written before the portless VIP appeared is removed by reconcile and reported", async () => {
    await backend.ensure(rule);
    expect(await natRowsOn(LISTEN)).toBe(`snat\n${NIC_IP}`);
    await forwardLoadBalancers({ tcp: { [LISTEN]: NIC_IP }, udp: { [LISTEN]: NIC_IP } });
    const result = await backend.reconcile([rule]);
    expect(result.removed).toEqual([{ ...rule, member: MEMBER }]);
    expect(result.failed.map((f) => f.error.reason)).toEqual(["forward-lb-conflict"]);
    expect(await natRowsOn(LISTEN)).toBe("");
    await expectOutboundSnat(NETWORK_SNAT);
    // Nothing changes on a second run.
    expect((await backend.reconcile([rule])).transactions).toBe(0);
  });

  it("ensureAll removes the NIC's row too and reports the rule; another NIC's row on another address stays", async () => {
    const other: NatRule = { ...rule, owner: { instance: "c2", device: "eth0" }, logicalIp: "10.0.0.6", externalIp: "198.51.100.10" };
    await backend.ensureAll([rule, other]);
    await forwardLoadBalancers({ tcp: { [LISTEN]: NIC_IP }, udp: { [LISTEN]: NIC_IP } });
    const result = await backend.ensureAll([rule, other]);
    expect(result.failed.map((f) => [f.rule.owner.instance, f.error.reason])).toEqual([["c1", "forward-lb-conflict"]]);
    expect(await natRowsOn(LISTEN)).toBe("");
    expect(await natRowsOn("198.51.100.10")).toBe("snat\n10.0.0.6");
  });
});
