import { FakeClock, MemoryLogSink, MemoryStateStore } from "@incusx/testkit";
import { describe, expect, it } from "vitest";
import { createDuid, decodeSharedDuid, duidFromHex, duidHex, iaidFor, loadOrCreateDuid, macBytes, storeKeyPart } from "./identity.js";

describe("client identity", () => {
  it("derives the IAID from the MAC's last four bytes, else a hash of the name", () => {
    expect(iaidFor("eth0", "02:16:3e:aa:bb:cc")).toBe(0x3eaabbcc);
    expect(iaidFor("eth0", "")).toBe(iaidFor("eth0", "00:00:00:00:00:00"));
    expect(iaidFor("eth0", "")).not.toBe(iaidFor("eth1", ""));
  });

  it("makes a DUID-LLT from the MAC with seconds since 2000-01-01 UTC", () => {
    expect(createDuid("02:16:3E:00:00:01", Date.UTC(2000, 0, 1, 0, 0, 10))).toEqual({
      type: "llt",
      hardwareType: 1,
      time: 10,
      linkLayerAddress: Uint8Array.of(2, 0x16, 0x3e, 0, 0, 1),
    });
    const duid = createDuid("02:16:3e:aa:bb:cc", Date.UTC(2000, 0, 1) + 10_500);
    expect(duidHex(duid)).toBe("000100010000000a02163eaabbcc");
    expect(duidFromHex("000100010000000a02163eaabbcc")).toEqual(duid);
  });

  it("falls back to DUID-UUID without a usable MAC", () => {
    expect(createDuid("", 0).type).toBe("uuid");
    expect(createDuid("00:00:00:00:00:00", 0).type).toBe("uuid");
    expect(macBytes("02:16:3e:00:00")).toBeUndefined();
  });

  it("reads no DUID from text that is not hex of one", () => {
    expect(duidFromHex("zz")).toBeUndefined();
    expect(duidFromHex("00")).toBeUndefined();
    expect(duidFromHex("0001")).toBeUndefined(); // a DUID-LLT needs 8 bytes
  });

  it("makes state keys from any interface name", () => {
    expect(storeKeyPart("eth0")).toBe("eth0");
    expect(storeKeyPart("veth:1@x")).toBe("veth_1_x");
  });

  it("takes a runtime's shared DUID when it decodes, and says why when it does not", () => {
    const errors: unknown[] = [];
    const duid = createDuid("02:16:3e:aa:bb:cc", 0);
    expect(decodeSharedDuid(Uint8Array.from(Buffer.from(duidHex(duid), "hex")), (e) => errors.push(e))).toEqual(duid);
    expect(decodeSharedDuid(undefined, (e) => errors.push(e))).toBeUndefined();
    expect(errors).toEqual([]);
    expect(decodeSharedDuid(Uint8Array.of(0, 1, 0), (e) => errors.push(e))).toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});

describe("loadOrCreateDuid", () => {
  const options = { key: "dhcpX.duid", label: "DHCPvX DUID", mac: "02:16:3e:aa:bb:cc", nowMs: Date.UTC(2000, 0, 1) + 10_500 };

  it("creates, stores and then keeps the DUID across restarts", async () => {
    const store = new MemoryStateStore();
    const logs = new MemoryLogSink();
    const log = logs.logger("test", new FakeClock(0));
    const first = await loadOrCreateDuid(store, options, log);
    expect(await store.get("dhcpX.duid")).toBe("000100010000000a02163eaabbcc");
    expect(await loadOrCreateDuid(store, { ...options, mac: "02:16:3e:00:00:99", nowMs: 0 }, log)).toEqual(first);
    expect(logs.messages({ minLevel: "warn" })).toEqual([]);
  });

  it("replaces an unreadable stored DUID with a warning naming it", async () => {
    const store = new MemoryStateStore();
    await store.set("dhcpX.duid", "not hex");
    const logs = new MemoryLogSink();
    const duid = await loadOrCreateDuid(store, options, logs.logger("test", new FakeClock(0)));
    expect(duidHex(duid)).toBe("000100010000000a02163eaabbcc");
    expect(await store.get("dhcpX.duid")).toBe("000100010000000a02163eaabbcc");
    expect(logs.messages({ level: "warn" })).toEqual(['Replacing the unreadable stored DHCPvX DUID "not hex"']);
  });
});
