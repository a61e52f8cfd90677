import type { ErrorObject } from "ajv";
import {
  InvalidConfigError,
  InvalidManifestError,
  type PluginManifest,
  type ValidationIssue,
} from "@incusx/sdk";
import type { BundleManifest } from "@incusx/sdk/host";
import { validateBundleDocument, validatePluginManifestDocument } from "./generated/document-validators.js";

/**
 * A validator precompiled by ajv (scripts/gen-validators.mjs): a host start
 * neither loads ajv's compiler nor compiles a schema.
 */
export interface PrecompiledValidator {
  (value: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const documents = {
  "plugin-manifest": validatePluginManifestDocument as PrecompiledValidator,
  bundle: validateBundleDocument as PrecompiledValidator,
};

function validator(name: keyof typeof documents): PrecompiledValidator {
  return documents[name];
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

/** One line per issue: `where: path: message`. */
export function formatIssues(where: string, issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${where}: ${issue.path}: ${issue.message}`).join("\n");
}

/** ajv errors as issues, with `pointer` prefixed to every path. */
export function toIssues(errors: ErrorObject[] | null | undefined, pointer: string): ValidationIssue[] {
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
