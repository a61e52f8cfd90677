// Builds workspace packages with `tsc -b` one process at a time: test files
// running in parallel workers that each build would otherwise write the
// same dist/ folders at once. The lock is a directory (mkdir is atomic);
// one left by a killed run is taken over after five minutes.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LOCK = join(tmpdir(), "incusx-tsc-build.lock");
const STALE_MS = 5 * 60_000;

/** Runs `tsc -b` on `projects` (paths relative to `root`) while holding the workspace build lock. */
export function buildWorkspace(root: string, projects: readonly string[]): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // Released between our two calls: try again.
      }
      Atomics.wait(sleeper, 0, 0, 100);
    }
  }
  try {
    execFileSync("npx", ["tsc", "-b", ...projects], { cwd: root, stdio: "ignore" });
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
