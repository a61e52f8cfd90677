import type { IpFamily, NatBackend, NatOwner, NatPlan, NatReconcileResult, NatRule, NicDevice } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { runContract } from "./contract.js";
import { describeNatBackendContract, natBackendContract, type NatBackendFixture } from "./nat-backend-contract.js";

const sameOwner = (a: NatOwner, b: NatOwner): boolean => a.instance === b.instance && a.device === b.device;
const sameRule = (a: NatRule, b: NatRule): boolean =>
  sameOwner(a.owner, b.owner) && a.network === b.network && a.family === b.family && a.logicalIp === b.logicalIp && a.externalIp === b.externalIp;

// A well-behaved backend: one rule per owner and family.
class MemoryNat implements NatBackend {
  readonly networkType: string = "ovn";
  rules: NatRule[] = [];

  async plan(nic: NicDevice): Promise<NatPlan> {
    const external = nic.config["ipv4.address.external"];
    const logical = nic.config["ipv4.address"];
    if (external === undefined || logical === undefined) return { rules: [], skipped: [] };
    const owner = { instance: nic.instance, device: nic.device };
    return { rules: [{ owner, network: nic.config["network"] ?? "", family: "ipv4", logicalIp: logical, externalIp: external }], skipped: [] };
  }

  async ensure(rule: NatRule): Promise<void> {
    this.rules = this.rules.filter((r) => !(sameOwner(r.owner, rule.owner) && r.family === rule.family));
    this.rules.push(rule);
  }

  async remove(owner: NatOwner, family?: IpFamily): Promise<void> {
    this.rules = this.rules.filter((r) => !(sameOwner(r.owner, owner) && (family === undefined || r.family === family)));
  }

  async list(): Promise<readonly NatRule[]> {
    return [...this.rules];
  }

  async reconcile(desired: readonly NatRule[]): Promise<NatReconcileResult> {
    const removed = this.rules.filter(
      (r) => !desired.some((d) => sameOwner(d.owner, r.owner) && d.family === r.family),
    );
    const ensured = desired.filter((d) => !this.rules.some((r) => sameRule(r, d)));
    for (const r of removed) await this.remove(r.owner, r.family);
    for (const d of ensured) await this.ensure(d);
    return { ensured, removed };
  }
}

function fixture(make: () => NatBackend, extra: Partial<NatBackendFixture> = {}): () => NatBackendFixture {
  return () => ({ backend: make(), network: "ovn0", ...extra });
}

async function failedChecks(make: () => NatBackend): Promise<string[]> {
  return (await runContract(natBackendContract, fixture(make))).map((f) => f.check);
}

describe("natBackendContract", () => {
  it("passes a well-behaved backend", async () => {
    expect(await runContract(natBackendContract, fixture(() => new MemoryNat()))).toEqual([]);
  });

  it("passes a single-family backend with its own addresses", async () => {
    const failures = await runContract(
      natBackendContract,
      fixture(() => new MemoryNat(), {
        families: ["ipv6"],
        addresses: { ipv6: { logical: ["fd42::2", "fd42::3", "fd42::4", "fd42::5"], external: ["2001:db8:9::1", "2001:db8:9::2"] } },
      }),
    );
    expect(failures).toEqual([]);
  });

  it("fails a backend without a network type", async () => {
    expect(await failedChecks(() => Object.assign(new MemoryNat(), { networkType: "" }))).toEqual([
      "declares the network type it serves",
    ]);
  });

  it("fails a backend whose ensure appends duplicates", async () => {
    class Duplicating extends MemoryNat {
      override async ensure(rule: NatRule): Promise<void> {
        this.rules.push(rule);
      }
    }
    const failures = await failedChecks(() => new Duplicating());
    expect(failures).toContain("ensure is idempotent: ensuring a rule twice leaves one rule");
    expect(failures).toContain("ensure corrects the owner's existing rule of that family");
  });

  it("fails a backend that removes by external address, deleting a neighbour's rule (the Incus bug)", async () => {
    class ByAddress extends MemoryNat {
      override async remove(owner: NatOwner, family?: IpFamily): Promise<void> {
        const ext = new Set(this.rules.filter((r) => sameOwner(r.owner, owner)).map((r) => r.externalIp));
        this.rules = this.rules.filter((r) => !(ext.has(r.externalIp) && (family === undefined || r.family === family)));
      }
    }
    expect(await failedChecks(() => new ByAddress())).toContain(
      "remove removes only that owner's rules, even when another owner shares the external address",
    );
  });

  it("fails a backend that ignores the family when removing", async () => {
    class Blunt extends MemoryNat {
      override async remove(owner: NatOwner): Promise<void> {
        return super.remove(owner);
      }
    }
    expect(await failedChecks(() => new Blunt())).toEqual(["remove with a family keeps the owner's rule of the other family"]);
  });

  it("fails a backend that throws when removing an unknown owner", async () => {
    class Strict extends MemoryNat {
      override async remove(owner: NatOwner, family?: IpFamily): Promise<void> {
        if (!this.rules.some((r) => sameOwner(r.owner, owner))) throw new Error("no such rule");
        return super.remove(owner, family);
      }
    }
    expect(await failedChecks(() => new Strict())).toEqual(["remove of an unknown owner is harmless"]);
  });

  it("fails a backend whose reconcile never deletes", async () => {
    class Hoarder extends MemoryNat {
      override async reconcile(desired: readonly NatRule[]): Promise<NatReconcileResult> {
        for (const d of desired) await this.ensure(d);
        return { ensured: desired, removed: [] };
      }
    }
    const failures = await failedChecks(() => new Hoarder());
    expect(failures).toContain("reconcile converges to the desired set and reports what it changed");
    expect(failures).toContain("reconcile reports no changes when nothing drifted");
  });

  it("fails a backend whose reconcile reports unchanged rules as ensured", async () => {
    class Noisy extends MemoryNat {
      override async reconcile(desired: readonly NatRule[]): Promise<NatReconcileResult> {
        const result = await super.reconcile(desired);
        return { ensured: desired, removed: result.removed };
      }
    }
    expect(await failedChecks(() => new Noisy())).toEqual([
      "reconcile converges to the desired set and reports what it changed",
      "reconcile reports no changes when nothing drifted",
    ]);
  });

  it("refuses a fixture whose backend already owns rules", async () => {
    const failures = await runContract(
      natBackendContract,
      fixture(() => {
        const nat = new MemoryNat();
        nat.rules.push({ owner: { instance: "x", device: "eth0" }, network: "ovn0", family: "ipv4", logicalIp: "10.0.0.9", externalIp: "198.51.100.1" });
        return nat;
      }),
      ["ensure is idempotent: ensuring a rule twice leaves one rule"],
    );
    expect(String(failures[0]?.error)).toMatch(/must start owning no rules/);
  });
});

describeNatBackendContract("MemoryNat", fixture(() => new MemoryNat()));
