import type { DnsSink, ResolverConfig } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { runContract } from "./contract.js";
import { describeDnsSinkContract, dnsSinkContract, type AppliedDns, type DnsSinkFixture } from "./dns-sink-contract.js";

// A well-behaved sink: keeps the last config applied.
class MemorySink implements DnsSink {
  readonly name: string = "memory";
  applied: AppliedDns | undefined;

  async apply(config: ResolverConfig): Promise<void> {
    this.applied = { nameservers: [...config.nameservers], search: [...config.search] };
  }
}

function fixture(make: () => MemorySink): () => DnsSinkFixture {
  return () => {
    const sink = make();
    return { sink, read: async () => sink.applied };
  };
}

async function failedChecks(make: () => MemorySink): Promise<string[]> {
  return (await runContract(dnsSinkContract, fixture(make))).map((f) => f.check);
}

describe("dnsSinkContract", () => {
  it("passes a well-behaved sink", async () => {
    expect(await runContract(dnsSinkContract, fixture(() => new MemorySink()))).toEqual([]);
  });

  it("fails a sink without a name", async () => {
    expect(await failedChecks(() => Object.assign(new MemorySink(), { name: " " }))).toEqual(["declares a name for logs"]);
  });

  it("fails a sink that appends servers instead of replacing them", async () => {
    class Appending extends MemorySink {
      override async apply(config: ResolverConfig): Promise<void> {
        const before = this.applied ?? { nameservers: [], search: [] };
        this.applied = { nameservers: [...before.nameservers, ...config.nameservers], search: [...config.search] };
      }
    }
    expect(await failedChecks(() => new Appending())).toEqual([
      "each apply replaces what the previous one applied",
      "applies a config without servers (every lease gone) and drops the old servers",
      "applying the same config twice is harmless",
    ]);
  });

  it("fails a sink that ignores search domains", async () => {
    class NoSearch extends MemorySink {
      override async apply(config: ResolverConfig): Promise<void> {
        this.applied = { nameservers: [...config.nameservers], search: [] };
      }
    }
    expect(await failedChecks(() => new NoSearch())).toContain("applies the name servers and search domains in order");
  });

  it("fails a sink that keeps the old file when there is nothing to write", async () => {
    class SkipsEmpty extends MemorySink {
      override async apply(config: ResolverConfig): Promise<void> {
        if (config.nameservers.length > 0) await super.apply(config);
      }
    }
    expect(await failedChecks(() => new SkipsEmpty())).toEqual([
      "applies a config without servers (every lease gone) and drops the old servers",
    ]);
  });

  it("fails a sink that modifies the config it is given", async () => {
    class Sorting extends MemorySink {
      override async apply(config: ResolverConfig): Promise<void> {
        (config.nameservers as string[]).sort();
        await super.apply(config);
      }
    }
    const failures = await runContract(dnsSinkContract, fixture(() => new Sorting()));
    expect(failures.map((f) => f.check)).toContain("applies the name servers and search domains in order");
    expect(String(failures[0]?.error)).toMatch(/apply\(\) of a full config .* failed/);
  });
});

describeDnsSinkContract("MemorySink", fixture(() => new MemorySink()));
