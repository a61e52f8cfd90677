#!/usr/bin/env node
// Precompiles the document schemas in schemas/ (and the JSON Schema draft-07
// meta-schema, which checks plugins' config schemas) into plain JavaScript
// validators with ajv's standalone code generation, one module per package
// that validates the documents (src/generated/document-validators.ts):
// @incusx/bundle for plugin manifests and bundles, @incusx/host for host
// config, host state and plugins' config schemas, @incusx/daemon for its API
// request bodies.
//
// Why: compiling schemas with ajv at run time costs milliseconds per schema
// plus loading ajv itself, on every host start. Precompiled, a host start
// pays for neither (test/bench/host-startup.bench.mjs).
//
//   node scripts/gen-validators.mjs          write the files (part of `pnpm gen:types`)
//   node scripts/gen-validators.mjs --check  exit 1 when one is out of date
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DRAFT_07 = "http://json-schema.org/draft-07/schema";

/**
 * @typedef {object} ValidatorModule
 * @property {string} packageDir  the package's directory, relative to ROOT
 * @property {Record<string, string>} validators  exported validator name -> schema file in schemas/ (or the draft-07 meta-schema)
 */

/** @type {readonly ValidatorModule[]} The generated modules, one per package. */
export const MODULES = [
  {
    packageDir: "packages/bundle",
    validators: {
      validateBundleDocument: "bundle.schema.json",
      validatePluginManifestDocument: "plugin-manifest.schema.json",
    },
  },
  {
    packageDir: "packages/host",
    validators: {
      validateHostConfigDocument: "host-config.schema.json",
      validateHostStateDocument: "host-state.schema.json",
      validateJsonSchemaDraft07: DRAFT_07,
    },
  },
  {
    packageDir: "packages/daemon",
    validators: {
      validateNicAttachDocument: "daemon-nic-attach.schema.json",
    },
  },
];

/**
 * Absolute path of `module`'s generated file.
 *
 * @param {ValidatorModule} module
 * @returns {string}
 */
export function outputFile(module) {
  return join(ROOT, module.packageDir, "src", "generated", "document-validators.ts");
}

/**
 * The source of `module`'s generated file. Depends only on the schemas and
 * the ajv version, so the drift test can compare it byte for byte.
 *
 * @param {ValidatorModule} module
 * @returns {string}
 */
export function generateValidators(module) {
  // ajv is a dependency of the package, not of the repository root.
  const require = createRequire(join(ROOT, module.packageDir, "package.json"));
  const { Ajv } = require("ajv");
  const standaloneCode = require("ajv/dist/standalone").default;
  const ajvVersion = require("ajv/package.json").version;
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    // `tsType` names generated TypeScript types (json-schema-to-typescript).
    keywords: ["tsType"],



    code: { source: true, esm: true, lines: true },
  });
  const mapping = {};
  for (const [name, file] of Object.entries(module.validators)) {
    if (file === DRAFT_07) {
      mapping[name] = DRAFT_07;
      continue;
    }
    const schema = JSON.parse(readFileSync(join(ROOT, "schemas", file), "utf8"));
    ajv.addSchema(schema, file);
    mapping[name] = file;
  }
  const code = standaloneCode(ajv, mapping);
  // ajv's ESM output still `require`s its small runtime helpers (string
  // length in code points, deep equality): turn those into imports.
  const imports = [];
  const source = code.replace(/require\("(ajv\/dist\/runtime\/[a-z0-9]+)"\)/g, (_, runtime) => {
    const name = `runtime_${runtime.split("/").pop()}`;
    if (!imports.some((line) => line.includes(` ${name}_module `))) {
      // A CommonJS module with `exports.default`: Node's default import is
      // the whole module, bundlers' is `exports.default`. Accept both.
      imports.push(
        `import ${name}_module from "${runtime}.js";`,
        `const ${name} = typeof ${name}_module === "function" ? { default: ${name}_module } : ${name}_module;`,
      );
    }
    return name;
  });
  if (/\brequire\(/.test(source)) throw new Error("Standalone validators still contain require()");
  return (
    `// Generated from schemas/*.schema.json by scripts/gen-validators.mjs (ajv ${ajvVersion}).\n` +
    "// Do not edit: change the schema, then run `pnpm gen:types`.\n" +
    "// @ts-nocheck\n" +
    "/* eslint-disable */\n" +
    imports.join("\n") +
    "\n" +
    source.replace(/^"use strict";\n/m, "").trim() +
    "\n"
  );
}

function main(args) {
  let stale = false;
  for (const module of MODULES) {
    const file = outputFile(module);
    const contents = generateValidators(module);
    const current = existsSync(file) ? readFileSync(file, "utf8") : undefined;
    if (args.includes("--check")) {
      if (current === contents) {
        console.log(`${relative(ROOT, file)} is up to date`);
      } else {
        console.error(`${relative(ROOT, file)} is out of date with schemas/; run \`pnpm gen:types\``);
        stale = true;
      }
      continue;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, contents);
    console.log(`Wrote ${relative(ROOT, file)}`);
  }
  if (stale) process.exit(1);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2));
}
