#!/usr/bin/env node
// Runs the whole vitest suite and ends with the plain total line
// "N passed, N failed[, N skipped]" that CI records.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "incusx-vitest-"));
const report = join(dir, "report.json");
const run = spawnSync(
  "pnpm",
  ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: "inherit" },
);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const json = JSON.parse(readFileSync(report, "utf8"));
  passed = json.numPassedTests;
  failed = json.numFailedTests + countFilesThatFailedToRun(json);
  skipped = json.numPendingTests + json.numTodoTests;
} catch (error) {
  console.error(`Could not read the vitest report: ${error.message}`);
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
const status = run.status ?? 1;
if (status !== 0 && failed === 0) failed = 1;
const summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
// Kept for .ci/run, which repeats it after make's own error line.
mkdirSync("node_modules", { recursive: true });
writeFileSync("node_modules/.incusx-test-summary", summary + "\n");
console.log(summary);
process.exit(status === 0 && failed === 0 ? 0 : 1);

// A file that fails to load (no test of it failed, yet it failed) counts as
// one failure; a file whose tests failed is already counted through them.
// (vitest's numFailedTestSuites also counts describe blocks, so it is not used.)
function countFilesThatFailedToRun(json) {
  return json.testResults.filter(
    (file) => file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed"),
  ).length;
}
