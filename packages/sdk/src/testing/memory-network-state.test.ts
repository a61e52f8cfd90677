import { describe, expect, it } from "vitest";
import { MemoryNetworkState } from "./memory-network-state.js";

const ovn0 = { name: "ovn0", type: "ovn", config: { "ipv4.address": "10.0.0.1/24" }, ovnRouter: "lr-ovn0" };

describe("MemoryNetworkState", () => {
  it("answers from the plain data it was built with", async () => {
    const state = new MemoryNetworkState({
      networks: [ovn0],
      forwards: [
        { network: "ovn0", listenAddress: "198.51.100.9" },
        { network: "other", listenAddress: "198.51.100.10" },
      ],
      nics: [{ instance: "c1", device: "eth0", type: "ovn", config: { network: "ovn0" } }],
    });
    expect(await state.networks()).toEqual([ovn0]);
    expect(await state.network("ovn0")).toEqual(ovn0);
    expect(await state.network("missing")).toBeUndefined();
    expect(await state.forwards("ovn0")).toEqual([{ network: "ovn0", listenAddress: "198.51.100.9" }]);
    expect(await state.forwards("nowhere")).toEqual([]);
    expect(await state.nics()).toHaveLength(1);
  });

  it("starts empty when given nothing", async () => {
    const state = new MemoryNetworkState();
    expect(await state.networks()).toEqual([]);
    expect(await state.nics()).toEqual([]);
  });

  it("reflects forwards added and removed by the test", async () => {
    const state = new MemoryNetworkState({ networks: [ovn0] });
    state.addForward({ network: "ovn0", listenAddress: "198.51.100.9" });
    expect(await state.forwards("ovn0")).toHaveLength(1);
    expect(state.removeForward("ovn0", "198.51.100.9")).toBe(true);
    expect(state.removeForward("ovn0", "198.51.100.9")).toBe(false);
    expect(await state.forwards("ovn0")).toEqual([]);
  });

  it("refuses a duplicate instead of silently hiding one copy", () => {
    const state = new MemoryNetworkState({ networks: [ovn0] });
    expect(() => state.addNetwork(ovn0)).toThrow(/Network "ovn0" already exists/);
    state.addNic({ instance: "c1", device: "eth0", type: "ovn", config: {} });
    expect(() => state.addNic({ instance: "c1", device: "eth0", type: "bridged", config: {} })).toThrow(
      /NIC "eth0" of instance "c1" already exists/,
    );
  });

  it("replaces networks and NICs with put", async () => {
    const state = new MemoryNetworkState({ networks: [ovn0] });
    state.putNetwork({ ...ovn0, config: { mtu: "1400" } });
    expect((await state.network("ovn0"))?.config).toEqual({ mtu: "1400" });
    state.putNic({ instance: "c1", device: "eth0", type: "ovn", config: {} });
    state.putNic({ instance: "c1", device: "eth0", type: "ovn", config: { mtu: "1300" } });
    expect(await state.nics()).toEqual([{ instance: "c1", device: "eth0", type: "ovn", config: { mtu: "1300" } }]);
    expect(state.removeNic("c1", "eth0")).toBe(true);
    expect(state.removeNetwork("ovn0")).toBe(true);
    expect(state.toJSON()).toEqual({ networks: [], forwards: [], nics: [] });
  });

  it("keeps its data safe from the caller's later edits and from code under test", async () => {
    const config: Record<string, string> = { mtu: "1500" };
    const state = new MemoryNetworkState({ networks: [{ name: "br0", type: "bridge", config }] });
    config["mtu"] = "9000";
    const network = await state.network("br0");
    expect(network?.config).toEqual({ mtu: "1500" });
    expect(() => ((network!.config as Record<string, string>)["mtu"] = "1")).toThrow(TypeError);
  });
});
