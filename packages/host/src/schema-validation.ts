import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import {
  InvalidConfigError,
  InvalidManifestError,
  type BundleManifest,
  type HostConfig,
  type PluginManifest,
  type ValidationIssue,
} from "@incusx/sdk";

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default
// import is the whole module, so take `.default` (present at runtime too).
const addFormats = addFormatsModule.default;

/** The schemas this module validates against, by file name in `schemas/`. */
type SchemaName = "plugin-manifest" | "host-config" | "bundle";

// Options shared by both ajv instances. `tsType` is the keyword
// json-schema-to-typescript reads to name a generated type; ajv must know it
// exists or strict mode rejects the schema.
const COMMON: Options = { allErrors: true, keywords: ["tsType"] };

// Our own schemas are checked strictly: a typo in them is our bug.
const documents = addFormats(new Ajv({ ...COMMON, strict: true }));

// Plugin config schemas: unknown keywords are still errors (a misspelt
// "requried" would silently accept anything), but the stricter type and tuple
// rules are left off so ordinary draft-07 schemas compile. `useDefaults` fills
// in the schema's `default` values on the config object itself.
// `addUsedSchema: false` keeps one plugin's `$id` from clashing with another's.
const configs = addFormats(
  new Ajv({
    ...COMMON,
    useDefaults: true,
    addUsedSchema: false,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
  }),
);

const compiled = new Map<SchemaName, ValidateFunction>();

// Compiled on first use, so a host that never reads a bundle never pays for it.
function validator(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    validate = documents.compile(JSON.parse(readFileSync(schemaFile(name), "utf8")) as object);
    compiled.set(name, validate);
  }
  return validate;
}

// Published, the schemas sit in the package's own `schemas/` folder (copied
// there by scripts/copy-schemas.mjs at build time), next to `dist/`. Run from
// source in the monorepo, read the repository's `schemas/` directly so an
// edited schema takes effect without a build.
function schemaFile(name: SchemaName): string {
  const file = `${name}.schema.json`;
  const candidates = [new URL(`../schemas/${file}`, import.meta.url)];
  if (import.meta.url.endsWith(".ts")) candidates.unshift(new URL(`../../../schemas/${file}`, import.meta.url));
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  throw new Error(`Schema "${file}" not found in ${candidates.map((c) => `"${fileURLToPath(c)}"`).join(", ")}`);
}

/**
 * Checks a plugin manifest (the `incusx` field of a plugin's package.json)
 * against `schemas/plugin-manifest.schema.json`.
 *
 * `pointer` is where the manifest sits in `file`, prefixed to every reported
 * path: `/incusx` for a package.json, `""` for a manifest given on its own.
 *
 * @example
 * const manifest = validatePluginManifest(pkg.incusx, "/opt/p/package.json");
 * // throws InvalidManifestError:
 * // /opt/p/package.json: /incusx/apiVersions: must NOT have fewer than 1 items
 */
export function validatePluginManifest(value: unknown, file: string, pointer = "/incusx"): PluginManifest {
  if (value === undefined && pointer !== "") {
    const issue = { path: parentPath(pointer), message: `missing required property "${lastSegment(pointer)}"` };
    throw new InvalidManifestError(formatIssues(file, [issue]));
  }
  const validate = validator("plugin-manifest");
  if (validate(value)) return value as PluginManifest;
  const id = typeof value === "object" && value !== null ? (value as { id?: unknown }).id : undefined;
  const pluginId = typeof id === "string" && /^[a-z0-9]+([._-][a-z0-9]+)*$/.test(id) ? id : undefined;
  throw new InvalidManifestError(formatIssues(file, toIssues(validate.errors, pointer)), { pluginId });
}

/**
 * Checks a host config document against `schemas/host-config.schema.json`.
 * Throws {@link InvalidConfigError} listing every problem.
 *
 * @example
 * const config = validateHostConfig(JSON.parse(text), "/etc/incusx/host.json");
 */
export function validateHostConfig(value: unknown, file: string): HostConfig {
  const validate = validator("host-config");
  if (validate(value)) return value as HostConfig;
  const issues = toIssues(validate.errors, "");
  throw new InvalidConfigError(formatIssues(file, issues), issues);
}

/**
 * Checks a bundle manifest against `schemas/bundle.schema.json`. Throws
 * {@link InvalidConfigError} listing every problem. Defaults (such as
 * `enabled: true`) are not filled in: the caller applies them.
 *
 * @example
 * const bundle = validateBundleManifest(JSON.parse(text), "/usr/lib/incusx/bundle.json");
 */
export function validateBundleManifest(value: unknown, file: string): BundleManifest {
  const validate = validator("bundle");
  if (validate(value)) return value as BundleManifest;
  const issues = toIssues(validate.errors, "");
  throw new InvalidConfigError(formatIssues(file, issues), issues);
}

/**
 * Compiles a plugin's `configSchema` (JSON Schema draft-07) into a checker
 * for that plugin's config. An invalid schema throws
 * {@link InvalidManifestError} at once; the checker throws
 * {@link InvalidConfigError} (with `pluginId` and every issue) for a config
 * that does not match.
 *
 * The checker fills in the schema's `default` values on the config object
 * it is given (ajv's `useDefaults`), so pass a copy, and `{}` rather than
 * `undefined` when there is no config, or no defaults can be applied.
 * `file` only names where the config came from in messages.
 *
 * @example
 * const check = compileConfigSchema({ type: "object", properties: { mtu: { type: "integer", default: 1500 } } }, "example.mtu");
 * const config = {};
 * check(config, "host.json"); // config is now { mtu: 1500 }
 */
export function compileConfigSchema(schema: unknown, pluginId: string): (config: unknown, file?: string) => void {
  const where = `Plugin "${pluginId}" configSchema`;
  if (typeof schema !== "boolean" && (typeof schema !== "object" || schema === null || Array.isArray(schema))) {
    throw new InvalidManifestError(formatIssues(where, [{ path: "(root)", message: "must be object" }]), { pluginId });
  }
  if (!configs.validateSchema(schema)) {
    throw new InvalidManifestError(formatIssues(where, toIssues(configs.errors, "")), { pluginId });
  }
  let validate: ValidateFunction;
  try {
    validate = configs.compile(schema);
  } catch (error) {
    // Strict-mode and `$ref` problems, which the meta-schema cannot see.
    throw new InvalidManifestError(`${where}: ${(error as Error).message}`, { pluginId, cause: error });
  }
  return (config, file) => {
    if (validate(config)) return;
    const issues = toIssues(validate.errors, "");
    const source = `Config of plugin "${pluginId}"${file === undefined ? "" : ` (${file})`}`;
    throw new InvalidConfigError(formatIssues(source, issues), issues, { pluginId });
  };
}

function formatIssues(where: string, issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${where}: ${issue.path}: ${issue.message}`).join("\n");
}

function toIssues(errors: ErrorObject[] | null | undefined, pointer: string): ValidationIssue[] {
  return (errors ?? []).map((error) => ({ path: pointer + error.instancePath || "(root)", message: describe(error) }));
}

// ajv's messages, made specific where ajv leaves the detail in `params`.
function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return `unknown property ${JSON.stringify(params.additionalProperty)}`;
    case "required":
      return `missing required property ${JSON.stringify(params.missingProperty)}`;
    case "enum":
      return `must be equal to one of the allowed values ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `must be equal to ${JSON.stringify(params.allowedValue)}`;
    case "uniqueItems":
      return `must NOT have duplicate items (items ${params.i} and ${params.j} are identical)`;
    default:
      return error.message ?? `must pass "${error.keyword}"`;
  }
}

function parentPath(pointer: string): string {
  return pointer.slice(0, pointer.lastIndexOf("/")) || "(root)";
}

function lastSegment(pointer: string): string {
  return pointer.slice(pointer.lastIndexOf("/") + 1).replace(/~1/g, "/").replace(/~0/g, "~");
}
