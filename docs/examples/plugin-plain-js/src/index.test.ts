import { fileURLToPath } from "node:url";
import { Host } from "@incusx/host";
import { NicValidatorToken, type NicDevice } from "@incusx/sdk";
import { MemoryNetworkState, MemoryStateStore, describeNicValidatorContract } from "@incusx/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { VlanAllowValidator } from "./index.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const networks = [
  { name: "br0", type: "bridge", config: {} },
  { name: "br1", type: "bridge", config: {} },
];

function nic(config: Record<string, string>): NicDevice {
  return { instance: "c1", device: "eth0", type: "bridged", config };
}

let host: Host | undefined;
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

// The plugin loaded as a host loads any plugin package: by its path, its
// manifest read from package.json, its plain-JavaScript module imported.
async function startHost(config: unknown): Promise<Host> {
  host = new Host({
    plugins: [{ module: packageDir, config }],
    services: { networkState: new MemoryNetworkState({ networks }), stateStore: () => new MemoryStateStore(), logSink: () => {} },
  });
  const report = await host.start();
  expect(report.plugins).toEqual([expect.objectContaining({ id: "example.vlan-allow", state: "started" })]);
  return host;
}

describeNicValidatorContract("VlanAllowValidator", () => ({
  validator: new VlanAllowValidator(new MemoryNetworkState({ networks }), { networks: { br0: [10] } }),
  validNics: [nic({ network: "br0", vlan: "10" }), nic({ network: "br0" })],
}));

describe("example.vlan-allow, a plain-JavaScript plugin with the deps form", () => {
  it("loads from its package path and contributes a validator built from its deps", async () => {
    const h = await startHost({ networks: { br0: [10, 11] } });
    const [validator] = h.resolveAll(NicValidatorToken);
    expect(validator).toBeInstanceOf(VlanAllowValidator);
    expect(await h.validateNic(nic({ network: "br0", vlan: "11" }))).toEqual([]);
    expect((await h.validateNic(nic({ network: "br0", vlan: "12" }))).map((p) => p.message)).toEqual([
      'Invalid value for device option "vlan": VLAN 12 is not allowed on network "br0" (allowed: 10, 11)',
    ]);
    expect((await h.validateNic(nic({ network: "br1", vlan: "10" }))).map((p) => p.message)).toEqual([
      'Invalid value for device option "vlan": VLAN 10 is not allowed on network "br1" (allowed: none)',
    ]);
  });

  it("checks the VLAN's form, and gets its config defaults from the manifest", async () => {
    const h = await startHost(undefined);
    expect((await h.validateNic(nic({ network: "br0", vlan: "5000" }))).map((p) => p.message)).toEqual([
      'Invalid value for device option "vlan": Out of VLAN ID range (0-4094) "5000"',
    ]);
    expect((await h.validateNic(nic({ network: "br0", vlan: "1" }))).map((p) => p.message)).toEqual([
      'Invalid value for device option "vlan": VLAN 1 is not allowed on network "br0" (allowed: none)',
    ]);
    // A NIC on a network the host does not know is left to the host's own checks.
    expect(await h.validateNic(nic({ network: "elsewhere", vlan: "1" }))).toEqual([]);
  });

  it("is refused config its schema does not allow", async () => {
    host = new Host({ plugins: [{ module: packageDir, config: { networks: { br0: [5000] } } }], services: { stateStore: () => new MemoryStateStore(), logSink: () => {} } });
    const report = await host.start();
    expect(report.plugins[0]).toMatchObject({ state: "failed", error: { code: "INVALID_CONFIG" } });
  });
});
