import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { findPluginPackage, readBundle, readPluginPackage, type PluginPackage } from "@incusx/bundle";
import { loadHostConfig } from "@incusx/host";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, UsageError, reportError } from "../errors.js";
import { findInstalledPlugins } from "../installed-plugins.js";
import type { CliIo } from "../io.js";
import { formatTable } from "../table.js";

/** One plugin as `incusx plugins list --json` prints it. */
export interface ListedPlugin {
  /** Plugin id from the manifest. */
  readonly id: string;
  /** Package version. */
  readonly version: string;
  /** API versions the plugin speaks. */
  readonly apiVersions: readonly string[];
  /** Extension points it contributes to; empty when none. */
  readonly provides: readonly string[];
}

/**
 * `incusx plugins list`: lists plugins from their manifests alone, without
 * importing them, so a broken plugin cannot break the listing. A plugin
 * whose package or manifest cannot be read is reported on stderr and makes
 * the command exit 1; the others are still listed.
 */
export const pluginsList: Command = {
  name: "incusx plugins list",
  summary: "List plugins from their manifests, without running plugin code",
  description: [
    "Lists plugins from the \"incusx\" manifest in their package.json, without",
    "running any plugin code. Lists the MODULE arguments if given, else the",
    "plugins of --config, else every installed plugin package found in",
    "node_modules from the working directory upwards. With --bundle, the plugins",
    "its bundle.json lists, from the manifest copies there (nothing is verified).",
    "",
    "A plugin whose manifest is invalid is reported on stderr and the command",
    "exits 1; the valid ones are still listed.",
    "",
    "Exit status: 0 listed; 1 a plugin's package or manifest could not be read",
    "(the valid ones are still listed), with `incusx: error[CODE]: message` on",
    "stderr; 2 for a wrong command line.",
  ].join("\n"),
  options: {
    config: { type: "string", valueName: "FILE", description: "List the plugins of this host config file" },
    bundle: { type: "string", valueName: "DIR", description: "List the plugins of this bundle, from its bundle.json alone" },
    json: { type: "boolean", description: "Print a JSON array of {id, version, apiVersions, provides}" },
  },
  positionals: { name: "MODULE...", description: "Plugin package name, or path of a plugin package directory" },
  run: listPlugins,
};

async function listPlugins(args: ParsedArgs, io: CliIo): Promise<number> {
  const config = args.values.config as string | undefined;
  if (config !== undefined && args.positionals.length > 0) {
    throw new UsageError("Give either MODULE arguments or --config, not both", pluginsList.name);
  }
  if (args.values.bundle !== undefined) return listBundle(args, io);
  let failed = false;
  const listed: ListedPlugin[] = [];
  const packages: PluginPackage[] = [];
  for (const find of await pluginLocations(args.positionals, config, io.cwd)) {
    try {
      const pkg = await readPluginPackage(find());
      packages.push(pkg);
      listed.push(describe(pkg));
    } catch (error) {
      reportError(io.stderr, error);
      failed = true;
    }
  }

  if (args.values.json) {
    io.stdout.write(JSON.stringify(listed, null, 2) + "\n");
  } else if (listed.length === 0) {
    io.stdout.write("No plugins found.\n");
  } else {
    const rows = packages.map((pkg, i) => {
      const p = listed[i]!;
      return [p.id, p.version, p.apiVersions.join(","), p.provides.join(",") || "-", pkg.packageName];
    });
    io.stdout.write(formatTable(["ID", "VERSION", "API", "PROVIDES", "PACKAGE"], rows));
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}

// A bundle's plugins, as its bundle.json lists them (no package is read).
function listBundle(args: ParsedArgs, io: CliIo): number {
  if (args.values.config !== undefined || args.positionals.length > 0) {
    throw new UsageError("Give --bundle alone, without MODULE arguments or --config", pluginsList.name);
  }
  const bundle = readBundle(args.values.bundle as string, io.cwd);
  const listed = bundle.manifest.plugins.map((p): ListedPlugin & { package: string } => {
    const manifest = (p.manifest ?? {}) as { apiVersions?: string[]; provides?: string[] };
    return { id: p.id, version: p.version, apiVersions: [...(manifest.apiVersions ?? [])], provides: [...(manifest.provides ?? [])], package: p.package };
  });
  if (args.values.json) {
    io.stdout.write(JSON.stringify(listed.map(({ package: _, ...plugin }) => plugin), null, 2) + "\n");
  } else {
    const rows = listed.map((p) => [p.id, p.version, p.apiVersions.join(","), p.provides.join(",") || "-", p.package]);
    io.stdout.write(rows.length === 0 ? "No plugins found.\n" : formatTable(["ID", "VERSION", "API", "PROVIDES", "PACKAGE"], rows));
  }
  return EXIT_OK;
}

// One lookup per plugin, run later so a plugin that cannot be found is
// reported like an invalid one, without hiding the others.
async function pluginLocations(modules: readonly string[], config: string | undefined, cwd: string): Promise<(() => string)[]> {
  if (modules.length > 0) return modules.map((module) => () => findModule(module, cwd));
  if (config !== undefined) {
    const options = await loadHostConfig(resolve(cwd, config));
    const baseDir = options.baseDir ?? cwd;
    return options.plugins.flatMap((source) => ("module" in source ? [() => findPluginPackage(source.module, baseDir)] : []));
  }
  return (await findInstalledPlugins(cwd)).map((dir) => () => dir);
}

/**
 * The directory of plugin `module` named on a command line. Package names
 * win, as in Node; a bare relative path (`plugins/dns`) that is no package
 * name still works, since on a command line it means the folder.
 */
export function findModule(module: string, cwd: string): string {
  try {
    return findPluginPackage(module, cwd);
  } catch (error) {
    if (existsSync(join(cwd, module, "package.json"))) return resolve(cwd, module);
    throw error;
  }
}

function describe(pkg: PluginPackage): ListedPlugin {
  return {
    id: pkg.manifest.id,
    version: pkg.version,
    apiVersions: [...pkg.manifest.apiVersions],
    provides: [...(pkg.manifest.provides ?? [])],
  };
}
