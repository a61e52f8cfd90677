import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BundleManifest } from "@incusx/sdk";
import { buildWorkspace } from "../../../../test/journeys/build-lock.js";
import { Host } from "../host.js";
import type { LogRecord } from "../options.js";
import { createBundle } from "./create-bundle.js";
import { sha256 } from "./digest.js";
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
});

// Plugins in a bundle are imported by Node itself (they sit in node_modules),
// so the host runs in a child process from its build, as in production.
const RUN_HOST = `
import { Host } from "@incusx/host";
const [bundle, verify] = process.argv.slice(2);
const logs = [];
const host = new Host({ bundle, verifyBundle: verify !== "no-verify", plugins: [], services: { logSink: (r) => logs.push(r), stateStore: () => ({}) } });
try {
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

function runHost(bundle: string, verify = true): HostRun {
  const script = join(work, "run-host.mjs");
  write(script, RUN_HOST);
  const out = execFileSync(process.execPath, [script, bundle, verify ? "verify" : "no-verify"], { encoding: "utf8" });
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
});
