import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileStateStore } from "./file-state-store.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "incusx-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("FileStateStore", () => {
  it("keeps values across store instances (a host restart)", async () => {
    await new FileStateStore(join(dir, "p")).set("dhcp6.duid", { type: 1, hex: "00010001" });
    expect(await new FileStateStore(join(dir, "p")).get("dhcp6.duid")).toEqual({ type: 1, hex: "00010001" });
  });

  it("returns undefined for a missing key and lists stored keys sorted", async () => {
    const store = new FileStateStore(dir);
    expect(await store.get("nothing")).toBeUndefined();
    await store.set("b", 1);
    await store.set("a", 2);
    expect(await store.keys()).toEqual(["a", "b"]);
    await store.delete("a");
    await store.delete("a");
    expect(await store.keys()).toEqual(["b"]);
  });

  // Each round trip through libuv's thread pool is a wake-up of the loop on
  // the path of every lease bound: only the fsync, which waits for the disk, may take one.
  it("writes the temporary file in the caller's turn, and waits only for its fsync", async () => {
    const store = new FileStateStore(join(dir, "p"));
    await store.set("other", 0);
    const writing = store.set("lease", { address: "192.0.2.10" });
    // The temporary file written: nothing of it waited for the loop.
    const names = readdirSync(join(dir, "p")).filter((n) => n !== "other.json");
    expect(names).toEqual([expect.stringMatching(/^lease\.json\.\d+\.[0-9a-f]{8}\.tmp$/)]);
    expect(readFileSync(join(dir, "p", names[0]!), "utf8")).toBe('{"address":"192.0.2.10"}\n');
    await writing;
    expect(readdirSync(join(dir, "p")).sort()).toEqual(["lease.json", "other.json"]);
    // A removed directory is made again by the next write.
    await rm(join(dir, "p"), { recursive: true });
    await store.set("lease", 2);
    expect(await store.get("lease")).toBe(2);
  });

  it("reads a value in the caller's turn", async () => {
    const store = new FileStateStore(dir);
    await store.set("lease", 1);
    const reading = store.get("lease");
    writeFileSync(join(dir, "lease.json"), "2\n");
    expect(await reading).toBe(1);
  });

  it("leaves no temporary files behind after writes", async () => {
    const store = new FileStateStore(dir);
    for (let i = 0; i < 5; i++) await store.set("lease", i);
    expect(await readdir(dir)).toEqual(["lease.json"]);
  });

  it("refuses keys that could escape the store directory", async () => {
    const store = new FileStateStore(dir);
    await expect(store.set("../etc/passwd", 1)).rejects.toThrow('Invalid state key "../etc/passwd"');
    await expect(store.get("a/b")).rejects.toThrow(TypeError);
  });

  it("names the file when stored state is corrupt", async () => {
    await writeFile(join(dir, "lease.json"), "{not json");
    await expect(new FileStateStore(dir).get("lease")).rejects.toThrow(/lease\.json" is not valid JSON/);
  });
});
