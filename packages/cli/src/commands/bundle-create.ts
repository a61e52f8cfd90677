import { resolve } from "node:path";
import { BundleError, BundleErrorCode, createBundle, readPluginPackage, type PluginPackage } from "@incusx/bundle";
import type { BundleManifest } from "@incusx/sdk/host";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_OK, UsageError } from "../errors.js";
import { findInstalledPlugins } from "../installed-plugins.js";
import type { CliIo } from "../io.js";
import { formatTable } from "../table.js";
import { findModule } from "./plugins-list.js";
import { commandProgress } from "./progress.js";

/** What `incusx bundle create --json` prints. */
export interface CreatedBundleSummary {
  /** Absolute bundle directory. */
  readonly dir: string;
  /** Bundle name and version. */
  readonly name: string;
  readonly version: string;
  /** Plugin API version the bundle is for. */
  readonly apiVersion: string;
  /** Each plugin: id, version, package, path in the bundle and digest. */
  readonly plugins: readonly { id: string; version: string; package: string; path: string; sha256: string }[];
  /** Number of files in the bundle, bundle.json not counted. */
  readonly files: number;
}

/**
 * `incusx bundle create`: resolves plugin packages and the plugins they
 * require, and writes a bundle directory with bundle.json.
 */
export const bundleCreate: Command = {
  name: "incusx bundle create",
  summary: "Assemble plugins and their dependencies into a verifiable bundle directory",
  description: [
    "Writes a bundle to --out: each PLUGIN package (a package name, found in",
    "node_modules from the working directory upwards, or a package directory),",
    "every plugin they require (found among the installed plugin packages), their",
    "runtime dependencies under node_modules/ (never @incusx/sdk: plugins share the",
    "host's copy), and bundle.json listing each plugin's id, version, entry,",
    "manifest and digest and the SHA-256 of every file.",
    "",
    "Plugins must be built and speak the SDK's plugin API version, and each",
    "plugin's package name and entry file must be plain relative paths (no %, #,",
    "?, backslash, NUL or ..); no plugin code runs. On a terminal, progress is",
    "shown on stderr (not with --json).",
    "",
    "Exit status: 0 written; 1 refused, with `incusx: error[CODE]: message` on",
    "stderr; 2 for a wrong command line.",
  ].join("\n"),
  options: {
    out: { type: "string", valueName: "DIR", description: "Bundle directory to write (must not exist or be empty)" },
    name: { type: "string", valueName: "NAME", description: 'Bundle name (default "incusx")' },
    version: { type: "string", valueName: "VERSION", description: 'Bundle version, semver (default "0.0.0")' },
    description: { type: "string", valueName: "TEXT", description: "What the bundle is for" },
    json: { type: "boolean", description: "Print {dir, name, version, apiVersion, plugins, files} as JSON" },
  },
  positionals: { name: "PLUGIN...", description: "Plugin package name, or path of a plugin package directory" },
  run: createCommand,
};

async function createCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const out = args.values.out as string | undefined;
  if (out === undefined) throw new UsageError('Missing "--out DIR"', bundleCreate.name);
  if (args.positionals.length === 0) throw new UsageError("Name at least one PLUGIN", bundleCreate.name);
  const dir = resolve(io.cwd, out);
  const progress = commandProgress(io, args);
  let manifest: BundleManifest;
  try {
    progress.step(`Reading ${args.positionals.length} plugin package(s) and their requirements`);
    const packages = await withRequirements(
      await Promise.all(args.positionals.map((module) => readPluginPackage(findModule(module, io.cwd)))),
      io.cwd,
    );
    progress.step(`Copying ${packages.length} plugin(s) and their dependencies to ${dir}, hashing every file`);
    manifest = await createBundle({
      out: dir,
      plugins: packages.map((pkg) => pkg.dir),
      name: (args.values.name as string | undefined) ?? "incusx",
      version: (args.values.version as string | undefined) ?? "0.0.0",
      ...(args.values.description === undefined ? {} : { description: args.values.description as string }),
    });
  } finally {
    progress.done();
  }
  const summary = summarize(dir, manifest);
  if (args.values.json) {
    io.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  } else {
    const rows = summary.plugins.map((p) => [p.id, p.version, p.package, p.sha256.slice(0, 16)]);
    io.stdout.write(formatTable(["ID", "VERSION", "PACKAGE", "SHA256"], rows));
    io.stdout.write(`\nWrote bundle "${summary.name}" ${summary.version} to ${dir}: ${rows.length} plugins, ${summary.files} files (API ${summary.apiVersion}).\n`);
  }
  return EXIT_OK;
}

/** `chosen` plus every plugin they require, transitively, found among the installed plugin packages. */
async function withRequirements(chosen: PluginPackage[], cwd: string): Promise<PluginPackage[]> {
  const byId = new Map(chosen.map((pkg) => [pkg.manifest.id, pkg]));
  let installed: Map<string, string> | undefined;
  for (let i = 0; i < chosen.length; i++) {
    const pkg = chosen[i]!;
    for (const id of pkg.manifest.requires ?? []) {
      if (byId.has(id)) continue;
      installed ??= await installedById([cwd, ...chosen.map((p) => p.dir)]);
      const dir = installed.get(id);
      if (dir === undefined) {
        throw new BundleError([
          {
            code: BundleErrorCode.CreateFailed,
            file: pkg.dir,
            message: `Plugin "${pkg.manifest.id}" requires "${id}", and no installed plugin package has that id`,
          },
        ]);
      }
      const required = await readPluginPackage(dir);
      byId.set(id, required);
      chosen.push(required);
    }
  }
  return chosen;
}

async function installedById(from: readonly string[]): Promise<Map<string, string>> {
  const byId = new Map<string, string>();
  for (const dir of from) {
    for (const packageDir of await findInstalledPlugins(dir)) {
      try {
        const pkg = await readPluginPackage(packageDir);
        if (!byId.has(pkg.manifest.id)) byId.set(pkg.manifest.id, packageDir);
      } catch {
        // An invalid plugin package cannot satisfy a requirement.
      }
    }
  }
  return byId;
}

function summarize(dir: string, manifest: BundleManifest): CreatedBundleSummary {
  return {
    dir,
    name: manifest.name,
    version: manifest.version,
    apiVersion: manifest.apiVersion,
    plugins: manifest.plugins.map((p) => ({ id: p.id, version: p.version, package: p.package, path: p.path, sha256: p.sha256! })),
    files: Object.keys(manifest.files ?? {}).length,
  };
}
