import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { validatePluginManifest } from "@incusx/bundle";
import { runCli } from "../../test/run-cli.js";
import { idFromName } from "./plugin-new.js";
import { renderTemplate } from "./plugin-new-template.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "incusx-plugin-new-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("incusx plugin new", () => {
  it.each([
    ["nic-validator", "validator"],
    ["dhcp-runner", "runner"],
    ["nat-backend", "nat-backend"],
  ])("writes a %s package with a valid manifest and no template placeholder left", async (point, file) => {
    const run = await runCli(["plugin", "new", "@acme/incusx-plugin-demo", "--point", point, "--json"], dir);
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as { dir: string; id: string; files: string[] };
    expect(summary).toMatchObject({ dir: join(dir, "incusx-plugin-demo"), id: "acme.demo", point });
    expect(summary.files).toEqual([
      ".gitignore", "README.md", "package.json", "src/index.ts", `src/${file}.test.ts`, `src/${file}.ts`, "tsconfig.json", "vitest.config.ts",
    ]);
    const pkg = JSON.parse(await readFile(join(summary.dir, "package.json"), "utf8")) as { incusx: unknown; peerDependencies: object };
    expect(validatePluginManifest(pkg.incusx, "package.json")).toMatchObject({ id: "acme.demo", apiVersions: ["1"], provides: [point] });
    expect(pkg.peerDependencies).toHaveProperty("@incusx/sdk");
    for (const name of summary.files) expect(await readFile(join(summary.dir, name), "utf8")).not.toMatch(/\{\{|\}\}/);
  });

  it("takes --dir and --id, and refuses a directory that is not empty", async () => {
    const first = await runCli(["plugin", "new", "my-plugin", "--dir", "here", "--id", "acme.custom"], dir);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^Wrote plugin "acme\.custom" \(nic-validator\) to .*\/here:$/m);
    const again = await runCli(["plugin", "new", "my-plugin", "--dir", "here"], dir);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/^incusx: error\[USAGE\]: ".*\/here" is not empty$/m);
  });

  it("refuses an unknown extension point, a bad package name and a bad id", async () => {
    const point = await runCli(["plugin", "new", "x", "--point", "dns-sink"], dir);
    expect(point.stderr).toMatch(/error\[USAGE\]: Unknown extension point "dns-sink" \(one of nic-validator, dhcp-runner, nat-backend\)/);
    const name = await runCli(["plugin", "new", "Not A Name"], dir);
    expect(name.stderr).toMatch(/error\[USAGE\]: "Not A Name" is not an npm package name/);
    const id = await runCli(["plugin", "new", "x", "--id", "Bad Id"], dir);
    expect(id.stderr).toMatch(/error\[USAGE\]: "Bad Id" is not a plugin id/);
    expect([point.status, name.status, id.status]).toEqual([2, 2, 2]);
  });

  it("derives plugin ids from package names", () => {
    expect(idFromName("@acme/incusx-plugin-mtu-guard")).toBe("acme.mtu-guard");
    expect(idFromName("incusx-plugin-foo")).toBe("foo");
    expect(idFromName("plugin-foo")).toBe("foo");
    expect(idFromName("@my-org/bar")).toBe("myorg.bar");
  });

  it("refuses to render a template placeholder that has no value", () => {
    expect(() => renderTemplate("{{known}} {{unknown}}", { known: "x" })).toThrow('Template placeholder "{{unknown}}" has no value');
  });
});
