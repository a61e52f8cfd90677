import { describe, expect, it } from "vitest";
import { MemoryStateStore } from "./memory-state-store.js";

describe("MemoryStateStore", () => {
  it("stores, lists and deletes values by key", async () => {
    const store = new MemoryStateStore();
    await store.set("lease.eth0", { address: "192.0.2.10" });
    await store.set("duid", "0001");
    expect(await store.get("lease.eth0")).toEqual({ address: "192.0.2.10" });
    expect(await store.keys()).toEqual(["duid", "lease.eth0"]);
    await store.delete("duid");
    await store.delete("duid");
    expect(await store.get("duid")).toBeUndefined();
    expect(store.toJSON()).toEqual({ "lease.eth0": { address: "192.0.2.10" } });
  });

  it("starts with values persisted by an earlier run", async () => {
    const store = new MemoryStateStore({ duid: "0001", counter: 3 });
    expect(await store.get<number>("counter")).toBe(3);
  });

  it("hands out copies, like reading back from disk", async () => {
    const store = new MemoryStateStore();
    const value = { servers: ["192.0.2.53"] };
    await store.set("dns", value);
    value.servers.push("mutated");
    const read = (await store.get<{ servers: string[] }>("dns"))!;
    read.servers.push("mutated too");
    expect(await store.get("dns")).toEqual({ servers: ["192.0.2.53"] });
  });

  it("refuses keys the host's file store would refuse", async () => {
    const store = new MemoryStateStore();
    for (const key of ["", "../escape", "a/b", ".hidden", "space key", "x".repeat(129)]) {
      await expect(store.set(key, 1), key).rejects.toThrow(/Invalid state key/);
    }
    await expect(store.get("a/b")).rejects.toThrow(TypeError);
    await expect(store.set("ok_key-1.v2", 1)).resolves.toBeUndefined();
  });

  it("refuses values JSON cannot hold instead of silently dropping them", async () => {
    const store = new MemoryStateStore();
    await expect(store.set("n", Number.NaN)).rejects.toThrow(/NaN/);
    await expect(store.set("u", { a: undefined } as never)).rejects.toThrow(/undefined/);
    expect(await store.keys()).toEqual([]);
  });
});
