import { describe, it } from "vitest";

/**
 * Thrown by a contract check when the implementation breaks a rule. The
 * message says which rule and shows the offending input or output.
 */
export class ContractViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContractViolation";
  }
}

/** One rule of a contract, checked against a fresh fixture. */
export interface ContractCheck<F> {
  /** The rule, phrased as a test name (`ensure is idempotent`). */
  readonly name: string;
  /** Resolves when `fixture` keeps the rule; rejects (normally with a {@link ContractViolation}) when not. */
  run(fixture: F): Promise<void>;
}

/**
 * The rules every implementation of one extension point must keep. Each
 * contract in the testkit is one of these plus a `describe...Contract`
 * wrapper; the checks are exported so they can be run and tested directly.
 */
export interface Contract<F> {
  /** Extension point name (`NicValidator`). */
  readonly name: string;
  /** Every rule, in the order they are reported. */
  readonly checks: readonly ContractCheck<F>[];
}

/** Anything a contract fixture may hold that needs cleaning up after a check. */
export interface DisposableFixture {
  /** Called after each check, passed or failed. */
  dispose?(): void | Promise<void>;
}

/** A check that did not pass. */
export interface ContractFailure {
  /** The check's name. */
  readonly check: string;
  /** What it threw. */
  readonly error: unknown;
}

/** Makes the fixture for one check; called once per check so checks never share state. */
export type FixtureFactory<F> = () => F | Promise<F>;

/**
 * Runs every check of `contract` (or only those named in `only`) against a
 * fresh fixture each and returns the failures; empty when all pass. Useful
 * outside vitest and to test a contract itself.
 *
 * @example
 * const failures = await runContract(natBackendContract, () => ({ backend: new MyBackend(), network: "ovn0" }));
 * expect(failures).toEqual([]);
 */
export async function runContract<F extends DisposableFixture>(
  contract: Contract<F>,
  factory: FixtureFactory<NoInfer<F>>,
  only?: readonly string[],
): Promise<ContractFailure[]> {
  const failures: ContractFailure[] = [];
  for (const check of contract.checks) {
    if (only !== undefined && !only.includes(check.name)) continue;
    try {
      await runCheck(check, factory);
    } catch (error) {
      failures.push({ check: check.name, error });
    }
  }
  return failures;
}

/**
 * Registers one vitest test per check of `contract`, inside a describe
 * block named after `name` and the contract.
 */
export function describeContract<F extends DisposableFixture>(
  contract: Contract<F>,
  name: string,
  factory: FixtureFactory<NoInfer<F>>,
  options: { readonly timeoutMs?: number } = {},
): void {
  describe(`${name} keeps the ${contract.name} contract`, () => {
    for (const check of contract.checks) {
      it(check.name, () => runCheck(check, factory), options.timeoutMs);
    }
  });
}

async function runCheck<F extends DisposableFixture>(check: ContractCheck<F>, factory: FixtureFactory<F>): Promise<void> {
  const fixture = await factory();
  try {
    await check.run(fixture);
  } finally {
    await fixture.dispose?.();
  }
}

/** Short, single-line rendering of a value for violation messages. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}... (${text.length} chars)` : text;
}
