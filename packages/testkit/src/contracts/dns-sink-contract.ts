import type { DnsSink, ResolverConfig } from "@incusx/sdk";
import {
  ContractViolation,
  describeContract,
  show,
  type Contract,
  type ContractCheck,
  type DisposableFixture,
} from "./contract.js";

/** What a sink's target says now, read back by the fixture. */
export interface AppliedDns {
  /** Name servers, in order, as the target lists them (`fe80::1%eth0` included). */
  readonly nameservers: readonly string[];
  /** Search domains, in order (a resolv.conf `domain` counts as one). */
  readonly search: readonly string[];
}

/** What the DnsSink contract checks: a fresh sink and a way to see its effect. */
export interface DnsSinkFixture extends DisposableFixture {
  /** The sink, with a fresh target (an empty temp directory, a scratch link). */
  readonly sink: DnsSink;
  /** Reads what the sink's target holds now; `undefined` when it has written nothing. */
  read(): Promise<AppliedDns | undefined>;
}

function config(nameservers: string[], search: string[], extra: Partial<ResolverConfig> = {}): ResolverConfig {
  return {
    nameservers,
    search,
    options: [],
    links: [{ interface: "eth0", families: ["ipv4", "ipv6"], nameservers: nameservers.map((s) => s.replace(/%.*$/, "")), search }],
    static: { nameservers: [], search: [], options: [] },
    ...extra,
  };
}

const FULL = config(["192.0.2.53", "2001:db8:1::53", "fe80::1%eth0"], ["example.net", "corp.example.org"], { options: ["ndots:2"] });
const SMALLER = config(["198.51.100.53"], ["other.example"]);
const EMPTY = config([], [], { links: [] });

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

async function apply(sink: DnsSink, cfg: ResolverConfig, what: string): Promise<void> {
  try {
    await sink.apply(deepFreeze(structuredClone(cfg)));
  } catch (error) {
    throw new ContractViolation(`apply() of ${what} ${show(cfg)} failed: ${String(error)}`);
  }
}

async function expectApplied(fixture: DnsSinkFixture, expected: ResolverConfig, after: string): Promise<void> {
  const applied = await fixture.read();
  const want = { nameservers: expected.nameservers, search: expected.search };
  const got = applied === undefined ? undefined : { nameservers: [...applied.nameservers], search: [...applied.search] };
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new ContractViolation(`After ${after}, the target says ${show(got)}; expected ${show(want)}`);
  }
}

const declaresName: ContractCheck<DnsSinkFixture> = {
  name: "declares a name for logs",
  async run({ sink }) {
    if (typeof sink.name !== "string" || sink.name.trim() === "") {
      throw new ContractViolation(`"name" must be a non-empty string, got ${show(sink.name)}`);
    }
  },
};

const appliesServersAndSearch: ContractCheck<DnsSinkFixture> = {
  name: "applies the name servers and search domains in order",
  async run(fixture) {
    await apply(fixture.sink, FULL, "a full config");
    await expectApplied(fixture, FULL, "applying a full config");
  },
};

const lastApplyWins: ContractCheck<DnsSinkFixture> = {
  name: "each apply replaces what the previous one applied",
  async run(fixture) {
    await apply(fixture.sink, FULL, "a full config");
    await apply(fixture.sink, SMALLER, "a smaller config");
    await expectApplied(fixture, SMALLER, "applying a full config, then a smaller one");
    await apply(fixture.sink, FULL, "the full config again");
    await expectApplied(fixture, FULL, "applying the full config again");
  },
};

const appliesEmpty: ContractCheck<DnsSinkFixture> = {
  name: "applies a config without servers (every lease gone) and drops the old servers",
  async run(fixture) {
    await apply(fixture.sink, FULL, "a full config");
    await apply(fixture.sink, EMPTY, "an empty config");
    await expectApplied(fixture, EMPTY, "applying an empty config");
  },
};

const idempotent: ContractCheck<DnsSinkFixture> = {
  name: "applying the same config twice is harmless",
  async run(fixture) {
    await apply(fixture.sink, FULL, "a full config");
    await apply(fixture.sink, FULL, "the same config again");
    await expectApplied(fixture, FULL, "applying the same config twice");
  },
};

/**
 * The rules every {@link DnsSink} keeps. `apply` is called with deeply
 * frozen configs, so a sink that modifies its input fails (strict mode).
 */
export const dnsSinkContract: Contract<DnsSinkFixture> = Object.freeze({
  name: "DnsSink",
  checks: Object.freeze([declaresName, appliesServersAndSearch, lastApplyWins, appliesEmpty, idempotent]),
});

/**
 * Registers the {@link dnsSinkContract} as vitest tests. `factory` is called
 * once per check and must return a sink with a fresh target and a `read()`
 * that reports what the target holds.
 *
 * @example
 * describeDnsSinkContract("ResolvConfSink", async () => {
 *   const dir = await mkdtemp(join(tmpdir(), "sink-"));
 *   const path = join(dir, "resolv.conf");
 *   return { sink: new ResolvConfSink({ path }, logger), read: () => readResolvConf(path), dispose: () => rm(dir, { recursive: true }) };
 * });
 */
export function describeDnsSinkContract(name: string, factory: () => DnsSinkFixture | Promise<DnsSinkFixture>): void {
  describeContract(dnsSinkContract, name, factory);
}
