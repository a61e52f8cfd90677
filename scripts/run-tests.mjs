#!/usr/bin/env node
// Runs the whole vitest suite and ends with the plain total line
// "N passed, N failed[, N skipped]" that CI records.
//
// Load tests (a flood of 20,000 packets/s, a rogue server's renewal storm)
// run in a second pass, one file at a time, after everything else: they take
// a core for seconds, which would disturb the timing of tests running beside
// them, and they measure ratios that other tests' load would disturb too.
// With arguments (a filter), one pass runs exactly what was asked.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Files that load the machine; vitest globs, relative to the workspace root. */
const LOAD_TESTS = ["test/integration/dhcpv4-flood.test.ts", "test/integration/dhcpv4-renewal-storm.test.ts"];

const args = process.argv.slice(2);
const passes =
  args.length > 0
    ? [args]
    : [LOAD_TESTS.map((file) => `--exclude=${file}`), [...LOAD_TESTS, "--no-file-parallelism"]];

const dir = mkdtempSync(join(tmpdir(), "incusx-vitest-"));
let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const [i, passArgs] of passes.entries()) {
  const report = join(dir, `report-${i}.json`);
  const run = spawnSync(
    "pnpm",
    ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...passArgs],
    { stdio: "inherit" },
  );
  let passFailed = 0;
  try {
    const json = JSON.parse(readFileSync(report, "utf8"));
    passed += json.numPassedTests;
    passFailed = json.numFailedTests + countFilesThatFailedToRun(json);
    skipped += json.numPendingTests + json.numTodoTests;
  } catch (error) {
    console.error(`Could not read the vitest report: ${error.message}`);
    passFailed = 1;
  }
  const status = run.status ?? 1;
  if (status !== 0 && passFailed === 0) passFailed = 1;
  failed += passFailed;
  if (status !== 0 || passFailed > 0) ok = false;
}
rmSync(dir, { recursive: true, force: true });
const summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
// Kept for .ci/run, which repeats it after make's own error line.
mkdirSync("node_modules", { recursive: true });
writeFileSync("node_modules/.incusx-test-summary", summary + "\n");
console.log(summary);
process.exit(ok ? 0 : 1);

// A file that fails to load (no test of it failed, yet it failed) counts as
// one failure; a file whose tests failed is already counted through them.
// (vitest's numFailedTestSuites also counts describe blocks, so it is not used.)
function countFilesThatFailedToRun(json) {
  return json.testResults.filter(
    (file) => file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed"),
  ).length;
}
