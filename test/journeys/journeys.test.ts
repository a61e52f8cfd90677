// The packager and plugin-author journeys, run exactly as docs/packagers.md
// and docs/plugin-authors.md tell them, against the built `incusx`; and
// tampered bundles refused by the CLI, each with its own code and message.
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BundleManifest } from "@incusx/sdk/host";
import { buildWorkspace } from "./build-lock.js";
import { describeRun, incusxOnPath, journeyBlocks, runJourney, type BlockRun } from "./doc-journey.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cliBin = join(root, "packages/cli/dist/bin.js");
// Inside the workspace's test package, whose node_modules holds @incusx/cli,
// the host, the SDK, the testkit and the built-in plugins: the journeys'
// "installed prefix". Leftovers of a crashed run start with the same prefix.
const scratchParent = fileURLToPath(new URL("./", import.meta.url));
let work: string;
let bin: string;

beforeAll(() => {
  for (const entry of readdirSync(scratchParent)) {
    if (entry.startsWith(".tmp-journey-")) rmSync(join(scratchParent, entry), { recursive: true, force: true });
  }
  work = mkdtempSync(join(scratchParent, ".tmp-journey-"));
  bin = incusxOnPath(join(work, "bin"), cliBin);
  // The journeys run the built CLI, plugins and testkit, as users do.
  buildWorkspace(root, ["packages/cli", "packages/testkit"]);
}, 300_000);
afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

function expectJourney(runs: readonly BlockRun[], count: number): void {
  for (const run of runs) expect(run.status, describeRun(run)).toBe(run.block.exits);
  expect(runs).toHaveLength(count);
}

function incusx(args: readonly string[], cwd: string) {
  const result = spawnSync(process.execPath, [cliBin, ...args], { cwd, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the packager journey (docs/packagers.md)", () => {
  const blocks = journeyBlocks(join(root, "docs/packagers.md"), "packager");
  let prefix: string;
  let runs: BlockRun[];

  beforeAll(async () => {
    prefix = join(work, "prefix");
    execFileSync("mkdir", ["-p", prefix]);
    runs = await runJourney(blocks, prefix, bin, {}, { totalTimeoutMs: 280_000 });
  }, 300_000);

  it("runs every marked block of the guide with the exit status it states", () => {
    expect(blocks.map((b) => b.exits)).toEqual([0, 0, 0, 1, 0, 0]);
    expectJourney(runs, blocks.length);
  });

  it("builds a bundle of the two DHCP plugins, verified, with digests coreutils reproduce", () => {
    const manifest = JSON.parse(readFileSync(join(prefix, "bundle/bundle.json"), "utf8")) as BundleManifest;
    expect(manifest).toMatchObject({ name: "debian-default", version: "1.0.0", apiVersion: "1" });
    expect(manifest.plugins.map((p) => [p.id, p.package, p.path])).toEqual([
      ["incusx.dhcpv4", "@incusx/plugin-dhcpv4", "node_modules/@incusx/plugin-dhcpv4"],
      ["incusx.dhcpv6", "@incusx/plugin-dhcpv6", "node_modules/@incusx/plugin-dhcpv6"],
    ]);
    // Dependencies are in the bundle; the SDK is not: the host's one copy is used.
    const files = Object.keys(manifest.files!);
    expect(files).toContain("node_modules/@incusx/dhcp-wire/package.json");
    expect(files).toContain("node_modules/@incusx/linux-net/build/Release/incusx_linux_net.node");
    expect(files.some((f) => f.startsWith("node_modules/@incusx/sdk/"))).toBe(false);
    expect(files.some((f) => f.endsWith(".test.ts"))).toBe(false);
    expect(JSON.parse(readFileSync(join(prefix, "verify.json"), "utf8"))).toMatchObject({ ok: true, files: files.length, problems: [] });
    expect(runs[2]!.stdout).toMatch(/^incusx\.dhcpv4 digest [0-9a-f]{64} matches$/m);
  });

  it("refuses the tampered copy the guide makes, naming the file", () => {
    expect(runs[3]!.stderr).toMatch(
      /^incusx: error\[BUNDLE_FILE_CHANGED\]: node_modules\/@incusx\/plugin-dhcpv4\/dist\/index\.js: changed since the bundle was made/m,
    );
  });

  it("starts a host with exactly the bundle's plugins", () => {
    expect(runs[4]!.stdout).toMatch(/^incusx\.dhcpv4 +0\.0\.0 +1 +dhcp-runner +@incusx\/plugin-dhcpv4$/m);
    expect(runs[4]!.stdout).toMatch(/^incusx\.dhcpv4 +0\.0\.0 +started/m);
    expect(runs[4]!.stdout).toMatch(/^incusx\.dhcpv6 +0\.0\.0 +started/m);
    expect(runs[4]!.stdout).toMatch(/^2 plugins: 2 started; startup took/m);
    expect(existsSync(join(prefix, "incusx-bundle-1.0.0.tar.gz"))).toBe(true);
  });

  describe("a tampered or incomplete bundle is refused, each with its code and message", () => {
    function tampered(change: (dir: string) => void): string {
      const dir = mkdtempSync(join(prefix, "tampered-"));
      cpSync(join(prefix, "bundle"), dir, { recursive: true });
      change(dir);
      return dir;
    }

    it.each([
      {
        what: "a changed byte",
        change: (dir: string) => appendFileSync(join(dir, "node_modules/@incusx/plugin-dhcpv6/package.json"), " "),
        error: /^incusx: error\[BUNDLE_FILE_CHANGED\]: node_modules\/@incusx\/plugin-dhcpv6\/package\.json: changed since the bundle was made \(SHA-256 [0-9a-f]{64}, bundle\.json says [0-9a-f]{64}\)$/m,
      },
      {
        what: "a missing file",
        change: (dir: string) => unlinkSync(join(dir, "node_modules/@incusx/dhcp-wire/package.json")),
        error: /^incusx: error\[BUNDLE_FILE_MISSING\]: node_modules\/@incusx\/dhcp-wire\/package\.json: missing \(listed in bundle\.json\)$/m,
      },
      {
        what: "an extra plugin",
        change: (dir: string) =>
          cpSync(join(dir, "node_modules/@incusx/plugin-dhcpv4"), join(dir, "node_modules/@evil/plugin-dhcpv4"), { recursive: true }),
        error: /^incusx: error\[BUNDLE_EXTRA_PLUGIN\]: node_modules\/@evil\/plugin-dhcpv4: a plugin package that bundle\.json does not list$/m,
      },
      {
        what: "an extra file",
        change: (dir: string) => writeFileSync(join(dir, "node_modules/@incusx/plugin-dhcpv4/dist/preload.js"), ""),
        error: /^incusx: error\[BUNDLE_EXTRA_FILE\]: node_modules\/@incusx\/plugin-dhcpv4\/dist\/preload\.js: not listed in bundle\.json$/m,
      },
      {
        what: "a wrong API version",
        change: (dir: string) => {
          const file = join(dir, "bundle.json");
          writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), apiVersion: "2" }));
        },
        error: /^incusx: error\[BUNDLE_API_VERSION\]: bundle\.json: the bundle is for plugin API version "2"; this host speaks "1"$/m,
      },
    ])("$what: bundle verify exits 1, and a host refuses to start from it", ({ change, error }) => {
      const dir = tampered(change);
      const verify = incusx(["bundle", "verify", dir], prefix);
      expect(verify.status).toBe(1);
      expect(verify.stderr).toMatch(error);
      expect(verify.stdout).toBe("");
      const check = incusx(["--bundle", dir, "plugins", "check", "--json"], prefix);
      expect(check.status).toBe(1);
      expect(check.stderr).toMatch(error);
      expect(check.stdout).toBe("");
    });
  });
});

describe("the plugin-author journey (docs/plugin-authors.md)", () => {
  const blocks = journeyBlocks(join(root, "docs/plugin-authors.md"), "plugin-author");
  let home: string;
  let runs: BlockRun[];

  beforeAll(async () => {
    home = join(work, "author");
    execFileSync("mkdir", ["-p", home]);
    runs = await runJourney(blocks, home, bin, {}, { totalTimeoutMs: 280_000 });
  }, 300_000);

  it("runs every marked block of the guide: scaffold, build, contract tests, host, bundle", () => {
    expect(blocks).toHaveLength(4);
    expectJourney(runs, blocks.length);
    const pluginDir = join(home, "incusx-plugin-mtu-guard");
    expect(existsSync(join(pluginDir, "dist/index.js"))).toBe(true);
    expect(runs[1]!.stdout).toMatch(/Tests +8 passed \(8\)/);
    expect(runs[2]!.stdout).toMatch(/^acme\.mtu-guard +0\.1\.0 +1 +nic-validator +@acme\/incusx-plugin-mtu-guard$/m);
    expect(runs[2]!.stdout).toMatch(/^acme\.mtu-guard +0\.1\.0 +started/m);
    const report = JSON.parse(readFileSync(join(home, "bundle-report.json"), "utf8")) as { ok: boolean; plugins: { id: string; source: string }[] };
    expect(report).toMatchObject({ ok: true, plugins: [{ id: "acme.mtu-guard", source: "bundle:@acme/incusx-plugin-mtu-guard" }] });
  });

  it.each(["dhcp-runner", "nat-backend"])("scaffolds a %s plugin that builds and passes its contract tests", async (point) => {
    const script = `set -eo pipefail\nincusx plugin new @acme/incusx-plugin-${point}-demo --point ${point} --dir ${point}\ncd ${point}\nnpm run build\nnpm test`;
    const [run] = await runJourney([{ doc: "(extra points)", line: 0, script, exits: 0 }], home, bin, {}, { totalTimeoutMs: 280_000 });
    expect(run!.status, describeRun(run!)).toBe(0);
    expect(run!.stdout).toMatch(/Tests +\d+ passed/);
    expect(existsSync(join(home, point, "dist/index.js"))).toBe(true);
  }, 300_000);
});
