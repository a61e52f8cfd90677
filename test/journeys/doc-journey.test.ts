// The journey runner itself: a block that hangs is named, with its output
// so far, and ended with every process it started; a background job a
// block leaves behind does not outlive it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeRun, runJourney, type JourneyBlock } from "./doc-journey.js";

const work = mkdtempSync(join(tmpdir(), "incusx-doc-journey-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A marker no other process carries, so the check below sees only this test's sleepers.
const marker = (name: string) => `${process.pid}${name.length}${Date.now() % 100_000}`;
const block = (script: string, exits = 0): JourneyBlock => ({ doc: "guide.md", line: 7, script, exits });
// `sleep` with a unique duration, found again by its command line.
const alive = (seconds: string) => spawnSync("pgrep", ["-f", `^sleep ${seconds}$`]).status === 0;

describe("runJourney", () => {
  it("kills a block over its time limit with every process it started, and says which block and what it printed", async () => {
    const seconds = marker("hang");
    const script = `echo before\necho on-stderr >&2\nsleep ${seconds} &\ntimeout ${seconds} sleep ${seconds}1 &\nwait`;
    const runs = await runJourney([block(script), block("echo never")], work, work, {}, { blockTimeoutMs: 1_000 });
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run).toMatchObject({ status: null, stdout: "before\n", stderr: "on-stderr\n", timedOutAfterMs: 1_000 });
    expect(run!.leftover).toContain(`sleep ${seconds}`);
    expect(describeRun(run!)).toMatch(/^guide\.md:7: timed out after 1000 ms and was killed with every process it started, the guide says it exits 0\n/);
    expect(describeRun(run!)).toContain(`--- processes still running (killed)`);
    // GNU timeout puts itself in a process group of its own: it is killed all the same.
    expect(alive(seconds)).toBe(false);
    expect(alive(`${seconds}1`)).toBe(false);
  });

  it("kills a background job a block leaves behind and names it", async () => {
    const seconds = marker("leftover");
    const [run] = await runJourney([block(`sleep ${seconds} &\necho done`)], work, work);
    expect(run).toMatchObject({ status: 0, stdout: "done\n" });
    expect(run!.leftover).toContain(`sleep ${seconds}`);
    expect(alive(seconds)).toBe(false);
  });

  it("shares no time limit beyond the journey's total", async () => {
    const runs = await runJourney([block("true"), block("sleep 5")], work, work, {}, { totalTimeoutMs: 1_500 });
    expect(runs.map((r) => r.status)).toEqual([0, null]);
    expect(runs[1]!.timedOutAfterMs).toBeLessThanOrEqual(1_500);
  });
});
