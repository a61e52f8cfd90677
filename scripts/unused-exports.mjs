// Barrel names no one needs: the second half of the workspace API check
// (scripts/api-report.mjs lists the names; this finds the unused ones).
// test/workspace/api.test.ts fails on a name that is exported, not used and
// not listed in test/workspace/api/unused-exports.json with a reason.

import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { allWorkspacePackages, root } from "./workspace-packages.mjs";

// Loaded with require: an ESM import of typescript.js first scans its 9 MB
// for named exports, which takes longer than everything else here.
const ts = /** @type {typeof import("typescript")} */ (createRequire(import.meta.url)("typescript"));

/** Barrel names known to be unused, each with why it stays for now. */
export const PENDING_FILE = join(root, "test", "workspace", "api", "unused-exports.json");

const CODE_EXTENSIONS = new Set([".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"]);
const SKIPPED_FOLDERS = new Set(["node_modules", "dist", ".git", "build"]);
const CODE_FENCE_LANGUAGES = new Set(["ts", "typescript", "js", "javascript", "mjs", "tsx", "jsx"]);

/**
 * @typedef {import("./workspace-packages.mjs").WorkspacePackage} WorkspacePackage
 * @typedef {import("./api-report.mjs").PackageApi} PackageApi
 *
 * @typedef {object} Sources   where uses are searched
 * @property {{ name: string | null, dir: string }[]} owners  folders of code, each owned by
 *   a package (its own imports of itself do not count) or by no package (null)
 * @property {string} docs   folder whose Markdown files (all, recursively) are searched
 *
 * @typedef {object} UnusedExport
 * @property {string} specifier   the entry's import specifier
 * @property {string} name
 */

/**
 * @typedef {object} Uses
 * @property {Map<string, Set<string>>} names  entry specifier -> names used
 * @property {Set<string>} everything          entry specifiers used as a whole (`export *`, `import * as` passed on)
 */

/**
 * The workspace's code (every workspace package, and scripts/ owned by no
 * package) and its Markdown (everything under the root).
 * @returns {Sources}
 */
export function workspaceSources() {
  const owners = allWorkspacePackages().map(({ name, dir }) => ({ name, dir }));
  return { owners: [...owners, { name: null, dir: join(root, "scripts") }], docs: root };
}

/**
 * Barrel names no one needs. A name exported by an entry of package P is
 * needed when at least one of these holds:
 * - code of another workspace package (its src, tests, fixtures; examples,
 *   the test package, scripts/) imports it from that entry, by package name
 *   or by a relative path to the entry file, or re-exports it;
 * - a TypeScript or JavaScript code block in a Markdown file (docs/, a
 *   README) imports it from that entry: it is shown to embedders;
 * - it appears inside a code span or code block of P's README.md: the
 *   package documents it for embedders or authors;
 * - it is marked `@deprecated` (a re-export kept for one release);
 * - it is the default export of a plugin's main entry (a package.json with
 *   an "incusx" manifest): hosts load it by module name;
 * - the public signature of a needed name of the same entry names it (a
 *   constructor's options type, a union's members, a function's result),
 *   as API Extractor requires such types to be exported.
 * P's own code importing its own barrel does not count.
 * @param {PackageApi[]} apis
 * @param {Sources} [where] the code and docs to search (tests pass their own)
 * @returns {UnusedExport[]} sorted by specifier, then name
 */
export function unusedExports(apis, where = workspaceSources()) {
  const uses = collectUses(apis, where);
  const unused = [];
  for (const { pkg, entries } of apis) {
    const documented = readmeWords(pkg);
    for (const entry of entries) {
      if (uses.everything.has(entry.specifier)) continue;
      const used = uses.names.get(entry.specifier) ?? new Set();
      const needed = new Set();
      const refsOf = new Map(entry.names.map((e) => [e.name, e.refs]));
      const need = (/** @type {string} */ name) => {
        if (needed.has(name)) return;
        needed.add(name);
        for (const ref of refsOf.get(name) ?? []) need(ref);
      };
      for (const { name, deprecated } of entry.names) {
        const pluginDefault = name === "default" && entry.subpath === "." && pkg.manifest.incusx;
        if (used.has(name) || deprecated || documented.has(name) || pluginDefault) need(name);
      }
      for (const { name } of entry.names) if (!needed.has(name)) unused.push({ specifier: entry.specifier, name });
    }
  }
  return unused;
}

/**
 * The identifiers inside code spans and code blocks of a package's README.
 * @param {WorkspacePackage} pkg
 */
function readmeWords(pkg) {
  const file = join(pkg.dir, "README.md");
  const words = new Set();
  if (!existsSync(file)) return words;
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(/```[^\n]*\n([\s\S]*?)```|`([^`\n]+)`/g)) {
    for (const word of (match[1] ?? match[2]).matchAll(/[A-Za-z_$][\w$]*/g)) words.add(word[0]);
  }
  return words;
}

/**
 * Every use of a workspace entry by code outside its package.
 * @param {PackageApi[]} apis
 * @param {Sources} where
 * @returns {Uses}
 */
function collectUses(apis, where) {
  const specifiers = apis.flatMap(({ pkg, entries }) => entries.map((entry) => ({ pkg: pkg.name, ...entry })));
  const byFile = new Map(specifiers.filter((e) => e.file).map((e) => [e.file, e]));
  const bySpecifier = new Map(specifiers.map((e) => [e.specifier, e]));
  /** @type {Uses} */
  const uses = { names: new Map(), everything: new Set() };

  /**
   * The entry a module specifier written in `fromFile` names, unless it is
   * one of `owner`'s own.
   * @param {string} text @param {string} fromFile @param {string | null} owner
   */
  const entryFor = (text, fromFile, owner) => {
    let entry;
    if (text.startsWith(".")) {
      const path = resolve(dirname(fromFile), text);
      entry = byFile.get(path) ?? byFile.get(path.replace(/\.(m|c)?js$/, ".$1ts")) ?? byFile.get(join(path, "index.ts"));
    } else {
      entry = bySpecifier.get(text);
    }
    return entry && entry.pkg !== owner ? entry.specifier : null;
  };
  const record = (specifier, /** @type {string[] | null} */ names) => {
    if (names === null) {
      uses.everything.add(specifier);
      return;
    }
    let set = uses.names.get(specifier);
    if (!set) uses.names.set(specifier, (set = new Set()));
    for (const name of names) set.add(name);
  };

  const ownerDirs = new Set(where.owners.map((owner) => owner.dir));
  for (const { name, dir } of where.owners) {
    for (const file of filesUnder(dir, ownerDirs, CODE_EXTENSIONS)) {
      const text = readFileSync(file, "utf8");
      // Only files that could name another package: a package name or a
      // relative path that climbs out of the package folder.
      if (!text.includes("@incusx") && !/["']\.\.\/\.\.\//.test(text)) continue;
      collectImports(file, text, (spec) => entryFor(spec, file, name), record);
    }
  }
  for (const file of filesUnder(where.docs, new Set(), new Set([".md"]))) {
    const text = readFileSync(file, "utf8");
    for (const [index, match] of [...text.matchAll(/^```(\w+)[^\n]*\n([\s\S]*?)^```/gm)].entries()) {
      if (!CODE_FENCE_LANGUAGES.has(match[1].toLowerCase())) continue;
      collectImports(`${file}#${index}.ts`, match[2], (spec) => entryFor(spec, file, null), record);
    }
  }
  return uses;
}

/**
 * Files under `dir` with one of `extensions`, skipping build output,
 * node_modules and the folders of other workspace packages.
 * @param {string} dir @param {Set<string>} packageDirs @param {Set<string>} extensions
 * @returns {string[]}
 */
function filesUnder(dir, packageDirs, extensions) {
  const files = [];
  const walk = (/** @type {string} */ folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name) && !packageDirs.has(path)) walk(path);
      } else if (entry.isFile() && extensions.has(extname(entry.name))) {
        files.push(path);
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return files;
}

/**
 * Finds every import, re-export, dynamic import and import type in one file
 * and records, per workspace entry, the names it uses (null: all of them).
 * @param {string} file
 * @param {string} text
 * @param {(specifier: string) => string | null} entryFor
 * @param {(specifier: string, names: string[] | null) => void} record
 */
function collectImports(file, text, entryFor, record) {
  const options = { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone };
  const source = ts.createSourceFile(file, text, options, true, scriptKind(file));
  const visit = (/** @type {import("typescript").Node} */ node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const entry = entryFor(node.moduleSpecifier.text);
      const clause = node.importClause;
      if (entry && clause) {
        const names = [];
        if (clause.name) names.push("default");
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) names.push((element.propertyName ?? element.name).text);
        }
        record(entry, names);
        if (bindings && ts.isNamespaceImport(bindings)) record(entry, namespaceMembers(source, bindings.name.text));
      }
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const entry = entryFor(node.moduleSpecifier.text);
      if (entry) {
        const clause = node.exportClause;
        record(entry, clause && ts.isNamedExports(clause) ? clause.elements.map((e) => (e.propertyName ?? e.name).text) : null);
      }
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      const entry = argument && ts.isStringLiteralLike(argument) ? entryFor(argument.text) : null;
      if (entry) record(entry, dynamicImportNames(node));
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      const entry = entryFor(node.argument.literal.text);
      if (entry) record(entry, node.qualifier ? [leftmostName(node.qualifier).text] : null);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

/** @param {string} file */
function scriptKind(file) {
  const extension = extname(file);
  return extension === ".tsx" ? ts.ScriptKind.TSX : /\.(m|c)?js$|\.jsx$/.test(extension) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
}

/**
 * The members used through `import * as ns`: `ns.X` and `ns.X` in types.
 * Any other use of `ns` (passed on, spread) uses everything: null.
 * @param {import("typescript").SourceFile} source @param {string} namespace
 * @returns {string[] | null}
 */
function namespaceMembers(source, namespace) {
  const names = [];
  let whole = false;
  const visit = (/** @type {import("typescript").Node} */ node) => {
    if (ts.isIdentifier(node) && node.text === namespace && !ts.isNamespaceImport(node.parent)) {
      const parent = node.parent;
      if (ts.isPropertyAccessExpression(parent) && parent.expression === node) names.push(parent.name.text);
      else if (ts.isQualifiedName(parent) && parent.left === node) names.push(parent.right.text);
      else whole = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return whole ? null : names;
}

/**
 * The names a dynamic import uses: `const { A, B } = await import(...)` or
 * `(await import(...)).A`; anything else uses everything (null).
 * @param {import("typescript").CallExpression} call
 * @returns {string[] | null}
 */
function dynamicImportNames(call) {
  let node = call.parent;
  while (node && ts.isParenthesizedExpression(node)) node = node.parent;
  if (node && ts.isAwaitExpression(node)) {
    let outer = node.parent;
    while (outer && ts.isParenthesizedExpression(outer)) outer = outer.parent;
    if (outer && ts.isVariableDeclaration(outer) && ts.isObjectBindingPattern(outer.name)) {
      const names = [];
      for (const element of outer.name.elements) {
        const key = element.propertyName ?? element.name;
        if (element.dotDotDotToken || !ts.isIdentifier(key)) return null;
        names.push(key.text);
      }
      return names;
    }
    if (outer && ts.isPropertyAccessExpression(outer)) return [outer.name.text];
  }
  return null;
}

/**
 * @typedef {object} PendingGroup  names of one entry left unused for one reason
 * @property {string} entry        the entry's import specifier
 * @property {string[]} names
 * @property {string} why
 */

/** @returns {{ $comment?: string, pending: PendingGroup[] }} */
function readPending() {
  return existsSync(PENDING_FILE) ? JSON.parse(readFileSync(PENDING_FILE, "utf8")) : { pending: [] };
}

/**
 * The unused names known and accepted for now, from unused-exports.json,
 * as "specifier name" keys with their reason.
 * @returns {Map<string, string>}
 */
export function pendingUnused() {
  const pending = new Map();
  for (const { entry, names, why } of readPending().pending) {
    for (const name of names) pending.set(`${entry} ${name}`, why);
  }
  return pending;
}

/**
 * Unused names not in the pending list (to fix), and pending entries that
 * are used or gone now (to delete from the list).
 * @param {UnusedExport[]} unused
 */
export function checkUnused(unused) {
  const pending = pendingUnused();
  const found = new Set(unused.map((u) => `${u.specifier} ${u.name}`));
  return {
    offenders: unused.filter((u) => !pending.has(`${u.specifier} ${u.name}`)),
    resolved: [...pending.keys()].filter((key) => !found.has(key)),
  };
}

/**
 * Groups "specifier name" lines by package entry, for failure messages.
 * @param {UnusedExport[]} unused
 */
export function formatUnused(unused) {
  const bySpecifier = new Map();
  for (const { specifier, name } of unused) {
    if (!bySpecifier.has(specifier)) bySpecifier.set(specifier, []);
    bySpecifier.get(specifier).push(name);
  }
  return [...bySpecifier].map(([specifier, names]) => `${specifier}: ${names.join(", ")}`).join("\n");
}

/**
 * Deletes the entries of unused-exports.json that are used or gone now; the
 * list only shrinks this way (a new entry is added by hand, with a reason).
 * @param {UnusedExport[]} unused
 * @returns {string[]} the deleted "specifier name" entries
 */
export function prunePending(unused) {
  const { resolved } = checkUnused(unused);
  if (resolved.length === 0) return [];
  const gone = new Set(resolved);
  const json = readPending();
  json.pending = json.pending
    .map((group) => ({ ...group, names: group.names.filter((name) => !gone.has(`${group.entry} ${name}`)) }))
    .filter((group) => group.names.length > 0);
  writeFileSync(PENDING_FILE, JSON.stringify(json, null, 2) + "\n");
  return resolved;
}

/**
 * Adds `unused` to unused-exports.json under one reason, a group per entry:
 * for a deliberate "not now" (`pnpm api:update --pend "why"`).
 * @param {UnusedExport[]} unused
 * @param {string} why
 */
export function addPending(unused, why) {
  if (unused.length === 0) return;
  const json = readPending();
  const entries = [...new Set(unused.map((u) => u.specifier))];
  for (const entry of entries) {
    json.pending.push({ entry, names: unused.filter((u) => u.specifier === entry).map((u) => u.name), why });
  }
  writeFileSync(PENDING_FILE, JSON.stringify(json, null, 2) + "\n");
}

/**
 * The first identifier of `a.b.c`: the binding a qualified name starts
 * from, which is what an import or an export names.
 * @param {import("typescript").EntityName} name
 * @returns {import("typescript").Identifier}
 */
export function leftmostName(name) {
  return ts.isIdentifier(name) ? name : leftmostName(name.left);
}
