#!/usr/bin/env node
// How much does each plugin add to host startup?
//
// Generates PLUGINS plugin packages (default 100) in a temporary directory,
// each a package.json with an `incusx` manifest and an ESM index.js that uses
// definePlugin from the built @incusx/sdk to contribute a NicValidator. Then
// times, interleaved in the same run so machine noise hits all alike:
//   (a) node           `node -e ""`: the floor of any node process
//   (b) host, 0        a script starting and stopping a Host with no plugins
//   (c) host, PLUGINS  the same script with every generated plugin
//   (d) import, 0      a script importing @incusx/sdk, no host
//   (e) import, N      the same script also importing every plugin module,
//                      no host: what Node's module loader alone costs
// and reports medians and the per-plugin cost (c - b) / PLUGINS and
// (c - a) / PLUGINS against the target of 1 ms per plugin, and splits the
// first into Node's loading of the plugin module, (e - d) / PLUGINS, and
// the host's own work, the rest.
//
// Usage: node test/bench/host-startup.bench.mjs   (needs `pnpm build`)
// Env:   BENCH_RUNS (default 15)  BENCH_PLUGINS (default 100)
//        BENCH_ENFORCE=1 exits 1 when the target is missed.
// The last line printed is a JSON summary for CI.

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CPU_REPORT, medianOf, pluginModule, pluginPackageJson, timeInterleaved, timeNodeRun } from "./host-startup-support.mjs";

const RUNS = positiveInt("BENCH_RUNS", 15);
const PLUGINS = positiveInt("BENCH_PLUGINS", 100);
const WARMUP = 2;
const TARGET_MS_PER_PLUGIN = 1;

// The workspace packages as test/package.json links them.
const require = createRequire(import.meta.url);
const sdkDir = dirname(require.resolve("@incusx/sdk/package.json"));
const hostDir = dirname(require.resolve("@incusx/host/package.json"));
for (const dir of [sdkDir, hostDir]) {
  if (!existsSync(join(dir, "dist", "index.js"))) {
    console.error(`${join(dir, "dist", "index.js")} is missing: run "pnpm build" first.`);
    process.exit(1);
  }
}

const work = await mkdtemp(join(tmpdir(), "incusx-bench-"));
// Ctrl-C must not leave a hundred packages in /tmp.
const onSignal = (signal) => {
  rm(work, { recursive: true, force: true }).finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
};
process.once("SIGINT", onSignal);
process.once("SIGTERM", onSignal);

let exitCode = 0;
let cpuReportFile;
try {
  const { emptyConfig, fullConfig, runner, importer } = await generate(work);
  cpuReportFile = join(work, "cpu-report.cjs");
  await writeFile(cpuReportFile, CPU_REPORT);
  const cases = [
    { name: "node", label: 'node -e ""', args: ["-e", ""] },
    { name: "host0", label: "host, 0 plugins", args: [runner, emptyConfig] },
    { name: "hostN", label: `host, ${PLUGINS} plugins`, args: [runner, fullConfig] },
    { name: "import0", label: "import sdk only", args: [importer, emptyConfig] },
    { name: "importN", label: `import ${PLUGINS} plugins`, args: [importer, fullConfig] },
  ];

  // One checked run of each first: a broken setup should fail loudly, not be timed.
  for (const c of cases) timeOnce(c, true);

  const { wall: samples, cpu: cpuSamples } = timeInterleaved(cases, { runs: RUNS, warmup: WARMUP, time: (c) => timeOnce(c, false) });

  const median = Object.fromEntries(cases.map((c) => [c.name, round(medianOf(samples[c.name]))]));
  const cpu = Object.fromEntries(cases.map((c) => [c.name, round(medianOf(cpuSamples[c.name]))]));
  const cpuPerPluginVsHost = round((cpu.hostN - cpu.host0) / PLUGINS);
  const cpuPerPluginVsNode = round((cpu.hostN - cpu.node) / PLUGINS);
  const perPluginVsHost = round((median.hostN - median.host0) / PLUGINS);
  const perPluginVsNode = round((median.hostN - median.node) / PLUGINS);
  const perPluginImport = round((median.importN - median.import0) / PLUGINS);
  const perPluginHostOwn = round(perPluginVsHost - perPluginImport);
  const ok = perPluginVsHost <= TARGET_MS_PER_PLUGIN;

  console.log("");
  console.log("Median wall time of a whole process (start to exit):");
  for (const c of cases) {
    const s = samples[c.name];
    console.log(`  ${c.label.padEnd(20)} ${fmt(median[c.name])} ms   (min ${fmt(Math.min(...s))}, max ${fmt(Math.max(...s))})`);
  }
  console.log("");
  console.log(`Per plugin, beyond a host with no plugins: ${fmt(perPluginVsHost)} ms   ((${fmt(median.hostN)} - ${fmt(median.host0)}) / ${PLUGINS})`);
  console.log(`Per plugin, beyond a bare node process:   ${fmt(perPluginVsNode)} ms   ((${fmt(median.hostN)} - ${fmt(median.node)}) / ${PLUGINS}; includes loading the host itself)`);
  console.log(`  of which Node loading the plugin module:  ${fmt(perPluginImport)} ms   ((${fmt(median.importN)} - ${fmt(median.import0)}) / ${PLUGINS}, no host)`);
  console.log(`  of which the host's own work:            ${fmt(perPluginHostOwn)} ms`);
  console.log("");
  console.log("Median CPU time (user + system) of a whole process, less disturbed by other load:");
  for (const c of cases) console.log(`  ${c.label.padEnd(20)} ${fmt(cpu[c.name])} ms`);
  console.log(`Per plugin, beyond a host with no plugins: ${fmt(cpuPerPluginVsHost)} ms CPU`);
  console.log(`Per plugin, beyond a bare node process:   ${fmt(cpuPerPluginVsNode)} ms CPU`);
  console.log(`Target: <= ${TARGET_MS_PER_PLUGIN} ms per plugin beyond an empty host: ${ok ? "met" : "MISSED"}`);
  console.log(
    JSON.stringify({
      bench: "host-startup",
      node: process.version,
      plugins: PLUGINS,
      runs: RUNS,
      medianMs: {
        node: median.node,
        host0: median.host0,
        [`host${PLUGINS}`]: median.hostN,
        import0: median.import0,
        [`import${PLUGINS}`]: median.importN,
      },
      perPluginMs: {
        vsEmptyHost: perPluginVsHost,
        vsNode: perPluginVsNode,
        nodeModuleLoading: perPluginImport,
        hostOwn: perPluginHostOwn,
      },
      cpuMedianMs: cpu,
      cpuPerPluginMs: { vsEmptyHost: cpuPerPluginVsHost, vsNode: cpuPerPluginVsNode },
      targetMsPerPlugin: TARGET_MS_PER_PLUGIN,
      ok,
    }),
  );
  if (!ok && process.env.BENCH_ENFORCE === "1") exitCode = 1;
} catch (error) {
  console.error(`Benchmark failed: ${error.message}`);
  exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
}
process.exit(exitCode);

// Writes the plugin packages, two host configs and the runner script.
async function generate(dir) {
  // The generated packages import @incusx/sdk and the runner @incusx/host as
  // any installed plugin would: through node_modules.
  await mkdir(join(dir, "node_modules", "@incusx"), { recursive: true });
  await symlink(sdkDir, join(dir, "node_modules", "@incusx", "sdk"), "dir");
  await symlink(hostDir, join(dir, "node_modules", "@incusx", "host"), "dir");

  const modules = [];
  for (let i = 0; i < PLUGINS; i++) {
    const name = `plugin-${String(i).padStart(3, "0")}`;
    const id = `bench.${name}`;
    const pkgDir = join(dir, "plugins", name);
    await mkdir(pkgDir, { recursive: true });
    await writeFile(join(pkgDir, "package.json"), JSON.stringify(pluginPackageJson(name, id), null, 2));
    await writeFile(join(pkgDir, "index.js"), pluginModule(id, i));
    modules.push(`./plugins/${name}`);
  }

  const emptyConfig = join(dir, "host-0.json");
  const fullConfig = join(dir, `host-${PLUGINS}.json`);
  await writeFile(emptyConfig, JSON.stringify({ stateDir: "./state", plugins: [] }));
  await writeFile(fullConfig, JSON.stringify({ stateDir: "./state", plugins: modules.map((module) => ({ module })) }));

  const runner = join(dir, "start-host.mjs");
  await writeFile(
    runner,
    `import { Host, loadHostConfig } from "@incusx/host";
const options = await loadHostConfig(process.argv[2]);
const host = new Host({ ...options, services: { logSink: () => {} } });
const report = await host.start();
await host.stop();
if (!report.ok || report.plugins.length !== options.plugins.length) {
  console.error(JSON.stringify(report.plugins.filter((p) => p.state !== "started").slice(0, 3)));
  process.exit(1);
}
`,
  );
  // The same plugin modules, imported without a host: Node's own cost.
  const importer = join(dir, "import-plugins.mjs");
  await writeFile(
    importer,
    `import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
await import("@incusx/sdk");
const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const base = dirname(process.argv[2]);
await Promise.all(config.plugins.map((p) => import(pathToFileURL(join(base, p.module, "index.js")).href)));
`,
  );
  return { emptyConfig, fullConfig, runner, importer };
}

function timeOnce(c, check) {
  const t = timeNodeRun(c, { cwd: work, cpuFile: cpuReportFile });
  if (check) console.log(`Checked: ${c.label} runs cleanly (${fmt(t.ms)} ms)`);
  return t;
}

function positiveInt(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be a positive whole number, got "${text}"`);
    process.exit(2);
  }
  return value;
}

function round(ms) {
  return Math.round(ms * 1000) / 1000;
}

function fmt(ms) {
  return ms.toFixed(ms < 10 ? 3 : 1);
}
