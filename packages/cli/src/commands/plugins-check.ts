import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Host, jsonLinesSink, loadHostConfig, type HostOptions, type PluginReport, type PluginState, type StartupReport } from "@incusx/host";
import type { Command, ParsedArgs } from "../command.js";
import { EXIT_FAILURE, EXIT_OK, writeError } from "../errors.js";
import { findInstalledPlugins } from "../installed-plugins.js";
import type { CliIo } from "../io.js";
import { formatTable } from "../table.js";

/**
 * `incusx plugins check`: starts a host with the configured plugins, prints
 * its startup report, stops it again. Exits 1 when a plugin failed to load,
 * register, start or stop. Plugin logs go to stderr as JSON lines, so
 * stdout holds only the report.
 */
export const pluginsCheck: Command = {
  name: "incusx plugins check",
  summary: "Start a host with the configured plugins, print its startup report, stop it",
  description: [
    "Starts a host with the plugins of --config (or, without it, every installed",
    "plugin package with an empty config), prints the startup report and stops",
    "the host again. Exits 1 if any plugin failed to load, register, start or stop.",
    "",
    "Plugin logs go to stderr as JSON lines; stdout holds only the report. When",
    "the config sets no stateDir, plugins keep state in a temporary directory",
    "removed afterwards.",
    "",
    "Exit status: 0 every plugin started and stopped; 1 a plugin failed, or the",
    "config or bundle was refused, with `incusx: error[CODE]: message` on stderr",
    "(the report names each plugin's error code); 2 for a wrong command line.",
  ].join("\n"),
  options: {
    config: { type: "string", valueName: "FILE", description: "Host config file naming the plugins to start" },
    bundle: { type: "string", valueName: "DIR", description: "Also start the plugins of this bundle, verified first (without --config: only them)" },
    json: { type: "boolean", description: "Print the startup report as JSON" },
  },
  run: checkPlugins,
};

async function checkPlugins(args: ParsedArgs, io: CliIo): Promise<number> {
  const config = args.values.config as string | undefined;
  const bundle = args.values.bundle as string | undefined;
  const loaded: HostOptions =
    config !== undefined
      ? await loadHostConfig(resolve(io.cwd, config))
      : bundle !== undefined
        ? { baseDir: io.cwd, plugins: [] }
        : { baseDir: io.cwd, plugins: (await findInstalledPlugins(io.cwd)).map((module) => ({ module })) };
  const options: HostOptions = bundle === undefined ? loaded : { ...loaded, bundle: resolve(io.cwd, bundle) };
  const scratch = options.stateDir === undefined ? await mkdtemp(join(tmpdir(), "incusx-check-")) : undefined;
  try {
    const host = new Host({
      ...options,
      ...(scratch === undefined ? {} : { stateDir: scratch }),
      services: { ...options.services, logSink: jsonLinesSink(io.stderr) },
    });
    const report = await host.start();
    const stopped = await host.stop();
    io.stdout.write(args.values.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report));
    for (const plugin of stopped.plugins) {
      if (plugin.error) writeError(io.stderr, plugin.error.code, plugin.error.message);
    }
    return report.ok && stopped.ok ? EXIT_OK : EXIT_FAILURE;
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

const STATES: readonly PluginState[] = ["started", "failed", "stopped", "skipped"];

/** The startup report as a table and a one-line summary. */
export function formatReport(report: StartupReport): string {
  if (report.plugins.length === 0) return `No plugins to start (startup took ${report.durationMs} ms).\n`;
  const rows = report.plugins.map((p) => [p.id, p.version, p.state, p.durationMs.toFixed(1), errorText(p)]);
  const summary = STATES.map((state) => [state, report.plugins.filter((p) => p.state === state).length] as const)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(", ");
  const total = report.plugins.length;
  return (
    formatTable(["ID", "VERSION", "STATE", "TIME (ms)", "ERROR"], rows) +
    `\n${total} plugin${total === 1 ? "" : "s"}: ${summary}${report.aborted ? " (startup aborted)" : ""}; startup took ${report.durationMs.toFixed(1)} ms\n`
  );
}

// Multi-line messages (schema issues) on one row, so the table stays a table.
function errorText(plugin: PluginReport): string {
  return plugin.error ? `${plugin.error.code}: ${plugin.error.message.replace(/\n/g, "; ")}` : "";
}
