// resolv.conf targets planted by a hostile container (root inside it owns
// the file): huge sparse files, FIFOs and device nodes, hard links to
// other files, and owners the host must keep.
import { spawn, execFileSync } from "node:child_process";
import { constants, existsSync } from "node:fs";
import { chown, link, open, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResolverConfig } from "@incusx/sdk";
import { MemoryLogSink } from "@incusx/testkit";
import { waitFor } from "@incusx/testkit/netns";
import { afterEach, describe, expect, it } from "vitest";
import { UnsafeTargetError } from "./errors.js";
import { tempDir } from "./fs.test-support.js";
import { MARKER } from "./resolv-conf.js";
import { ResolvConfSink, type ResolvConfSinkOptions } from "./resolv-conf-sink.js";
import { TARGET_MAX_BYTES, readTarget, writeByRename, writeInPlace } from "./safe-write.js";

const isRoot = process.getuid?.() === 0;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dir(): Promise<string> {
  const t = await tempDir();
  cleanups.push(t.remove);
  return t.dir;
}

function config(nameservers: string[]): ResolverConfig {
  return { nameservers, search: [], options: [], links: [], static: { nameservers: [], search: [], options: [] } };
}

function sink(options: ResolvConfSinkOptions): ResolvConfSink {
  return new ResolvConfSink(options, new MemoryLogSink().logger("incusx.dns"));
}

const ours = `${MARKER}\nnameserver 198.51.100.1\n`;

describe("a target larger than a resolv.conf", () => {
  it(`refuses a 1.5 GiB sparse file without reading it (RSS stays flat)`, async () => {
    const path = join(await dir(), "resolv.conf");
    await writeFile(path, ours);
    await truncate(path, 1.5 * 1024 ** 3);
    const before = process.memoryUsage().rss;
    const error = await readTarget(path).catch((e: unknown) => e);
    const grown = process.memoryUsage().rss - before;
    expect(error).toBeInstanceOf(UnsafeTargetError);
    expect(error).toMatchObject({ code: "UNSAFE_TARGET", reason: "too-large", path });
    expect((error as Error).message).toContain(`more than ${TARGET_MAX_BYTES} bytes`);
    expect(grown).toBeLessThan(16 * 1024 ** 2);
  });

  it.each(["rename", "in-place"] as const)("leaves a file over 64 KiB alone (%s)", async (writeMode) => {
    const path = join(await dir(), "resolv.conf");
    await writeFile(path, ours + "#".repeat(TARGET_MAX_BYTES - ours.length) + "\n");
    await expect(sink({ path, writeMode, takeOver: true }).apply(config(["192.0.2.1"]))).rejects.toMatchObject({ reason: "too-large" });
    expect((await stat(path)).size).toBe(TARGET_MAX_BYTES + 1);
  });

  it("reads a file of exactly 64 KiB", async () => {
    const path = join(await dir(), "resolv.conf");
    const text = ours + "#".repeat(TARGET_MAX_BYTES - ours.length - 1) + "\n";
    await writeFile(path, text);
    expect(await readTarget(path)).toBe(text);
  });

  // A procfs file says size 0 and holds megabytes: the read itself must stop.
  it.runIf(existsSync("/proc/kallsyms"))("stops reading past 64 KiB whatever the size says", async () => {
    expect((await stat("/proc/kallsyms")).size).toBe(0);
    await expect(readTarget("/proc/kallsyms")).rejects.toMatchObject({ code: "UNSAFE_TARGET", reason: "too-large" });
  });

  it("refuses a huge file in place without allocating its size", async () => {
    const path = join(await dir(), "resolv.conf");
    await writeFile(path, ours);
    await truncate(path, 1.5 * 1024 ** 3);
    const before = process.memoryUsage().rss;
    await expect(writeInPlace(path, ours)).rejects.toMatchObject({ code: "UNSAFE_TARGET", reason: "too-large" });
    expect(process.memoryUsage().rss - before).toBeLessThan(16 * 1024 ** 2);
    expect((await stat(path)).size).toBe(1.5 * 1024 ** 3);
  });
});

/**
 * A shell blocked opening the FIFO at `path` for `side` ("write": until a
 * reader opens it; "read": until a writer does). While nobody else opens
 * the FIFO it stays blocked in the kernel's `wait_for_partner` (inlined
 * into `fifo_open` by some compilers); any open
 * from the other side wakes it at once, which is how the tests see whether
 * the writer under test opened the FIFO at all.
 */
async function blockedOnFifo(path: string, side: "read" | "write"): Promise<{ blocked(): boolean }> {
  execFileSync("mkfifo", [path]);
  const child = spawn("sh", ["-c", side === "write" ? 'exec 3>"$1"' : 'exec 3<"$1"', "sh", path], { stdio: "ignore" });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const blocked = (): boolean => {
    try {
      // fifo_open where the compiler inlined wait_for_partner into it.
      const wchan = execFileSync("cat", [`/proc/${child.pid}/wchan`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
      return wchan === "wait_for_partner" || wchan === "fifo_open";
    } catch {
      return false;
    }
  };
  cleanups.push(async () => {
    // Release the shell by opening the other side without blocking (O_RDWR on a FIFO never blocks).
    const handle = await open(path, constants.O_RDWR | constants.O_NONBLOCK);
    await handle.close();
    await exited;
  });
  await waitFor(blocked, { timeoutMs: 10_000, message: `The shell did not block opening the FIFO for ${side}` });
  return { blocked };
}

describe("a FIFO or device node at the target", () => {
  it("is never opened for reading: a writer waiting on the FIFO stays blocked", async () => {
    const path = join(await dir(), "resolv.conf");
    const writer = await blockedOnFifo(path, "write");
    await expect(readTarget(path)).rejects.toMatchObject({ code: "UNSAFE_TARGET", reason: "not-a-file" });
    await expect(sink({ path, takeOver: true }).apply(config(["192.0.2.1"]))).rejects.toMatchObject({ reason: "not-a-file" });
    expect(writer.blocked(), "the FIFO was opened for reading").toBe(true);
  });

  it.each(["in-place", "rename"] as const)("is never opened for writing (%s): a reader waiting on the FIFO stays blocked", async (mode) => {
    const path = join(await dir(), "resolv.conf");
    const reader = await blockedOnFifo(path, "read");
    const write = mode === "in-place" ? writeInPlace : writeByRename;
    await expect(write(path, ours)).rejects.toMatchObject({ code: "UNSAFE_TARGET", reason: "not-a-file" });
    expect(reader.blocked(), "the FIFO was opened for writing").toBe(true);
  });

  it.runIf(isRoot).each(["rename", "in-place"] as const)("refuses a character device (%s), leaving it alone", async (writeMode) => {
    const path = join(await dir(), "resolv.conf");
    execFileSync("mknod", [path, "c", "1", "3"]);
    await expect(sink({ path, writeMode, takeOver: true }).apply(config(["192.0.2.1"]))).rejects.toMatchObject({ reason: "not-a-file" });
    const write = writeMode === "in-place" ? writeInPlace : writeByRename;
    await expect(write(path, ours)).rejects.toMatchObject({ reason: "not-a-file" });
    expect((await stat(path)).isCharacterDevice()).toBe(true);
  });
});

describe("a target whose directory is not a directory", () => {
  it.each(["a FIFO", "a regular file"])("is refused with a typed error when the directory is %s", async (kind) => {
    const etc = join(await dir(), "etc");
    const shell = kind === "a FIFO" ? await blockedOnFifo(etc, "write") : undefined;
    if (shell === undefined) await writeFile(etc, "not a directory\n");
    const path = join(etc, "resolv.conf");
    for (const attempt of [() => readTarget(path), () => writeByRename(path, ours), () => writeInPlace(path, ours)]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsafeTargetError);
      expect(error).toMatchObject({ code: "UNSAFE_TARGET", reason: "not-a-file", path });
      expect((error as Error).message).toContain(`its directory "${etc}" is not a directory`);
    }
    if (shell !== undefined) expect(shell.blocked(), "the FIFO was opened").toBe(true);
  });
});

describe("a hard link at the target", () => {
  const SHADOW = "root:$6$secret:19000:0:99999:7:::\n";

  /** `resolv.conf` planted as a second name of the container's `shadow`. */
  async function linkedToShadow(): Promise<{ shadow: string; path: string }> {
    const d = await dir();
    const shadow = join(d, "shadow");
    const path = join(d, "resolv.conf");
    await writeFile(shadow, SHADOW);
    await link(shadow, path);
    return { shadow, path };
  }

  it("is refused in place: the file it shares its inode with is left alone", async () => {
    const { shadow, path } = await linkedToShadow();
    const error = await sink({ path, writeMode: "in-place", takeOver: true }).apply(config(["192.0.2.1"])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeTargetError);
    expect(error).toMatchObject({ code: "UNSAFE_TARGET", reason: "hard-link", path });
    expect((error as Error).message).toMatch(/has 2 hard links/);
    await expect(writeInPlace(path, ours)).rejects.toMatchObject({ reason: "hard-link" });
    expect(await readFile(shadow, "utf8")).toBe(SHADOW);
  });

  it("is replaced by rename, which leaves the other name's content alone", async () => {
    const { shadow, path } = await linkedToShadow();
    await sink({ path, writeMode: "rename", takeOver: true }).apply(config(["192.0.2.1"]));
    expect(await readFile(shadow, "utf8")).toBe(SHADOW);
    expect(await readFile(path, "utf8")).toBe(`${MARKER}\nnameserver 192.0.2.1\n`);
  });
});

describe.runIf(isRoot)("the owner of the target", () => {
  // An unprivileged container's root is some high host uid; a file the host
  // creates as root would show up inside as owned by `nobody`.
  it.each(["rename", "in-place"] as const)("is kept (%s)", async (writeMode) => {
    const path = join(await dir(), "resolv.conf");
    await writeFile(path, ours);
    await chown(path, 1_000_000, 1_000_001);
    await sink({ path, writeMode }).apply(config(["192.0.2.1"]));
    const after = await stat(path);
    expect(await readFile(path, "utf8")).toBe(`${MARKER}\nnameserver 192.0.2.1\n`);
    expect([after.uid, after.gid]).toEqual([1_000_000, 1_000_001]);
    expect(after.mode & 0o777).toBe(0o644 & ~process.umask());
  });
});
