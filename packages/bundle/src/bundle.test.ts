import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ESCAPE, createBundleFixtures, editManifest, retarget, write, type BundleFixtures } from "../../../test/support/bundle-fixtures.js";
import { createBundle } from "./create-bundle.js";
import { sha256 } from "./digest.js";
import { BundleError } from "./errors.js";
import { readBundle } from "./read-bundle.js";
import { verifyBundle } from "./verify-bundle.js";

// Fixture packages live inside this package, where Node finds @incusx/sdk
// in a node_modules above them, as a bundle next to an installed host does.
let fx: BundleFixtures;
beforeAll(() => {
  fx = createBundleFixtures(fileURLToPath(new URL("../", import.meta.url)));
});
afterAll(() => {
  fx.remove();
});

function refusal(fn: () => unknown): BundleError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BundleError);
    return error as BundleError;
  }
  throw new Error("expected a BundleError");
}

describe("bundle create", () => {
  it("copies each plugin's package files and its dependencies, and lists every file's SHA-256", async () => {
    const out = await fx.freshBundle();
    const manifest = readBundle(out).manifest;
    expect(Object.keys(manifest.files!)).toEqual([
      "node_modules/@fixture/plugin-a/README.md",
      "node_modules/@fixture/plugin-a/dist/index.js",
      "node_modules/@fixture/plugin-a/package.json",
      "node_modules/@fixture/plugin-b/README.md",
      "node_modules/@fixture/plugin-b/dist/index.js",
      "node_modules/@fixture/plugin-b/package.json",
      "node_modules/fixture-greeting/index.js",
      "node_modules/fixture-greeting/package.json",
    ]);
    expect(manifest.plugins.map((p) => [p.id, p.package, p.version, p.path, p.entry])).toEqual([
      ["fixture.a", "@fixture/plugin-a", "1.2.3", "node_modules/@fixture/plugin-a", "dist/index.js"],
      ["fixture.b", "@fixture/plugin-b", "1.2.3", "node_modules/@fixture/plugin-b", "dist/index.js"],
    ]);
    expect(manifest.apiVersion).toBe("1");
    expect(manifest.plugins[1]!.manifest).toEqual(JSON.parse(readFileSync(join(fx.sources, "plugin-b", "package.json"), "utf8")).incusx);
  });

  it("records a plugin digest that sha256sum over its sorted files reproduces", async () => {
    const out = await fx.freshBundle();
    const plugin = readBundle(out).manifest.plugins[0]!;
    const digest = execFileSync(
      "sh",
      ["-c", "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum | cut -d' ' -f1"],
      { cwd: join(out, plugin.path), encoding: "utf8" },
    ).trim();
    expect(plugin.sha256).toBe(digest);
  });

  it("refuses a plugin that does not speak the bundle's API version", async () => {
    const dir = fx.fixturePlugin("plugin-v2", { id: "fixture.v2", apiVersions: ["2"] });
    const error = await createBundle({ out: fx.newDir("bundle"), plugins: [dir], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BUNDLE_API_VERSION" });
    expect((error as Error).message).toMatch(/plugin-v2\/package\.json: plugin "fixture\.v2" speaks API versions "2"; the bundle is for "1"/);
  });

  it("refuses a plugin whose requirement is not in the bundle", async () => {
    const error = await createBundle({ out: fx.newDir("bundle"), plugins: [join(fx.sources, "plugin-b")], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BUNDLE_CREATE_FAILED", message: 'Plugin "fixture.b" requires "fixture.a", which is not in the bundle' });
  });

  it("refuses a plugin that is not built, and one that bundles its own SDK", async () => {
    const unbuilt = fx.fixturePlugin("plugin-unbuilt", { id: "fixture.unbuilt" });
    unlinkSync(join(unbuilt, "dist", "index.js"));
    const notBuilt = await createBundle({ out: fx.newDir("bundle"), plugins: [unbuilt], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect(notBuilt).toMatchObject({ code: "BUNDLE_CREATE_FAILED" });
    expect((notBuilt as Error).message).toMatch(/entry "dist\/index\.js" of plugin "fixture\.unbuilt" is not among the package's files; build the package first/);

    const ownSdk = fx.fixturePlugin("plugin-own-sdk", { id: "fixture.own-sdk" }, { dependencies: { "@incusx/sdk": "1.0.0" } });
    const sdkError = await createBundle({ out: fx.newDir("bundle"), plugins: [ownSdk], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect((sdkError as Error).message).toMatch(/"@incusx\/sdk" is in "dependencies"; make it a peerDependency/);
  });

  it("refuses a plugin whose entry or directory in the bundle is not a plain relative path", async () => {
    for (const [name, entry] of [["plugin-pct", "./dist/%41.js"], ["plugin-hash", "./dist/a#b.js"], ["plugin-q", "./dist/a?b.js"]] as const) {
      const dir = fx.fixturePlugin(name, { id: `fixture.${name}` }, { exports: { ".": entry } });
      renameSync(join(dir, "dist/index.js"), join(dir, entry));
      const error = await createBundle({ out: fx.newDir("bundle"), plugins: [dir], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "BUNDLE_CREATE_FAILED" });
      expect((error as Error).message).toBe(
        `${dir}: entry ${JSON.stringify(entry.slice(2))} of plugin "fixture.${name}" is not a plain relative path (no "%", "#", "?", backslash or NUL, no ".." segment, not absolute); rename the file`,
      );
    }
    const named = fx.fixturePlugin("plugin-named", { id: "fixture.named" }, { name: "@fixture/%2e%2e" });
    const error = await createBundle({ out: fx.newDir("bundle"), plugins: [named], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BUNDLE_CREATE_FAILED" });
    expect((error as Error).message).toMatch(/plugin-named: package name "@fixture\/%2e%2e" makes the bundle path "node_modules\/@fixture\/%2e%2e", which is not a plain relative path/);
  });

  it("refuses to write into a directory that is not empty", async () => {
    const out = await fx.freshBundle();
    const error = await createBundle({ out, plugins: [join(fx.sources, "plugin-a")], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BUNDLE_CREATE_FAILED" });
  });
});

describe("bundle verify", () => {
  it("accepts a bundle as created", async () => {
    const verified = verifyBundle(await fx.freshBundle());
    expect(verified.plugins.map((p) => p.id)).toEqual(["fixture.a", "fixture.b"]);
    expect(verified.fileCount).toBe(8);
  });

  it("refuses a changed byte, naming the file", async () => {
    const out = await fx.freshBundle();
    appendFileSync(join(out, "node_modules/fixture-greeting/index.js"), " ");
    const error = refusal(() => verifyBundle(out));
    expect(error.code).toBe("BUNDLE_FILE_CHANGED");
    expect(error.message).toMatch(/^node_modules\/fixture-greeting\/index\.js: changed since the bundle was made \(SHA-256 [0-9a-f]{64}, bundle\.json says [0-9a-f]{64}\)$/);
  });

  it("refuses a missing file, naming it", async () => {
    const out = await fx.freshBundle();
    unlinkSync(join(out, "node_modules/@fixture/plugin-b/README.md"));
    const error = refusal(() => verifyBundle(out));
    expect(error.code).toBe("BUNDLE_FILE_MISSING");
    expect(error.message).toBe("node_modules/@fixture/plugin-b/README.md: missing (listed in bundle.json)");
  });

  it("refuses an extra file and an extra plugin, naming them", async () => {
    const out = await fx.freshBundle();
    write(join(out, "node_modules/@fixture/plugin-a/dist/extra.js"), "");
    const extraFile = refusal(() => verifyBundle(out));
    expect(extraFile.code).toBe("BUNDLE_EXTRA_FILE");
    expect(extraFile.message).toBe("node_modules/@fixture/plugin-a/dist/extra.js: not listed in bundle.json");

    const out2 = await fx.freshBundle();
    write(join(out2, "node_modules/@evil/plugin/package.json"), JSON.stringify({ name: "@evil/plugin", incusx: { id: "evil", apiVersions: ["1"] } }));
    write(join(out2, "node_modules/@evil/plugin/index.js"), "");
    const extraPlugin = refusal(() => verifyBundle(out2));
    expect(extraPlugin.code).toBe("BUNDLE_EXTRA_PLUGIN");
    expect(extraPlugin.message).toBe("node_modules/@evil/plugin: a plugin package that bundle.json does not list");
  });

  it("refuses a bundle for another API version", async () => {
    const out = await fx.freshBundle();
    editManifest(out, (m) => (m.apiVersion = "2"));
    const error = refusal(() => verifyBundle(out));
    expect(error.code).toBe("BUNDLE_API_VERSION");
    expect(error.problems[0]!.message).toBe('bundle.json: the bundle is for plugin API version "2"; this host speaks "1"');
    expect(error.problems.slice(1).map((p) => p.message)).toEqual([
      'bundle.json: plugin "fixture.a" speaks API versions "1", not the bundle\'s "2"',
      'bundle.json: plugin "fixture.b" speaks API versions "1", not the bundle\'s "2"',
    ]);
  });

  it("refuses a bundle.json whose manifest copy or digest was edited", async () => {
    const out = await fx.freshBundle();
    editManifest(out, (m) => {
      m.plugins[0]!.manifest = { ...m.plugins[0]!.manifest, requires: [] };
      m.plugins[1]!.sha256 = "0".repeat(64);
    });
    const error = refusal(() => verifyBundle(out));
    expect(error.problems.map((p) => [p.code, p.file])).toEqual([
      ["BUNDLE_PLUGIN_MISMATCH", "node_modules/@fixture/plugin-a/package.json"],
      ["BUNDLE_PLUGIN_MISMATCH", "node_modules/@fixture/plugin-b"],
    ]);
  });

  it("refuses a hand-written bundle manifest without digests, and a directory without one", async () => {
    const out = await fx.freshBundle();
    editManifest(out, (m) => delete m.files);
    expect(refusal(() => verifyBundle(out)).code).toBe("BUNDLE_INVALID");
    expect(refusal(() => verifyBundle(fx.newDir("nothing"))).code).toBe("BUNDLE_NOT_FOUND");
  });

  it("refuses a bundle that lists its own copy of @incusx/sdk", async () => {
    const out = await fx.freshBundle();
    write(join(out, "node_modules/@incusx/sdk/package.json"), '{"name":"@incusx/sdk"}');
    editManifest(out, (m) => {
      m.files = { ...m.files, "node_modules/@incusx/sdk/package.json": sha256('{"name":"@incusx/sdk"}') };
    });
    const error = refusal(() => verifyBundle(out));
    expect(error.code).toBe("BUNDLE_SDK");
    expect(error.message).toMatch(/^node_modules\/@incusx\/sdk\/package\.json: the bundle carries its own @incusx\/sdk; its plugins must use the host's copy/);
  });

  it("refuses a bundle whose plugins would not load the host's @incusx/sdk", async () => {
    const outside = mkdtempSync(join(tmpdir(), "incusx-bundle-"));
    try {
      await createBundle({ out: join(outside, "b"), plugins: [join(fx.sources, "plugin-a")], name: "x", version: "1.0.0" });
      const error = refusal(() => verifyBundle(join(outside, "b")));
      expect(error.code).toBe("BUNDLE_SDK");
      expect(error.message).toMatch(/^node_modules\/@fixture\/plugin-a: plugin "fixture\.a" finds no @incusx\/sdk in any node_modules above it/);
      expect(verifyBundle(join(outside, "b"), { sdkDir: false }).plugins).toHaveLength(1);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("refuses a plugin entry that is not a plain relative path, even when a decoy file of that name is listed", async () => {
    for (const entry of [ESCAPE, "dist/%41.js", "dist/a#b.js", "dist/a?b.js", "dist\\index.js", "dist/a\0.js"]) {
      const out = await fx.freshBundle();
      // A NUL cannot be in a file name: list it only.
      if (entry.includes("\0")) editManifest(out, (m) => (m.plugins[0]!.entry = entry));
      else retarget(out, entry, "export default 1;\n");
      const error = refusal(() => verifyBundle(out));
      expect(error.problems.map((p) => p.code)).toEqual(["BUNDLE_INVALID"]);
      expect(error.message).toBe(
        `bundle.json: /plugins/0 ("fixture.a") has entry ${JSON.stringify(entry)}, which is not a plain relative path (no "%", "#", "?", backslash or NUL, no ".." segment, not absolute)`,
      );
    }
  });

  it("refuses a plugin path that is not plain", async () => {
    const out = await fx.freshBundle();
    editManifest(out, (m) => (m.plugins[1]!.path = "node_modules/@fixture/plugin-%62"));
    const error = refusal(() => verifyBundle(out));
    expect(error.problems.map((p) => [p.code, p.file])).toEqual([["BUNDLE_INVALID", "bundle.json"]]);
    expect(error.message).toMatch(/^bundle\.json: \/plugins\/1 \("fixture\.b"\) has path "node_modules\/@fixture\/plugin-%62", which is not a plain relative path/);
  });
});
