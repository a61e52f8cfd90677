import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BundleError, createBundle } from "@incusx/bundle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorkspace } from "../../../test/journeys/build-lock.js";
import { ESCAPE, createBundleFixtures, editManifest, markerModule, retarget, write, type BundleFixtures } from "../../../test/support/bundle-fixtures.js";
import { Host } from "./host.js";
import type { LogRecord } from "./options.js";

// Fixture packages live inside the host package, where Node finds
// @incusx/sdk in a node_modules above them (as a bundle next to an
// installed host does) and the child below imports @incusx/host by name.
const hostPackage = fileURLToPath(new URL("../", import.meta.url));
let fx: BundleFixtures;
beforeAll(() => {
  fx = createBundleFixtures(hostPackage);
});
afterAll(() => {
  fx.remove();
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
  const script = join(fx.work, "run-host.mjs");
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
    const out = await fx.freshBundle();
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
    const out = await fx.freshBundle();
    editManifest(out, (m) => (m.plugins[1]!.enabled = false));
    // With verification off, the package's own manifest (now unloadable) is never read.
    const pkgFile = join(out, "node_modules/@fixture/plugin-a/package.json");
    writeFileSync(pkgFile, JSON.stringify({ ...JSON.parse(readFileSync(pkgFile, "utf8")), incusx: { id: "fixture.a", apiVersions: ["9"] } }));
    const { report } = runHost(out, false);
    expect(report!.plugins.map((p) => [p.id, p.state])).toEqual([["fixture.a", "started"]]);
  });

  it("refuses to start from a tampered bundle before loading any plugin", async () => {
    const out = await fx.freshBundle();
    appendFileSync(join(out, "node_modules/@fixture/plugin-a/dist/index.js"), "\n");
    const { error, logs } = runHost(out);
    expect(error).toMatchObject({ name: "BundleError", code: "BUNDLE_FILE_CHANGED" });
    expect(error!.message).toMatch(/^node_modules\/@fixture\/plugin-a\/dist\/index\.js: changed since the bundle was made/);
    expect(logs).toEqual([]);
  });

  it("refuses a bundle.json that lacks what bundle create writes, when the host is built", async () => {
    const out = await fx.freshBundle();
    editManifest(out, (m) => delete m.plugins[0]!.entry);
    expect(() => new Host({ bundle: out, plugins: [] })).toThrow(BundleError);
  });

  it("never imports a module from outside the bundle through a %2e%2e entry, verified or not", async () => {
    for (const verify of [true, false]) {
      const around = fx.newDir("escape");
      const out = join(around, "b");
      await createBundle({ out, plugins: [join(fx.sources, "plugin-a")], name: "x", version: "1.0.0" });
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
    const out = join(fx.newDir("dir#1%41"), "b");
    await createBundle({ out, plugins: [join(fx.sources, "plugin-a")], name: "x", version: "1.0.0" });
    const { report, error } = runHost(out);
    expect(error).toBeUndefined();
    expect(report!.plugins.map((p) => [p.id, p.state, p.error?.message])).toEqual([["fixture.a", "started", undefined]]);
  });

  it("refuses, with verification off, an entry or a plugin directory that is a symlink out of the bundle", async () => {
    const out = await fx.freshBundle();
    const n = fx.next();
    const marker = join(out, "..", `evil-ran-${n}`);
    const evil = join(out, "..", `evil-${n}.mjs`);
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
    const out2 = await fx.freshBundle();
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
    const dir = fx.fixturePlugin("plugin#%41", { id: "fixture.pct", entry: "./dist/%41.js" });
    renameSync(join(dir, "dist/index.js"), join(dir, "dist/%41.js"));
    // What a path string passed to import() would load instead.
    write(join(dir, "dist/A.js"), 'throw new Error("dist/A.js was imported");\n');
    const { report, error } = runHost("", true, [{ module: dir }]);
    expect(error).toBeUndefined();
    expect(report!.plugins.map((p) => [p.id, p.state, p.error?.message])).toEqual([["fixture.pct", "started", undefined]]);
  });

  it("refuses an entry that resolves outside the package directory", () => {
    const n = fx.next();
    const marker = join(fx.work, `evil-ran-pkg-${n}`);
    const dir = fx.fixturePlugin(`plugin-out-${n}`, { id: "fixture.a" }, { exports: { ".": `../evil-pkg-${n}.mjs` } });
    write(join(dir, "..", `evil-pkg-${n}.mjs`), markerModule(marker));
    const { report } = runHost("", true, [{ module: dir }]);
    expect(existsSync(marker)).toBe(false);
    expect(report!.plugins[0]).toMatchObject({ state: "failed", error: { message: expect.stringMatching(/outside its plugin directory/) } });
  });
});
