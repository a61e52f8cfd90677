// Host plumbing stays out of the authors' barrel (issue 13): what moved to
// @incusx/sdk/host is only a deprecated alias at the root.
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as root from "./index.js";
import * as hostApi from "./host/index.js";

// Names that came to @incusx/sdk/host from elsewhere (the host, new code), not from the root.
const NEVER_AT_ROOT = new Set([
  "DaemonNicAttach",
  "DaemonNicResolvConf",
  "HostStateFileSource",
  "HostStateIncusSource",
  "HostStateModel",
  "HostStateSource",
  "LogRecord",
  "LogSink",
  "hostStateModel",
  "sleepOnTimer",
]);

const DEPRECATION = 'Import from "@incusx/sdk/host"; removed in the next minor.';

interface ExportedName {
  readonly name: string;
  readonly deprecated: string | undefined;
}

function exportsOf(...files: string[]): Map<string, ExportedName[]> {
  const paths = files.map((f) => fileURLToPath(new URL(f, import.meta.url)));
  const program = ts.createProgram(paths, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const result = new Map<string, ExportedName[]>();
  files.forEach((file, i) => {
    const module = checker.getSymbolAtLocation(program.getSourceFile(paths[i]!)!)!;
    const names = checker.getExportsOfModule(module).map((symbol) => {
      const tag = symbol.declarations?.flatMap((d) => ts.getJSDocTags(d)).find((t) => t.tagName.text === "deprecated");
      return { name: symbol.name, deprecated: tag === undefined ? undefined : ts.getTextOfJSDocComment(tag.comment) };
    });
    result.set(file, names.sort((a, b) => (a.name < b.name ? -1 : 1)));
  });
  return result;
}

const api = exportsOf("./index.ts", "./host/index.ts");
const rootNames = api.get("./index.ts")!;
const hostNames = api.get("./host/index.ts")!.map((e) => e.name);

describe("@incusx/sdk, the plugin authors' entry point", () => {
  // The full name lists of the three entry points are the API report
  // (test/workspace/api/sdk.api.md, `pnpm api:update`); this file checks
  // what the report cannot: which audience each name is for.
  it("exports no host plumbing except as deprecated aliases", () => {
    const current = new Set(rootNames.filter((e) => e.deprecated === undefined).map((e) => e.name));
    expect(hostNames.filter((name) => current.has(name))).toEqual([]);
  });

  it("still exports what moved to @incusx/sdk/host, every name deprecated and pointing there", () => {
    const deprecated = rootNames.filter((e) => e.deprecated !== undefined);
    expect(deprecated.map((e) => e.name)).toEqual(hostNames.filter((n) => !NEVER_AT_ROOT.has(n)));
    for (const e of deprecated) expect(e.deprecated, e.name).toContain(DEPRECATION);
    for (const [name, value] of Object.entries(hostApi).filter(([n]) => !NEVER_AT_ROOT.has(n))) expect((root as Record<string, unknown>)[name], name).toBe(value);
  });
});
