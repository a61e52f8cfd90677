import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The reply checks of native/rtnetlink.c, tested in C (native/test/rtnetlink_test.c):
// forged, foreign and truncated datagrams cannot be arranged from JavaScript.
const source = fileURLToPath(new URL("../native/test/rtnetlink_test.c", import.meta.url));
const nodeHeaders = join(dirname(dirname(process.execPath)), "include", "node");
const compiler = process.env["CC"] ?? "cc";
const canCompile =
  process.platform === "linux" && existsSync(join(nodeHeaders, "node_api.h")) && spawnSync(compiler, ["--version"], { stdio: "ignore" }).status === 0;

describe.runIf(canCompile)("rtnetlink reply checks (C unit test, needs a C compiler and Node's headers)", () => {
  it("ignores datagrams not from the kernel or of another sequence number, sizes the buffer to the datagram and refuses a truncated one", () => {
    const dir = mkdtempSync(join(tmpdir(), "incusx-rtnetlink-"));
    try {
      const binary = join(dir, "rtnetlink_test");
      const build = spawnSync(compiler, ["-std=gnu11", "-Wall", "-Wextra", "-Werror", `-I${nodeHeaders}`, source, "-o", binary], { encoding: "utf8" });
      expect(build.status, build.stderr).toBe(0);
      const run = spawnSync(binary, { encoding: "utf8", timeout: 20_000 });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      const lines = run.stdout.trim().split("\n");
      expect(lines).toHaveLength(8);
      for (const line of lines) expect(line).toMatch(/^ok /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
