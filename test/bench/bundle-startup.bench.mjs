#!/usr/bin/env node
// Does starting a host from a bundle cost more or less than from installed
// packages?
//
// Generates PLUGINS plugin packages (default 100, as host-startup.bench.mjs
// makes them), builds a bundle of them with createBundle, and times whole
// processes, interleaved in the same run so machine noise hits all alike:
//   (a) packages      a Host from a config naming every package (each package.json read)
//   (b) bundle        a Host from the bundle: every file's SHA-256 checked, manifests from bundle.json
//   (c) bundle, trust the same with verifyBundle: false (manifests from bundle.json, no hashing)
// and reports medians and the ratios b/a and c/a (wall and CPU time).
//
// Usage: node test/bench/bundle-startup.bench.mjs   (needs `pnpm build`)
// Env:   BENCH_RUNS (default 15)  BENCH_PLUGINS (default 100)
// The last line printed is a JSON summary.

import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { CPU_REPORT, medianOf, pluginModule, pluginPackageJson, timeInterleaved, timeNodeRun } from "./host-startup-support.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PLUGINS = Number(process.env.BENCH_PLUGINS ?? 100);
const WARMUP = 2;

const require = createRequire(import.meta.url);
const sdkDir = dirname(require.resolve("@incusx/sdk/package.json"));
const hostDir = dirname(require.resolve("@incusx/host/package.json"));
const bundleDir = dirname(require.resolve("@incusx/bundle/package.json"));
const { createBundle } = await import(pathToFileURL(join(bundleDir, "dist", "index.js")).href);

const work = await mkdtemp(join(tmpdir(), "incusx-bundle-bench-"));
let exitCode = 0;
try {
  await mkdir(join(work, "node_modules", "@incusx"), { recursive: true });
  await symlink(sdkDir, join(work, "node_modules", "@incusx", "sdk"), "dir");
  await symlink(hostDir, join(work, "node_modules", "@incusx", "host"), "dir");
  const dirs = [];
  for (let i = 0; i < PLUGINS; i++) {
    const name = `plugin-${String(i).padStart(3, "0")}`;
    const dir = join(work, "plugins", name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "package.json"), JSON.stringify(pluginPackageJson(name, `bench.${name}`), null, 2));
    await writeFile(join(dir, "index.js"), pluginModule(`bench.${name}`, i));
    dirs.push(dir);
  }
  await createBundle({ out: join(work, "bundle"), plugins: dirs, name: "bench", version: "1.0.0" });
  const config = join(work, "host.json");
  await writeFile(config, JSON.stringify({ plugins: dirs.map((module) => ({ module })) }));
  const runner = join(work, "start-host.mjs");
  await writeFile(
    runner,
    `import { Host, loadHostConfig } from "@incusx/host";
const [mode, arg] = process.argv.slice(2);
const options = mode === "config" ? await loadHostConfig(arg) : { plugins: [], bundle: arg, verifyBundle: mode === "bundle" };
const host = new Host({ ...options, services: { logSink: () => {}, stateStore: () => ({}) } });
const report = await host.start();
await host.stop();
if (!report.ok || report.plugins.length !== ${PLUGINS}) { console.error(JSON.stringify(report.plugins.slice(0, 2))); process.exit(1); }
`,
  );
  const cpuFile = join(work, "cpu.cjs");
  await writeFile(cpuFile, CPU_REPORT);
  const cases = [
    { name: "packages", label: `packages, ${PLUGINS}`, args: [runner, "config", config] },
    { name: "bundle", label: `bundle, ${PLUGINS}`, args: [runner, "bundle", join(work, "bundle")] },
    { name: "trusted", label: `bundle (no hashing)`, args: [runner, "trusted", join(work, "bundle")] },
  ];
  const time = (c) => timeNodeRun(c, { cwd: work, cpuFile });
  for (const c of cases) time(c);
  const { wall, cpu } = timeInterleaved(cases, { runs: RUNS, warmup: WARMUP, time });
  const wallMs = Object.fromEntries(cases.map((c) => [c.name, round(medianOf(wall[c.name]))]));
  const cpuMs = Object.fromEntries(cases.map((c) => [c.name, round(medianOf(cpu[c.name]))]));
  console.log("\nMedian of a whole process (start to exit), wall and CPU:");
  for (const c of cases) console.log(`  ${c.label.padEnd(22)} ${wallMs[c.name].toFixed(1)} ms wall   ${cpuMs[c.name].toFixed(1)} ms CPU`);
  const ratio = (a, b) => round(a / b);
  const ratios = {
    bundleVsPackages: { wall: ratio(wallMs.bundle, wallMs.packages), cpu: ratio(cpuMs.bundle, cpuMs.packages) },
    trustedVsPackages: { wall: ratio(wallMs.trusted, wallMs.packages), cpu: ratio(cpuMs.trusted, cpuMs.packages) },
  };
  console.log(`Bundle (verified) / packages: ${ratios.bundleVsPackages.wall} wall, ${ratios.bundleVsPackages.cpu} CPU`);
  console.log(`Bundle (no hashing) / packages: ${ratios.trustedVsPackages.wall} wall, ${ratios.trustedVsPackages.cpu} CPU`);
  console.log(JSON.stringify({ bench: "bundle-startup", node: process.version, plugins: PLUGINS, runs: RUNS, wallMs, cpuMs, ratios }));
} catch (error) {
  console.error(`Benchmark failed: ${error.message}`);
  exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
}
process.exit(exitCode);

function round(x) {
  return Math.round(x * 1000) / 1000;
}
