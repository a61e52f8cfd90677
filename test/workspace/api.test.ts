// The public API of every package is deliberate: each barrel's names are
// listed in a committed report (test/workspace/api/<package>.api.md), so a
// new export fails here until `pnpm api:update` records it, and a name no
// other package uses (and no README documents) fails too, unless it is
// listed with a reason in test/workspace/api/unused-exports.json.
// Reads the TypeScript sources (no build needed).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain .mjs scripts with no type declarations
import { collectApis, compareReports, entriesOf, renderReport, reportFileName, updateReports } from "../../scripts/api-report.mjs";
// @ts-expect-error: plain .mjs scripts with no type declarations
import { checkUnused, formatUnused, unusedExports } from "../../scripts/unused-exports.mjs";
// @ts-expect-error: plain .mjs scripts with no type declarations
import { apiPackages } from "../../scripts/workspace-packages.mjs";

interface ExportedName {
  name: string;
  space: string;
  kind: string;
  deprecated: boolean;
  refs: string[];
}
interface PackageApi {
  pkg: { name: string; dir: string; folder: string };
  entries: { subpath: string; specifier: string; file: string | null; names: ExportedName[] }[];
}
interface UnusedExport {
  specifier: string;
  name: string;
}

describe("workspace API reports", () => {
  let apis: PackageApi[];
  beforeAll(() => {
    apis = collectApis();
  });

  it("covers every package under packages/ and plugins/", () => {
    const names = (apiPackages() as { name: string }[]).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["@incusx/sdk", "@incusx/host", "@incusx/plugin-dns"]));
    expect(apis.map((api) => api.pkg.name)).toEqual(names);
  });

  it("match the code (after an API change, review it and run `pnpm api:update`)", () => {
    const { changed, missing, stale } = compareReports(apis);
    expect({ changed, missing, stale }, "review the API change, then run `pnpm api:update`").toEqual({ changed: [], missing: [], stale: [] });
  });

  it("list no name that is exported but unused (by package and name)", () => {
    const { offenders, resolved } = checkUnused(unusedExports(apis));
    expect(formatUnused(offenders), "exported, used by no other package, not in the package README").toBe("");
    expect(resolved, "used again: delete from test/workspace/api/unused-exports.json (`pnpm api:update` does)").toEqual([]);
  });
});

// The checks themselves, on a small workspace written to a temporary folder.
describe("API report and unused-export checks", () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const manifest = (name: string, exports: Record<string, string>, extra: object = {}) =>
    JSON.stringify({
      name,
      ...extra,
      exports: {
        ...Object.fromEntries(Object.entries(exports).map(([k, v]) => [k, { "@incusx/source": v, default: "./dist/x.js" }])),
        "./package.json": "./package.json",
      },
    });
  /** The fixture packages in `folders`, as scripts/workspace-packages.mjs gives them. */
  const load = (folders: string[]) =>
    folders.map((folder) => {
      const dir = join(root, folder);
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      return { name: manifest.name, dir, folder, manifest };
    });
  const entry = (api: PackageApi[], specifier: string) =>
    api.flatMap((a) => a.entries).find((e) => e.specifier === specifier)!;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "incusx-api-test-"));
    write("a/package.json", manifest("@fx/a", { ".": "./src/index.ts", "./extra": "./src/extra.ts" }));
    write(
      "a/src/things.ts",
      [
        "export interface Options { size: Size }",
        "export type Size = number;",
        "export interface Unrelated { x: number }",
        "export class Widget { constructor(options: Options) { const u: Unrelated = { x: 1 }; void u; void options; } }",
        "export const Code = { A: 'a' } as const;",
        "export type Code = (typeof Code)[keyof typeof Code];",
        "export function helper(): void {}",
        "export function shown(): void {}",
        "export function viaNamespace(): void {}",
        "export function viaDynamic(): void {}",
        "export function viaPath(): void {}",
        "export function viaDocs(): void {}",
        "export function selfOnly(): void {}",
        "/** @deprecated Import from elsewhere. */",
        "export const old = 1;",
      ].join("\n"),
    );
    write(
      "a/src/index.ts",
      [
        "export { Widget, Code, helper, shown, viaNamespace, viaDynamic, viaPath, viaDocs, selfOnly, old } from './things.js';",
        "export type { Options, Size, Unrelated } from './things.js';",
        "/** @deprecated Moved. */",
        "export { helper as movedHelper } from './things.js';",
        "export type { Widget as WidgetType } from './things.js';",
        "export default 42;",
      ].join("\n"),
    );
    write("a/src/extra.ts", "export * from './things.js';\n");
    write("a/README.md", "# a\n\nCall `shown()` to see it.\n");
    write("a/src/self.test.ts", "import { selfOnly } from '@fx/a';\nvoid selfOnly;\n");
    write("b/package.json", manifest("@fx/b", { ".": "./src/index.ts" }));
    write(
      "b/src/index.ts",
      [
        "import { Widget } from '@fx/a';",
        "import * as a from '@fx/a';",
        "import { viaPath } from '../../a/src/index.js';",
        "export const w = new Widget({ size: 1 });",
        "a.viaNamespace(); viaPath();",
        "export async function later() { const { viaDynamic } = await import('@fx/a'); viaDynamic(); }",
        "export type T = import('@fx/a/extra').Size;",
      ].join("\n"),
    );
    write("docs/guide.md", "```ts\nimport { viaDocs } from \"@fx/a\";\n```\n");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("names every exported name with value or type, its kind and deprecation", () => {
    const api = collectApis(load(["a", "b"])) as PackageApi[];
    const names = entry(api, "@fx/a").names.map(({ name, space, kind, deprecated }) => ({ name, space, kind, deprecated }));
    expect(names).toEqual([
      { name: "Code", space: "value, type", kind: "const, type", deprecated: false },
      { name: "Options", space: "type", kind: "interface", deprecated: false },
      { name: "Size", space: "type", kind: "type", deprecated: false },
      { name: "Unrelated", space: "type", kind: "interface", deprecated: false },
      { name: "Widget", space: "value, type", kind: "class", deprecated: false },
      { name: "WidgetType", space: "type", kind: "class", deprecated: false },
      { name: "default", space: "value", kind: "value", deprecated: false },
      { name: "helper", space: "value", kind: "function", deprecated: false },
      { name: "movedHelper", space: "value", kind: "function", deprecated: true },
      { name: "old", space: "value", kind: "const", deprecated: true },
      { name: "selfOnly", space: "value", kind: "function", deprecated: false },
      { name: "shown", space: "value", kind: "function", deprecated: false },
      { name: "viaDocs", space: "value", kind: "function", deprecated: false },
      { name: "viaDynamic", space: "value", kind: "function", deprecated: false },
      { name: "viaNamespace", space: "value", kind: "function", deprecated: false },
      { name: "viaPath", space: "value", kind: "function", deprecated: false },
    ]);
    // `export *` is followed; the source condition picks the file.
    expect(entry(api, "@fx/a/extra").names.map((n) => n.name)).toContain("Widget");
    expect(entriesOf(load(["a"])[0]).map((e: { subpath: string }) => e.subpath)).toEqual([".", "./extra"]);
    expect(reportFileName("@incusx/plugin-dns")).toBe("plugin-dns.api.md");
    expect(reportFileName("@other/x")).toBe("other__x.api.md");
  });

  it("fails on a new export until the report is updated", () => {
    const reports = join(root, "reports");
    updateReports(collectApis(load(["a", "b"])), reports);
    expect(compareReports(collectApis(load(["a", "b"])), reports).changed).toEqual([]);
    const before = renderReport(collectApis(load(["b"]))[0]);
    write("b/src/added.ts", "export const added = 1;\n");
    write("b/src/index.ts", `${readFileSync(join(root, "b/src/index.ts"), "utf8")}\nexport { added } from './added.js';\n`);
    const after = collectApis(load(["a", "b"]));
    expect(renderReport(after[1])).not.toBe(before);
    expect(renderReport(after[1])).toContain("| `added` | value | const |");
    const { changed } = compareReports(after, reports);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatch(/b\.api\.md$/);
    updateReports(after, reports);
    expect(compareReports(after, reports).changed).toEqual([]);
  });

  it("finds names no other package uses, and keeps what a used signature needs", () => {
    const api = collectApis(load(["a", "b"]));
    const where = {
      owners: [
        { name: "@fx/a", dir: join(root, "a") },
        { name: "@fx/b", dir: join(root, "b") },
      ],
      docs: join(root, "docs"),
    };
    const unused = (unusedExports(api, where) as UnusedExport[]).filter((u) => u.specifier === "@fx/a");
    // Used: Widget (import), its Options and Size (the constructor's
    // signature), viaNamespace (a.x), viaDynamic (await import), viaPath
    // (relative path to the entry), viaDocs (docs code block), shown (README),
    // old and movedHelper (deprecated). selfOnly is used only by its own package.
    expect(unused.map((u) => u.name)).toEqual(["Code", "Unrelated", "WidgetType", "default", "helper", "selfOnly"]);
    // `import('@fx/a/extra').Size` uses Size of that entry only.
    const extra = (unusedExports(api, where) as UnusedExport[]).filter((u) => u.specifier === "@fx/a/extra");
    expect(extra.map((u) => u.name)).not.toContain("Size");
    expect(extra.map((u) => u.name)).toContain("Widget");
    expect(formatUnused([{ specifier: "@fx/a", name: "x" }, { specifier: "@fx/a", name: "y" }])).toBe("@fx/a: x, y");
  });

  it("counts the default export of a plugin (an incusx manifest) as used: hosts load it", () => {
    write("p/package.json", manifest("@fx/p", { ".": "./src/index.ts" }, { incusx: { id: "p" } }));
    write("p/src/index.ts", "export default { id: 'p' };\nexport const internal = 1;\n");
    const api = collectApis(load(["p"]));
    const unused = unusedExports(api, { owners: [{ name: "@fx/p", dir: join(root, "p") }], docs: join(root, "docs") });
    expect(unused).toEqual([{ specifier: "@fx/p", name: "internal" }]);
  });
});
