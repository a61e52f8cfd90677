import type { NicDevice, NicProblem, NicValidator } from "@incusx/sdk";
import { timedOut, within } from "../internal/real-time.js";
import {
  ContractViolation,
  describeContract,
  show,
  type Contract,
  type ContractCheck,
  type DisposableFixture,
} from "./contract.js";

/** What the NicValidator contract checks: a validator and what it needs. */
export interface NicValidatorFixture extends DisposableFixture {
  /** The validator, wired to whatever fakes it injects (a `MemoryNetworkState`, ...). */
  readonly validator: NicValidator;
  /**
   * NICs the validator must accept without problems. Their configs also
   * serve as the base the contract's hostile values are written into, so
   * cross-key checks (a NIC's `network`) run on realistic input.
   */
  readonly validNics?: readonly NicDevice[];
  /** Real milliseconds one `validate` call may take; default 2000. */
  readonly callTimeoutMs?: number;
}

/** Values every owned key is probed with: empty, garbage, hostile and huge. */
export const hostileNicValues: readonly string[] = Object.freeze([
  "",
  " ",
  "garbage",
  "-1",
  "0",
  "1e309",
  "NaN",
  "99999999999999999999999999999",
  "\u0000",
  "line\nbreak",
  "\u{1F600}",
  '"quoted"',
  "a=b,c=d",
  "10.0.0.1/99",
  ":::::",
  "x".repeat(100_000),
  "9".repeat(100_000),
  "1.".repeat(50_000),
]);

// Keys the host or other validators own; a validator must not report on them.
const FOREIGN_KEYS = [
  "incusx.contract.foreign",
  "name",
  "hwaddr",
  "mtu",
  "network",
  "parent",
  "ipv4.address",
  "ipv6.address",
  "limits.ingress",
  "user.comment",
];

const KEY_FORM = /^[a-z0-9]+([._-][a-z0-9]+)*$/;

interface Probe {
  readonly nic: NicDevice;
  readonly problems: readonly NicProblem[];
}

function nic(type: string, config: Record<string, string>): NicDevice {
  return Object.freeze({ instance: "contract-c1", device: "eth0", type, config: Object.freeze({ ...config }) });
}

function baseConfig(fixture: NicValidatorFixture, type: string): Record<string, string> {
  return { ...fixture.validNics?.find((n) => n.type === type)?.config };
}

async function validateOnce(fixture: NicValidatorFixture, device: NicDevice): Promise<readonly NicProblem[]> {
  const limit = fixture.callTimeoutMs ?? 2_000;
  const where = `validate(${show(device)})`;
  let outcome: unknown;
  try {
    // Called inside the try: a synchronous throw counts as a throw too.
    outcome = await within(Promise.resolve(fixture.validator.validate(device)), limit);
  } catch (error) {
    throw new ContractViolation(`${where} threw instead of returning problems: ${String(error)}`);
  }
  if (timedOut(outcome)) throw new ContractViolation(`${where} took longer than ${limit} ms`);
  if (!Array.isArray(outcome)) throw new ContractViolation(`${where} resolved to ${show(outcome)}, not an array`);
  for (const p of outcome as unknown[]) {
    const problem = p as Partial<NicProblem> | null;
    if (
      typeof problem !== "object" ||
      problem === null ||
      typeof problem.key !== "string" ||
      typeof problem.message !== "string" ||
      (problem.value !== undefined && typeof problem.value !== "string")
    ) {
      throw new ContractViolation(`${where} returned ${show(p)}, not a { key, value?, message } problem`);
    }
  }
  return outcome as NicProblem[];
}

/** Every input the contract throws at the validator, with what came back. */
async function probeAll(fixture: NicValidatorFixture): Promise<Probe[]> {
  const { validator } = fixture;
  const probes: Probe[] = [];
  const run = async (device: NicDevice): Promise<void> => {
    probes.push({ nic: device, problems: await validateOnce(fixture, device) });
  };
  for (const valid of fixture.validNics ?? []) await run(nic(valid.type, { ...valid.config }));
  for (const type of validator.nicTypes) {
    const base = baseConfig(fixture, type);
    await run(nic(type, {}));
    const foreign: Record<string, string> = { ...base };
    for (const key of FOREIGN_KEYS) if (!validator.keys.includes(key)) foreign[key] = "garbage";
    await run(nic(type, foreign));
    for (const key of validator.keys) {
      for (const value of hostileNicValues) await run(nic(type, { ...base, [key]: value }));
    }
  }
  return probes;
}

function describeProblem(probe: Probe, problem: NicProblem): string {
  return `${show(problem)} for config ${show(probe.nic.config)}`;
}

const declaresWhatItOwns: ContractCheck<NicValidatorFixture> = {
  name: "declares the NIC types and config keys it owns",
  async run({ validator }) {
    for (const [field, list] of [
      ["nicTypes", validator.nicTypes],
      ["keys", validator.keys],
    ] as const) {
      if (!Array.isArray(list) || list.length === 0) {
        throw new ContractViolation(`"${field}" must be a non-empty array, got ${show(list)}`);
      }
      if (new Set(list).size !== list.length) throw new ContractViolation(`"${field}" lists duplicates: ${show(list)}`);
      for (const item of list) {
        if (typeof item !== "string" || !KEY_FORM.test(item)) {
          throw new ContractViolation(`"${field}" entry ${show(item)} is not a lower-case dotted name`);
        }
      }
    }
    if (validator.keys.includes("type")) {
      throw new ContractViolation(`"keys" must not list "type": the NIC type is not part of its config`);
    }
  },
};

const acceptsValidNics: ContractCheck<NicValidatorFixture> = {
  name: "accepts the fixture's valid NICs without problems",
  async run(fixture) {
    for (const valid of fixture.validNics ?? []) {
      if (!fixture.validator.nicTypes.includes(valid.type)) {
        throw new ContractViolation(`Valid NIC ${show(valid)} has a type the validator does not cover`);
      }
      const problems = await validateOnce(fixture, nic(valid.type, { ...valid.config }));
      if (problems.length > 0) {
        throw new ContractViolation(`Valid NIC ${show(valid.config)} got problems: ${show(problems)}`);
      }
    }
  },
};

const neverThrows: ContractCheck<NicValidatorFixture> = {
  name: "returns an array and never throws, for empty, garbage and huge values of every owned key",
  async run(fixture) {
    await probeAll(fixture);
  },
};

const onlyOwnedKeys: ContractCheck<NicValidatorFixture> = {
  name: "reports problems only for keys it owns",
  async run(fixture) {
    for (const probe of await probeAll(fixture)) {
      for (const problem of probe.problems) {
        if (!fixture.validator.keys.includes(problem.key)) {
          throw new ContractViolation(`Problem for key "${problem.key}", which it does not own: ${describeProblem(probe, problem)}`);
        }
      }
    }
  },
};

// Incus's own messages do not always quote the key (`Error loading network
// config for "ovn9": ...`, `Device IP address "10.1.0.5" not within network
// "ovn0" subnet`), but each names the key or quotes the offending value.
const incusStyleMessages: ContractCheck<NicValidatorFixture> = {
  name: "writes messages that start with a capital letter and name the key or quote the value",
  async run(fixture) {
    for (const probe of await probeAll(fixture)) {
      for (const problem of probe.problems) {
        if (!/^\p{Lu}/u.test(problem.message)) {
          throw new ContractViolation(`Message does not start with a capital letter: ${describeProblem(probe, problem)}`);
        }
        const quotesValue = problem.value !== undefined && problem.message.includes(JSON.stringify(problem.value));
        if (!problem.message.includes(problem.key) && !quotesValue) {
          throw new ContractViolation(`Message names neither the key "${problem.key}" nor the quoted value: ${describeProblem(probe, problem)}`);
        }
      }
    }
  },
};

const reportsValueAsGiven: ContractCheck<NicValidatorFixture> = {
  name: "reports the offending value exactly as configured",
  async run(fixture) {
    for (const probe of await probeAll(fixture)) {
      for (const problem of probe.problems) {
        if (problem.value !== undefined && problem.value !== probe.nic.config[problem.key]) {
          throw new ContractViolation(
            `Problem value ${show(problem.value)} differs from the configured ${show(probe.nic.config[problem.key])}: ${describeProblem(probe, problem)}`,
          );
        }
      }
    }
  },
};

/**
 * The rules every {@link NicValidator} keeps. NICs handed to `validate` are
 * frozen, so a validator that edits its input fails too.
 */
export const nicValidatorContract: Contract<NicValidatorFixture> = Object.freeze({
  name: "NicValidator",
  checks: Object.freeze([
    declaresWhatItOwns,
    acceptsValidNics,
    neverThrows,
    onlyOwnedKeys,
    incusStyleMessages,
    reportsValueAsGiven,
  ]),
});

/** Turns what a NicValidator contract factory returned into a fixture. */
export function toNicValidatorFixture(value: NicValidator | NicValidatorFixture): NicValidatorFixture {
  return "validator" in value ? value : { validator: value };
}

/**
 * Registers the {@link nicValidatorContract} as vitest tests. `factory`
 * returns the validator, or a fixture with the validator and NICs it must
 * accept; it is called once per check.
 *
 * @example
 * describeNicValidatorContract("MtuLimitValidator", () => ({
 *   validator: new MtuLimitValidator(new MemoryNetworkState({ networks }), config),
 *   validNics: [{ instance: "c1", device: "eth0", type: "bridged", config: { network: "br0", mtu: "1500" } }],
 * }));
 */
export function describeNicValidatorContract(
  name: string,
  factory: () => NicValidator | NicValidatorFixture | Promise<NicValidator | NicValidatorFixture>,
): void {
  describeContract(nicValidatorContract, name, async () => toNicValidatorFixture(await factory()), {
    timeoutMs: 60_000,
  });
}
