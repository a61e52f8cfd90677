// The directory of the target swapped for a symbolic link between the
// check and the write (a container's owner racing the host): the write
// must not land where the link points.
import { mkdir, readFile, readdir, rename, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tempDir } from "./fs.test-support.js";

// Runs `afterLstat` once, right after the next lstat or open of the path it names
// (the check, whichever way the writer makes it).
const race = vi.hoisted(() => ({ path: "", afterLstat: undefined as undefined | (() => Promise<void>) }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  const after = async (path: unknown): Promise<void> => {
    if (String(path) === race.path && race.afterLstat !== undefined) {
      const hook = race.afterLstat;
      race.afterLstat = undefined;
      await hook();
    }
  };
  return {
    ...actual,
    lstat: async (...args: Parameters<typeof actual.lstat>) => {
      const result = await actual.lstat(...args);
      await after(args[0]);
      return result;
    },
    open: async (...args: Parameters<typeof actual.open>) => {
      const result = await actual.open(...args);
      await after(args[0]);
      return result;
    },
  };
});

const { writeByRename, writeInPlace } = await import("./safe-write.js");

describe("a target directory swapped for a symbolic link during a write", () => {
  let d: { dir: string; remove(): Promise<void> };
  beforeEach(async () => {
    d = await tempDir();
  });
  afterEach(async () => {
    race.afterLstat = undefined;
    await d.remove();
  });

  for (const [mode, write] of [
    ["rename", writeByRename],
    ["in-place", writeInPlace],
  ] as const) {
    it(`never writes through the link (${mode})`, async () => {
      // "host" stands for a host directory the container's owner points at.
      const host = join(d.dir, "host");
      const etc = join(d.dir, "etc");
      await mkdir(host);
      await mkdir(etc);
      await writeFile(join(host, "resolv.conf"), "host file\n");
      await writeFile(join(etc, "resolv.conf"), "old\n");
      race.path = etc;
      race.afterLstat = async () => {
        await rename(etc, join(d.dir, "etc.moved"));
        await symlink(host, etc);
      };
      await write(join(etc, "resolv.conf"), "nameserver 192.0.2.1\n").catch(() => undefined);
      expect(race.afterLstat).toBeUndefined(); // the race did happen
      expect(await readFile(join(host, "resolv.conf"), "utf8")).toBe("host file\n");
      expect(await readdir(host)).toEqual(["resolv.conf"]);
    });
  }
});
