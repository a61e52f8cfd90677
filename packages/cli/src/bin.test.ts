import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const fixtures = fileURLToPath(new URL("../test/fixtures/", import.meta.url));

function incusx(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: fixtures, encoding: "utf8", timeout: 15_000 });
}

// In-process tests cover the behaviour; this checks the built executable
// (shebang, top-level await, exit status, stream separation) end to end.
describe("the built incusx executable", () => {
  it("lists plugins as JSON on stdout and exits 0", ({ skip }) => {
    if (!existsSync(bin)) skip("packages/cli/dist/bin.js is not built; run pnpm build");
    const run = incusx("plugins", "list", "--json", "./plugin-good");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([{ id: "fixture.good", version: "1.0.0", apiVersions: ["1"], provides: ["nic-validator"] }]);
  });

  it("exits 1 with a parseable report when a plugin fails, logs on stderr", ({ skip }) => {
    if (!existsSync(bin)) skip("packages/cli/dist/bin.js is not built; run pnpm build");
    const run = incusx("plugins", "check", "--json", "--config", "host-failing.json");
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false });
    expect(run.stderr).toContain('"code":"PLUGIN_FAILED"');
  });

  it("exits 2 on a usage error", ({ skip }) => {
    if (!existsSync(bin)) skip("packages/cli/dist/bin.js is not built; run pnpm build");
    const run = incusx("plugins", "lsit");
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^incusx: error\[USAGE\]: Unknown subcommand "lsit"/);
  });

  it("starts with a node shebang so it runs as an installed bin", ({ skip }) => {
    if (!existsSync(bin)) skip("packages/cli/dist/bin.js is not built; run pnpm build");
    expect(readFileSync(bin, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
  });
});
