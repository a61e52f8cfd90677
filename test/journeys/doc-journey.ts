// Runs the shell blocks a guide marks as part of a user journey, so the
// guide and the code cannot drift apart. A block is marked with an HTML
// comment right before its fence:
//
//   <!-- journey: packager -->            run; must exit 0
//   <!-- journey: packager, exits 1 -->   run; must exit 1
//
// Blocks run in order with bash (errexit, pipefail), each starting in the
// directory the previous one ended in, with `incusx` on PATH running the
// workspace's built CLI.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
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
 * exit status is not the one it is marked with and returns the runs so far.
 * `extraEnv` adds variables the guide says the reader has (`$NETNS`).
 */
export function runJourney(
  blocks: readonly JourneyBlock[],
  cwd: string,
  binDir: string,
  extraEnv: Readonly<Record<string, string>> = {},
): BlockRun[] {
  const state = join(cwd, ".journey-cwd");
  writeFileSync(state, cwd);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ""}`, NO_COLOR: "1", FORCE_COLOR: "0", ...extraEnv };
  // The blocks may run vitest themselves: do not let them think they are workers of this run.
  for (const key of Object.keys(env)) if (key.startsWith("VITEST") || key === "TEST") delete env[key];
  const runs: BlockRun[] = [];
  for (const block of blocks) {
    const dir = readFileSync(state, "utf8").trim();
    const script = `set -eo pipefail\n${block.script}\npwd > "${state}"\n`;
    const result = spawnSync("bash", ["-c", script], { cwd: existsSync(dir) ? dir : cwd, env, encoding: "utf8", timeout: 300_000 });
    runs.push({ block, status: result.status, stdout: result.stdout, stderr: result.stderr });
    if (result.status !== block.exits) break;
  }
  return runs;
}

/** A readable account of a failed block, for the assertion message. */
export function describeRun(run: BlockRun): string {
  return [
    `${run.block.doc}:${run.block.line}: exited ${run.status}, the guide says ${run.block.exits}`,
    "--- script", run.block.script, "--- stdout", run.stdout, "--- stderr", run.stderr,
  ].join("\n");
}
