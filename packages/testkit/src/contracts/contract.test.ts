import { describe, expect, it } from "vitest";
import { ContractViolation, describeContract, runContract, type Contract } from "./contract.js";

interface Counter {
  value: number;
  disposed?: boolean;
  dispose?(): void;
}

const positive: Contract<Counter> = {
  name: "Counter",
  checks: [
    {
      name: "is positive",
      async run(c) {
        if (c.value <= 0) throw new ContractViolation(`Value ${c.value} is not positive`);
      },
    },
    {
      name: "is below 10",
      async run(c) {
        if (c.value >= 10) throw new ContractViolation(`Value ${c.value} is not below 10`);
        c.value++; // proves each check gets a fresh fixture
      },
    },
  ],
};

describe("runContract", () => {
  it("returns no failures when every check passes", async () => {
    expect(await runContract(positive, () => ({ value: 5 }))).toEqual([]);
  });

  it("names each failing check with its error", async () => {
    const failures = await runContract(positive, () => ({ value: -1 }));
    expect(failures).toEqual([{ check: "is positive", error: new ContractViolation("Value -1 is not positive") }]);
  });

  it("builds a fresh fixture per check and disposes it even when the check fails", async () => {
    const made: Counter[] = [];
    await runContract(positive, () => {
      const c: Counter = { value: made.length === 0 ? 5 : 50, dispose: () => void (c.disposed = true) };
      made.push(c);
      return c;
    });
    expect(made.map((c) => c.disposed)).toEqual([true, true]);
  });

  it("runs only the named checks when asked", async () => {
    const failures = await runContract(positive, () => ({ value: 50 }), ["is positive"]);
    expect(failures).toEqual([]);
  });
});

describeContract(positive, "A counter at 3", () => ({ value: 3 }));
