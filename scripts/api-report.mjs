#!/usr/bin/env node
// The public API of every package under packages/ and plugins/, as a report
// per package in test/workspace/api/, so a new export shows up in review and
// fails test/workspace/api.test.ts until the report is updated on purpose.
//
//   node scripts/api-report.mjs            check: name each report that differs
//                                          and each barrel name nobody uses; exit 1
//   node scripts/api-report.mjs --update   rewrite the reports and drop entries of
//                                          unused-exports.json that are used now
//                                          (`pnpm api:update`)
//   ... --update --pend "why"              also add every unused name found to
//                                          unused-exports.json, with that reason
//
// A report lists, for every entry of the package's "exports" (except
// ./package.json), the names it exports, whether each is a value, a type or
// both, what declares it and whether it is deprecated. Names come from the
// TypeScript compiler API over the source entry (the "@incusx/source"
// condition), so no build is needed. Only workspace sources are read:
// node_modules and the default library are left out to keep this fast, which
// does not change what our barrels export.
//
// The second check, in scripts/unused-exports.mjs, finds names that a barrel
// exports but no one needs.

import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { extname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { PENDING_FILE, addPending, checkUnused, formatUnused, leftmostName, prunePending, unusedExports } from "./unused-exports.mjs";
import { apiPackages, root } from "./workspace-packages.mjs";

// Loaded with require: an ESM import of typescript.js first scans its 9 MB
// for named exports, which takes longer than everything else here.
const ts = /** @type {typeof import("typescript")} */ (createRequire(import.meta.url)("typescript"));

/** Where the committed reports live, one `<name>.api.md` per package. */
export const REPORT_DIR = join(root, "test", "workspace", "api");

/** The command that rewrites the reports; named in every failure message. */
export const UPDATE_COMMAND = "pnpm api:update";

/** The export condition that points at a package's TypeScript source. */
const SOURCE_CONDITION = "@incusx/source";

/** Conditions tried, in order, when an entry has no source condition. */
const FALLBACK_CONDITIONS = [SOURCE_CONDITION, "types", "import", "node", "default"];

const CODE_EXTENSIONS = new Set([".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"]);

/**
 * @typedef {import("./workspace-packages.mjs").WorkspacePackage} WorkspacePackage
 *
 * @typedef {object} ApiEntry     one entry of a package's "exports"
 * @property {string} subpath     "." or "./netns"
 * @property {string} specifier   what an importer writes: "@incusx/testkit/netns"
 * @property {string | null} file absolute source file, or null when the entry is not code
 * @property {ExportedName[]} names sorted by name
 *
 * @typedef {object} ExportedName
 * @property {string} name        "default" for a default export
 * @property {"value" | "type" | "value, type"} space
 * @property {string} kind        "class", "function", "const", "interface", "type", ...
 * @property {boolean} deprecated the export or what it re-exports carries `@deprecated`
 * @property {string[]} refs      other names of the same entry its public signature names
 *
 * @typedef {object} PackageApi
 * @property {WorkspacePackage} pkg
 * @property {ApiEntry[]} entries
 */

/**
 * The report file of a package: `host.api.md` for `@incusx/host`, and
 * `scope__name.api.md` for a package outside the `@incusx` scope.
 * @param {string} packageName
 */
export function reportFileName(packageName) {
  const local = packageName.startsWith("@incusx/")
    ? packageName.slice("@incusx/".length)
    : packageName.replace(/^@/, "").replace("/", "__");
  return `${local}.api.md`;
}

/**
 * Picks the target of one "exports" value: the source condition first.
 * @param {unknown} value
 * @returns {string | null}
 */
function exportTarget(value) {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const target = exportTarget(item);
      if (target) return target;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const condition of FALLBACK_CONDITIONS) {
      if (condition in value) {
        const target = exportTarget(/** @type {Record<string, unknown>} */ (value)[condition]);
        if (target) return target;
      }
    }
  }
  return null;
}

/**
 * The entries of a package's "exports" map (a string or conditions-only
 * object is the "." entry), without ./package.json. Subpath patterns
 * ("./*") are refused: each public entry is named, so each gets a report.
 * @param {WorkspacePackage} pkg
 * @returns {{ subpath: string, specifier: string, file: string | null }[]}
 */
export function entriesOf(pkg) {
  let exportsField = pkg.manifest.exports;
  if (exportsField === undefined) return [];
  if (typeof exportsField === "string" || Array.isArray(exportsField) || !Object.keys(exportsField).some((k) => k.startsWith("."))) {
    exportsField = { ".": exportsField };
  }
  const entries = [];
  for (const [subpath, value] of Object.entries(exportsField)) {
    if (subpath === "./package.json") continue;
    if (subpath.includes("*")) {
      throw new Error(`${pkg.folder}/package.json: exports "${subpath}" is a pattern; name each public entry`);
    }
    const target = exportTarget(value);
    const file = target && CODE_EXTENSIONS.has(extname(target)) ? resolve(pkg.dir, target) : null;
    const specifier = subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    entries.push({ subpath, specifier, file });
  }
  return entries.sort((a, b) => (a.subpath === "." ? -1 : b.subpath === "." ? 1 : a.subpath.localeCompare(b.subpath)));
}

/** Compiler options: the workspace's, reading sources through the source condition. */
function compilerOptions() {
  const file = join(root, "tsconfig.base.json");
  const config = ts.readConfigFile(file, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const { options } = ts.convertCompilerOptionsFromJson(config.config.compilerOptions, root, file);
  return {
    ...options,
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    allowJs: true,
    noLib: true,
    types: [],
    customConditions: [SOURCE_CONDITION],
  };
}

/**
 * A compiler host that reads only workspace sources: a file under
 * node_modules (our packages resolve to their real folders) reads as empty.
 * @param {import("typescript").CompilerOptions} options
 */
function workspaceOnlyHost(options) {
  const host = ts.createCompilerHost(options, true);
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseNone;
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    fileName.split(/[\\/]/).includes("node_modules")
      ? ts.createSourceFile(fileName, "", languageVersion)
      : getSourceFile(fileName, languageVersion, ...rest);
  return host;
}

/**
 * The public API of every package under packages/ and plugins/, from one
 * TypeScript program over their source entries.
 * @param {WorkspacePackage[]} [workspacePackages] the packages (tests pass their own)
 * @returns {PackageApi[]}
 */
export function collectApis(workspacePackages = apiPackages()) {
  const packages = workspacePackages.map((pkg) => ({ pkg, entries: entriesOf(pkg) }));
  const files = packages.flatMap(({ entries }) => entries.flatMap((entry) => (entry.file ? [entry.file] : [])));
  const options = compilerOptions();
  const program = ts.createProgram(files, options, workspaceOnlyHost(options));
  const checker = program.getTypeChecker();
  return packages.map(({ pkg, entries }) => ({
    pkg,
    entries: entries.map((entry) => ({ ...entry, names: entry.file ? exportedNames(program, checker, entry.file) : [] })),
  }));
}

/**
 * @param {import("typescript").Program} program
 * @param {import("typescript").TypeChecker} checker
 * @param {string} file
 * @returns {ExportedName[]}
 */
function exportedNames(program, checker, file) {
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${relative(root, file)}: the entry file does not exist`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) return [];
  const symbols = checker.getExportsOfModule(moduleSymbol);
  const targets = symbols.map((symbol) => resolveAlias(checker, symbol));
  /** @type {Map<import("typescript").Symbol, string[]>} */
  const namesOfTarget = new Map();
  for (const [index, target] of targets.entries()) {
    namesOfTarget.set(target, [...(namesOfTarget.get(target) ?? []), ts.symbolName(symbols[index])]);
  }
  const exportNames = new Set(symbols.map((symbol) => ts.symbolName(symbol)));
  return symbols
    .map((symbol, index) => {
      const refs = new Set();
      for (const ref of signatureReferences(checker, targets[index], exportNames)) {
        const names = typeof ref === "string" ? [ref] : (namesOfTarget.get(resolveAlias(checker, ref)) ?? []);
        for (const name of names) if (name !== ts.symbolName(symbol)) refs.add(name);
      }
      return { ...describeExport(checker, symbol), refs: [...refs].sort() };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** @param {import("typescript").TypeChecker} checker @param {import("typescript").Symbol} symbol */
function resolveAlias(checker, symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/**
 * What the public signature of an exported thing names: the symbols behind
 * type references, `typeof` queries and heritage clauses in its
 * declarations, leaving out function bodies, initializers and private
 * members. A variable or default export with no type annotation contributes
 * the names in its inferred type (as strings, matched against `exportNames`).
 * An embedder who uses the thing may need these types, so a barrel that
 * exports the thing keeps exporting them.
 * @param {import("typescript").TypeChecker} checker
 * @param {import("typescript").Symbol} target
 * @param {Set<string>} exportNames
 * @returns {(import("typescript").Symbol | string)[]}
 */
function signatureReferences(checker, target, exportNames) {
  /** @type {(import("typescript").Symbol | string)[]} */
  const found = [];
  const addName = (/** @type {import("typescript").Node} */ name) => {
    const symbol = checker.getSymbolAtLocation(name);
    if (symbol) found.push(symbol);
  };
  const visit = (/** @type {import("typescript").Node} */ node) => {
    if (ts.isBlock(node) || ts.isIdentifier(node)) return;
    if (ts.isClassElement(node) && isPrivateMember(node)) return;
    if (ts.isTypeReferenceNode(node)) addName(leftmostName(node.typeName));
    else if (ts.isExpressionWithTypeArguments(node) && ts.isIdentifier(node.expression)) addName(node.expression);
    else if (ts.isTypeQueryNode(node)) addName(leftmostName(node.exprName));
    if ((ts.isVariableDeclaration(node) || ts.isPropertyDeclaration(node) || ts.isParameter(node)) && node.initializer) {
      ts.forEachChild(node, (child) => (child === node.initializer ? undefined : visit(child)));
      return;
    }
    if (ts.isExportAssignment(node)) return;
    ts.forEachChild(node, visit);
  };
  for (const declaration of target.declarations ?? []) {
    visit(declaration);
    const untyped =
      (ts.isVariableDeclaration(declaration) && !declaration.type) || ts.isExportAssignment(declaration);
    if (untyped) {
      const type = checker.getTypeAtLocation(ts.isExportAssignment(declaration) ? declaration.expression : declaration);
      const text = checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
      for (const word of text.matchAll(/[A-Za-z_$][\w$]*/g)) if (exportNames.has(word[0])) found.push(word[0]);
    }
  }
  return found;
}

/** @param {import("typescript").ClassElement} member */
function isPrivateMember(member) {
  if (member.name && ts.isPrivateIdentifier(member.name)) return true;
  return (ts.getCombinedModifierFlags(/** @type {import("typescript").Declaration} */ (member)) & ts.ModifierFlags.Private) !== 0;
}


/**
 * @param {import("typescript").TypeChecker} checker
 * @param {import("typescript").Symbol} symbol
 * @returns {Omit<ExportedName, "refs">}
 */
function describeExport(checker, symbol) {
  // Walk the re-export chain: any link may be type-only or deprecated.
  let typeOnly = false;
  let deprecated = false;
  let target = symbol;
  for (let hops = 0; target.flags & ts.SymbolFlags.Alias && hops < 100; hops++) {
    for (const declaration of target.declarations ?? []) {
      if (isTypeOnlyAlias(declaration)) typeOnly = true;
      if (hasDeprecatedTag(declaration)) deprecated = true;
    }
    const next = checker.getImmediateAliasedSymbol(target);
    if (!next || next === target) break;
    target = next;
  }
  for (const declaration of target.declarations ?? []) {
    if (hasDeprecatedTag(declaration)) deprecated = true;
  }
  const flags = target.flags;
  const kinds = [];
  if (flags & ts.SymbolFlags.Class) kinds.push("class");
  if (flags & ts.SymbolFlags.Enum) kinds.push("enum");
  if (flags & ts.SymbolFlags.Function) kinds.push("function");
  if (flags & ts.SymbolFlags.Variable) kinds.push(variableKind(target));
  if (flags & ts.SymbolFlags.Interface) kinds.push("interface");
  if (flags & ts.SymbolFlags.TypeAlias) kinds.push("type");
  if (flags & ts.SymbolFlags.Module) kinds.push("namespace");
  // `export default <expression>` declares no named thing: it is a value.
  if (kinds.length === 0) kinds.push(flags & ts.SymbolFlags.Alias ? "unresolved" : "value");
  const isValue = !typeOnly && (flags & ts.SymbolFlags.Value || kinds[0] === "value");
  const isType = (flags & ts.SymbolFlags.Type) !== 0 || typeOnly;
  const space = isValue && isType ? "value, type" : isValue ? "value" : "type";
  return { name: ts.symbolName(symbol), space, kind: kinds.join(", "), deprecated };
}

/** @param {import("typescript").Symbol} symbol */
function variableKind(symbol) {
  const declaration = symbol.declarations?.find(ts.isVariableDeclaration);
  if (!declaration) return "variable";
  const flags = ts.getCombinedNodeFlags(declaration);
  return flags & ts.NodeFlags.Const ? "const" : flags & ts.NodeFlags.Let ? "let" : "var";
}

/** @param {import("typescript").Declaration} declaration */
function isTypeOnlyAlias(declaration) {
  if (ts.isExportSpecifier(declaration) || ts.isImportSpecifier(declaration)) {
    return declaration.isTypeOnly || declaration.parent.parent.isTypeOnly;
  }
  if (ts.isImportClause(declaration)) return declaration.isTypeOnly;
  if (ts.isNamespaceExport(declaration)) return declaration.parent.isTypeOnly;
  if (ts.isNamespaceImport(declaration)) return declaration.parent.isTypeOnly;
  return false;
}

/**
 * True when the declaration, or the statement holding it (`export { ... }`
 * for an export specifier, the `const` statement for a variable), has a
 * `@deprecated` tag in its leading doc comment. Read from the comment text:
 * the program skips JSDoc parsing, which would double its cost.
 * @param {import("typescript").Node} declaration
 */
function hasDeprecatedTag(declaration) {
  const nodes = [declaration];
  if (ts.isExportSpecifier(declaration)) nodes.push(declaration.parent.parent);
  if (ts.isVariableDeclaration(declaration)) nodes.push(declaration.parent.parent);
  return nodes.some((node) => {
    const text = node.getSourceFile().text;
    return (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []).some(
      (range) => text.startsWith("/**", range.pos) && /@deprecated\b/.test(text.slice(range.pos, range.end)),
    );
  });
}

/**
 * The report of one package, as committed in test/workspace/api/.
 * @param {PackageApi} api
 */
export function renderReport({ pkg, entries }) {
  const lines = [
    `# API report: ${pkg.name}`,
    "",
    `<!-- Generated by \`${UPDATE_COMMAND}\` (scripts/api-report.mjs) from ${pkg.folder}; do not edit. -->`,
    "",
    "What importers of this package can name, entry by entry. A change here is a",
    `change of the package's public API: review it, then run \`${UPDATE_COMMAND}\`.`,
  ];
  if (entries.length === 0) lines.push("", 'The package has no "exports".');
  for (const entry of entries) {
    const source = entry.file ? relative(pkg.dir, entry.file).split("\\").join("/") : null;
    lines.push("", `## \`${entry.specifier}\``, "");
    if (!source) {
      lines.push("Not a code entry: no names.");
      continue;
    }
    lines.push(`Source: \`${source}\``, "");
    if (entry.names.length === 0) {
      lines.push("No exported names.");
      continue;
    }
    lines.push("| Name | Value or type | Declared as |", "| --- | --- | --- |");
    for (const { name, space, kind, deprecated } of entry.names) {
      lines.push(`| \`${name}\` | ${space} | ${kind}${deprecated ? " (deprecated)" : ""} |`);
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * Compares the committed reports with the code.
 * @param {PackageApi[]} apis
 * @param {string} [dir] where the reports are (tests pass their own)
 * @returns {{ changed: string[], missing: string[], stale: string[] }}
 *   report files (relative to the root) that differ, that do not exist yet,
 *   and that belong to no package any more
 */
export function compareReports(apis, dir = REPORT_DIR) {
  const expected = new Map(apis.map((api) => [reportFileName(api.pkg.name), renderReport(api)]));
  const changed = [];
  const missing = [];
  for (const [file, text] of expected) {
    const path = join(dir, file);
    if (!existsSync(path)) missing.push(relative(root, path));
    else if (readFileSync(path, "utf8") !== text) changed.push(relative(root, path));
  }
  const stale = existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith(".api.md") && !expected.has(file))
        .map((file) => relative(root, join(dir, file)))
    : [];
  return { changed, missing, stale };
}

/**
 * Writes every report and deletes those of packages that are gone.
 * @param {PackageApi[]} apis
 * @param {string} [dir] where the reports are (tests pass their own)
 * @returns {string[]} the files written or deleted, relative to the root
 */
export function updateReports(apis, dir = REPORT_DIR) {
  mkdirSync(dir, { recursive: true });
  const { changed, missing, stale } = compareReports(apis, dir);
  for (const api of apis) writeFileSync(join(dir, reportFileName(api.pkg.name)), renderReport(api));
  for (const file of stale) rmSync(resolve(root, file));
  return [...changed, ...missing, ...stale];
}

async function main() {
  const apis = collectApis();
  if (process.argv.includes("--update")) {
    const touched = updateReports(apis);
    console.log(touched.length ? `Updated:\n  ${touched.join("\n  ")}` : "API reports are up to date.");
    const pruned = prunePending(unusedExports(apis));
    if (pruned.length) console.log(`No longer unused, deleted from ${relative(root, PENDING_FILE)}:\n  ${pruned.join("\n  ")}`);
    const { offenders } = checkUnused(unusedExports(apis));
    const why = process.argv[process.argv.indexOf("--pend") + 1];
    if (process.argv.includes("--pend") && why && !why.startsWith("--")) {
      addPending(offenders, why);
      if (offenders.length) console.log(`Added to ${relative(root, PENDING_FILE)} ("${why}"):\n${formatUnused(offenders)}`);
    } else if (offenders.length) {
      console.log(`Still exported but unused (see test/workspace/api.test.ts):\n${formatUnused(offenders)}`);
      console.log(`Use them, drop them, list them in the package README, or wait with a reason: ${UPDATE_COMMAND} --pend "why"`);
    }
    return;
  }
  const { changed, missing, stale } = compareReports(apis);
  const { offenders, resolved } = checkUnused(unusedExports(apis));
  let ok = true;
  for (const [label, files] of [
    ["differs from the code", changed],
    ["is missing", missing],
    ["belongs to no package", stale],
  ]) {
    for (const file of /** @type {string[]} */ (files)) {
      console.log(`${file} ${label}`);
      ok = false;
    }
  }
  if (!ok) console.log(`Review the API change, then run \`${UPDATE_COMMAND}\`.`);
  if (offenders.length) {
    console.log(`Exported but used by no other package and not documented:\n${formatUnused(offenders)}`);
    ok = false;
  }
  if (resolved.length) {
    console.log(`Listed in ${relative(root, PENDING_FILE)} but no longer unused (delete them there):\n  ${resolved.join("\n  ")}`);
    ok = false;
  }
  if (ok) console.log("API reports match the code; every exported name is used or documented.");
  process.exitCode = ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
