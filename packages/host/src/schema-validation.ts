import { formatIssues, toIssues, type PrecompiledValidator } from "@incusx/bundle";
import { InvalidConfigError } from "@incusx/sdk";
import type { HostConfig } from "@incusx/sdk/host";
import { validateHostConfigDocument } from "./generated/document-validators.js";

const validateDocument = validateHostConfigDocument as PrecompiledValidator;

/**
 * Checks a host config document against `schemas/host-config.schema.json`.
 * Throws {@link InvalidConfigError} listing every problem.
 *
 * @example
 * const config = validateHostConfig(JSON.parse(text), "/etc/incusx/host.json");
 */
export function validateHostConfig(value: unknown, file: string): HostConfig {
  if (validateDocument(value)) return value as HostConfig;
  const issues = toIssues(validateDocument.errors, "");
  throw new InvalidConfigError(formatIssues(file, issues), issues);
}
