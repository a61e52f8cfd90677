import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PluginSource } from "@incusx/host";
import { natDiff, type NatReconcileReport, type NicStartResult } from "@incusx/nic";
import ovnPlugin, { ExternalAddressValidator } from "@incusx/plugin-ovn-external-address";
import ovnPackage from "@incusx/plugin-ovn-external-address/package.json" with { type: "json" };
import {
  API_VERSION,
  NatBackendExtension,
  NicValidatorExtension,
  definePlugin,
  type IpFamily,
  type NatBackend,
  type NatOwner,
  type NatPlan,
  type NatReconcileResult,
  type NatRule,
  type NicDevice,
} from "@incusx/sdk";
import type { HostState } from "@incusx/sdk/host";
import { runCli, runCommand } from "../../test/run-cli.js";
import { natListCommand } from "./nat-list.js";
import { natReconcileCommand } from "./nat-reconcile.js";
import { networkForwardCommand } from "./network-forward.js";
import { NORTHBOUND_PATTERN, type NicHostDeps } from "./nic-host.js";
import { nicStartCommand } from "./nic-start.js";
import { nicStopCommand } from "./nic-stop.js";
import { nicValidateCommand } from "./nic-validate.js";

// A NAT backend in memory: plans from the static `ipvN.address` only.
class FakeNat implements NatBackend {
  readonly networkType = "ovn";
  rules: NatRule[] = [];
  writes = 0;
  async plan(nic: NicDevice): Promise<NatPlan> {
    const rules: NatRule[] = [];
    const skipped: { family: IpFamily; reason: string }[] = [];
    for (const family of ["ipv4", "ipv6"] as const) {
      const externalIp = nic.config[`${family}.address.external`];
      if (externalIp === undefined) continue;
      const logicalIp = nic.config[`${family}.address`];
      if (logicalIp === undefined) skipped.push({ family, reason: `NIC "${nic.instance}/${nic.device}" has no ${family} address` });
      else rules.push({ owner: { instance: nic.instance, device: nic.device }, network: nic.config.network!, family, logicalIp, externalIp });
    }
    return { rules, skipped };
  }
  async ensure(rule: NatRule): Promise<void> {
    this.writes++;
    this.rules = [...this.rules.filter((r) => !owns(r, rule.owner, rule.family)), rule];
  }
  async remove(owner: NatOwner, family?: IpFamily): Promise<void> {
    this.rules = this.rules.filter((r) => !owns(r, owner, family));
  }
  async list(): Promise<readonly NatRule[]> {
    return [...this.rules];
  }
  async reconcile(desired: readonly NatRule[]): Promise<NatReconcileResult> {
    const result = natDiff(this.rules, desired);
    this.writes += result.ensured.length + result.removed.length;
    this.rules = [...desired];
    return result;
  }
}

function owns(rule: NatRule, owner: NatOwner, family?: IpFamily): boolean {
  return rule.owner.instance === owner.instance && rule.owner.device === owner.device && (family === undefined || rule.family === family);
}

function fakeDeps(nat: FakeNat): NicHostDeps {
  const plugin = definePlugin({
    id: "test.fake-ovn",
    register(registrar) {
      registrar.contribute(NicValidatorExtension, ExternalAddressValidator);
      registrar.contribute(NatBackendExtension, { useValue: nat });
    },
  });
  const source: PluginSource = {
    plugin,
    manifest: { id: "test.fake-ovn", apiVersions: [API_VERSION], provides: ["nic-validator", "nat-backend"] },
    onFailure: "abort",
  };
  return { plugins: [source] };
}

// The real plugin, handed over in-process (the host would import its built dist/ otherwise).
const REAL: NicHostDeps = {
  plugins: [{ plugin: ovnPlugin, manifest: ovnPackage.incusx, onFailure: "abort" }],
};

const run = runCommand;

const STATE: HostState = {
  networks: [
    {
      name: "ovn0",
      type: "ovn",
      ovn_router: "lr-ovn0",
      forwards: [{ listen_address: "198.51.100.9" }, { listen_address: "2001:db8::9" }],
      load_balancers: [{ listen_address: "198.51.100.20" }],
    },
  ],
  instances: [
    {
      name: "c1",
      devices: {
        eth0: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9", "ipv6.address.external": "2001:db8::9" },
      },
    },
    { name: "c2", devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.6", "ipv4.address.external": "198.51.100.20" } } },
  ],
};

let dir: string;
let nat: FakeNat;
const NB = ["--ovn-nb", "unix:/nonexistent/nb.sock"];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "incusx-cli-nic-"));
  await writeFile(join(dir, "state.json"), JSON.stringify(STATE));
  nat = new FakeNat();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("incusx nic validate", () => {
  it("accepts a NIC whose external addresses are forwards of its network", async () => {
    const result = await run(nicValidateCommand(REAL), ["--state", "state.json", "--instance", "c1", "--device", "eth0"], dir);
    expect(result).toEqual({ status: 0, stdout: 'NIC "c1/eth0" (ovn) is valid\n', stderr: "" });
  });

  it("exits 1 with Incus's message for a load balancer address, which is no forward", async () => {
    const result = await run(nicValidateCommand(REAL), ["--state", "state.json", "--instance", "c2", "--device", "eth0"], dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      'incusx: error[INVALID_CONFIG]: Invalid value for device option "ipv4.address.external": External address "198.51.100.20" is not a network forward on network "ovn0": Network_forward not found\n',
    );
  });

  it("prints the problems as JSON with --json", async () => {
    const result = await run(nicValidateCommand(REAL), ["--json", "--state", "state.json", "--instance", "c2", "--device", "eth0"], dir);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      instance: "c2",
      device: "eth0",
      type: "ovn",
      valid: false,
      problems: [expect.objectContaining({ key: "ipv4.address.external", value: "198.51.100.20" })],
    });
  });

  it("names a missing NIC, a bad state file and a missing option with their codes", async () => {
    const missing = await run(nicValidateCommand(REAL), ["--state", "state.json", "--instance", "c9", "--device", "eth0"], dir);
    expect(missing).toMatchObject({ status: 1, stderr: 'incusx: error[NOT_FOUND]: Instance "c9" not found in the host state\n' });
    await writeFile(join(dir, "bad.json"), JSON.stringify({ networks: [{ name: "x" }] }));
    const bad = await run(nicValidateCommand(REAL), ["--state", "bad.json", "--instance", "c1", "--device", "eth0"], dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(`incusx: error[INVALID_CONFIG]: ${join(dir, "bad.json")}: /networks/0: missing required property "type"\n`);
    const usage = await run(nicValidateCommand(REAL), ["--state", "state.json", "--instance", "c1"], dir);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^incusx: error\[USAGE\]: Missing option "--device"\nRun "incusx nic validate --help"/);
  });

  it("documents its options and exit statuses in --help", async () => {
    const help = await run(nicValidateCommand(REAL), ["--help"], dir);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: incusx nic validate \[options\]/);
    expect(help.stdout).toContain("--state FILE");
    expect(help.stdout).toContain("Exit status: 0 on success; 1 when");
  });
});

describe("incusx nic start and stop (fake NAT backend)", () => {
  const nic = ["--state", "state.json", ...NB, "--instance", "c1", "--device", "eth0"];

  it("applies the planned rule and says which family it skipped", async () => {
    const result = await run(nicStartCommand(fakeDeps(nat)), nic, dir);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      [
        'NIC "c1/eth0": snat ipv4 10.0.0.5 -> 198.51.100.9 on network "ovn0" applied',
        'NIC "c1/eth0": no ipv6 rule: NIC "c1/eth0" has no ipv6 address',
        "",
      ].join("\n"),
    );
    expect(nat.rules).toEqual([{ owner: { instance: "c1", device: "eth0" }, network: "ovn0", family: "ipv4", logicalIp: "10.0.0.5", externalIp: "198.51.100.9" }]);
  });

  it("prints the result as JSON with --json", async () => {
    const result = await run(nicStartCommand(fakeDeps(nat)), [...nic, "--json"], dir);
    const parsed = JSON.parse(result.stdout) as NicStartResult;
    expect(parsed.backend).toBe("ovn");
    expect(parsed.applied).toHaveLength(1);
    expect(parsed.skipped).toEqual([{ family: "ipv6", reason: 'NIC "c1/eth0" has no ipv6 address' }]);
  });

  it("refuses an invalid NIC with exit 1 and writes nothing", async () => {
    const result = await run(nicStartCommand(fakeDeps(nat)), ["--state", "state.json", ...NB, "--instance", "c2", "--device", "eth0"], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('External address "198.51.100.20" is not a network forward on network "ovn0"');
    expect(nat.writes).toBe(0);
  });

  it("stops a NIC, removing its rule and reporting it", async () => {
    await run(nicStartCommand(fakeDeps(nat)), nic, dir);
    const result = await run(nicStopCommand(fakeDeps(nat)), nic, dir);
    expect(result).toMatchObject({ status: 0, stdout: 'NIC "c1/eth0": snat ipv4 10.0.0.5 -> 198.51.100.9 on network "ovn0" removed\n' });
    expect(nat.rules).toEqual([]);
    const again = await run(nicStopCommand(fakeDeps(nat)), nic, dir);
    expect(again.stdout).toBe('NIC "c1/eth0": owned no NAT rule\n');
  });

  it("needs --ovn-nb", async () => {
    const result = await runCli(["nic", "start", "--state", "state.json", "--instance", "c1", "--device", "eth0"], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Missing option "--ovn-nb"/);
  });
});

describe("incusx nat list and reconcile (fake NAT backend)", () => {
  const rule = (instance: string, logicalIp: string): NatRule => ({
    owner: { instance, device: "eth0" },
    network: "ovn0",
    family: "ipv4",
    logicalIp,
    externalIp: "198.51.100.9",
  });

  it("lists owned rules as a table, with the router when --state is given, or as JSON", async () => {
    nat.rules = [rule("c1", "10.0.0.5")];
    const table = await run(natListCommand(fakeDeps(nat)), [...NB, "--state", "state.json"], dir);
    expect(table.stdout).toBe(
      [
        "MEMBER  INSTANCE  DEVICE  NETWORK  ROUTER   FAMILY  LOGICAL IP  EXTERNAL IP",
        "(none)  c1        eth0    ovn0     lr-ovn0  ipv4    10.0.0.5    198.51.100.9",
        "",
      ].join("\n"),
    );
    const json = await run(natListCommand(fakeDeps(nat)), [...NB, "--json"], dir);
    expect(JSON.parse(json.stdout)).toEqual([{ ...rule("c1", "10.0.0.5"), networkType: "ovn" }]);
    const other = await run(natListCommand(fakeDeps(nat)), [...NB, "--state", "state.json", "--router", "lr-other"], dir);
    expect(other.stdout).toBe("No NAT rules owned by incusx.\n");
  });

  it("lists every member's rules with the member, or one member's with --member, which it checks", async () => {
    nat.rules = [{ ...rule("c1", "10.0.0.5"), member: "node1" }, { ...rule("c2", "10.0.0.6"), member: "node2" }];
    const all = await run(natListCommand(fakeDeps(nat)), [...NB], dir);
    expect(all.stdout.split("\n").slice(1, 3).map((l) => l.split(/\s+/)[0])).toEqual(["node1", "node2"]);
    const one = await run(natListCommand(fakeDeps(nat)), [...NB, "--member", "node2", "--json"], dir);
    expect(JSON.parse(one.stdout).map((r: NatRule) => r.owner.instance)).toEqual(["c2"]);
    const bad = await run(natListCommand(fakeDeps(nat)), [...NB, "--member", "no spaces"], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Option "--member": Member name "no spaces" may hold only/);
  });

  it("refuses --router without --state", async () => {
    const result = await run(natListCommand(fakeDeps(nat)), [...NB, "--router", "lr-ovn0"], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Option "--router" needs "--state"/);
  });

  it("shows the changes on a dry run without writing, then applies them, then has nothing to do", async () => {
    nat.rules = [rule("c1", "10.0.0.99"), rule("gone", "10.0.0.7")];
    const dry = await run(natReconcileCommand(fakeDeps(nat)), ["--state", "state.json", ...NB, "--dry-run"], dir);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toBe(
      [
        '+ c1/eth0: snat ipv4 10.0.0.5 -> 198.51.100.9 on network "ovn0" would be ensured',
        '- gone/eth0: snat ipv4 10.0.0.7 -> 198.51.100.9 on network "ovn0" would be removed',
        '  c1/eth0: no ipv6 rule: NIC "c1/eth0" has no ipv6 address',
        "ovn: 1 desired, 1 would be ensured, 1 would be removed, 1 invalid NIC left out (dry run)",
        "",
      ].join("\n"),
    );
    expect(dry.stderr).toContain('incusx: warning: NIC "c2/eth0" left out: Invalid value for device option "ipv4.address.external"');
    expect(nat.writes).toBe(0);

    const real = await run(natReconcileCommand(fakeDeps(nat)), ["--state", "state.json", ...NB, "--json"], dir);
    const report = JSON.parse(real.stdout) as NatReconcileReport;
    expect(report.dryRun).toBe(false);
    expect(report.backends[0]).toMatchObject({ ensured: [rule("c1", "10.0.0.5")], removed: [rule("gone", "10.0.0.7")] });
    expect(nat.rules).toEqual([rule("c1", "10.0.0.5")]);

    const again = await run(natReconcileCommand(fakeDeps(nat)), ["--state", "state.json", ...NB], dir);
    expect(again.stdout).toMatch(/^ovn: 1 desired, 0 ensured, 0 removed, 1 invalid NIC left out$/m);
  });
});

describe("incusx nat reconcile reporting what the backend could not apply", () => {
  it("prints each conflict and failure with its code and exits 1", async () => {
    const c1 = { owner: { instance: "c1", device: "eth0" }, network: "ovn0", family: "ipv4" as const, logicalIp: "10.0.0.5", externalIp: "198.51.100.9" };
    nat.reconcile = async () => ({
      ensured: [],
      removed: [],
      conflicts: [{ rule: c1, router: "lr-ovn0", uuid: "4f1c", logicalIp: "10.0.0.5", externalIp: "198.51.100.77", ownedBy: undefined }],
      failed: [{ rule: c1, error: { code: "NOT_FOUND", message: 'Logical router "lr-ovn0" does not exist' } }],
    });
    const result = await run(natReconcileCommand(fakeDeps(nat)), ["--state", "state.json", ...NB], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'incusx: error[NAT_CONFLICT]: NIC "c1/eth0": snat ipv4 10.0.0.5 -> 198.51.100.9 on network "ovn0" not applied: a row incusx does not own (4f1c, 10.0.0.5 -> 198.51.100.77) already translates it on router "lr-ovn0"',
    );
    expect(result.stderr).toContain('incusx: error[NOT_FOUND]: NIC "c1/eth0": Logical router "lr-ovn0" does not exist');
  });

  it("names the member of a row another member holds, and prints adopted and left-alone legacy rows", async () => {
    const rule = (instance: string, logicalIp: string) =>
      ({ owner: { instance, device: "eth0" }, network: "ovn0", family: "ipv4" as const, logicalIp, externalIp: "198.51.100.9" });
    nat.reconcile = async () => ({
      ensured: [],
      removed: [],
      conflicts: [{ rule: rule("c1", "10.0.0.5"), router: "lr-ovn0", uuid: "9a2b", logicalIp: "10.0.0.5", externalIp: "198.51.100.9", ownedBy: "c1/eth0", member: "node-b" }],
      failed: [],
      adopted: [rule("c3", "10.0.0.7")],
      legacy: [rule("c9", "10.0.0.9")],
    });
    const result = await run(natReconcileCommand(fakeDeps(nat)), ["--state", "state.json", ...NB, "--member", "node-a"], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('not applied: the row of NIC "c1/eth0" of member "node-b" (9a2b, 10.0.0.5 -> 198.51.100.9) already translates it on router "lr-ovn0"');
    expect(result.stdout).toContain('= c3/eth0: snat ipv4 10.0.0.7 -> 198.51.100.9 on network "ovn0" adopted (written before members were recorded)\n');
    expect(result.stdout).toContain('? c9/eth0: snat ipv4 10.0.0.9 -> 198.51.100.9 on network "ovn0" left alone: written before members were recorded, and no NIC of this member asks for it\n');
  });
});

describe("incusx network forward delete", () => {
  const forwardsIn = async (): Promise<string[]> =>
    ((JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as HostState).networks?.[0]?.forwards ?? []).map((f) => f.listen_address);

  it("refuses while a NIC uses the forward, naming instance and device, and leaves the file alone", async () => {
    const result = await run(networkForwardCommand(REAL), ["delete", "--state", "state.json", "--network", "ovn0", "198.51.100.9"], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'incusx: error[IN_USE]: Network forward "198.51.100.9" on network "ovn0" is in use: device "eth0" of instance "c1" has it as "ipv4.address.external"\n',
    );
    expect(await forwardsIn()).toEqual(["198.51.100.9", "2001:db8::9"]);
  });

  it("deletes a forward nothing uses, whatever the address's spelling", async () => {
    await writeFile(join(dir, "state.json"), JSON.stringify({ ...STATE, instances: [] }));
    const result = await run(networkForwardCommand(REAL), ["delete", "--state", "state.json", "--network", "ovn0", "2001:DB8:0::9"], dir);
    expect(result).toEqual({ status: 0, stdout: 'Network forward "2001:db8::9" deleted from network "ovn0"\n', stderr: "" });
    expect(await forwardsIn()).toEqual(["198.51.100.9"]);
  });

  it("says when there is no such forward (a load balancer is none)", async () => {
    const result = await run(networkForwardCommand(REAL), ["delete", "--state", "state.json", "--network", "ovn0", "198.51.100.20"], dir);
    expect(result).toMatchObject({ status: 1, stderr: 'incusx: error[NOT_FOUND]: Network forward "198.51.100.20" not found on network "ovn0"\n' });
  });

  it("takes only the delete action, with one address", async () => {
    expect((await run(networkForwardCommand(REAL), ["--state", "s", "--network", "n"], dir)).stderr).toMatch(/Missing action "delete"/);
    expect((await run(networkForwardCommand(REAL), ["remove", "x"], dir)).stderr).toMatch(/Unknown action "remove"/);
    expect((await run(networkForwardCommand(REAL), ["delete"], dir)).stderr).toMatch(/Missing ADDRESS/);
    const help = await run(networkForwardCommand(REAL), ["--help"], dir);
    expect(help.stdout).toMatch(/^Usage: incusx network forward \[options\] \[delete ADDRESS\]/);
  });

  it("uses the same checks through a test host", async () => {
    const result = await run(networkForwardCommand(fakeDeps(nat)), ["delete", "--state", "state.json", "--network", "ovn0", "2001:db8::9"], dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('device "eth0" of instance "c1" has it as "ipv6.address.external"');
  });
});

describe("incusx nic validate through nicValidateCommand", () => {
  it("runs with injected plugins too", async () => {
    const result = await run(nicValidateCommand(fakeDeps(nat)), ["--state", "state.json", "--instance", "c1", "--device", "eth0"], dir);
    expect(result.status).toBe(0);
  });
});

describe("--ovn-nb", () => {
  it("takes the connection strings the plugin's config schema takes, and no others", async () => {
    const schema = (ovnPackage.incusx.configSchema.properties.northbound as { pattern: string }).pattern;
    expect(NORTHBOUND_PATTERN.source).toBe(schema);
    const result = await run(nicStartCommand(fakeDeps(nat)), ["--state", "state.json", "--ovn-nb", "bogus", "--instance", "c1", "--device", "eth0"], dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^incusx: error\[USAGE\]: Option "--ovn-nb" takes unix:PATH or tcp:HOST:PORT \(comma-separated for a cluster\), not "bogus"/);
    expect(nat.writes).toBe(0);
  });
});
