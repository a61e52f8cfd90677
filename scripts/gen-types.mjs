#!/usr/bin/env node
// Generates TypeScript types from the JSON Schemas in schemas/ into
// packages/sdk/src/generated/, one file per schema plus an index.ts barrel,
// and each built-in plugin's config type and defaults from its manifest's
// `configSchema` (the "incusx" key of plugins/*/package.json) into
// plugins/*/src/generated/config.ts.
//
//   node scripts/gen-types.mjs          write the files (`pnpm gen:types`)
//   node scripts/gen-types.mjs --check  exit 1 and name each file that differs
//
// The output depends only on the schemas: files are processed in sorted
// order, formatting options are fixed, and nothing time-dependent is written,
// so the drift test (packages/sdk/src/generated-types.test.ts) can compare
// byte for byte.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compile } from "json-schema-to-typescript";

/** Repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Where the schemas live. */
export const SCHEMA_DIR = join(ROOT, "schemas");
/** Where the generated types go. */
export const OUTPUT_DIR = join(ROOT, "packages", "sdk", "src", "generated");
/** Where the built-in plugins live, one folder each. */
export const PLUGINS_DIR = join(ROOT, "plugins");
/** Where in a plugin's folder its generated config module goes. */
export const PLUGIN_CONFIG_FILE = join("src", "generated", "config.ts");

const SCHEMA_SUFFIX = ".schema.json";

const COMPILE_OPTIONS = {
  bannerComment: "",
  additionalProperties: false,
  strictIndexSignatures: true,
  // Arrays stay `T[]` rather than tuples like `[T, ...T[]]` for `minItems`:
  // easier to build and pass around, and the validator enforces the length.
  ignoreMinAndMaxItems: true,
  unknownAny: true,
  format: true,
  style: {
    bracketSpacing: true,
    printWidth: 110,
    semi: true,
    singleQuote: false,
    tabWidth: 2,
    trailingComma: "all",
    useTabs: false,
  },
};

/**
 * Every generated file, in a stable order, as `{ file, contents }` with
 * `file` relative to {@link OUTPUT_DIR}. Writes nothing.
 *
 * @param {{ schemaDir?: string }} [options]
 * @returns {Promise<Array<{ file: string, contents: string }>>}
 */
export async function generateTypes({ schemaDir = SCHEMA_DIR } = {}) {
  const schemaFiles = readdirSync(schemaDir)
    .filter((name) => name.endsWith(SCHEMA_SUFFIX))
    .sort();
  const files = [];
  const barrel = [];
  for (const schemaFile of schemaFiles) {
    const schema = JSON.parse(readFileSync(join(schemaDir, schemaFile), "utf8"));
    if (typeof schema.title !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(schema.title)) {
      throw new Error(`schemas/${schemaFile}: "title" must be the PascalCase name of the generated type`);
    }
    const base = schemaFile.slice(0, -SCHEMA_SUFFIX.length);
    const body = await compile(schema, schema.title, { ...COMPILE_OPTIONS, cwd: schemaDir });
    files.push({ file: `${base}.ts`, contents: banner(`schemas/${schemaFile}`) + body.trimStart() });
    const names = [...body.matchAll(/^export (?:interface|type) ([A-Za-z0-9_]+)/gm)].map((m) => m[1]).sort();
    barrel.push(`export type { ${names.join(", ")} } from "./${base}.js";\n`);
  }
  files.push({ file: "index.ts", contents: banner("schemas/*.schema.json") + barrel.join("") });
  return files;
}

/**
 * Each plugin's generated config module, in plugin folder order, as
 * `{ file, contents }` with `file` relative to {@link ROOT}. Plugins whose
 * manifest has no `configSchema` get none. Writes nothing.
 *
 * The module holds, for a schema titled `FooConfig`:
 * - `interface FooConfig`: the config as the plugin receives it. The host
 *   fills in the schema's `default`s before the plugin sees the config, so
 *   a top-level property with a `default` is required here; the others are
 *   optional unless the schema lists them in `required`. Properties and
 *   arrays are readonly.
 * - `type FooConfigInput`: the config as a host config may give it (the
 *   properties with a default may be left out).
 * - `const DEFAULT_FOO_CONFIG`: the schema's `default`s, frozen.
 *
 * @param {{ pluginsDir?: string }} [options]
 * @returns {Promise<Array<{ file: string, contents: string }>>}
 */
export async function generatePluginConfigTypes({ pluginsDir = PLUGINS_DIR } = {}) {
  const files = [];
  for (const name of readdirSync(pluginsDir).sort()) {
    const manifestFile = join(pluginsDir, name, "package.json");
    if (!existsSync(manifestFile)) continue;
    const schema = JSON.parse(readFileSync(manifestFile, "utf8")).incusx?.configSchema;
    if (schema === undefined) continue;
    const where = `${relative(ROOT, manifestFile)} "incusx"."configSchema"`;
    files.push({
      file: relative(ROOT, join(pluginsDir, name, PLUGIN_CONFIG_FILE)),
      contents: banner(`the "incusx"."configSchema" of ${relative(ROOT, manifestFile)}`) + (await pluginConfigModule(schema, where)),
    });
  }
  return files;
}

async function pluginConfigModule(schema, where) {
  const title = schema.title;
  if (typeof title !== "string" || !/^[A-Z][A-Za-z0-9]*$/.test(title)) {
    throw new Error(`${where}: "title" must be the PascalCase name of the generated type`);
  }
  if (schema.type !== "object" || typeof schema.properties !== "object" || schema.properties === null) {
    throw new Error(`${where}: must be an object schema with "properties"`);
  }
  const properties = Object.entries(schema.properties);
  const defaulted = properties.filter(([, sub]) => typeof sub === "object" && sub !== null && "default" in sub).map(([key]) => key);
  const required = new Set([...(Array.isArray(schema.required) ? schema.required : []), ...defaulted]);
  // Only for the type: the host reads the manifest's schema as written.
  const typeSchema = {
    ...schema,
    required: properties.map(([key]) => key).filter((key) => required.has(key)),
    properties: Object.fromEntries(properties.map(([key, sub]) => [key, withDefaultTag(sub)])),
  };
  const body = await compile(typeSchema, title, { ...COMPILE_OPTIONS, declareExternallyReferenced: true });
  const constant = `DEFAULT_${title.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
  const defaults = Object.fromEntries(defaulted.map((key) => [key, schema.properties[key].default]));
  // DEFAULT_* is a whole config when nothing required lacks a default.
  const defaultsType = [...required].every((key) => defaulted.includes(key)) ? title : `Pick<${title}, ${keyUnion(defaulted)}>`;
  const input =
    defaulted.length === 0
      ? `export type ${title}Input = ${title};\n`
      : `export type ${title}Input = Omit<${title}, ${keyUnion(defaulted)}> &\n  Partial<Pick<${title}, ${keyUnion(defaulted)}>>;\n`;
  return (
    readonlyMembers(body.trimStart(), title) +
    `\n/** {@link ${title}} as a host config may give it: the properties with a default may be left out. */\n` +
    input +
    `\n/** The schema's \`default\` values, which the host fills in before the plugin sees its config. */\n` +
    `export const ${constant}: ${defaultsType} = ${frozenLiteral(defaults)};\n`
  );
}

// The default in the member's doc comment, where a reader of the type looks.
function withDefaultTag(sub) {
  if (typeof sub !== "object" || sub === null || !("default" in sub)) return sub;
  const tag = `@default ${JSON.stringify(sub.default)}`;
  return { ...sub, description: typeof sub.description === "string" ? `${sub.description}\n\n${tag}` : tag };
}

// The top-level members of `interface title`, and the arrays among them,
// made readonly: the config the host hands over is not the plugin's to edit.
function readonlyMembers(body, title) {
  const start = body.indexOf(`export interface ${title} {\n`);
  const end = body.indexOf("\n}\n", start);
  if (start < 0 || end < 0) throw new Error(`json-schema-to-typescript wrote no interface ${title}`);
  const members = body
    .slice(start, end)
    .replace(/^ {2}([A-Za-z_$][\w$]*\??): /gm, "  readonly $1: ")
    .replace(/^( {2}readonly [\w$]+\??: )(.+)\[\];$/gm, "$1readonly $2[];");
  return body.slice(0, start) + members + body.slice(end);
}

function keyUnion(keys) {
  return keys.map((key) => JSON.stringify(key)).join(" | ");
}

// A JSON value as TypeScript source, every object and array frozen.
function frozenLiteral(value) {
  if (Array.isArray(value)) return `Object.freeze([${value.map(frozenLiteral).join(", ")}])`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([key, v]) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)}: ${frozenLiteral(v)}`);
    return entries.length === 0 ? "Object.freeze({})" : `Object.freeze({\n${entries.map((e) => `  ${e},\n`).join("")}})`;
  }
  return JSON.stringify(value);
}

function banner(source) {
  return (
    `// Generated from ${source} by scripts/gen-types.mjs. Do not edit:\n` +
    "// change the schema, then run `pnpm gen:types`.\n\n"
  );
}

/**
 * Files under `outputDir` whose contents differ from `generated` (missing
 * files count), as paths relative to the repository root.
 *
 * @param {Array<{ file: string, contents: string }>} generated
 * @param {string} [outputDir]
 * @returns {string[]}
 */
export function driftedFiles(generated, outputDir = OUTPUT_DIR) {
  return generated
    .filter(({ file, contents }) => {
      const path = join(outputDir, file);
      return !existsSync(path) || readFileSync(path, "utf8") !== contents;
    })
    .map(({ file }) => relative(ROOT, join(outputDir, file)));
}

/** Every generated file, paths relative to {@link ROOT}: schemas/ types, then plugin configs. */
async function generateAll() {
  const types = (await generateTypes()).map(({ file, contents }) => ({ file: relative(ROOT, join(OUTPUT_DIR, file)), contents }));
  return [...types, ...(await generatePluginConfigTypes())];
}

async function main(args) {
  const check = args.includes("--check");
  const generated = await generateAll();
  if (check) {
    const drifted = driftedFiles(generated, ROOT);
    for (const file of drifted) console.error(`${file} is out of date with its schema; run \`pnpm gen:types\``);
    if (drifted.length > 0) process.exit(1);
    console.log(`${generated.length} generated files are up to date`);
    return;
  }
  for (const { file, contents } of generated) {
    mkdirSync(dirname(join(ROOT, file)), { recursive: true });
    writeFileSync(join(ROOT, file), contents);
  }
  console.log(`Wrote ${generated.length} files`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
