// One NIC validation and NAT suite, two state providers: every case runs
// `incusx nic validate` (the real OVN external-address plugin), `nic start`
// and `nat reconcile` (its validator with a NAT backend in memory) over a
// state file (`--state`) and over a live server holding the same state
// (`--incus-socket`, @incusx/state-incus's fake server), and must give the
// same answer.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PluginSource } from "@incusx/host";
import { natDiff } from "@incusx/nic";
import { ExternalAddressValidator } from "@incusx/plugin-ovn-external-address";
import { API_VERSION, NatBackendExtension, NicValidatorExtension, definePlugin, type NatBackend, type NatRule } from "@incusx/sdk";
import type { HostState } from "@incusx/sdk/host";
import { FakeIncus, incusDataFromHostState } from "@incusx/state-incus/testing";
import { runCli, runCommand } from "../../test/run-cli.js";
import type { Command } from "../command.js";
import { natReconcileCommand } from "./nat-reconcile.js";
import { nicStartCommand } from "./nic-start.js";

const STATE: HostState = {
  networks: [
    {
      name: "ovn0",
      type: "ovn",
      ovn_router: "incus-net1-lr",
      config: { network: "UPLINK", "ipv4.address": "10.0.0.1/24", "ipv6.address": "fd00::1/64" },
      forwards: [{ listen_address: "198.51.100.9" }, { listen_address: "2001:db8::9" }],
      load_balancers: [{ listen_address: "198.51.100.20" }],
    },
    { name: "ovn1", type: "ovn", ovn_router: "incus-net2-lr", config: {}, forwards: [{ listen_address: "198.51.100.10" }] },
    { name: "br0", type: "bridge", config: { "ipv4.address": "192.0.2.1/24" } },
  ],
  instances: [
    {
      name: "c1",
      devices: {
        both: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9", "ipv6.address.external": "2001:db8::9" },
        spelled: { type: "nic", network: "ovn0", "ipv6.address.external": "2001:DB8:0::9" },
        nowhere: { type: "nic", network: "ovn0", "ipv4.address.external": "198.51.100.7" },
        other: { type: "nic", network: "ovn0", "ipv4.address.external": "198.51.100.10" },
        balancer: { type: "nic", network: "ovn0", "ipv4.address.external": "198.51.100.20" },
        family: { type: "nic", network: "ovn0", "ipv4.address.external": "2001:db8::9" },
        outside: { type: "nic", network: "ovn0", "ipv4.address": "10.9.9.9" },
        unknown: { type: "nic", network: "ovn0", "user.foo": "bar", foo: "bar" },
        bridged: { type: "nic", network: "br0", "ipv4.address": "192.0.2.10" },
        root: { type: "disk", path: "/", pool: "default" },
      },
    },
  ],
};

const CASES: readonly (readonly [device: string, status: number, stderr: RegExp | ""])[] = [
  ["both", 0, ""],
  ["spelled", 0, ""],
  ["nowhere", 1, /External address "198\.51\.100\.7" is not a network forward on network "ovn0"/],
  ["other", 1, /External address "198\.51\.100\.10" is not a network forward on network "ovn0"/],
  ["balancer", 1, /External address "198\.51\.100\.20" is not a network forward on network "ovn0"/],
  ["family", 1, /ipv4\.address\.external/],
  ["outside", 1, /10\.9\.9\.9/],
  ["unknown", 1, /Invalid device option "foo"/],
  ["bridged", 0, ""],
];

let dir: string;
let fake: FakeIncus;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "incusx-providers-"));
  await writeFile(join(dir, "state.json"), JSON.stringify(STATE));
  fake = await FakeIncus.start(incusDataFromHostState(STATE));
});
afterAll(async () => {
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
});

const PROVIDERS = [
  ["state file", () => ["--state", "state.json"]],
  ["live server", () => ["--incus-socket", fake.socket]],
] as const;

describe.each(PROVIDERS)("incusx nic validate over a %s", (_name, source) => {
  it.each(CASES)("NIC c1/%s: exit %i", async (device, status, stderr) => {
    const result = await runCli(["nic", "validate", ...source(), "--instance", "c1", "--device", device], dir);
    expect(result.status, result.stderr).toBe(status);
    if (stderr === "") expect(result.stderr).toBe("");
    else expect(result.stderr).toMatch(stderr);
  });

  it("finds no NIC that is not there, and no instance that is not there", async () => {
    const device = await runCli(["nic", "validate", ...source(), "--instance", "c1", "--device", "root"], dir);
    expect(device.status).toBe(1);
    const instance = await runCli(["nic", "validate", ...source(), "--instance", "c9", "--device", "eth0"], dir);
    expect(instance.status).toBe(1);
    expect(instance.stderr).toContain('Instance "c9" not found');
  });
});

it("both providers give the same answers, word for word", async () => {
  for (const [device] of CASES) {
    const [file, server] = await Promise.all(PROVIDERS.map(([, source]) => runCli(["nic", "validate", ...source(), "--instance", "c1", "--device", device, "--json"], dir)));
    expect(server).toEqual(file);
  }
});

// NAT in memory: rules from a NIC's static ipvN.address and its external address.
function memoryNat(): NatBackend & { rules: NatRule[] } {
  const nat = {
    networkType: "ovn",
    rules: [] as NatRule[],
    plan: async (nic: { instance: string; device: string; config: Readonly<Record<string, string>> }) => {
      const rules: NatRule[] = [];
      for (const family of ["ipv4", "ipv6"] as const) {
        const externalIp = nic.config[`${family}.address.external`];
        const logicalIp = nic.config[`${family}.address`];
        if (externalIp !== undefined && logicalIp !== undefined) {
          rules.push({ owner: { instance: nic.instance, device: nic.device }, network: nic.config.network!, family, logicalIp, externalIp });
        }
      }
      return { rules, skipped: [] };
    },
    ensure: async (rule: NatRule) => {
      nat.rules.push(rule);
    },
    remove: async () => undefined,
    list: async () => [...nat.rules],
    reconcile: async (desired: readonly NatRule[]) => {
      const result = natDiff(nat.rules, desired);
      nat.rules = [...desired];
      return result;
    },
  };
  return nat;
}

function natPlugin(nat: NatBackend): { plugins: PluginSource[] } {
  const plugin = definePlugin({
    id: "test.memory-ovn",
    register(registrar) {
      registrar.contribute(NicValidatorExtension, ExternalAddressValidator);
      registrar.contribute(NatBackendExtension, { useValue: nat });
    },
  });
  return { plugins: [{ plugin, manifest: { id: "test.memory-ovn", apiVersions: [API_VERSION], provides: ["nic-validator", "nat-backend"] }, onFailure: "abort" }] };
}

function run(command: Command, argv: readonly string[]) {
  return runCommand(command, argv, dir);
}

const NB = ["--ovn-nb", "unix:/nonexistent/nb.sock"];

describe.each(PROVIDERS)("NAT over a %s", (_name, source) => {
  it("nat reconcile ensures the valid NICs' rules and leaves the invalid ones out", async () => {
    const nat = memoryNat();
    const result = await run(natReconcileCommand(natPlugin(nat)), [...source(), ...NB, "--json"]);
    expect(result.status, result.stderr).toBe(0);
    expect(nat.rules).toEqual([
      { owner: { instance: "c1", device: "both" }, network: "ovn0", family: "ipv4", logicalIp: "10.0.0.5", externalIp: "198.51.100.9" },
    ]);
    const report = JSON.parse(result.stdout) as { backends: { invalid: { device: string }[] }[] };
    expect(report.backends[0]!.invalid.map((n) => n.device).sort()).toEqual(["balancer", "family", "nowhere", "other", "outside", "unknown"]);
  });

  it("nic start applies a valid NIC's rule and refuses an invalid one", async () => {
    const nat = memoryNat();
    const ok = await run(nicStartCommand(natPlugin(nat)), [...source(), ...NB, "--instance", "c1", "--device", "both"]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(nat.rules.map((r) => r.externalIp)).toEqual(["198.51.100.9"]);
    const bad = await run(nicStartCommand(natPlugin(nat)), [...source(), ...NB, "--instance", "c1", "--device", "balancer"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('"198.51.100.20" is not a network forward on network "ovn0"');
  });
});

it("nat reconcile gives the same report over both providers", async () => {
  const [file, server] = await Promise.all(PROVIDERS.map(([, source]) => run(natReconcileCommand(natPlugin(memoryNat())), [...source(), ...NB, "--json"])));
  // When each run began reading its state differs by a few milliseconds; everything else is the same.
  const withoutReadTime = (result: { stdout: string } | undefined) => ({ ...result, stdout: JSON.stringify({ ...JSON.parse(result!.stdout), stateReadAt: 0 }) });
  expect(JSON.parse(file!.stdout).stateReadAt).toEqual(expect.any(Number));
  expect(withoutReadTime(server)).toEqual(withoutReadTime(file));
});
