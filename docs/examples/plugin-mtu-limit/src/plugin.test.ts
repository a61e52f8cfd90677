import type { NicDevice } from "@incusx/sdk";
import { startTestHost, type TestHost } from "@incusx/testkit";
import { afterEach, describe, expect, it } from "vitest";
import mtuLimit from "./index.js";

// The package directory: the test host reads the real manifest (id, provides,
// configSchema) from its package.json, as a production host would.
const packageDir = new URL("..", import.meta.url);

const networks = [
  { name: "br0", type: "bridge", config: {} },
  { name: "ovn0", type: "ovn", config: {} },
];

const nic = (type: string, config: Record<string, string>): NicDevice => ({ instance: "c1", device: "eth0", type, config });

let t: TestHost | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function start(config: unknown): Promise<TestHost> {
  t = await startTestHost({
    plugins: [{ plugin: mtuLimit, packageDir, config }],
    services: { networkState: { networks } },
  });
  return t;
}

describe("example.mtu-limit in a host", () => {
  it("loads from its manifest and config", async () => {
    const { report } = await start({ networks: { ovn0: { maxMtu: 1442 } } });
    expect(report.plugins).toEqual([expect.objectContaining({ id: "example.mtu-limit", state: "started" })]);
  });

  it("caps NIC MTUs through host validation, per network and by default", async () => {
    const { host } = await start({ networks: { ovn0: { maxMtu: 1442 } } });
    expect(await host.validateNic(nic("ovn", { network: "ovn0", mtu: "1442" }))).toEqual([]);
    expect((await host.validateNic(nic("ovn", { network: "ovn0", mtu: "1500" }))).map((p) => p.message)).toEqual([
      'Invalid value for device option "mtu": MTU "1500" is above the limit 1442 of network "ovn0"',
    ]);
    // defaultMaxMtu was left out: the host filled in the schema's default, 1500.
    expect(await host.validateNic(nic("bridged", { network: "br0", mtu: "1501" }))).toHaveLength(1);
  });

  it("leaves NIC types it does not cover to the host's common rules", async () => {
    const { host } = await start({});
    expect(await host.validateNic(nic("macvlan", { parent: "eth1", mtu: "9000" }))).toEqual([]);
  });

  it("still reports the other problems of a NIC, from the host", async () => {
    const { host } = await start({});
    const problems = await host.validateNic(nic("bridged", { network: "br0", mtu: "1600", colour: "blue" }));
    expect(problems.map((p) => p.key)).toEqual(["colour", "mtu"]);
  });

  it("follows network changes between validations", async () => {
    const { host, networkState } = await start({ defaultMaxMtu: 9000 });
    const jumbo = nic("bridged", { network: "br0", mtu: "9000" });
    expect(await host.validateNic(jumbo)).toEqual([]);
    networkState.putNetwork({ name: "br0", type: "bridge", config: { "bridge.mtu": "1500" } });
    expect(await host.validateNic(jumbo)).toHaveLength(1);
  });

  it("refuses a config that does not match its schema", async () => {
    const failing = await startTestHost({
      plugins: [{ plugin: mtuLimit, packageDir, config: { defaultMaxMtu: 100 } }],
      allowFailures: true,
    });
    t = failing;
    expect(failing.report.plugins[0]?.error?.code).toBe("INVALID_CONFIG");
  });
});
