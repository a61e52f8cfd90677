import type { NicDevice, NicProblem, NicValidator } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { runContract } from "./contract.js";
import {
  describeNicValidatorContract,
  nicValidatorContract,
  type NicValidatorFixture,
} from "./nic-validator-contract.js";

// A well-behaved validator: `limits.priority` on bridged NICs is 0..10.
class PriorityValidator implements NicValidator {
  readonly nicTypes = ["bridged"];
  readonly keys = ["limits.priority"];
  async validate(nic: NicDevice): Promise<NicProblem[]> {
    const value = nic.config["limits.priority"];
    if (value === undefined || value === "") return [];
    if (!/^\d{1,2}$/.test(value) || Number(value) > 10) {
      return [
        {
          key: "limits.priority",
          value,
          message: `Invalid value for device option "limits.priority": Must be a number from 0 to 10`,
        },
      ];
    }
    return [];
  }
}

const good = (): NicValidatorFixture => ({
  validator: new PriorityValidator(),
  validNics: [{ instance: "c1", device: "eth0", type: "bridged", config: { "limits.priority": "5" } }],
});

/** A validator whose `validate` is replaced by `validate`. */
function broken(validate: (nic: NicDevice) => Promise<readonly NicProblem[]>, base = new PriorityValidator()) {
  return (): NicValidatorFixture => ({ validator: { nicTypes: base.nicTypes, keys: base.keys, validate } });
}

async function failedChecks(factory: () => NicValidatorFixture): Promise<string[]> {
  return (await runContract(nicValidatorContract, factory)).map((f) => f.check);
}

describe("nicValidatorContract", () => {
  it("passes a well-behaved validator", async () => {
    expect(await runContract(nicValidatorContract, good)).toEqual([]);
  });

  it("fails a validator that declares nothing", async () => {
    const failures = await failedChecks(() => ({
      validator: { nicTypes: [], keys: ["Bad Key"], validate: async () => [] },
    }));
    expect(failures).toContain("declares the NIC types and config keys it owns");
  });

  it("fails a validator that throws on garbage", async () => {
    const failures = await runContract(
      nicValidatorContract,
      broken(async (nic) => {
        const v = nic.config["limits.priority"];
        if (v !== undefined && Number.isNaN(Number(v))) throw new Error("not a number");
        return [];
      }),
    );
    expect(failures.map((f) => f.check)).toContain(
      "returns an array and never throws, for empty, garbage and huge values of every owned key",
    );
    expect(String(failures[0]?.error)).toMatch(/threw instead of returning problems: Error: not a number/);
  });

  it("fails a validator that returns something other than an array", async () => {
    const failures = await failedChecks(broken(async () => undefined as never));
    expect(failures).toContain("returns an array and never throws, for empty, garbage and huge values of every owned key");
  });

  it("fails a validator that hangs on a huge value", async () => {
    const failures = await failedChecks(() => ({
      ...broken((nic) =>
        (nic.config["limits.priority"]?.length ?? 0) > 1000 ? new Promise(() => {}) : Promise.resolve([]),
      )(),
      callTimeoutMs: 20,
    }));
    expect(failures).toContain("returns an array and never throws, for empty, garbage and huge values of every owned key");
  });

  it("fails a validator that edits the NIC it is given", async () => {
    const failures = await failedChecks(
      broken(async (nic) => {
        (nic.config as Record<string, string>)["limits.priority"] = "0";
        return [];
      }),
    );
    expect(failures).toContain("returns an array and never throws, for empty, garbage and huge values of every owned key");
  });

  it("fails a validator that reports on a key it does not own", async () => {
    const failures = await failedChecks(
      broken(async (nic) =>
        nic.config["network"] === "garbage"
          ? [{ key: "network", value: "garbage", message: 'Invalid value for device option "network": Unknown' }]
          : [],
      ),
    );
    expect(failures).toEqual(["reports problems only for keys it owns"]);
  });

  it("fails a validator with messages not in Incus style", async () => {
    const failures = await failedChecks(
      broken(async (nic) =>
        nic.config["limits.priority"] === "garbage" ? [{ key: "limits.priority", message: "bad priority" }] : [],
      ),
    );
    expect(failures).toEqual(["writes messages that start with a capital letter and name the key or quote the value"]);
  });

  it("fails a capitalised message that names neither the key nor the value", async () => {
    const failures = await failedChecks(
      broken(async (nic) =>
        nic.config["limits.priority"] === "garbage" ? [{ key: "limits.priority", value: "garbage", message: "Bad priority" }] : [],
      ),
    );
    expect(failures).toEqual(["writes messages that start with a capital letter and name the key or quote the value"]);
  });

  it("passes Incus's messages that name the key unquoted or quote the value instead", async () => {
    const failures = await failedChecks(
      broken(async (nic) => {
        const value = nic.config["limits.priority"];
        if (value === "garbage") return [{ key: "limits.priority", value, message: 'Device priority "garbage" not within range' }];
        if (value === "-1") return [{ key: "limits.priority", value, message: "Invalid network limits.priority: out of range" }];
        return [];
      }),
    );
    expect(failures).toEqual([]);
  });

  it("fails a validator that reports a different value than configured", async () => {
    const failures = await failedChecks(
      broken(async (nic) =>
        nic.config["limits.priority"] === "-1"
          ? [{ key: "limits.priority", value: "1", message: 'Invalid value for device option "limits.priority"' }]
          : [],
      ),
    );
    expect(failures).toEqual(["reports the offending value exactly as configured"]);
  });

  it("fails a validator that rejects its valid examples", async () => {
    const failures = await failedChecks(() => ({
      ...good(),
      validNics: [{ instance: "c1", device: "eth0", type: "bridged", config: { "limits.priority": "11" } }],
    }));
    expect(failures).toContain("accepts the fixture's valid NICs without problems");
  });
});

// The wrapper itself, as a plugin author uses it; a bare validator is accepted too.
describeNicValidatorContract("PriorityValidator", good);
describeNicValidatorContract("PriorityValidator without examples", () => new PriorityValidator());
