// Runs the shell blocks a guide marks as part of a user journey, so the
// guide and the code cannot drift apart. A block is marked with an HTML
// comment right before its fence:
//
//   <!-- journey: packager -->            run; must exit 0
//   <!-- journey: packager, exits 1 -->   run; must exit 1
//
// Blocks run in order with bash (errexit, pipefail), each starting in the
// directory the previous one ended in, with `incusx` on PATH running the
// workspace's built CLI. Each block runs in a session of its own, so that a
// block that hangs (or leaves a background job behind) can be ended with
// every process it started, and the account of it names the block and
// shows its output so far and what was still running.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** One marked shell block of a guide. */
export interface JourneyBlock {
  /** Guide file, for messages. */
  readonly doc: string;
  /** Line of the marker in the guide. */
  readonly line: number;
  /** The shell commands. */
  readonly script: string;
  /** Exit status the block must end with. */
  readonly exits: number;
}

/** What running one block gave. */
export interface BlockRun {
  readonly block: JourneyBlock;
  /** Exit status of the block's shell; `null` when a signal ended it (as when it timed out). */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** How long the block ran, in milliseconds. */
  readonly ms: number;
  /** The time limit it was given, when it ran over it and was killed. */
  readonly timedOutAfterMs?: number;
  /** `ps` lines of the processes of the block still running when it ended or timed out (then killed). */
  readonly leftover?: string;
}

/** Limits of {@link runJourney}. */
export interface JourneyLimits {
  /** Longest a block may run; default 300 s. */
  readonly blockTimeoutMs?: number;
  /** Longest the whole journey may run (each block gets what is left, at most `blockTimeoutMs`); default no limit. */
  readonly totalTimeoutMs?: number;
}

const MARKER = /^<!-- journey: ([a-z-]+)(?:, exits (\d+))? -->\n```sh\n([\s\S]*?)\n```$/gm;

/** The blocks of `journey` in the guide `file`, in order. */
export function journeyBlocks(file: string, journey: string): JourneyBlock[] {
  const text = readFileSync(file, "utf8");
  const blocks: JourneyBlock[] = [];
  for (const match of text.matchAll(MARKER)) {
    if (match[1] !== journey) continue;
    const line = text.slice(0, match.index).split("\n").length;
    blocks.push({ doc: file, line, script: match[3]!, exits: Number(match[2] ?? 0) });
  }
  return blocks;
}

/** A directory holding an `incusx` executable that runs `cliBin` with this Node. */
export function incusxOnPath(dir: string, cliBin: string): string {
  mkdirSync(dir, { recursive: true });
  const wrapper = join(dir, "incusx");
  writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${cliBin}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  return dir;
}

/**
 * Runs `blocks` in order starting in `cwd`; stops at the first block whose
 * exit status is not the one it is marked with (a block over its time
 * limit is killed and counts as failed) and returns the runs so far.
 * `extraEnv` adds variables the guide says the reader has (`$NETNS`).
 */
export async function runJourney(
  blocks: readonly JourneyBlock[],
  cwd: string,
  binDir: string,
  extraEnv: Readonly<Record<string, string>> = {},
  limits: JourneyLimits = {},
): Promise<BlockRun[]> {
  const state = join(cwd, ".journey-cwd");
  writeFileSync(state, cwd);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ""}`, NO_COLOR: "1", FORCE_COLOR: "0", ...extraEnv };
  // The blocks may run vitest themselves: do not let them think they are workers of this run.
  for (const key of Object.keys(env)) if (key.startsWith("VITEST") || key === "TEST") delete env[key];
  const deadline = limits.totalTimeoutMs === undefined ? Infinity : Date.now() + limits.totalTimeoutMs;
  const runs: BlockRun[] = [];
  for (const block of blocks) {
    const dir = readFileSync(state, "utf8").trim();
    const script = `set -eo pipefail\n${block.script}\npwd > "${state}"\n`;
    const timeoutMs = Math.max(0, Math.min(limits.blockTimeoutMs ?? 300_000, deadline - Date.now()));
    const run = await runBlock(block, script, existsSync(dir) ? dir : cwd, env, timeoutMs);
    runs.push(run);
    if (run.status !== block.exits) break;
  }
  return runs;
}

// How long processes killed with SIGKILL get to be gone before the block is given up on
// (a process in uninterruptible sleep outlives SIGKILL until the kernel lets it go).
const REAP_MS = 10_000;

function runBlock(block: JourneyBlock, script: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<BlockRun> {
  const started = performance.now();
  // detached: bash leads a new session, and every process the block starts is in it.
  const child = spawn("bash", ["-c", script], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let timedOut = false;
  let leftover: string | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    leftover = sessionProcesses(child.pid);
    killSession(child.pid);
  }, timeoutMs);
  const exited = new Promise<number | null>((resolve) => {
    child.once("error", (error) => {
      stderr += `(journey: cannot run bash: ${error.message})\n`;
      resolve(null);
    });
    child.once("exit", (code) => resolve(code));
  });
  return exited.then(async (status) => {
    clearTimeout(timer);
    const ms = Math.round(performance.now() - started);
    // A background job the block did not wait for would hold its pipes, and outlive the test.
    if (!timedOut) leftover = sessionProcesses(child.pid);
    if (leftover !== undefined) {
      killSession(child.pid);
      const gone = await sessionGone(child.pid, REAP_MS);
      if (!gone) leftover += `\n(journey: still there ${REAP_MS} ms after SIGKILL)\n${sessionProcesses(child.pid) ?? ""}`;
    }
    // The pipes close once every process holding them is gone; do not wait on one that is not.
    await Promise.race([new Promise((resolve) => child.once("close", resolve)), sleep(1000)]);
    child.stdout.destroy();
    child.stderr.destroy();
    return {
      block,
      status: timedOut ? null : status,
      stdout,
      stderr,
      ms,
      ...(timedOut ? { timedOutAfterMs: timeoutMs } : {}),
      ...(leftover === undefined ? {} : { leftover }),
    };
  });
}

// The processes of the session `sid` as `ps` lines (with what each waits on), or undefined when there is none.
function sessionProcesses(sid: number | undefined): string | undefined {
  if (sid === undefined) return undefined;
  const ps = spawnSync("ps", ["-o", "pid,ppid,stat,wchan:24,etime,args", "--sid", String(sid)], { encoding: "utf8" });
  // A zombie is already dead: its reaping is up to whoever inherited it.
  const [header, ...rows] = ps.stdout.trimEnd().split("\n");
  const live = rows.filter((row) => !/^\s*\d+\s+\d+\s+Z/.test(row));
  return live.length > 0 ? [header, ...live].join("\n") : undefined;
}

// Every process of the session, not only bash's process group: some commands
// (GNU timeout among them) put themselves in a group of their own.
function killSession(sid: number | undefined): void {
  if (sid === undefined) return;
  const ps = spawnSync("ps", ["-o", "pid=", "--sid", String(sid)], { encoding: "utf8" });
  for (const pid of ps.stdout.split("\n").map(Number).filter((n) => n > 0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
}

async function sessionGone(sid: number | undefined, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (sessionProcesses(sid) !== undefined) {
    if (Date.now() > until) return false;
    // Also what was forked since the last round.
    killSession(sid);
    await sleep(50);
  }
  return true;
}

/** A readable account of a failed block, for the assertion message. */
export function describeRun(run: BlockRun): string {
  const outcome =
    run.timedOutAfterMs !== undefined
      ? `timed out after ${run.timedOutAfterMs} ms and was killed with every process it started`
      : `exited ${run.status} after ${run.ms} ms`;
  return [
    `${run.block.doc}:${run.block.line}: ${outcome}, the guide says it exits ${run.block.exits}`,
    "--- script", run.block.script, "--- stdout", run.stdout, "--- stderr", run.stderr,
    ...(run.leftover === undefined ? [] : ["--- processes still running (killed)", run.leftover]),
  ].join("\n");
}
