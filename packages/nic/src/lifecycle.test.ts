import { describe, expect, it } from "vitest";
import {
  InvalidConfigError,
  type ForwardUse,
  type IpFamily,
  type NatBackend,
  type NatListOptions,
  type NatOwner,
  type NatPlan,
  type NatReconcileResult,
  type NatRule,
  type NetworkForward,
  type NicDevice,
  type NicProblem,
  type NicValidator,
} from "@incusx/sdk";
import { MemoryNetworkState } from "@incusx/sdk/testing";
import { NicLifecycle, natDiff } from "./lifecycle.js";

// Plans from static addresses only: `ipvN.address` + `ipvN.address.external`.
class FakeNat implements NatBackend {
  rules: NatRule[] = [];
  calls: string[] = [];
  constructor(readonly networkType = "ovn") {}
  async plan(nic: NicDevice): Promise<NatPlan> {
    const plan: { rules: NatRule[]; skipped: { family: IpFamily; reason: string }[] } = { rules: [], skipped: [] };
    for (const family of ["ipv4", "ipv6"] as const) {
      const externalIp = nic.config[`${family}.address.external`];
      if (externalIp === undefined) continue;
      const logicalIp = nic.config[`${family}.address`];
      if (logicalIp === undefined) plan.skipped.push({ family, reason: `NIC "${nic.instance}/${nic.device}" has no ${family} address` });
      else plan.rules.push({ owner: { instance: nic.instance, device: nic.device }, network: nic.config.network!, family, logicalIp, externalIp });
    }
    return plan;
  }
  async ensure(rule: NatRule): Promise<void> {
    this.calls.push(`ensure ${rule.owner.instance}/${rule.owner.device} ${rule.family}`);
    this.rules = [...this.rules.filter((r) => !same(r, rule.owner, rule.family)), rule];
  }
  async remove(owner: NatOwner, family?: IpFamily): Promise<void> {
    this.calls.push(`remove ${owner.instance}/${owner.device}${family ? ` ${family}` : ""}`);
    this.rules = this.rules.filter((r) => !same(r, owner, family));
  }
  /** Rules of other cluster members: listed only with `allMembers`, as a member-scoped backend does. */
  othersRules: NatRule[] = [];
  async list(options?: NatListOptions): Promise<readonly NatRule[]> {
    return options?.allMembers === true ? [...this.rules, ...this.othersRules] : [...this.rules];
  }
  async reconcile(desired: readonly NatRule[]): Promise<NatReconcileResult> {
    this.calls.push(`reconcile ${desired.length}`);
    const result = natDiff(this.rules, desired);
    this.rules = [...desired];
    return result;
  }
}

function same(rule: NatRule, owner: NatOwner, family?: IpFamily): boolean {
  return rule.owner.instance === owner.instance && rule.owner.device === owner.device && (family === undefined || rule.family === family);
}

// Accepts `ipvN.address.external` only when it is a forward of the NIC's network.
class FakeValidator implements NicValidator {
  readonly nicTypes = ["ovn"];
  readonly keys = ["ipv4.address.external", "ipv6.address.external"];
  constructor(private readonly state: MemoryNetworkState) {}
  async validate(nic: NicDevice): Promise<NicProblem[]> {
    const forwards = (await this.state.forwards(nic.config.network ?? "")).map((f) => f.listenAddress);
    return this.keys
      .filter((key) => nic.config[key] !== undefined && !forwards.includes(nic.config[key]!))
      .map((key) => ({ key, value: nic.config[key]!, message: `Invalid value for device option "${key}": not a forward` }));
  }
  async checkForwardRemoval(forward: NetworkForward): Promise<ForwardUse[]> {
    return (await this.state.nics())
      .filter((n) => n.config.network === forward.network && n.config["ipv4.address.external"] === forward.listenAddress)
      .map((n) => ({ instance: n.instance, device: n.device, key: "ipv4.address.external", message: `used by ${n.instance}/${n.device}` }));
  }
}

function setup() {
  const state = new MemoryNetworkState({
    networks: [
      { name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr-ovn0" },
      { name: "ovn1", type: "ovn", config: {}, ovnRouter: "lr-ovn1" },
      { name: "br0", type: "bridge", config: {} },
    ],
    forwards: [
      { network: "ovn0", listenAddress: "198.51.100.9" },
      { network: "ovn0", listenAddress: "2001:db8::9" },
      { network: "ovn1", listenAddress: "198.51.100.10" },
    ],
    nics: [
      { instance: "c1", device: "eth0", type: "ovn", config: { network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9", "ipv6.address.external": "2001:db8::9" } },
      { instance: "c2", device: "eth0", type: "ovn", config: { network: "ovn1", "ipv4.address": "10.1.0.5", "ipv4.address.external": "198.51.100.10" } },
      { instance: "c3", device: "eth0", type: "bridged", config: { network: "br0" } },
    ],
  });
  const nat = new FakeNat();
  const lifecycle = new NicLifecycle({ state, validators: [new FakeValidator(state)], backends: [nat] });
  return { state, nat, lifecycle };
}

const rule = (instance: string, family: IpFamily, network: string, logicalIp: string, externalIp: string): NatRule => ({
  owner: { instance, device: "eth0" },
  network,
  family,
  logicalIp,
  externalIp,
});

describe("NicLifecycle", () => {
  it("starts a NIC: ensures the planned rules and says which families it skipped and why", async () => {
    const { nat, lifecycle } = setup();
    const result = await lifecycle.start("c1", "eth0");
    expect(result.backend).toBe("ovn");
    expect(result.applied).toEqual([rule("c1", "ipv4", "ovn0", "10.0.0.5", "198.51.100.9")]);
    expect(result.skipped).toEqual([{ family: "ipv6", reason: 'NIC "c1/eth0" has no ipv6 address' }]);
    expect(nat.rules).toEqual(result.applied);
    // The skipped family loses any rule it had (its old address is stale).
    expect(nat.calls).toEqual(["ensure c1/eth0 ipv4", "remove c1/eth0 ipv6"]);
  });

  it("refuses to start an invalid NIC with every problem, writing nothing", async () => {
    const { state, nat, lifecycle } = setup();
    state.putNic({ instance: "c1", device: "eth0", type: "ovn", config: { network: "ovn0", "ipv4.address.external": "198.51.100.7", bogus: "1" } });
    const error = await lifecycle.start("c1", "eth0").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).message.split("\n")).toEqual([
      'Invalid device option "bogus"',
      'Invalid value for device option "ipv4.address.external": not a forward',
    ]);
    expect((error as InvalidConfigError).issues.map((i) => i.path)).toEqual(["bogus", "ipv4.address.external"]);
    expect(nat.calls).toEqual([]);
  });

  it("leaves no rule behind when a start fails half way", async () => {
    const { state, nat, lifecycle } = setup();
    state.putNic({
      instance: "c1",
      device: "eth0",
      type: "ovn",
      config: { network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9", "ipv6.address": "fd00::5", "ipv6.address.external": "2001:db8::9" },
    });
    const ensure = nat.ensure.bind(nat);
    nat.ensure = async (rule) => {
      if (rule.family === "ipv6") throw new Error("transaction failed");
      await ensure(rule);
    };
    await expect(lifecycle.start("c1", "eth0")).rejects.toMatchObject({ code: "PLUGIN_FAILED" });
    expect(nat.rules).toEqual([]);
  });

  it("leaves no rule behind when removing a stale family's rule fails", async () => {
    const { nat, lifecycle } = setup();
    const remove = nat.remove.bind(nat);
    let failed = false;
    nat.remove = async (owner, family) => {
      if (family === "ipv6" && !failed) {
        failed = true;
        throw new Error("transaction failed");
      }
      await remove(owner, family);
    };
    await expect(lifecycle.start("c1", "eth0")).rejects.toMatchObject({ code: "PLUGIN_FAILED" });
    expect(nat.rules).toEqual([]);
  });

  it("names a missing instance or device", async () => {
    const { lifecycle } = setup();
    await expect(lifecycle.start("c9", "eth0")).rejects.toThrow('Instance "c9" not found in the host state');
    await expect(lifecycle.start("c1", "eth7")).rejects.toThrow('Instance "c1" has no NIC "eth7" in the host state');
  });

  it("does nothing for a NIC on a network no backend serves", async () => {
    const { nat, lifecycle } = setup();
    expect(await lifecycle.start("c3", "eth0")).toMatchObject({ applied: [], skipped: [] });
    expect(nat.calls).toEqual([]);
  });

  it("picks the backend whose network type is the NIC's network's", async () => {
    const { state } = setup();
    const ovn = new FakeNat("ovn");
    const bridge = new FakeNat("bridge");
    state.putNic({ instance: "c3", device: "eth0", type: "bridged", config: { network: "br0", "ipv4.address": "192.0.2.5", "ipv4.address.external": "198.51.100.9" } });
    const lifecycle = new NicLifecycle({ state, validators: [], backends: [ovn, bridge] });
    // (no validator owns the key on bridged NICs here, so the host rejects it)
    await expect(lifecycle.start("c3", "eth0")).rejects.toThrow('Invalid device option "ipv4.address.external"');
    state.putNic({ instance: "c3", device: "eth0", type: "bridged", config: { network: "br0" } });
    await lifecycle.start("c3", "eth0");
    expect(bridge.calls).toEqual(["remove c3/eth0 ipv4", "remove c3/eth0 ipv6"]);
    expect(ovn.calls).toEqual([]);
  });

  it("stops a NIC: removes its rules only, and reports them", async () => {
    const { nat, lifecycle } = setup();
    await lifecycle.start("c1", "eth0");
    await lifecycle.start("c2", "eth0");
    const stopped = await lifecycle.stop("c1", "eth0");
    expect(stopped).toEqual({ owner: { instance: "c1", device: "eth0" }, removed: [rule("c1", "ipv4", "ovn0", "10.0.0.5", "198.51.100.9")] });
    expect(nat.rules).toEqual([rule("c2", "ipv4", "ovn1", "10.1.0.5", "198.51.100.10")]);
  });

  it("stops a NIC that is gone from the host state on every backend", async () => {
    const { state, nat, lifecycle } = setup();
    await lifecycle.start("c1", "eth0");
    state.removeNic("c1", "eth0");
    expect((await lifecycle.stop("c1", "eth0")).removed).toHaveLength(1);
    expect(nat.rules).toEqual([]);
  });

  it("lists every backend's rules with network type and router, filtered by network or router", async () => {
    const { lifecycle } = setup();
    await lifecycle.start("c1", "eth0");
    await lifecycle.start("c2", "eth0");
    expect(await lifecycle.listNat()).toEqual([
      { ...rule("c1", "ipv4", "ovn0", "10.0.0.5", "198.51.100.9"), networkType: "ovn", router: "lr-ovn0" },
      { ...rule("c2", "ipv4", "ovn1", "10.1.0.5", "198.51.100.10"), networkType: "ovn", router: "lr-ovn1" },
    ]);
    expect((await lifecycle.listNat({ router: "lr-ovn1" })).map((r) => r.owner.instance)).toEqual(["c2"]);
    expect((await lifecycle.listNat({ network: "ovn0" })).map((r) => r.owner.instance)).toEqual(["c1"]);
    expect(await lifecycle.listNat({ router: "lr-nope" })).toEqual([]);
  });

  it("lists other members' rules too, each naming its member, or one member's; stop reports only this member's", async () => {
    const { nat, lifecycle } = setup();
    await lifecycle.start("c1", "eth0");
    nat.othersRules = [
      { ...rule("c2", "ipv4", "ovn1", "10.1.0.5", "198.51.100.10"), member: "node-b" },
      rule("c9", "ipv4", "ovn0", "10.0.0.9", "198.51.100.9"),
    ];
    expect((await lifecycle.listNat()).map((r) => `${r.owner.instance}@${r.member ?? "-"}`)).toEqual(["c1@-", "c2@node-b", "c9@-"]);
    expect((await lifecycle.listNat({ member: "node-b" })).map((r) => r.owner.instance)).toEqual(["c2"]);
    expect((await lifecycle.listNat({ member: "" })).map((r) => r.owner.instance)).toEqual(["c1", "c9"]);
    expect((await lifecycle.stop("c2", "eth0")).removed).toEqual([]);
  });

  describe("reconcile", () => {
    it("computes the difference without writing on a dry run", async () => {
      const { nat, lifecycle } = setup();
      nat.rules = [rule("c1", "ipv4", "ovn0", "10.0.0.99", "198.51.100.9"), rule("gone", "ipv4", "ovn0", "10.0.0.7", "198.51.100.9")];
      const report = await lifecycle.reconcile({ dryRun: true });
      expect(report.dryRun).toBe(true);
      expect(report.backends).toEqual([
        {
          networkType: "ovn",
          desired: [rule("c1", "ipv4", "ovn0", "10.0.0.5", "198.51.100.9"), rule("c2", "ipv4", "ovn1", "10.1.0.5", "198.51.100.10")],
          ensured: [rule("c1", "ipv4", "ovn0", "10.0.0.5", "198.51.100.9"), rule("c2", "ipv4", "ovn1", "10.1.0.5", "198.51.100.10")],
          removed: [rule("gone", "ipv4", "ovn0", "10.0.0.7", "198.51.100.9")],
          skipped: [{ instance: "c1", device: "eth0", family: "ipv6", reason: 'NIC "c1/eth0" has no ipv6 address' }],
          invalid: [],
          elsewhere: [],
        },
      ]);
      expect(nat.calls).toEqual([]);
    });

    it("leaves NICs whose instance runs on another cluster member to that member", async () => {
      const state = new MemoryNetworkState({
        networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr-ovn0" }],
        forwards: [{ network: "ovn0", listenAddress: "198.51.100.9" }],
        nics: [
          { instance: "here", device: "eth0", type: "ovn", location: "node-a", config: { network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9" } },
          { instance: "there", device: "eth0", type: "ovn", location: "node-b", config: { network: "ovn0", "ipv4.address": "10.0.0.6", "ipv4.address.external": "198.51.100.9" } },
          { instance: "unclustered", device: "eth0", type: "ovn", config: { network: "ovn0", "ipv4.address": "10.0.0.7", "ipv4.address.external": "198.51.100.9" } },
        ],
      });
      const nat = new FakeNat();
      const onA = new NicLifecycle({ state, validators: [new FakeValidator(state)], backends: [nat], member: "node-a" });
      const report = await onA.reconcile();
      expect(report.backends[0]!.desired.map((r) => r.owner.instance)).toEqual(["here", "unclustered"]);
      expect(report.backends[0]!.elsewhere).toEqual([{ instance: "there", device: "eth0", location: "node-b" }]);
      expect(nat.rules.map((r) => r.owner.instance)).toEqual(["here", "unclustered"]);
      // Without a member (a host that does not know its own), every NIC is this host's, as before.
      const anyMember = await new NicLifecycle({ state, validators: [new FakeValidator(state)], backends: [new FakeNat()] }).reconcile({ dryRun: true });
      expect(anyMember.backends[0]!.desired).toHaveLength(3);
      expect(anyMember.backends[0]!.elsewhere).toEqual([]);
    });

    it("asks a backend with planReconcile for its plan on a dry run, and tells reconcile when the state read began", async () => {
      const { state, nat } = setup();
      const seen: unknown[] = [];
      const ranged = { ...rule("c1", "ipv4", "ovn0", "10.0.0.5", "198.51.100.9"), externalPortRange: "444-65535" };
      const planning = Object.assign(nat, {
        planReconcile: async (desired: readonly NatRule[], options?: unknown): Promise<NatReconcileResult> => {
          seen.push(["plan", desired.length, options]);
          return { ensured: [ranged], removed: [] };
        },
      });
      const realReconcile = nat.reconcile.bind(nat);
      const backend: NatBackend = Object.assign(planning, {
        reconcile: async (desired: readonly NatRule[], options?: unknown): Promise<NatReconcileResult> => {
          seen.push(["reconcile", desired.length, options]);
          return realReconcile(desired);
        },
      });
      const lifecycle = new NicLifecycle({ state, validators: [new FakeValidator(state)], backends: [backend] });
      const before = Date.now();
      const dry = await lifecycle.reconcile({ dryRun: true });
      expect(dry.backends[0]).toMatchObject({ ensured: [ranged], removed: [], result: { ensured: [ranged], removed: [] } });
      expect(dry.stateReadAt).toBeGreaterThanOrEqual(before);
      expect(nat.calls).toEqual([]);
      const real = await lifecycle.reconcile();
      expect(seen).toEqual([
        ["plan", 2, { stateReadAt: dry.stateReadAt }],
        ["reconcile", 2, { stateReadAt: real.stateReadAt }],
      ]);
      expect(real.stateReadAt).toBeLessThanOrEqual(Date.now());
    });

    it("hands the desired rules of valid NICs to the backend; invalid NICs are reported and get none", async () => {
      const { state, nat, lifecycle } = setup();
      state.putNic({ instance: "c2", device: "eth0", type: "ovn", config: { network: "ovn1", "ipv4.address": "10.1.0.5", "ipv4.address.external": "198.51.100.99" } });
      nat.rules = [rule("c2", "ipv4", "ovn1", "10.1.0.5", "198.51.100.10")];
      const report = await lifecycle.reconcile();
      expect(nat.calls).toEqual(["reconcile 1"]);
      expect(nat.rules).toEqual([rule("c1", "ipv4", "ovn0", "10.0.0.5", "198.51.100.9")]);
      expect(report.backends[0]?.removed).toEqual([rule("c2", "ipv4", "ovn1", "10.1.0.5", "198.51.100.10")]);
      // The backend's own result is passed on as it is (a real backend adds detail there).
      expect(report.backends[0]?.result).toEqual({ ensured: report.backends[0]?.ensured, removed: report.backends[0]?.removed });
      expect(report.backends[0]?.invalid).toEqual([
        { instance: "c2", device: "eth0", problems: [expect.objectContaining({ key: "ipv4.address.external", value: "198.51.100.99" })] },
      ]);
      // A second run has nothing left to do.
      const again = await lifecycle.reconcile({ dryRun: true });
      expect(again.backends[0]).toMatchObject({ ensured: [], removed: [] });
    });
  });

  it("turns a backend's untyped failure into PLUGIN_FAILED naming the backend and the NIC", async () => {
    const { state, nat } = setup();
    nat.plan = async () => {
      throw new Error("connect ENOENT /run/ovn/ovnnb_db.sock");
    };
    const lifecycle = new NicLifecycle({ state, validators: [new FakeValidator(state)], backends: [nat] });
    const error = await lifecycle.start("c1", "eth0").catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "PLUGIN_FAILED",
      message: 'NAT backend "ovn" failed to plan NIC "c1/eth0": connect ENOENT /run/ovn/ovnnb_db.sock',
    });
    // Typed errors pass unchanged.
    nat.plan = async () => {
      throw new InvalidConfigError("Network \"ovn0\" names no OVN logical router");
    };
    await expect(lifecycle.start("c1", "eth0")).rejects.toBeInstanceOf(InvalidConfigError);
  });

  it("collects the validators' answers on removing a forward", async () => {
    const { lifecycle } = setup();
    expect(await lifecycle.checkForwardRemoval({ network: "ovn0", listenAddress: "198.51.100.9" })).toEqual([
      { instance: "c1", device: "eth0", key: "ipv4.address.external", message: "used by c1/eth0" },
    ]);
    expect(await lifecycle.checkForwardRemoval({ network: "ovn0", listenAddress: "2001:db8::9" })).toEqual([]);
  });
});

describe("natDiff", () => {
  it("ensures what is missing or different and removes slots nothing wants", () => {
    const a = rule("a", "ipv4", "n", "10.0.0.1", "198.51.100.9");
    const b = rule("b", "ipv4", "n", "10.0.0.2", "198.51.100.9");
    const b2 = { ...b, logicalIp: "10.0.0.3" };
    expect(natDiff([a, b], [b2])).toEqual({ ensured: [b2], removed: [a] });
    expect(natDiff([a], [a])).toEqual({ ensured: [], removed: [] });
  });
});
