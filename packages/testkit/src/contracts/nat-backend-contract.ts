import type { IpFamily, NatBackend, NatOwner, NatRule } from "@incusx/sdk";
import {
  ContractViolation,
  describeContract,
  show,
  type Contract,
  type ContractCheck,
  type DisposableFixture,
} from "./contract.js";

/** Addresses of one family the contract builds rules from; canonical text. */
export interface NatAddressPool {
  /** At least four NIC addresses on the fixture's network. */
  readonly logical: readonly string[];
  /** At least two addresses outbound traffic may be translated to. */
  readonly external: readonly string[];
}

/** What the NatBackend contract checks: a fresh backend and where it may write. */
export interface NatBackendFixture extends DisposableFixture {
  /** The backend, owning no rules yet (a fresh fake, or a real store emptied for the test). */
  readonly backend: NatBackend;
  /** A network of `backend.networkType` the backend can write rules for. */
  readonly network: string;
  /** Families the backend supports; default both. The contract uses the first for single-family rules. */
  readonly families?: readonly IpFamily[];
  /** Addresses to build rules from; default documentation ranges (10.0.0.0/24, 198.51.100.0/24, fd00::/64, 2001:db8::/64). */
  readonly addresses?: Partial<Record<IpFamily, NatAddressPool>>;
}

const DEFAULT_POOLS: Record<IpFamily, NatAddressPool> = {
  ipv4: { logical: ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"], external: ["198.51.100.9", "198.51.100.10"] },
  ipv6: { logical: ["fd00::2", "fd00::3", "fd00::4", "fd00::5"], external: ["2001:db8::9", "2001:db8::a"] },
};

const OWNERS: readonly NatOwner[] = [
  { instance: "contract-a", device: "eth0" },
  { instance: "contract-b", device: "eth0" },
  { instance: "contract-c", device: "eth0" },
  { instance: "contract-d", device: "eth0" },
];

/** Builds the rules a check uses: rule(owner index, logical index, external index, family). */
function ruleMaker(fixture: NatBackendFixture) {
  return (owner: number, external: number, family: IpFamily = families(fixture)[0]!): NatRule => {
    const pool = fixture.addresses?.[family] ?? DEFAULT_POOLS[family];
    return {
      owner: OWNERS[owner]!,
      network: fixture.network,
      family,
      logicalIp: pool.logical[owner]!,
      externalIp: pool.external[external]!,
    };
  };
}

function families(fixture: NatBackendFixture): readonly IpFamily[] {
  return fixture.families ?? ["ipv4", "ipv6"];
}

function ruleKey(r: NatRule): string {
  return JSON.stringify([r.owner.instance, r.owner.device, r.network, r.family, r.logicalIp, r.externalIp]);
}

function sameRules(actual: readonly NatRule[], expected: readonly NatRule[]): boolean {
  const a = actual.map(ruleKey).sort();
  const e = expected.map(ruleKey).sort();
  return a.length === e.length && a.every((k, i) => k === e[i]);
}

async function expectOwned(backend: NatBackend, expected: readonly NatRule[], after: string): Promise<void> {
  const listed = await backend.list();
  if (!sameRules(listed, expected)) {
    throw new ContractViolation(`After ${after}, list() returned ${show(listed)}; expected ${show(expected)}`);
  }
}

async function freshBackend(fixture: NatBackendFixture): Promise<NatBackend> {
  const listed = await fixture.backend.list();
  if (listed.length > 0) {
    throw new ContractViolation(`The fixture's backend must start owning no rules, but list() returned ${show(listed)}`);
  }
  return fixture.backend;
}

const declaresNetworkType: ContractCheck<NatBackendFixture> = {
  name: "declares the network type it serves",
  async run({ backend }) {
    if (typeof backend.networkType !== "string" || backend.networkType === "") {
      throw new ContractViolation(`"networkType" must be a non-empty string, got ${show(backend.networkType)}`);
    }
  },
};

const listsEnsuredRule: ContractCheck<NatBackendFixture> = {
  name: "lists an ensured rule exactly as given, for every family",
  async run(fixture) {
    const backend = await freshBackend(fixture);
    const rule = ruleMaker(fixture);
    const rules = families(fixture).map((f) => rule(0, 0, f));
    for (const r of rules) await backend.ensure(r);
    await expectOwned(backend, rules, "ensuring one rule per family");
  },
};

const ensureIdempotent: ContractCheck<NatBackendFixture> = {
  name: "ensure is idempotent: ensuring a rule twice leaves one rule",
  async run(fixture) {
    const backend = await freshBackend(fixture);
    const r = ruleMaker(fixture)(0, 0);
    await backend.ensure(r);
    await backend.ensure(r);
    await expectOwned(backend, [r], "ensuring the same rule twice");
  },
};

const ensureCorrects: ContractCheck<NatBackendFixture> = {
  name: "ensure corrects the owner's existing rule of that family",
  async run(fixture) {
    const backend = await freshBackend(fixture);
    const rule = ruleMaker(fixture);
    await backend.ensure(rule(0, 0));
    await backend.ensure(rule(0, 1));
    await expectOwned(backend, [rule(0, 1)], "ensuring the owner's rule with a new external address");
  },
};

const removeOnlyOwner: ContractCheck<NatBackendFixture> = {
  name: "remove removes only that owner's rules, even when another owner shares the external address",
  async run(fixture) {
    const backend = await freshBackend(fixture);
    const rule = ruleMaker(fixture);
    const [a, b] = [rule(0, 0), rule(1, 0)];
    await backend.ensure(a);
    await backend.ensure(b);
    await backend.remove(a.owner);
    await expectOwned(backend, [b], `removing owner ${show(a.owner)}`);
  },
};

const removeOneFamily: ContractCheck<NatBackendFixture> = {
  name: "remove with a family keeps the owner's rule of the other family",
  async run(fixture) {
    const fams = families(fixture);
    if (fams.length < 2) return;
    const backend = await freshBackend(fixture);
    const rule = ruleMaker(fixture);
    const [first, second] = [rule(0, 0, fams[0]), rule(0, 0, fams[1])];
    await backend.ensure(first);
    await backend.ensure(second);
    await backend.remove(first.owner, first.family);
    await expectOwned(backend, [second], `removing family "${first.family}" of ${show(first.owner)}`);
    await backend.remove(first.owner);
    await expectOwned(backend, [], `removing ${show(first.owner)} without a family`);
  },
};

const removeUnknownHarmless: ContractCheck<NatBackendFixture> = {
  name: "remove of an unknown owner is harmless",
  async run(fixture) {
    const backend = await freshBackend(fixture);
    const rule = ruleMaker(fixture);
    const unknown = { instance: "contract-unknown", device: "eth9" };
    try {
      await backend.remove(unknown);
      await backend.ensure(rule(1, 0));
      await backend.remove(unknown);
      await backend.remove(unknown, families(fixture)[0]);
    } catch (error) {
      throw new ContractViolation(`remove() of an owner with no rules failed: ${String(error)}`);
    }
    await expectOwned(backend, [rule(1, 0)], "removing an unknown owner");
  },
};

const reconcileConverges: ContractCheck<NatBackendFixture> = {
  name: "reconcile converges to the desired set and reports what it changed",
  async run(fixture) {
    const backend = await freshBackend(fixture);
    const rule = ruleMaker(fixture);
    // a drifted (wrong external), b unwanted, d already right, c missing.
    const [aOld, b, d] = [rule(0, 0), rule(1, 0), rule(3, 1)];
    const [aNew, c] = [rule(0, 1), rule(2, 0)];
    for (const r of [aOld, b, d]) await backend.ensure(r);
    const desired = [aNew, c, d];
    const result = await backend.reconcile(desired);
    await expectOwned(backend, desired, "reconcile");
    if (!sameRules(result.ensured, [aNew, c])) {
      throw new ContractViolation(
        `reconcile() reported ensured ${show(result.ensured)}; expected exactly the created and corrected rules ${show([aNew, c])}`,
      );
    }
    // A correction may be done as delete + create, so the old form of a corrected rule may be reported as removed.
    const removed = result.removed.map(ruleKey);
    if (!removed.includes(ruleKey(b)) || !removed.every((k) => k === ruleKey(b) || k === ruleKey(aOld))) {
      throw new ContractViolation(
        `reconcile() reported removed ${show(result.removed)}; expected the unwanted rule ${show(b)}`,
      );
    }
  },
};

const reconcileIdempotent: ContractCheck<NatBackendFixture> = {
  name: "reconcile reports no changes when nothing drifted",
  async run(fixture) {
    const backend = await freshBackend(fixture);
    const rule = ruleMaker(fixture);
    const desired = [rule(0, 0), rule(1, 0)];
    await backend.reconcile(desired);
    const again = await backend.reconcile(desired);
    if (again.ensured.length > 0 || again.removed.length > 0) {
      throw new ContractViolation(`A second reconcile() with the same desired rules reported changes: ${show(again)}`);
    }
    await expectOwned(backend, desired, "reconciling twice");
    const emptied = await backend.reconcile([]);
    await expectOwned(backend, [], "reconcile([])");
    if (!sameRules(emptied.removed, desired) || emptied.ensured.length > 0) {
      throw new ContractViolation(`reconcile([]) reported ${show(emptied)}; expected every owned rule removed`);
    }
  },
};

/** The rules every {@link NatBackend} keeps. */
export const natBackendContract: Contract<NatBackendFixture> = Object.freeze({
  name: "NatBackend",
  checks: Object.freeze([
    declaresNetworkType,
    listsEnsuredRule,
    ensureIdempotent,
    ensureCorrects,
    removeOnlyOwner,
    removeOneFamily,
    removeUnknownHarmless,
    reconcileConverges,
    reconcileIdempotent,
  ]),
});

/**
 * Registers the {@link natBackendContract} as vitest tests. `factory` is
 * called once per check and must return a backend that owns no rules yet.
 *
 * @example
 * describeNatBackendContract("OvnNatBackend", async () => {
 *   const nb = await startNorthbound(); // your harness
 *   return { backend: new OvnNatBackend(nb.client), network: "ovn0", dispose: () => nb.stop() };
 * });
 */
export function describeNatBackendContract(
  name: string,
  factory: () => NatBackendFixture | Promise<NatBackendFixture>,
): void {
  describeContract(natBackendContract, name, factory);
}
