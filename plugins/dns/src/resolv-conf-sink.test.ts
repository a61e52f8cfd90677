import { execFileSync } from "node:child_process";
import { lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResolverConfig } from "@incusx/sdk";
import { describeDnsSinkContract, MemoryLogSink } from "@incusx/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { UnsafeTargetError } from "./errors.js";
import { readApplied, tempDir } from "./fs.test-support.js";
import { mergeDns } from "./merge.js";
import { MARKER, parseResolvConf } from "./resolv-conf.js";
import { ResolvConfSink, type ResolvConfSinkOptions } from "./resolv-conf-sink.js";
import { IN_PLACE_MAX_BYTES } from "./safe-write.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function dir(): Promise<string> {
  const t = await tempDir();
  cleanups.push(t.remove);
  return t.dir;
}

function config(nameservers: string[], search: string[] = []): ResolverConfig {
  return { nameservers, search, options: [], links: [], static: { nameservers: [], search: [], options: [] } };
}

function sink(options: ResolvConfSinkOptions, logs = new MemoryLogSink()): ResolvConfSink {
  return new ResolvConfSink(options, logs.logger("incusx.dns"));
}

for (const writeMode of ["rename", "in-place"] as const) {
  describeDnsSinkContract(`ResolvConfSink (${writeMode})`, async () => {
    const t = await tempDir();
    const path = join(t.dir, "resolv.conf");
    return { sink: sink({ path, writeMode }), read: () => readApplied(path), dispose: t.remove };
  });
}

describe("ResolvConfSink", () => {
  it("writes a marked resolv.conf with servers, search domains and options", async () => {
    const path = join(await dir(), "resolv.conf");
    await sink({ path }).apply({ ...config(["192.0.2.53", "fe80::1%eth0"], ["a.example", "b.example"]), options: ["ndots:2"] });
    expect(await readFile(path, "utf8")).toBe(
      `${MARKER}\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\nsearch a.example b.example\noptions ndots:2\n`,
    );
  });

  it("writes `domain` when only a domain is known", async () => {
    const path = join(await dir(), "resolv.conf");
    await sink({ path }).apply({ ...config(["192.0.2.53"]), domain: "corp.example" });
    expect(await readFile(path, "utf8")).toBe(`${MARKER}\nnameserver 192.0.2.53\ndomain corp.example\n`);
  });

  it("replaces the file by rename (new inode, no temp file left) and keeps the inode in place", async () => {
    const d = await dir();
    const path = join(d, "resolv.conf");
    await sink({ path, writeMode: "rename" }).apply(config(["192.0.2.1"]));
    const before = (await stat(path)).ino;
    await sink({ path, writeMode: "rename" }).apply(config(["192.0.2.2"]));
    expect((await stat(path)).ino).not.toBe(before);
    expect(await readdir(d)).toEqual(["resolv.conf"]);

    const inPlace = (await stat(path)).ino;
    await sink({ path, writeMode: "in-place" }).apply(config(["192.0.2.3", "192.0.2.4"], ["longer.example"]));
    await sink({ path, writeMode: "in-place" }).apply(config(["192.0.2.5"]));
    expect((await stat(path)).ino).toBe(inPlace);
    expect(await readFile(path, "utf8")).toBe(`${MARKER}\nnameserver 192.0.2.5\n`);
  });

  it("in auto mode writes in place when mountinfo lists the file as a mount point, else renames", async () => {
    const d = await dir();
    const path = join(d, "resolv.conf");
    const mountinfo = join(d, "mountinfo");
    await writeFile(mountinfo, `22 1 0:21 / / rw - tmpfs tmpfs rw\n`);
    const s = sink({ path, mountinfo });
    await s.apply(config(["192.0.2.1"]));
    const first = (await stat(path)).ino;
    await s.apply(config(["192.0.2.2"]));
    expect((await stat(path)).ino).not.toBe(first);

    // A file bind mount, with the space escaping mountinfo uses checked on the way.
    await writeFile(mountinfo, `22 1 0:21 / / rw - tmpfs tmpfs rw\n99 22 0:21 /src ${path.replace(/ /g, "\\040")} rw - tmpfs tmpfs rw\n`);
    const mounted = (await stat(path)).ino;
    await s.apply(config(["192.0.2.3"]));
    expect((await stat(path)).ino).toBe(mounted);
    expect((await readApplied(path))?.nameservers).toEqual(["192.0.2.3"]);
  });

  it("does not rewrite a file whose content is already right", async () => {
    const path = join(await dir(), "resolv.conf");
    const s = sink({ path, writeMode: "rename" });
    await s.apply(config(["192.0.2.1"]));
    const before = await stat(path);
    await s.apply(config(["192.0.2.1"]));
    expect(s.lastOutcome).toBe("unchanged");
    expect((await stat(path)).ino).toBe(before.ino);
  });

  it.each(["rename", "in-place", "auto"] as const)("refuses a symbolic link at the target (%s), leaving what it points at alone", async (writeMode) => {
    const d = await dir();
    const hostFile = join(d, "host-passwd");
    await writeFile(hostFile, "root:x:0:0\n");
    const path = join(d, "resolv.conf");
    await symlink(hostFile, path);
    const error = await sink({ path, writeMode, takeOver: true }).apply(config(["192.0.2.1"])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeTargetError);
    expect(error).toMatchObject({ code: "UNSAFE_TARGET", reason: "symlink", path });
    expect((error as Error).message).toMatch(/is a symbolic link/);
    expect(await readFile(hostFile, "utf8")).toBe("root:x:0:0\n");
    expect((await lstat(path)).isSymbolicLink()).toBe(true);
  });

  it("refuses a dangling symbolic link too (it would create the file it names)", async () => {
    const d = await dir();
    const path = join(d, "resolv.conf");
    await symlink(join(d, "elsewhere"), path);
    await expect(sink({ path, writeMode: "rename" }).apply(config(["192.0.2.1"]))).rejects.toMatchObject({ reason: "symlink" });
    await expect(lstat(join(d, "elsewhere"))).rejects.toThrow(/ENOENT/);
  });

  it("refuses a target whose directory is a symbolic link", async () => {
    const d = await dir();
    await mkdir(join(d, "real"));
    await symlink(join(d, "real"), join(d, "etc"));
    await expect(sink({ path: join(d, "etc", "resolv.conf") }).apply(config(["192.0.2.1"]))).rejects.toMatchObject({
      reason: "symlink",
    });
    expect(await readdir(join(d, "real"))).toEqual([]);
  });

  it("refuses a FIFO at the target without hanging", async () => {
    const path = join(await dir(), "resolv.conf");
    execFileSync("mkfifo", [path]);
    await expect(sink({ path, takeOver: true, writeMode: "in-place" }).apply(config(["192.0.2.1"]))).rejects.toMatchObject({
      reason: "not-a-file",
    });
  });

  it("leaves an existing file it did not write alone, warning once", async () => {
    const path = join(await dir(), "resolv.conf");
    await writeFile(path, "nameserver 198.51.100.1\n");
    const logs = new MemoryLogSink();
    const s = sink({ path }, logs);
    await s.apply(config(["192.0.2.1"]));
    await s.apply(config(["192.0.2.2"]));
    expect(s.lastOutcome).toBe("left-alone");
    expect(await readFile(path, "utf8")).toBe("nameserver 198.51.100.1\n");
    expect(logs.messages({ level: "warn" })).toEqual([`Leaving "${path}" alone: it was not written by incusx (set "takeOver" to manage it)`]);
  });

  it.each(["rename", "in-place"] as const)("takes over an existing file when told to (%s)", async (writeMode) => {
    const path = join(await dir(), "resolv.conf");
    await writeFile(path, "# written by hand\nnameserver 198.51.100.1\nnameserver 198.51.100.2\nsearch old.example\n");
    await sink({ path, writeMode, takeOver: true }).apply(config(["192.0.2.1"]));
    expect(await readFile(path, "utf8")).toBe(`${MARKER}\nnameserver 192.0.2.1\n`);
  });

  it("creates the file in in-place mode when there is none", async () => {
    const path = join(await dir(), "resolv.conf");
    await sink({ path, writeMode: "in-place" }).apply(config(["192.0.2.1"]));
    expect(parseResolvConf(await readFile(path, "utf8"))).toMatchObject({ marked: true, nameservers: ["192.0.2.1"] });
  });

  it("refuses content larger than a page in place, leaving the file as it was", async () => {
    const path = join(await dir(), "resolv.conf");
    const s = sink({ path, writeMode: "in-place" });
    await s.apply(config(["192.0.2.1"]));
    const before = await readFile(path, "utf8");
    const huge = Array.from({ length: 80 }, (_, i) => `d${i}.${"x".repeat(50)}.example`);
    await expect(s.apply(config(["192.0.2.1"], huge))).rejects.toMatchObject({ reason: "too-large" });
    expect(huge.join(" ").length).toBeGreaterThan(IN_PLACE_MAX_BYTES);
    expect(await readFile(path, "utf8")).toBe(before);
  });

  it("writes no injected line for a hostile server's search domain", async () => {
    const path = join(await dir(), "resolv.conf");
    const { config: merged } = mergeDns({ nameservers: [], search: [], options: [] }, [
      {
        interface: "eth0",
        family: "ipv4",
        dns: { servers: ["192.0.2.53"], search: ["ok.example", "evil.example\nnameserver 203.0.113.66"], domain: "x\nnameserver 203.0.113.67" },
      },
    ]);
    await sink({ path }).apply(merged);
    const text = await readFile(path, "utf8");
    expect(text).not.toContain("203.0.113.66");
    expect(text).not.toContain("203.0.113.67");
    expect(parseResolvConf(text)).toMatchObject({ nameservers: ["192.0.2.53"], search: ["ok.example"], unknown: [] });
  });
});
