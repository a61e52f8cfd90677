import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StartupReport } from "@incusx/host";
import { runCli } from "../../test/run-cli.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));

const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe("incusx plugins check", () => {
  it("starts and stops the configured plugins and exits 0 when all started", async () => {
    const run = await runCli(["plugins", "check", "--config", "host-ok.json"], fixtures);
    expect(run.status).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^ID +VERSION +STATE +TIME \(ms\) +ERROR$/);
    expect(lines[1]).toMatch(/^fixture\.good +1\.0\.0 +started +\d+\.\d$/);
    expect(lines[2]).toMatch(/^fixture\.plain +2\.0\.0 +started +\d+\.\d$/);
    expect(run.stdout).toMatch(/^2 plugins: 2 started; startup took \d+\.\d ms$/m);
  });

  it("prints the startup report as JSON with --json and keeps plugin logs on stderr", async () => {
    const run = await runCli(["plugins", "check", "--json", "--config", "host-ok.json"], fixtures);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as StartupReport;
    expect(report.ok).toBe(true);
    expect(report.aborted).toBe(false);
    expect(report.plugins.map((p) => [p.id, p.version, p.state])).toEqual([
      ["fixture.good", "1.0.0", "started"],
      ["fixture.plain", "2.0.0", "started"],
    ]);
    expect(jsonLines(run.stderr)).toContainEqual(
      expect.objectContaining({ level: "info", pluginId: "fixture.plain", message: "Plain plugin started" }),
    );
  });

  it("exits 1 and shows the error code and message of a plugin that failed to start", async () => {
    const run = await runCli(["plugins", "check", "--config", "host-failing.json"], fixtures);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      /^fixture\.failing +0\.3\.0 +failed +\d+\.\d +PLUGIN_FAILED: Plugin "fixture\.failing" failed to start: Cannot open the fixture socket$/m,
    );
    expect(run.stdout).toMatch(/^fixture\.good +1\.0\.0 +started/m);
    expect(run.stdout).toMatch(/^2 plugins: 1 started, 1 failed; startup took \d+\.\d ms$/m);
    // The host logs the failure too, on stderr only.
    expect(jsonLines(run.stderr)).toContainEqual(expect.objectContaining({ level: "error", code: "PLUGIN_FAILED" }));
  });

  it("reports a failing plugin in the JSON report and exits 1", async () => {
    const run = await runCli(["plugins", "check", "--json", "--config", "host-failing.json"], fixtures);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as StartupReport;
    expect(report.ok).toBe(false);
    expect(report.plugins.find((p) => p.id === "fixture.failing")).toMatchObject({
      state: "failed",
      error: { code: "PLUGIN_FAILED", message: expect.stringContaining("Cannot open the fixture socket") },
    });
  });

  it("says so when the config names no plugins", async () => {
    const run = await runCli(["plugins", "check", "--config", "host-empty.json"], fixtures);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^No plugins to start/);
  });

  it("reports an unreadable or invalid host config as INVALID_CONFIG and exits 1", async () => {
    const missing = await runCli(["plugins", "check", "--config", "no-such-host.json"], fixtures);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^incusx: error\[INVALID_CONFIG\]: .*no-such-host\.json: cannot read/);
    const invalid = await runCli(["plugins", "check", "--json", "--config", "host-invalid.json"], fixtures);
    expect(invalid.status).toBe(1);
    expect(invalid.stdout).toBe("");
    expect(invalid.stderr).toMatch(/^incusx: error\[INVALID_CONFIG\]: /);
  });
});

describe("incusx plugins check without --config", () => {
  let project: string;
  beforeEach(async () => {
    project = await mkdtemp(join(tmpdir(), "incusx-cli-check-"));
  });
  afterEach(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it("starts every installed plugin and leaves no state directory behind", async () => {
    await mkdir(join(project, "node_modules", "@fixture"), { recursive: true });
    await symlink(join(fixtures, "plugin-good"), join(project, "node_modules", "@fixture", "plugin-good"), "dir");
    await symlink(join(fixtures, "plugin-plain"), join(project, "node_modules", "fixture-plugin-plain"), "dir");
    await writeFile(join(project, "package.json"), "{}");
    const before = (await readdir(tmpdir())).filter((name) => name.startsWith("incusx-check-")).length;

    const run = await runCli(["plugins", "check", "--json"], project);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as StartupReport;
    expect(report.plugins.map((p) => p.id)).toEqual(["fixture.good", "fixture.plain"]);
    const after = (await readdir(tmpdir())).filter((name) => name.startsWith("incusx-check-")).length;
    expect(after).toBe(before);
  });
});
