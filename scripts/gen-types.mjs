#!/usr/bin/env node
// Generates TypeScript types from the JSON Schemas in schemas/ into
// packages/sdk/src/generated/, one file per schema plus an index.ts barrel.
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

async function main(args) {
  const check = args.includes("--check");
  const generated = await generateTypes();
  if (check) {
    const drifted = driftedFiles(generated);
    for (const file of drifted) console.error(`${file} is out of date with schemas/; run \`pnpm gen:types\``);
    if (drifted.length > 0) process.exit(1);
    console.log(`${generated.length} generated files are up to date`);
    return;
  }
  mkdirSync(OUTPUT_DIR, { recursive: true });
  for (const { file, contents } of generated) writeFileSync(join(OUTPUT_DIR, file), contents);
  console.log(`Wrote ${generated.length} files to ${relative(ROOT, OUTPUT_DIR)}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
