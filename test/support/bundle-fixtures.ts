// Fixture plugin packages and bundles, shared by the tests of
// @incusx/bundle (create, verify) and of @incusx/host (loading a bundle).
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createBundle, digestOfFiles, readBundle } from "@incusx/bundle";
import type { BundleManifest } from "@incusx/sdk/host";

/** Up from node_modules/@fixture/plugin-a to the bundle directory, then one more: out of the bundle. */
export const ESCAPE = "%2e%2e/%2e%2e/%2e%2e/%2e%2e/evil.mjs";

/** Writes `text` to `file`, making its directory. */
export function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Rewrites the bundle.json of bundle `dir` after `edit` changed it. */
export function editManifest(dir: string, edit: (m: BundleManifest) => void): void {
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
export function retarget(dir: string, entry: string, text: string): string {
  const path = readBundle(dir).manifest.plugins[0]!.path;
  write(join(dir, path, entry), text);
  editManifest(dir, (m) => {
    m.files = { ...m.files, [`${path}/${entry}`]: createHash("sha256").update(text).digest("hex") };
    m.plugins[0]!.entry = entry;
    const own = Object.entries(m.files).filter(([file]) => file.startsWith(`${path}/`));
    m.plugins[0]!.sha256 = digestOfFiles(Object.fromEntries(own.map(([file, hash]) => [file.slice(path.length + 1), hash])));
  });
  return join(dir, path);
}

/** A module that, when imported, leaves the file `marker` behind; also a valid plugin "fixture.a". */
export function markerModule(marker: string): string {
  return [
    'import { writeFileSync } from "node:fs";',
    'import { definePlugin } from "@incusx/sdk";',
    `writeFileSync(${JSON.stringify(marker)}, "ran");`,
    'export default definePlugin({ id: "fixture.a", register() {} });',
    "",
  ].join("\n");
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

/** A scratch directory with two built fixture plugins, "fixture.a" and "fixture.b" (which requires it). */
export interface BundleFixtures {
  /** The scratch directory. */
  readonly work: string;
  /** Where the fixture plugin packages are (plugin-a, plugin-b, node_modules/fixture-greeting). */
  readonly sources: string;
  /** A number not handed out before, for unique names. */
  next(): number;
  /** A new path (not created) in the scratch directory. */
  newDir(name: string): string;
  /** Writes a plugin package (built: dist/index.js) depending on fixture-greeting; returns its directory. */
  fixturePlugin(name: string, manifest: Record<string, unknown>, pkg?: Record<string, unknown>): string;
  /** A new bundle of plugin-a and plugin-b. */
  freshBundle(): Promise<string>;
  /** Removes the scratch directory. */
  remove(): void;
}

/**
 * Makes the scratch directory inside `parent`: a directory of the workspace
 * with `@incusx/sdk` in a node_modules above it, as a bundle next to an
 * installed host has.
 */
export function createBundleFixtures(parent: string): BundleFixtures {
  const work = mkdtempSync(join(parent, ".tmp-bundle-test-"));
  const sources = join(work, "sources");
  let counter = 0;
  const fixtures: BundleFixtures = {
    work,
    sources,
    next: () => ++counter,
    newDir: (name) => join(work, `${name}-${++counter}`),
    fixturePlugin(name, manifest, pkg = {}) {
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
    },
    async freshBundle() {
      const out = fixtures.newDir("bundle");
      await createBundle({ out, plugins: [join(sources, "plugin-a"), join(sources, "plugin-b")], name: "fixtures", version: "1.0.0" });
      return out;
    },
    remove: () => rmSync(work, { recursive: true, force: true }),
  };
  write(join(sources, "node_modules", "fixture-greeting", "package.json"), JSON.stringify({ name: "fixture-greeting", version: "1.0.0", type: "module", main: "index.js" }));
  write(join(sources, "node_modules", "fixture-greeting", "index.js"), 'export const greeting = "hello from the bundle";\n');
  fixtures.fixturePlugin("plugin-a", { id: "fixture.a", configSchema: { type: "object", properties: { colour: { type: "string", default: "blue" } } } });
  fixtures.fixturePlugin("plugin-b", { id: "fixture.b", requires: ["fixture.a"] });
  return fixtures;
}
