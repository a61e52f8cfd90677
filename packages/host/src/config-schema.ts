import { Validator, type OutputUnit, type Schema } from "@cfworker/json-schema";
import { formatIssues, toIssues, type PrecompiledValidator } from "@incusx/bundle";
import { InvalidConfigError, InvalidManifestError, type ValidationIssue } from "@incusx/sdk";
import { validateJsonSchemaDraft07 } from "./generated/document-validators.js";

// Plugin config schemas are checked once per host start, so they are
// interpreted (@cfworker/json-schema) rather than compiled: ajv's code
// generation costs milliseconds per schema, the interpreter microseconds
// (test/bench/host-startup.bench.mjs). The schema itself is still checked
// against the draft-07 meta-schema by a validator ajv precompiled.

const metaSchema = validateJsonSchemaDraft07 as PrecompiledValidator;

/** Draft-07 keywords; anything else in a config schema is most likely a typo. */
const KEYWORDS = new Set([
  "$schema", "$id", "$ref", "$comment", "definitions",
  "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
  "maxLength", "minLength", "pattern", "format", "contentMediaType", "contentEncoding",
  "items", "additionalItems", "maxItems", "minItems", "uniqueItems", "contains",
  "maxProperties", "minProperties", "required", "properties", "patternProperties", "additionalProperties",
  "dependencies", "propertyNames", "if", "then", "else", "allOf", "anyOf", "oneOf", "not",
  "title", "description", "default", "examples", "readOnly", "writeOnly",
]);
const SCHEMA_MAPS = ["properties", "patternProperties", "definitions"];
const SCHEMA_VALUES = ["additionalItems", "additionalProperties", "contains", "propertyNames", "if", "then", "else", "not"];
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf"];
const MAX_REF_HOPS = 32;

type SchemaNode = boolean | Record<string, unknown>;

/**
 * Checks a plugin's `configSchema` (JSON Schema draft-07) and returns a
 * checker for that plugin's config. An invalid schema (not draft-07, an
 * unknown keyword, a `$ref` to nothing) throws {@link InvalidManifestError}
 * at once; the checker throws {@link InvalidConfigError} (with `pluginId`
 * and every issue) for a config that does not match.
 *
 * The checker fills in the schema's `default` values for missing object
 * properties on the config object it is given, as ajv's `useDefaults`
 * does, so pass a copy, and `{}` rather than `undefined` when there is no
 * config. `file` only names where the config came from in messages.
 *
 * @example
 * const check = compileConfigSchema({ type: "object", properties: { mtu: { type: "integer", default: 1500 } } }, "example.mtu");
 * const config = {};
 * check(config, "host.json"); // config is now { mtu: 1500 }
 */
export function compileConfigSchema(schema: unknown, pluginId: string): (config: unknown, file?: string) => void {
  const where = `Plugin "${pluginId}" configSchema`;
  const refuse = (issues: ValidationIssue[]) => {
    throw new InvalidManifestError(formatIssues(where, issues), { pluginId });
  };
  if (typeof schema !== "boolean" && (typeof schema !== "object" || schema === null || Array.isArray(schema))) {
    refuse([{ path: "(root)", message: "must be object" }]);
  }
  if (!metaSchema(schema)) refuse(toIssues(metaSchema.errors, ""));
  const root = schema as SchemaNode;
  const problems = schemaProblems(root);
  if (problems.length > 0) refuse(problems);

  const validator = new Validator(root as Schema, "7", false);
  return (config, file) => {
    applyDefaults(root, root, config, 0);
    // No config at all is checked as JSON's nothing, null.
    const result = validator.validate(config === undefined ? null : config);
    if (result.valid) return;
    const issues = describeErrors(result.errors, root, config);
    const source = `Config of plugin "${pluginId}"${file === undefined ? "" : ` (${file})`}`;
    throw new InvalidConfigError(formatIssues(source, issues), issues, { pluginId });
  };
}

// Unknown keywords and unresolvable references, which the meta-schema lets through.
function schemaProblems(root: SchemaNode): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const visit = (node: unknown, path: string): void => {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return;
    const record = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(record)) {
      const at = `${path}/${escapePointer(key)}`;
      if (!KEYWORDS.has(key)) {
        issues.push({ path: path || "(root)", message: `unknown keyword "${key}"` });
      } else if (key === "$ref" && resolveRef(root, value as string) === undefined) {
        issues.push({ path: at, message: `can't resolve reference "${String(value)}"` });
      } else if (SCHEMA_MAPS.includes(key) || key === "dependencies") {
        for (const [name, sub] of Object.entries(value as Record<string, unknown>)) visit(sub, `${at}/${escapePointer(name)}`);
      } else if (SCHEMA_VALUES.includes(key)) {
        visit(value, at);
      } else if (SCHEMA_LISTS.includes(key) || key === "items") {
        if (Array.isArray(value)) value.forEach((sub, i) => visit(sub, `${at}/${i}`));
        else visit(value, at);
      }
    }
  };
  visit(root, "");
  issues.sort((a, b) => compare(a.path, b.path));
  return issues;
}

// Only references inside the schema itself: a plugin's config schema is one document.
function resolveRef(root: SchemaNode, ref: string): SchemaNode | undefined {
  const id = typeof root === "object" && typeof root.$id === "string" ? root.$id.replace(/#$/, "") : undefined;
  let pointer = ref;
  if (id !== undefined && ref.startsWith(id)) pointer = ref.slice(id.length);
  if (!pointer.startsWith("#")) return undefined;
  const node = walkPointer(root, pointer);
  return typeof node === "boolean" || (typeof node === "object" && node !== null) ? (node as SchemaNode) : undefined;
}

// Fills in `default`s of missing properties, depth first, as ajv's useDefaults does.
function applyDefaults(root: SchemaNode, schema: SchemaNode, value: unknown, hops: number): void {
  if (typeof schema !== "object" || !isPlainObject(value) || hops > MAX_REF_HOPS) return;
  if (typeof schema.$ref === "string") {
    const target = resolveRef(root, schema.$ref);
    if (target !== undefined) applyDefaults(root, target, value, hops + 1);
    return; // draft-07: keywords beside $ref are ignored
  }
  if (Array.isArray(schema.allOf)) for (const sub of schema.allOf) applyDefaults(root, sub as SchemaNode, value, hops);
  const properties = schema.properties;
  if (!isPlainObject(properties)) return;
  for (const [key, sub] of Object.entries(properties)) {
    if (!isPlainObject(sub)) continue;
    if (!(key in value) && "default" in sub) value[key] = structuredClone(sub.default);
    if (key in value) applyDefaults(root, sub as SchemaNode, value[key], 0);
  }
}

// The interpreter reports every failing keyword, aggregates included; keep
// the leaves and word them like ajv does for documents.
function describeErrors(errors: readonly OutputUnit[], root: SchemaNode, config: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const skipUnder: string[] = [];
  for (const error of errors) {
    const location = error.keywordLocation;
    if (skipUnder.some((prefix) => location.startsWith(prefix))) continue;
    const path = instancePath(error.instanceLocation);
    const keywordValue = schemaValue(root, location);
    switch (error.keyword) {
      case "properties":
      case "items":
      case "additionalItems":
      case "allOf":
      case "$ref":
      case "false":
        continue; // aggregates; their causes are reported on their own
      case "additionalProperties": {
        if (keywordValue === false) {
          for (const key of unknownProperties(root, location, pointerValue(config, error.instanceLocation))) {
            const issue = { path, message: `unknown property ${JSON.stringify(key)}` };
            if (!issues.some((i) => i.path === issue.path && i.message === issue.message)) issues.push(issue);
          }
        }
        continue;
      }
      case "anyOf":
      case "oneOf":
        skipUnder.push(`${location}/`);
        issues.push({ path, message: `must match ${error.keyword === "anyOf" ? "a schema in anyOf" : "exactly one schema in oneOf"}` });
        continue;
      case "required": {
        const value = pointerValue(config, error.instanceLocation);
        const missing = Array.isArray(keywordValue) && isPlainObject(value) ? keywordValue.filter((k) => !(String(k) in value)) : [];
        for (const key of missing) {
          const issue = { path, message: `missing required property ${JSON.stringify(key)}` };
          if (!issues.some((i) => i.path === issue.path && i.message === issue.message)) issues.push(issue);
        }
        continue;
      }
      default:
        issues.push({ path, message: message(error, keywordValue) });
    }
  }
  return issues.sort((a, b) => compare(a.path, b.path));
}

function message(error: OutputUnit, value: unknown): string {
  const json = (v: unknown) => JSON.stringify(v);
  switch (error.keyword) {
    case "type":
      return `must be ${Array.isArray(value) ? value.join(",") : String(value)}`;
    case "minimum":
      return `must be >= ${json(value)}`;
    case "maximum":
      return `must be <= ${json(value)}`;
    case "exclusiveMinimum":
      return `must be > ${json(value)}`;
    case "exclusiveMaximum":
      return `must be < ${json(value)}`;
    case "multipleOf":
      return `must be multiple of ${json(value)}`;
    case "minLength":
      return `must NOT have fewer than ${json(value)} characters`;
    case "maxLength":
      return `must NOT have more than ${json(value)} characters`;
    case "minItems":
      return `must NOT have fewer than ${json(value)} items`;
    case "maxItems":
      return `must NOT have more than ${json(value)} items`;
    case "minProperties":
      return `must NOT have fewer than ${json(value)} properties`;
    case "maxProperties":
      return `must NOT have more than ${json(value)} properties`;
    case "pattern":
      return `must match pattern ${json(value)}`;
    case "format":
      return `must match format ${json(value)}`;
    case "enum":
      return `must be equal to one of the allowed values ${Array.isArray(value) ? value.map(json).join(", ") : json(value)}`;
    case "const":
      return `must be equal to ${json(value)}`;
    case "uniqueItems":
      return "must NOT have duplicate items";
    default:
      return error.error.replace(/\.$/, "");
  }
}

function unknownProperties(root: SchemaNode, additionalLocation: string, value: unknown): string[] {
  if (!isPlainObject(value)) return [];
  const parent = schemaValue(root, additionalLocation.replace(/\/additionalProperties$/, ""));
  const known = isPlainObject(parent) && isPlainObject(parent.properties) ? parent.properties : {};
  const patterns = isPlainObject(parent) && isPlainObject(parent.patternProperties) ? Object.keys(parent.patternProperties) : [];
  return Object.keys(value).filter((key) => !(key in known) && !patterns.some((p) => new RegExp(p, "u").test(key)));
}

// The schema value at a keyword location, which passes through `$ref`s
// (`#/properties/port/$ref/maximum`).
function schemaValue(root: SchemaNode, location: string): unknown {
  return walkPointer(root, location, root);
}

// Value at a `#/a/b` pointer as the interpreter writes them (URI-encoded segments).
function pointerValue(document: unknown, location: string): unknown {
  return walkPointer(document, location);
}

// Walks a `#/a/b` URI-fragment JSON pointer, each segment URI- then
// ~-escaped. Given `refsOf`, a `$ref` segment follows that reference.
function walkPointer(document: unknown, fragment: string, refsOf?: SchemaNode): unknown {
  let node = document;
  for (const raw of fragment.replace(/^#/, "").split("/").slice(1)) {
    if (typeof node !== "object" || node === null) return undefined;
    const segment = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    const record = node as Record<string, unknown>;
    node = refsOf !== undefined && segment === "$ref" && typeof record.$ref === "string" ? resolveRef(refsOf, record.$ref) : record[segment];
  }
  return node;
}

function instancePath(location: string): string {
  const path = location.replace(/^#/, "");
  return path === "" ? "(root)" : decodeURIComponent(path);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// "(root)" first, then JSON pointers in order; stable otherwise.
function compare(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "(root)") return -1;
  if (b === "(root)") return 1;
  return a < b ? -1 : 1;
}
