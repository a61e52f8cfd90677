import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../test/run-cli.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures/", import.meta.url));

const good = { id: "fixture.good", version: "1.0.0", apiVersions: ["1"], provides: ["nic-validator"] };
const plain = { id: "fixture.plain", version: "2.0.0", apiVersions: ["1"], provides: [] };
const failing = { id: "fixture.failing", version: "0.3.0", apiVersions: ["1"], provides: [] };

describe("incusx plugins list", () => {
  it("lists the plugin packages given as paths, in the order given", async () => {
    const run = await runCli(["plugins", "list", "--json", "./plugin-plain", join(fixtures, "plugin-good")], fixtures);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual([plain, good]);
  });

  it("prints exactly id, version, apiVersions and provides for each plugin with --json", async () => {
    const run = await runCli(["plugins", "list", "--json", "./plugin-good"], fixtures);
    const [entry] = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(Object.keys(entry!)).toEqual(["id", "version", "apiVersions", "provides"]);
  });

  it("prints an aligned table by default", async () => {
    const run = await runCli(["plugins", "list", "./plugin-good", "./plugin-plain"], fixtures);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      [
        "ID             VERSION  API  PROVIDES       PACKAGE",
        "fixture.good   1.0.0    1    nic-validator  @fixture/plugin-good",
        "fixture.plain  2.0.0    1    -              fixture-plugin-plain",
        "",
      ].join("\n"),
    );
  });

  it("accepts a folder path without a leading ./", async () => {
    const run = await runCli(["plugins", "list", "--json", "plugin-good"], fixtures);
    expect(JSON.parse(run.stdout)).toEqual([good]);
  });

  it("lists the plugins of a host config, resolving paths from the config's folder", async () => {
    const run = await runCli(["plugins", "list", "--json", "--config", join(fixtures, "host-failing.json")], tmpdir());
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([good, failing]);
  });

  it("reads manifests without importing plugin code", async () => {
    // plugin-invalid-manifest's module throws when imported; plugin-failing's start() throws.
    const run = await runCli(["plugins", "list", "--json", "./plugin-failing"], fixtures);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([failing]);
  });

  it("reports an invalid manifest with its code, exits 1 and still lists the valid plugins", async () => {
    const run = await runCli(["plugins", "list", "--json", "./plugin-good", "./plugin-invalid-manifest", "./plugin-plain"], fixtures);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual([good, plain]);
    expect(run.stderr).toMatch(/^incusx: error\[INVALID_MANIFEST\]: .*plugin-invalid-manifest\/package\.json: \/incusx/);
    expect(run.stderr).toContain('missing required property "apiVersions"');
  });

  it("reports a plugin that is not installed with LOAD_FAILED and exits 1", async () => {
    const run = await runCli(["plugins", "list", "@incusx/plugin-nowhere", "./plugin-good"], fixtures);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^incusx: error\[LOAD_FAILED\]: Plugin package "@incusx\/plugin-nowhere" not found/);
    expect(run.stdout).toContain("fixture.good");
  });

  it("reports an invalid host config with INVALID_CONFIG and exits 1", async () => {
    const run = await runCli(["plugins", "list", "--config", "host-invalid.json"], fixtures);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^incusx: error\[INVALID_CONFIG\]: .*host-invalid\.json: \/plugins\/0\/onFailure: must be equal to one of the allowed values/);
  });
});

describe("incusx plugins list without arguments", () => {
  let project: string;
  beforeEach(async () => {
    project = await mkdtemp(join(tmpdir(), "incusx-cli-list-"));
  });
  afterEach(async () => {
    await rm(project, { recursive: true, force: true });
  });

  async function install(nodeModules: string, name: string, fixture: string): Promise<void> {
    const target = join(nodeModules, name);
    await mkdir(join(target, ".."), { recursive: true });
    await symlink(join(fixtures, fixture), target, "dir");
  }

  it("finds every plugin package installed in node_modules from the working directory upwards", async () => {
    const app = join(project, "apps", "host");
    await mkdir(app, { recursive: true });
    await install(join(app, "node_modules"), "@fixture/plugin-good", "plugin-good");
    await install(join(project, "node_modules"), "fixture-plugin-plain", "plugin-plain");
    // Not plugins: no `incusx` field, tooling folders, a broken package.json.
    await mkdir(join(project, "node_modules", "left-pad"), { recursive: true });
    await writeFile(join(project, "node_modules", "left-pad", "package.json"), '{ "name": "left-pad", "version": "1.3.0" }');
    await mkdir(join(project, "node_modules", "broken"), { recursive: true });
    await writeFile(join(project, "node_modules", "broken", "package.json"), "{ nope");
    await install(join(project, "node_modules", ".pnpm"), "@fixture/plugin-failing", "plugin-failing");

    const run = await runCli(["plugins", "list", "--json"], app);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([good, plain]);
  });

  it("lets a nearer node_modules hide a package of the same name further up", async () => {
    const app = join(project, "app");
    await install(join(app, "node_modules"), "@fixture/plugin-good", "plugin-good");
    await install(join(project, "node_modules"), "@fixture/plugin-good", "plugin-plain");
    const run = await runCli(["plugins", "list", "--json"], app);
    expect(JSON.parse(run.stdout)).toEqual([good]);
  });

  it("reports an installed plugin with an invalid manifest and lists the rest", async () => {
    await install(join(project, "node_modules"), "@fixture/plugin-good", "plugin-good");
    await install(join(project, "node_modules"), "@fixture/plugin-invalid-manifest", "plugin-invalid-manifest");
    const run = await runCli(["plugins", "list"], project);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("fixture.good");
    expect(run.stderr).toMatch(/^incusx: error\[INVALID_MANIFEST\]: /);
  });

  it("says so when no plugin is installed", async () => {
    const run = await runCli(["plugins", "list"], project);
    expect(run).toEqual({ status: 0, stdout: "No plugins found.\n", stderr: "" });
    const json = await runCli(["plugins", "list", "--json"], project);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });
});
