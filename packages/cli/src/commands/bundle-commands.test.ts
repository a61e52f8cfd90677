import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { digestOfFiles } from "@incusx/bundle";
import type { BundleManifest } from "@incusx/sdk/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../test/run-cli.js";

// Inside the CLI package, whose node_modules holds the built-in plugins and,
// through @incusx/host, the SDK: where `bundle create` finds them by name.
const cliPackage = fileURLToPath(new URL("../../", import.meta.url));
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(cliPackage, ".tmp-bundle-cli-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("incusx bundle create and verify", () => {
  it("creates a bundle of installed plugins by name, and verifies it", async () => {
    const created = await runCli(["bundle", "create", "--out", "b1", "--json", "--name", "test", "--version", "2.0.0", "@incusx/plugin-dhcpv6"], work);
    expect(created.stderr).toBe("");
    expect(created.status).toBe(0);
    const summary = JSON.parse(created.stdout) as { name: string; version: string; plugins: { id: string; sha256: string }[]; files: number };
    expect(summary).toMatchObject({ name: "test", version: "2.0.0", apiVersion: "1", plugins: [{ id: "incusx.dhcpv6" }] });

    const verified = await runCli(["bundle", "verify", "--skip-sdk-check", "--json", "b1"], work);
    expect(verified.status).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, files: summary.files, plugins: [{ id: "incusx.dhcpv6", sha256: summary.plugins[0]!.sha256 }] });
  });

  it("prints one error line per problem and exits 1 for a tampered bundle", async () => {
    await runCli(["bundle", "create", "--out", "b2", "@incusx/plugin-dhcpv6"], work);
    await appendFile(join(work, "b2/node_modules/@incusx/plugin-dhcpv6/package.json"), "\n");
    await appendFile(join(work, "b2/node_modules/@incusx/dhcp-wire/README.md"), "\n");
    const run = await runCli(["bundle", "verify", "--json", "b2"], work);
    expect(run.status).toBe(1);
    expect(run.stderr.split("\n").filter(Boolean)).toEqual([
      expect.stringMatching(/^incusx: error\[BUNDLE_FILE_CHANGED\]: node_modules\/@incusx\/dhcp-wire\/README\.md: changed/),
      expect.stringMatching(/^incusx: error\[BUNDLE_FILE_CHANGED\]: node_modules\/@incusx\/plugin-dhcpv6\/package\.json: changed/),
    ]);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, problems: [{ code: "BUNDLE_FILE_CHANGED" }, { code: "BUNDLE_FILE_CHANGED" }] });
  });

  it("adds the installed plugins a chosen plugin requires, and names a requirement nobody provides", async () => {
    const plugin = (name: string, requires: string[]) => {
      const dir = join(work, name);
      mkdirSync(join(dir, "dist"), { recursive: true });
      writeFileSync(join(dir, "dist/index.js"), "export default {};\n");
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({ name: `@fixture/${name}`, version: "1.0.0", type: "module", exports: "./dist/index.js", incusx: { id: `fixture.${name}`, apiVersions: ["1"], requires } }),
      );
    };
    plugin("needs-v4", ["incusx.dhcpv4"]);
    const run = await runCli(["bundle", "create", "--out", "b4", "--json", "./needs-v4"], work);
    expect(run.stderr).toBe("");
    expect((JSON.parse(run.stdout) as { plugins: { id: string }[] }).plugins.map((p) => p.id)).toEqual(["fixture.needs-v4", "incusx.dhcpv4"]);

    plugin("needs-nobody", ["example.absent"]);
    const missing = await runCli(["bundle", "create", "--out", "b5", "./needs-nobody"], work);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^incusx: error\[BUNDLE_CREATE_FAILED\]: Plugin "fixture\.needs-nobody" requires "example\.absent", and no installed plugin package has that id$/m);
  });

  it("refuses a bundle whose plugin entry is a %2e%2e path, though a decoy of that name is hashed and listed", async () => {
    await runCli(["bundle", "create", "--out", "b6", "@incusx/plugin-dhcpv6"], work);
    const file = join(work, "b6/bundle.json");
    const manifest = JSON.parse(readFileSync(file, "utf8")) as BundleManifest;
    const plugin = manifest.plugins[0]!;
    const entry = "%2e%2e/%2e%2e/%2e%2e/%2e%2e/evil.mjs";
    const decoy = "export default 1;\n";
    mkdirSync(join(work, "b6", plugin.path, "%2e%2e/%2e%2e/%2e%2e/%2e%2e"), { recursive: true });
    writeFileSync(join(work, "b6", plugin.path, entry), decoy);
    manifest.files![`${plugin.path}/${entry}`] = createHash("sha256").update(decoy).digest("hex");
    const own = Object.fromEntries(
      Object.entries(manifest.files!).filter(([path]) => path.startsWith(`${plugin.path}/`)).map(([path, hash]) => [path.slice(plugin.path.length + 1), hash]),
    );
    plugin.entry = entry;
    plugin.sha256 = digestOfFiles(own);
    writeFileSync(file, JSON.stringify(manifest));
    const run = await runCli(["bundle", "verify", "--json", "b6"], work);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `incusx: error[BUNDLE_INVALID]: bundle.json: /plugins/0 ("incusx.dhcpv6") has entry "${entry}", which is not a plain relative path (no "%", "#", "?", backslash or NUL, no ".." segment, not absolute)\n`,
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, problems: [{ code: "BUNDLE_INVALID", file: "bundle.json" }] });
  });

  it("refuses to bundle a plugin whose entry file name is not plain", async () => {
    const dir = join(work, "pct-entry");
    mkdirSync(join(dir, "dist"), { recursive: true });
    writeFileSync(join(dir, "dist/%41.js"), "export default {};\n");
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "@fixture/pct-entry", version: "1.0.0", type: "module", exports: "./dist/%41.js", incusx: { id: "fixture.pct", apiVersions: ["1"] } }),
    );
    const run = await runCli(["bundle", "create", "--out", "b7", "./pct-entry"], work);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^incusx: error\[BUNDLE_CREATE_FAILED\]: .*pct-entry: entry "dist\/%41\.js" of plugin "fixture\.pct" is not a plain relative path/m);
  });

  it("reports a plugin that cannot be found, and usage errors", async () => {
    const missing = await runCli(["bundle", "create", "--out", "b3", "@incusx/plugin-nope"], work);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^incusx: error\[LOAD_FAILED\]: Plugin package "@incusx\/plugin-nope" not found/m);
    expect((await runCli(["bundle", "create", "@incusx/plugin-dhcpv6"], work)).stderr).toMatch(/error\[USAGE\]: Missing "--out DIR"/);
    expect((await runCli(["bundle", "verify"], work)).stderr).toMatch(/error\[USAGE\]: Give exactly one bundle DIR/);
    expect((await runCli(["bundle", "verify", "nowhere"], work)).stderr).toMatch(/error\[BUNDLE_NOT_FOUND\]: .*nowhere\/bundle\.json: no bundle manifest/);
  });

  it("lists a bundle's plugins from its bundle.json", async () => {
    const run = await runCli(["--bundle", "b1", "plugins", "list"], work);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^incusx\.dhcpv6 +0\.0\.0 +1 +dhcp-runner +@incusx\/plugin-dhcpv6$/m);
    const json = await runCli(["plugins", "list", "--json", "--bundle", "b1"], work);
    expect(JSON.parse(json.stdout)).toEqual([{ id: "incusx.dhcpv6", version: "0.0.0", apiVersions: ["1"], provides: ["dhcp-runner"] }]);
  });

  it("passes the global --bundle to commands that start a host, and refuses it elsewhere", async () => {
    const run = await runCli(["--bundle", "b1", "bundle", "verify", "b1"], work);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/error\[USAGE\]: "incusx bundle verify" starts no host, so it takes no --bundle/);
    const noValue = await runCli(["--bundle"], work);
    expect(noValue.stderr).toMatch(/error\[USAGE\]: Option "--bundle" needs a value/);
  });
});
