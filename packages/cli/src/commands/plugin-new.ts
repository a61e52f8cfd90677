import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { API_VERSION } from "@incusx/sdk";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_OK, UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { pluginTemplateValues, renderTemplate, type TemplatePoint } from "./plugin-new-template.js";

/** What `incusx plugin new --json` prints. */
export interface NewPluginSummary {
  /** Absolute package directory written. */
  readonly dir: string;
  /** npm package name. */
  readonly packageName: string;
  /** Plugin id in the manifest. */
  readonly id: string;
  /** Extension point the skeleton contributes to. */
  readonly point: TemplatePoint;
  /** Files written, relative to `dir`. */
  readonly files: readonly string[];
}

const POINTS: readonly TemplatePoint[] = ["nic-validator", "dhcp-runner", "nat-backend"];
const TEMPLATES = fileURLToPath(new URL("../../templates/plugin/", import.meta.url));
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const PLUGIN_ID = /^[a-z0-9]+([._-][a-z0-9]+)*$/;

/** `incusx plugin new`: writes a plugin package skeleton for one extension point. */
export const pluginNew: Command = {
  name: "incusx plugin new",
  summary: "Scaffold a plugin package whose build and contract tests pass at once",
  description: [
    "Writes a plugin package NAME (an npm package name) to --dir (default: the",
    "name without its scope, in the working directory): package.json with the",
    '"incusx" manifest, tsconfig.json, src/ with a working implementation of the',
    "chosen extension point, a test running the testkit's contract suite for it,",
    "and a README. Then: npm install && npm run build && npm test.",
    "",
    "Exit status: 0 written; 1 the files could not be written; 2 for a wrong",
    "command line or a --dir that is not empty; errors as `incusx: error[CODE]:",
    "message` on stderr.",
  ].join("\n"),
  options: {
    dir: { type: "string", valueName: "DIR", description: "Directory to write (must not exist or be empty)" },
    point: { type: "string", valueName: "POINT", description: `Extension point: ${POINTS.join(", ")} (default nic-validator)` },
    id: { type: "string", valueName: "ID", description: "Plugin id (default: from NAME, \"@acme/incusx-plugin-foo\" -> \"acme.foo\")" },
    description: { type: "string", valueName: "TEXT", description: "One line saying what the plugin does" },
    json: { type: "boolean", description: "Print {dir, packageName, id, point, files} as JSON" },
  },
  positionals: { name: "NAME", description: "npm package name of the new plugin" },
  run: newPlugin,
};

async function newPlugin(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length !== 1) throw new UsageError("Give exactly one package NAME", pluginNew.name);
  const packageName = args.positionals[0]!;
  if (!PACKAGE_NAME.test(packageName)) throw new UsageError(`"${packageName}" is not an npm package name`, pluginNew.name);
  const point = (args.values.point as string | undefined) ?? "nic-validator";
  if (!POINTS.includes(point as TemplatePoint)) {
    throw new UsageError(`Unknown extension point "${point}" (one of ${POINTS.join(", ")})`, pluginNew.name);
  }
  const id = (args.values.id as string | undefined) ?? idFromName(packageName);
  if (!PLUGIN_ID.test(id)) throw new UsageError(`"${id}" is not a plugin id (lower-case words joined by ".", "-" or "_")`, pluginNew.name);
  const dir = resolve(io.cwd, (args.values.dir as string | undefined) ?? packageName.replace(/^@[^/]+\//, ""));
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new UsageError(`"${dir}" is not empty`, pluginNew.name);

  const values = pluginTemplateValues({
    packageName,
    id,
    point: point as TemplatePoint,
    description: (args.values.description as string | undefined) ?? `An incusx ${point} plugin.`,
    apiVersion: API_VERSION,
    sdkVersion: sdkVersion(),
    configSchema: readFileSync(join(TEMPLATES, point, "config-schema.json"), "utf8"),
  });
  const files: string[] = [];
  for (const [from, to] of [
    ...templateFiles(join(TEMPLATES, "common")),
    ...templateFiles(join(TEMPLATES, point)).filter(([f]) => f.endsWith(".tmpl")),
  ]) {
    const target = join(dir, renderTemplate(to, values).replace(/^gitignore$/, ".gitignore"));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, renderTemplate(readFileSync(from, "utf8"), values));
    files.push(relative(dir, target));
  }
  files.sort();
  const summary: NewPluginSummary = { dir, packageName, id, point: point as TemplatePoint, files };
  if (args.values.json) {
    io.stdout.write(JSON.stringify(summary, null, 2) + "\n");
  } else {
    io.stdout.write(`Wrote plugin "${id}" (${point}) to ${dir}:\n${files.map((f) => `  ${f}\n`).join("")}`);
    io.stdout.write(`\nNext: cd ${relative(io.cwd, dir) || "."} && npm install && npm run build && npm test\n`);
  }
  return EXIT_OK;
}

// [template file, target path relative to the package] for every file under `root`.
function templateFiles(root: string): [string, string][] {
  const found: [string, string][] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else found.push([path, relative(root, path).replace(/\.tmpl$/, "")]);
    }
  };
  visit(root);
  return found;
}

/** "@acme/incusx-plugin-foo" -> "acme.foo"; "incusx-plugin-foo" -> "foo". */
export function idFromName(name: string): string {
  const match = /^(?:@([^/]+)\/)?(.+)$/.exec(name)!;
  const base = match[2]!.replace(/^(?:incusx-)?plugin-/, "").replace(/[^a-z0-9._-]/g, "-");
  const scope = match[1]?.replace(/[^a-z0-9]/g, "");
  return scope ? `${scope}.${base}` : base;
}

// The version of the SDK this incusx runs with: the new plugin speaks it.
function sdkVersion(): string {
  const file = createRequire(import.meta.url).resolve("@incusx/sdk/package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}
