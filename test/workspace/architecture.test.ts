// docs/architecture.md cannot drift from the code: its package graph is the
// one the package.json files give (`pnpm docs:architecture` regenerates it),
// the graph keeps the dependency rules the page states, and every file,
// package, class and function the page names exists.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain .mjs scripts with no type declarations
import { ARCHITECTURE_DOC, packageGraph, renderGraph, withGraph } from "../../scripts/package-graph.mjs";
// @ts-expect-error: plain .mjs scripts with no type declarations
import { apiPackages, root } from "../../scripts/workspace-packages.mjs";

interface GraphNode {
  name: string;
  folder: string;
  dependencies: string[];
  peerDependencies: string[];
  devOnly: string[];
}

const doc = readFileSync(ARCHITECTURE_DOC, "utf8");
const graph = packageGraph() as GraphNode[];
const runtimeDeps = (node: GraphNode) => [...node.dependencies, ...node.peerDependencies];
const node = (name: string) => graph.find((n) => n.name === name);

describe("docs/architecture.md", () => {
  it("shows the package graph of the package.json files (`pnpm docs:architecture` updates it)", () => {
    expect(doc).toBe(withGraph(doc, renderGraph(graph)));
    for (const { name } of graph) expect(doc).toContain(`\`${name}\``);
  });

  it("renders an arrow per run-time dependency, dotted for a peer", () => {
    const section = renderGraph([
      { name: "@x/a", folder: "packages/a", description: "A | B", dependencies: ["@x/b"], peerDependencies: ["@x/c"], devOnly: ["@x/d"] },
    ]);
    expect(section).toContain("  x_a --> x_b");
    expect(section).toContain("  x_a -.-> x_c");
    expect(section).toContain("| `@x/a` | `packages/a` | `@x/b`, `@x/c` (peer) | `@x/d` | A \\| B |");
    expect(() => withGraph("no markers", section)).toThrow(/markers/);
  });

  describe("dependency rules", () => {
    const plugins = graph.filter((n) => n.folder.startsWith("plugins/"));

    it("@incusx/sdk depends on no workspace package", () => {
      expect(runtimeDeps(node("@incusx/sdk")!)).toEqual([]);
    });

    it("a plugin depends on no plugin, host or CLI", () => {
      const forbidden = new Set(["@incusx/host", "@incusx/cli", ...plugins.map((p) => p.name)]);
      const offenders = plugins.flatMap((p) => runtimeDeps(p).filter((d) => forbidden.has(d)).map((d) => `${p.name} -> ${d}`));
      expect(offenders).toEqual([]);
    });

    it("dhcp-wire and ovsdb are plain libraries", () => {
      for (const name of ["@incusx/dhcp-wire", "@incusx/ovsdb"]) expect(runtimeDeps(node(name)!), name).toEqual([]);
    });

    it("nothing needs the testkit at run time, and the host never needs the CLI", () => {
      const offenders = graph.filter((n) => n.name !== "@incusx/testkit" && runtimeDeps(n).includes("@incusx/testkit"));
      expect(offenders.map((n) => n.name)).toEqual([]);
      expect(runtimeDeps(node("@incusx/host")!)).not.toContain("@incusx/cli");
    });

    it("has no cycle", () => {
      const visiting = new Set<string>();
      const done = new Set<string>();
      const cycles: string[] = [];
      const visit = (name: string, path: string[]) => {
        if (done.has(name)) return;
        if (visiting.has(name)) {
          cycles.push([...path, name].join(" -> "));
          return;
        }
        visiting.add(name);
        for (const dep of runtimeDeps(node(name)!)) visit(dep, [...path, name]);
        visiting.delete(name);
        done.add(name);
      };
      for (const { name } of graph) visit(name, []);
      expect(cycles).toEqual([]);
    });
  });

  describe("names only what exists", () => {
    // Code spans outside the generated section.
    const prose = doc.replace(/<!-- package-graph:begin[\s\S]*<!-- package-graph:end -->/, "");
    const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => ({ text: m[1]!, before: prose.slice(Math.max(0, m.index! - 12), m.index) }));
    const blocks = [...prose.matchAll(/^```\n([\s\S]*?)^```/gm)].map((m) => m[1]!).join("\n");
    const sources = sourceFiles().map((file) => readFileSync(file, "utf8")).join("\n");
    const packageNames = new Set((apiPackages() as { name: string }[]).map((p) => p.name));

    it("files and links", () => {
      const paths = spans.map((s) => s.text).filter((t) => /^(packages|plugins|docs|test|scripts)\/\S+$/.test(t));
      const links = [...prose.matchAll(/\]\(([^)#]+\.md)\)/g)].map((m) => `docs/${m[1]}`);
      expect(paths.length).toBeGreaterThan(3);
      expect([...paths, ...links].filter((path) => !existsSync(join(root, path)))).toEqual([]);
    });

    it("packages (a package not made yet is called planned)", () => {
      const named = [...spans.map((s) => s.text), ...blocks.match(/@incusx\/[\w-]+/g)!].filter((t) => /^@incusx\/[\w-]+$/.test(t));
      expect(named.length).toBeGreaterThan(5);
      expect(named.filter((name) => !packageNames.has(name))).toEqual([]);
      expect(prose).not.toMatch(/planned `@incusx/);
    });

    it("classes, functions, methods and constants", () => {
      const words = [
        ...spans.map((s) => s.text),
        // The first word of each line of the flow diagrams.
        ...blocks.split("\n").map((line) => /^\s*(?:-> )?([A-Za-z][\w.]*)/.exec(line)?.[1] ?? ""),
      ];
      const declared = (name: string) => new RegExp(`\\b(class|interface|function|const|type)\\s+${name}\\b`).test(sources);
      const called = (name: string) => new RegExp(`\\b${name}\\s*[(<]`).test(sources);
      const missing: string[] = [];
      for (const word of new Set(words)) {
        const member = /^(?:[A-Za-z]+\.)?([a-z]\w*)(\(\))?$/.exec(word);
        if (/^[A-Z][a-z][A-Za-z0-9]*$/.test(word) || /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(word)) {
          if (!declared(word)) missing.push(word);
        } else if (/^[A-Z][a-z][A-Za-z0-9]*\.[a-z]\w*$/.test(word)) {
          const [type, method] = word.split(".") as [string, string];
          if (!declared(type) || !called(method)) missing.push(word);
        } else if (member && (member[2] || /[A-Z]/.test(member[1]!))) {
          if (!called(member[1]!) && !declared(member[1]!)) missing.push(word);
        }
      }
      expect(words.length).toBeGreaterThan(20);
      expect(missing).toEqual([]);
    });
  });
});

/** The TypeScript sources of packages/ and plugins/ (tests left out). */
function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) files.push(path);
    }
  };
  for (const { dir } of apiPackages() as { dir: string }[]) if (existsSync(join(dir, "src"))) walk(join(dir, "src"));
  return files;
}
