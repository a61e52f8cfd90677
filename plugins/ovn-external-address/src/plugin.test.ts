import { afterEach, describe, expect, it, vi } from "vitest";
import { NatBackendToken } from "@incusx/sdk";
import { startTestHost, type TestHost } from "@incusx/testkit";
import plugin, { OvnNatBackend } from "./index.js";

let t: TestHost | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe("the ovn-external-address plugin in a host", () => {
  it("validates external addresses of OVN NICs against the host's forwards, next to the host's own checks", async () => {
    t = await startTestHost({
      plugins: [{ plugin }],
      services: {
        networkState: {
          networks: [{ name: "ovn0", type: "ovn", config: {}, ovnRouter: "lr-ovn0" }],
          forwards: [{ network: "ovn0", listenAddress: "198.51.100.9" }],
        },
      },
    });
    const nic = (config: Record<string, string>) => ({ instance: "c1", device: "eth0", type: "ovn", config: { network: "ovn0", ...config } });
    expect(await t.host.validateNic(nic({ "ipv4.address.external": "198.51.100.9" }))).toEqual([]);
    expect((await t.host.validateNic(nic({ "ipv4.address.external": "198.51.100.8", colour: "red" }))).map((p) => p.message)).toEqual([
      'Invalid device option "colour"',
      'Invalid value for device option "ipv4.address.external": External address "198.51.100.8" is not a network forward on network "ovn0": Network_forward not found',
    ]);
    // The keys are the plugin's on OVN NICs only: on a bridged NIC the host rejects them as unknown.
    expect((await t.host.validateNic({ ...nic({ "ipv4.address.external": "198.51.100.9" }), type: "bridged" })).map((p) => p.message)).toEqual([
      'Invalid device option "ipv4.address.external"',
    ]);
  });

  it("closes its own NAT backend, through a stop hook, when the host stops it", async () => {
    const close = vi.spyOn(OvnNatBackend.prototype, "close");
    try {
      t = await startTestHost({ plugins: [{ plugin, config: { northbound: "unix:/nonexistent/ovnnb_db.sock" } }] });
      const [backend] = t.host.resolveAll(NatBackendToken);
      expect(backend).toBeInstanceOf(OvnNatBackend);
      expect(close).not.toHaveBeenCalled();
      await t.stop();
      t = undefined;
      expect(close.mock.contexts).toEqual([backend]);
    } finally {
      close.mockRestore();
    }
  });
});
