import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { InvalidConfigError } from "@incusx/sdk";
import type { HostConfig, HostStateSource } from "@incusx/sdk/host";
import type { HostOptions, HostStateSourceOptions } from "./options.js";
import { validateHostConfig } from "./schema-validation.js";

/**
 * Reads and validates a host config file (schemas/host-config.schema.json)
 * and turns it into {@link HostOptions}. Relative paths (`stateDir`, plugin
 * paths) are resolved from the file's directory.
 *
 * @example
 * const host = new Host(await loadHostConfig("/etc/incusx/host.json"));
 */
export async function loadHostConfig(file: string): Promise<HostOptions> {
  return (await readHostConfig(file)).options;
}

/**
 * {@link loadHostConfig} that also returns the validated config itself,
 * for the settings a host process reads beyond {@link HostOptions} (the
 * daemon's `daemon.metricsListen`).
 *
 * @example
 * const { config, options } = await readHostConfig("/etc/incusx/host.json");
 */
export async function readHostConfig(file: string): Promise<{ readonly config: HostConfig; readonly options: HostOptions }> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InvalidConfigError(`${path}: cannot read: ${(error as Error).message}`, [], { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidConfigError(`${path}: not valid JSON: ${(error as Error).message}`, [], { cause: error });
  }
  const config = validateHostConfig(value, path);
  return { config, options: { ...hostOptionsFromConfig(config, dirname(path)), configFile: path } };
}

/** {@link HostOptions} for a validated host config whose paths are relative to `baseDir`. */
export function hostOptionsFromConfig(config: HostConfig, baseDir: string): HostOptions {
  return {
    baseDir,
    ...(config.member === undefined ? {} : { member: config.member }),
    ...(config.stateDir === undefined ? {} : { stateDir: resolve(baseDir, config.stateDir) }),
    ...(config.defaults === undefined ? {} : { defaults: config.defaults }),
    ...(config.bundle === undefined ? {} : { bundle: resolve(baseDir, config.bundle) }),
    ...(config.state === undefined ? {} : { state: stateSourceOptions(config.state, baseDir) }),
    plugins: (config.plugins ?? []).map((entry) => ({ ...entry })),
  };
}

// The config's state source with its paths made absolute.
function stateSourceOptions(source: HostStateSource, baseDir: string): HostStateSourceOptions {
  if (source.type === "file") return { type: "file", file: resolve(baseDir, source.file) };
  const paths = Object.fromEntries(
    (["socket", "clientCert", "clientKey", "serverCert"] as const).flatMap((k) => (source[k] === undefined ? [] : [[k, resolve(baseDir, source[k]!)]])),
  );
  return { type: "incus", ...(source.url === undefined ? {} : { url: source.url }), ...paths };
}
