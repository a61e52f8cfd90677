// The plugin author's API reference (docs/plugin-authors.md links it): built
// by the workspace script from the doc comments of @incusx/sdk and
// @incusx/testkit, with every export documented and no broken link.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

function run(command: string, args: readonly string[]) {
  const result = spawnSync(command, args, { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("pnpm run docs:api", () => {
  it("builds the reference of @incusx/sdk and @incusx/testkit into docs/api without a warning", () => {
    const { status, output } = run("pnpm", ["run", "docs:api"]);
    expect(output).not.toMatch(/\[warning\]|\[error\]/);
    expect(status).toBe(0);
    const index = readFileSync(join(root, "docs/api/index.html"), "utf8");
    expect(index).toContain("incusx plugin API");
    expect(existsSync(join(root, "docs/api/functions/sdk_src.definePlugin.html"))).toBe(true);
    expect(existsSync(join(root, "docs/api/functions/testkit_src.startTestHost.html"))).toBe(true);
  }, 180_000);

  it("fails on an export without a doc comment, naming it", () => {
    const out = mkdtempSync(join(tmpdir(), "incusx-api-"));
    try {
      const fixture = "test/journeys/fixtures/undocumented";
      const { status, output } = run("pnpm", [
        "exec", "typedoc", "--entryPoints", `${fixture}/index.ts`, "--tsconfig", `${fixture}/tsconfig.json`, "--out", out,
      ]);
      expect(output).toMatch(/undocumented.*does not have any documentation/);
      expect(status).not.toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
