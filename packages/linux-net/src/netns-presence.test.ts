import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { IDLE_DIRECTORY_WATCHES, netnsPathWatchCounts, watchNetnsPath } from "./netns-presence.js";

// watchNetnsPath compares what a path names with what an fd holds; any file does for the directory watch.
describe("watchNetnsPath's directory watches", () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const undo of cleanup.splice(0).reverse()) undo();
  });

  function fileIn(dir: string, name: string): { path: string; fd: number } {
    const path = join(dir, name);
    writeFileSync(path, "");
    const fd = openSync(path, "r");
    cleanup.push(() => closeSync(fd));
    return { path, fd };
  }

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "incusx-netns-presence-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it("keeps a directory's inotify watch once its last path is no longer watched, and reuses it", async () => {
    const dir = tempDir();
    const before = netnsPathWatchCounts();
    const first = fileIn(dir, "a");
    const stop = watchNetnsPath(first.path, first.fd, () => {});
    expect(netnsPathWatchCounts().directories).toBe(before.directories + 1);
    stop();
    // Adding the first watch of a directory costs milliseconds in the kernel: the next attach must not pay it again.
    expect(netnsPathWatchCounts()).toMatchObject({ directories: before.directories, idleDirectories: Math.min(before.idleDirectories + 1, IDLE_DIRECTORY_WATCHES) });
    // The kept watch still reports.
    const second = fileIn(dir, "b");
    let reported: string | undefined;
    const gone = new Promise<void>((resolve) => watchNetnsPath(second.path, second.fd, (why) => ((reported = why), resolve())));
    expect(netnsPathWatchCounts().directories).toBe(before.directories + 1);
    rmSync(second.path);
    await gone;
    expect(reported).toContain("no longer exists");
  });

  it("does not reuse an idle watch of a directory that was removed and made again", async () => {
    const dir = tempDir();
    const first = fileIn(dir, "a");
    watchNetnsPath(first.path, first.fd, () => {})();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const again = fileIn(dir, "a");
    const gone = new Promise<string>((resolve) => watchNetnsPath(again.path, again.fd, resolve));
    rmSync(again.path);
    expect(await gone).toContain("no longer exists");
  });

  it(`keeps at most ${IDLE_DIRECTORY_WATCHES} idle directory watches`, () => {
    const dirs = Array.from({ length: IDLE_DIRECTORY_WATCHES + 2 }, () => tempDir());
    for (const dir of dirs) {
      const file = fileIn(dir, "a");
      watchNetnsPath(file.path, file.fd, () => {})();
    }
    expect(netnsPathWatchCounts().idleDirectories).toBe(IDLE_DIRECTORY_WATCHES);
  });
});
