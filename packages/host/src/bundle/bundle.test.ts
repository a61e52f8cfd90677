import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BundleManifest } from "@incusx/sdk/host";
import { buildWorkspace } from "../../../../test/journeys/build-lock.js";
import { Host } from "../host.js";
import type { LogRecord } from "../options.js";
import { createBundle } from "./create-bundle.js";
import { digestOfFiles, filesUnder, sha256 } from "./digest.js";
import { BundleError } from "./errors.js";
import { readBundle } from "./read-bundle.js";
import { verifyBundle } from "./verify-bundle.js";

// Fixture packages live inside the workspace (under packages/host), where
// Node finds @incusx/sdk in a node_modules above them, as a bundle next to an
// installed host does.
const hostPackage = fileURLToPath(new URL("../../", import.meta.url));
let work: string;
let sources: string;
let counter = 0;

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function pluginSource(id: string): string {
  return [
    'import { NicValidatorExtension, definePlugin } from "@incusx/sdk";',
    'import { greeting } from "fixture-greeting";',
    "export default definePlugin({",
    `  id: "${id}",`,
    "  register(r) {",
    `    r.contribute(NicValidatorExtension, { useValue: { nicTypes: ["bridged"], keys: ["user.${id}"], validate: async () => [] } });`,
    "  },",
    "  start(ctx) {",
    "    ctx.logger.info(`${greeting} ${JSON.stringify(ctx.config)}`);",
    "  },",
    "});",
    "",
  ].join("\n");
}

/** Writes a plugin package (built: dist/index.js) depending on fixture-greeting; returns its directory. */
function fixturePlugin(name: string, manifest: Record<string, unknown>, pkg: Record<string, unknown> = {}): string {
  const dir = join(sources, name);
  write(
    join(dir, "package.json"),
    JSON.stringify({
      name: `@fixture/${name}`,
      version: "1.2.3",
      type: "module",
      exports: { ".": "./dist/index.js" },
      files: ["dist", "!dist/**/*.map"],
      dependencies: { "fixture-greeting": "1.0.0" },
      peerDependencies: { "@incusx/sdk": "*" },
      incusx: { apiVersions: ["1"], provides: ["nic-validator"], ...manifest },
      ...pkg,
    }),
  );
  write(join(dir, "dist", "index.js"), pluginSource(String(manifest.id)));
  write(join(dir, "dist", "index.js.map"), "{}");
  write(join(dir, "src", "index.ts"), "// not in \"files\"\n");
  write(join(dir, "README.md"), `# ${name}\n`);
  return dir;
}

function newDir(name: string): string {
  return join(work, `${name}-${++counter}`);
}

async function freshBundle(): Promise<string> {
  const out = newDir("bundle");
  await createBundle({ out, plugins: [join(sources, "plugin-a"), join(sources, "plugin-b")], name: "fixtures", version: "1.0.0" });
  return out;
}

function refusal(fn: () => unknown): BundleError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BundleError);
    return error as BundleError;
  }
  throw new Error("expected a BundleError");
}

function editManifest(dir: string, edit: (m: BundleManifest) => void): void {
  const file = join(dir, "bundle.json");
  const manifest = JSON.parse(readFileSync(file, "utf8")) as BundleManifest;
  edit(manifest);
  writeFileSync(file, JSON.stringify(manifest, null, 2));
}

/**
 * What someone who can write the bundle (but not the host) does: adds a
 * file named `entry` (its literal name on disk) to plugin 0, makes it the
 * entry, and records every digest anew, so the file list alone vouches
 * for it. Returns plugin 0's directory.
 */
function retarget(dir: string, entry: string, text: string): string {
  const path = readBundle(dir).manifest.plugins[0]!.path;
  write(join(dir, path, entry), text);
  editManifest(dir, (m) => {
    m.files = { ...m.files, [`${path}/${entry}`]: sha256(text) };
    m.plugins[0]!.entry = entry;
    m.plugins[0]!.sha256 = digestOfFiles(filesUnder(m.files, [path]).get(path)!);
  });
  return join(dir, path);
}

/** A module that, when imported, leaves the file `marker` behind; also a valid plugin "fixture.a". */
function markerModule(marker: string): string {
  return [
    'import { writeFileSync } from "node:fs";',
    'import { definePlugin } from "@incusx/sdk";',
    `writeFileSync(${JSON.stringify(marker)}, "ran");`,
    'export default definePlugin({ id: "fixture.a", register() {} });',
    "",
  ].join("\n");
}

// Up from node_modules/@fixture/plugin-a to the bundle directory, then one more: out of the bundle.
const ESCAPE = "%2e%2e/%2e%2e/%2e%2e/%2e%2e/evil.mjs";

beforeAll(() => {
  work = mkdtempSync(join(hostPackage, ".tmp-bundle-test-"));
  sources = join(work, "sources");
  write(join(sources, "node_modules", "fixture-greeting", "package.json"), JSON.stringify({ name: "fixture-greeting", version: "1.0.0", type: "module", main: "index.js" }));
  write(join(sources, "node_modules", "fixture-greeting", "index.js"), 'export const greeting = "hello from the bundle";\n');
  fixturePlugin("plugin-a", { id: "fixture.a", configSchema: { type: "object", properties: { colour: { type: "string", default: "blue" } } } });
  fixturePlugin("plugin-b", { id: "fixture.b", requires: ["fixture.a"] });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("bundle create", () => {
  it("copies each plugin's package files and its dependencies, and lists every file's SHA-256", async () => {
    const out = await freshBundle();
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
    expect(manifest.plugins[1]!.manifest).toEqual(JSON.parse(readFileSync(join(sources, "plugin-b", "package.json"), "utf8")).incusx);
  });

  it("records a plugin digest that sha256sum over its sorted files reproduces", async () => {
    const out = await freshBundle();
    const plugin = readBundle(out).manifest.plugins[0]!;
    const digest = execFileSync(
      "sh",
      ["-c", "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum | cut -d' ' -f1"],
      { cwd: join(out, plugin.path), encoding: "utf8" },
    ).trim();
    expect(plugin.sha256).toBe(digest);
  });

  it("refuses a plugin that does not speak the bundle's API version", async () => {
    const dir = fixturePlugin("plugin-v2", { id: "fixture.v2", apiVersions: ["2"] });
    const error = await createBundle({ out: newDir("bundle"), plugins: [dir], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BUNDLE_API_VERSION" });
    expect((error as Error).message).toMatch(/plugin-v2\/package\.json: plugin "fixture\.v2" speaks API versions "2"; the bundle is for "1"/);
  });

  it("refuses a plugin whose requirement is not in the bundle", async () => {
    const error = await createBundle({ out: newDir("bundle"), plugins: [join(sources, "plugin-b")], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BUNDLE_CREATE_FAILED", message: 'Plugin "fixture.b" requires "fixture.a", which is not in the bundle' });
  });

  it("refuses a plugin that is not built, and one that bundles its own SDK", async () => {
    const unbuilt = fixturePlugin("plugin-unbuilt", { id: "fixture.unbuilt" });
    unlinkSync(join(unbuilt, "dist", "index.js"));
    const notBuilt = await createBundle({ out: newDir("bundle"), plugins: [unbuilt], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect(notBuilt).toMatchObject({ code: "BUNDLE_CREATE_FAILED" });
    expect((notBuilt as Error).message).toMatch(/entry "dist\/index\.js" of plugin "fixture\.unbuilt" is not among the package's files; build the package first/);

    const ownSdk = fixturePlugin("plugin-own-sdk", { id: "fixture.own-sdk" }, { dependencies: { "@incusx/sdk": "1.0.0" } });
    const sdkError = await createBundle({ out: newDir("bundle"), plugins: [ownSdk], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect((sdkError as Error).message).toMatch(/"@incusx\/sdk" is in "dependencies"; make it a peerDependency/);
  });

  it("refuses a plugin whose entry or directory in the bundle is not a plain relative path", async () => {
    for (const [name, entry] of [["plugin-pct", "./dist/%41.js"], ["plugin-hash", "./dist/a#b.js"], ["plugin-q", "./dist/a?b.js"]] as const) {
      const dir = fixturePlugin(name, { id: `fixture.${name}` }, { exports: { ".": entry } });
      renameSync(join(dir, "dist/index.js"), join(dir, entry));
      const error = await createBundle({ out: newDir("bundle"), plugins: [dir], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "BUNDLE_CREATE_FAILED" });
      expect((error as Error).message).toBe(
        `${dir}: entry ${JSON.stringify(entry.slice(2))} of plugin "fixture.${name}" is not a plain relative path (no "%", "#", "?", backslash or NUL, no ".." segment, not absolute); rename the file`,
      );
    }
    const named = fixturePlugin("plugin-named", { id: "fixture.named" }, { name: "@fixture/%2e%2e" });
    const error = await createBundle({ out: newDir("bundle"), plugins: [named], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BUNDLE_CREATE_FAILED" });
    expect((error as Error).message).toMatch(/plugin-named: package name "@fixture\/%2e%2e" makes the bundle path "node_modules\/@fixture\/%2e%2e", which is not a plain relative path/);
  });

  it("refuses to write into a directory that is not empty", async () => {
    const out = await freshBundle();
    const error = await createBundle({ out, plugins: [join(sources, "plugin-a")], name: "x", version: "1.0.0" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BUNDLE_CREATE_FAILED" });
  });
});

describe("bundle verify", () => {
  it("accepts a bundle as created", async () => {
    const verified = verifyBundle(await freshBundle());
    expect(verified.plugins.map((p) => p.id)).toEqual(["fixture.a", "fixture.b"]);
    expect(verified.fileCount).toBe(8);
  });

  it("refuses a changed byte, naming the file", async () => {
    const out = await freshBundle();
    appendFileSync(join(out, "node_modules/fixture-greeting/index.js"), " ");
    const error = refusal(() => verifyBundle(out));
    expect(error.code).toBe("BUNDLE_FILE_CHANGED");
    expect(error.message).toMatch(/^node_modules\/fixture-greeting\/index\.js: changed since the bundle was made \(SHA-256 [0-9a-f]{64}, bundle\.json says [0-9a-f]{64}\)$/);
  });

  it("refuses a missing file, naming it", async () => {
    const out = await freshBundle();
    unlinkSync(join(out, "node_modules/@fixture/plugin-b/README.md"));
    const error = refusal(() => verifyBundle(out));
    expect(error.code).toBe("BUNDLE_FILE_MISSING");
    expect(error.message).toBe("node_modules/@fixture/plugin-b/README.md: missing (listed in bundle.json)");
  });

  it("refuses an extra file and an extra plugin, naming them", async () => {
    const out = await freshBundle();
    write(join(out, "node_modules/@fixture/plugin-a/dist/extra.js"), "");
    const extraFile = refusal(() => verifyBundle(out));
    expect(extraFile.code).toBe("BUNDLE_EXTRA_FILE");
    expect(extraFile.message).toBe("node_modules/@fixture/plugin-a/dist/extra.js: not listed in bundle.json");

    const out2 = await freshBundle();
    write(join(out2, "node_modules/@evil/plugin/package.json"), JSON.stringify({ name: "@evil/plugin", incusx: { id: "evil", apiVersions: ["1"] } }));
    write(join(out2, "node_modules/@evil/plugin/index.js"), "");
    const extraPlugin = refusal(() => verifyBundle(out2));
    expect(extraPlugin.code).toBe("BUNDLE_EXTRA_PLUGIN");
    expect(extraPlugin.message).toBe("node_modules/@evil/plugin: a plugin package that bundle.json does not list");
  });

  it("refuses a bundle for another API version", async () => {
    const out = await freshBundle();
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
    const out = await freshBundle();
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
    const out = await freshBundle();
    editManifest(out, (m) => delete m.files);
    expect(refusal(() => verifyBundle(out)).code).toBe("BUNDLE_INVALID");
    expect(refusal(() => verifyBundle(newDir("nothing"))).code).toBe("BUNDLE_NOT_FOUND");
  });

  it("refuses a bundle that lists its own copy of @incusx/sdk", async () => {
    const out = await freshBundle();
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
      await createBundle({ out: join(outside, "b"), plugins: [join(sources, "plugin-a")], name: "x", version: "1.0.0" });
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
      const out = await freshBundle();
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
    const out = await freshBundle();
    editManifest(out, (m) => (m.plugins[1]!.path = "node_modules/@fixture/plugin-%62"));
    const error = refusal(() => verifyBundle(out));
    expect(error.problems.map((p) => [p.code, p.file])).toEqual([["BUNDLE_INVALID", "bundle.json"]]);
    expect(error.message).toMatch(/^bundle\.json: \/plugins\/1 \("fixture\.b"\) has path "node_modules\/@fixture\/plugin-%62", which is not a plain relative path/);
  });
});

// Plugins in a bundle are imported by Node itself (they sit in node_modules),
// so the host runs in a child process from its build, as in production.
const RUN_HOST = `
import { Host } from "@incusx/host";
const [bundle, verify, plugins] = process.argv.slice(2);
const logs = [];
try {
  const host = new Host({
    ...(bundle === "" ? {} : { bundle }),
    verifyBundle: verify !== "no-verify",
    plugins: JSON.parse(plugins ?? "[]"),
    services: { logSink: (r) => logs.push(r), stateStore: () => ({}) },
  });
  const report = await host.start();
  await host.stop();
  console.log(JSON.stringify({ report, logs }));
} catch (e) {
  console.log(JSON.stringify({ error: { name: e.name, code: e.code, message: e.message }, logs }));
}
`;

interface HostRun {
  readonly report?: { plugins: { id: string; version: string; source: string; state: string; error?: { message: string } }[] };
  readonly error?: { name: string; code: string; message: string };
  readonly logs: LogRecord[];
}

function runHost(bundle: string, verify = true, plugins: readonly { module: string }[] = []): HostRun {
  const script = join(work, "run-host.mjs");
  write(script, RUN_HOST);
  const out = execFileSync(process.execPath, [script, bundle, verify ? "verify" : "no-verify", JSON.stringify(plugins)], { encoding: "utf8" });
  return JSON.parse(out) as HostRun;
}

describe("a host started from a bundle", () => {
  beforeAll(() => {
    // The child runs @incusx/host from dist/: make sure it is current.
    buildWorkspace(hostPackage, ["."]);
  }, 120_000);

  it("loads exactly the enabled plugins the bundle lists, with their config from it", async () => {
    const out = await freshBundle();
    editManifest(out, (m) => {
      m.plugins[0]!.config = { colour: "green" };
    });
    const { report, logs } = runHost(out);
    expect(report!.plugins.map((p) => [p.id, p.version, p.source, p.state, p.error?.message])).toEqual([
      ["fixture.a", "1.2.3", "bundle:@fixture/plugin-a", "started", undefined],
      ["fixture.b", "1.2.3", "bundle:@fixture/plugin-b", "started", undefined],
    ]);
    expect(logs.find((r) => r.pluginId === "fixture.a")?.message).toBe('hello from the bundle {"colour":"green"}');
  });

  it("reads manifests from bundle.json, not from the packages", async () => {
    const out = await freshBundle();
    editManifest(out, (m) => (m.plugins[1]!.enabled = false));
    // With verification off, the package's own manifest (now unloadable) is never read.
    const pkgFile = join(out, "node_modules/@fixture/plugin-a/package.json");
    writeFileSync(pkgFile, JSON.stringify({ ...JSON.parse(readFileSync(pkgFile, "utf8")), incusx: { id: "fixture.a", apiVersions: ["9"] } }));
    const { report } = runHost(out, false);
    expect(report!.plugins.map((p) => [p.id, p.state])).toEqual([["fixture.a", "started"]]);
  });

  it("refuses to start from a tampered bundle before loading any plugin", async () => {
    const out = await freshBundle();
    appendFileSync(join(out, "node_modules/@fixture/plugin-a/dist/index.js"), "\n");
    const { error, logs } = runHost(out);
    expect(error).toMatchObject({ name: "BundleError", code: "BUNDLE_FILE_CHANGED" });
    expect(error!.message).toMatch(/^node_modules\/@fixture\/plugin-a\/dist\/index\.js: changed since the bundle was made/);
    expect(logs).toEqual([]);
  });

  it("refuses a bundle.json that lacks what bundle create writes, when the host is built", async () => {
    const out = await freshBundle();
    editManifest(out, (m) => delete m.plugins[0]!.entry);
    expect(() => new Host({ bundle: out, plugins: [] })).toThrow(BundleError);
  });

  it("never imports a module from outside the bundle through a %2e%2e entry, verified or not", async () => {
    for (const verify of [true, false]) {
      const around = newDir("escape");
      const out = join(around, "b");
      await createBundle({ out, plugins: [join(sources, "plugin-a")], name: "x", version: "1.0.0" });
      const marker = join(around, "evil-ran");
      write(join(around, "evil.mjs"), markerModule(marker));
      retarget(out, ESCAPE, "export default 1; // the decoy: what the digests cover\n");
      const { error, report, logs } = runHost(out, verify);
      expect(existsSync(marker)).toBe(false);
      expect(report).toBeUndefined();
      expect(error).toMatchObject({ name: "BundleError", code: "BUNDLE_INVALID" });
      expect(logs).toEqual([]);
    }
  });

  it("loads a bundle from a directory whose name holds # and %41", async () => {
    const out = join(newDir("dir#1%41"), "b");
    await createBundle({ out, plugins: [join(sources, "plugin-a")], name: "x", version: "1.0.0" });
    const { report, error } = runHost(out);
    expect(error).toBeUndefined();
    expect(report!.plugins.map((p) => [p.id, p.state, p.error?.message])).toEqual([["fixture.a", "started", undefined]]);
  });

  it("refuses, with verification off, an entry or a plugin directory that is a symlink out of the bundle", async () => {
    const out = await freshBundle();
    const marker = join(out, "..", `evil-ran-${counter}`);
    const evil = join(out, "..", `evil-${counter}.mjs`);
    write(evil, markerModule(marker));
    const entry = join(out, "node_modules/@fixture/plugin-a/dist/index.js");
    unlinkSync(entry);
    symlinkSync(evil, entry);
    const { report } = runHost(out, false);
    expect(existsSync(marker)).toBe(false);
    const a = report!.plugins.find((p) => p.source === "bundle:@fixture/plugin-a")!;
    expect(a.state).toBe("failed");
    expect(a.error!.message).toMatch(/resolves to .*evil-\d+\.mjs, outside its plugin directory/);

    // The whole plugin directory moved out and linked back in.
    const out2 = await freshBundle();
    const away = `${out2}-away`;
    renameSync(join(out2, "node_modules/@fixture/plugin-a"), away);
    cpSync(evil, join(away, "dist/index.js"));
    symlinkSync(away, join(out2, "node_modules/@fixture/plugin-a"));
    const run2 = runHost(out2, false);
    expect(existsSync(marker)).toBe(false);
    const a2 = run2.report!.plugins.find((p) => p.source === "bundle:@fixture/plugin-a")!;
    expect(a2.state).toBe("failed");
    expect(a2.error!.message).toMatch(/plugin directory .* resolves to .*-away, outside the bundle/);
  });
});

describe("a host loading plugin packages", () => {
  beforeAll(() => {
    buildWorkspace(hostPackage, ["."]);
  }, 120_000);

  it("imports the entry file by its name: # in a directory and %41 in a file name are plain characters", () => {
    const dir = fixturePlugin("plugin#%41", { id: "fixture.pct", entry: "./dist/%41.js" });
    renameSync(join(dir, "dist/index.js"), join(dir, "dist/%41.js"));
    // What a path string passed to import() would load instead.
    write(join(dir, "dist/A.js"), 'throw new Error("dist/A.js was imported");\n');
    const { report, error } = runHost("", true, [{ module: dir }]);
    expect(error).toBeUndefined();
    expect(report!.plugins.map((p) => [p.id, p.state, p.error?.message])).toEqual([["fixture.pct", "started", undefined]]);
  });

  it("refuses an entry that resolves outside the package directory", () => {
    const marker = join(work, `evil-ran-pkg-${++counter}`);
    const dir = fixturePlugin(`plugin-out-${counter}`, { id: "fixture.a" }, { exports: { ".": `../evil-pkg-${counter}.mjs` } });
    write(join(dir, "..", `evil-pkg-${counter}.mjs`), markerModule(marker));
    const { report } = runHost("", true, [{ module: dir }]);
    expect(existsSync(marker)).toBe(false);
    expect(report!.plugins[0]).toMatchObject({ state: "failed", error: { message: expect.stringMatching(/outside its plugin directory/) } });
  });
});
