// The host composes @incusx/nic over its own network state: NICs are started
// from the host state file. NicLifecycle itself is tested in packages/nic.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as nic from "@incusx/nic";
import { API_VERSION, NatBackendExtension, NicValidatorExtension, definePlugin, type NatBackend, type NatRule } from "@incusx/sdk";
import { Host } from "./host.js";
import * as host from "./index.js";

// Plans the IPv4 rule of a NIC's static address and keeps what it ensured.
function recordingNat(): NatBackend {
  let rules: NatRule[] = [];
  return {
    networkType: "ovn",
    plan: async (nic) => {
      const logicalIp = nic.config["ipv4.address"];
      const externalIp = nic.config["ipv4.address.external"];
      if (logicalIp === undefined || externalIp === undefined) return { rules: [], skipped: [] };
      const owner = { instance: nic.instance, device: nic.device };
      return { rules: [{ owner, network: nic.config.network!, family: "ipv4", logicalIp, externalIp }], skipped: [] };
    },
    ensure: async (rule) => {
      rules.push(rule);
    },
    remove: async (owner, family) => {
      rules = rules.filter((r) => r.owner.instance !== owner.instance || r.owner.device !== owner.device || (family !== undefined && r.family !== family));
    },
    list: async () => [...rules],
    reconcile: async () => ({ ensured: [], removed: [] }),
  };
}

describe("Host with a host state file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "incusx-host-state-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const plugin = definePlugin({
    id: "test.nat",
    register(registrar) {
      registrar.contribute(NatBackendExtension, { useValue: recordingNat() });
      registrar.contribute(NicValidatorExtension, {
        useValue: { nicTypes: ["ovn"], keys: ["ipv4.address.external"], validate: async () => [] },
      });
    },
  });
  const source = { plugin, manifest: { id: "test.nat", apiVersions: [API_VERSION], provides: ["nat-backend", "nic-validator"] } };
  const document = {
    networks: [{ name: "ovn0", type: "ovn", ovn_router: "lr-ovn0", forwards: [{ listen_address: "198.51.100.9" }] }],
    instances: [{ name: "c1", devices: { eth0: { type: "nic", network: "ovn0", "ipv4.address": "10.0.0.5", "ipv4.address.external": "198.51.100.9" } } }],
  };

  it("reads stateDir/network-state.json by default and starts NICs from it", async () => {
    await writeFile(join(dir, "network-state.json"), JSON.stringify(document));
    const host = new Host({ plugins: [source], stateDir: dir, services: { logSink: () => {} } });
    expect((await host.start()).ok).toBe(true);
    try {
      const result = await host.nicLifecycle().start("c1", "eth0");
      expect(result.applied).toEqual([{ owner: { instance: "c1", device: "eth0" }, network: "ovn0", family: "ipv4", logicalIp: "10.0.0.5", externalIp: "198.51.100.9" }]);
    } finally {
      await host.stop();
    }
  });

  it("knows nothing when the state directory has no state file, and reads a file named in the options", async () => {
    const empty = new Host({ plugins: [], stateDir: dir, services: { logSink: () => {} } });
    await empty.start();
    expect(await empty.nicLifecycle().listNat()).toEqual([]);
    await expect(empty.nicLifecycle().nic("c1", "eth0")).rejects.toThrow('Instance "c1" not found');
    await writeFile(join(dir, "elsewhere.json"), JSON.stringify(document));
    const named = new Host({ plugins: [], baseDir: dir, networkStateFile: "elsewhere.json", services: { logSink: () => {} } });
    await named.start();
    expect((await named.nicLifecycle().nic("c1", "eth0")).type).toBe("ovn");
  });
});

describe("@incusx/host re-exports what moved to @incusx/nic", () => {
  it("are the same values, for one minor version", () => {
    for (const name of ["NicLifecycle", "NicValidationService", "VALIDATOR_PROBLEM_KEY", "commonNicRules", "natDiff"] as const) {
      expect(host[name]).toBe(nic[name]);
    }
  });
});
