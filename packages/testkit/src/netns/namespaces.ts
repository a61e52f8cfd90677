import { readdirSync, readlinkSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./processes.js";

/**
 * Where `ip netns add` keeps named namespaces (iproute2's convention, also
 * `NETNS_RUN_DIR` of `@incusx/linux-net`). Spelled out here so the harness
 * does not depend on linux-net, whose own tests use it.
 */
export const NETNS_RUN_DIR = "/run/netns";

/** The default prefix of test namespace names: `incusx-t<pid>-<n>-srv`. */
export const DEFAULT_NETNS_PREFIX = "incusx-t";

/** The prefix of the harness's temporary directories: `incusx-netns-<pid>-<random>`. */
export const TEMP_DIR_PREFIX = "incusx-netns-";

const COUNTER = Symbol.for("incusx.testkit.netns.counter");

/**
 * The next number for this process's namespace names. Shared through
 * `globalThis` so a test runner that re-imports the testkit per file in one
 * process does not reuse numbers (a clash is still retried on creation).
 */
export function nextNetworkNumber(): number {
  const holder = globalThis as { [COUNTER]?: number };
  const next = holder[COUNTER] ?? 0;
  holder[COUNTER] = next + 1;
  return next;
}

/** The base name (without `-srv`/`-ctr`) of test network `n` of process `pid`. */
export function networkBaseName(prefix: string, pid: number, n: number): string {
  return `${prefix}${pid}-${n}`;
}

/** Whether a process with id `pid` exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Names of every named network namespace (`/run/netns`). */
export function listNamespaces(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR);
  } catch {
    return [];
  }
}

/** Kills every process still inside namespace `name` (only namespaces the harness created), then deletes it. */
export function deleteNamespace(name: string): Promise<void> {
  return deleteNamespaces([name]);
}

/**
 * Kills every process still inside any of the namespaces `names` (only
 * namespaces the harness created), then deletes them all with one
 * `ip -batch`: hundreds of namespaces go in well under a second, where an
 * `ip` process for each would take tens of milliseconds apiece.
 */
export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  killProcessesIn(names);
  const result = await run(["ip", "-force", "-batch", "-"], { input: names.map((name) => `netns delete ${name}\n`).join(""), timeoutMs: 60_000 });
  const left = new Set(listNamespaces());
  const stuck = names.filter((name) => left.has(name));
  if (stuck.length > 0) {
    throw new Error(`Failed to delete network namespace${stuck.length > 1 ? "s" : ""} ${stuck.map((name) => `"${name}"`).join(", ")}: ${result.stderr.trim()}`);
  }
}

/**
 * Sends SIGKILL to every process inside any of the namespaces `names`, in
 * one pass over /proc (what `ip netns pids` does for one namespace).
 * Synchronous, so an exit hook can use it.
 */
export function killProcessesIn(names: readonly string[]): void {
  const wanted = new Set<string>();
  for (const name of names) {
    try {
      wanted.add(`net:[${statSync(join(NETNS_RUN_DIR, name)).ino}]`);
    } catch {
      // Gone already.
    }
  }
  if (wanted.size === 0) return;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${entry}/ns/net`);
    } catch {
      continue;
    }
    if (!wanted.has(ns)) continue;
    try {
      process.kill(Number(entry), "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/**
 * Deletes test namespaces left behind by test processes that died before
 * their `destroy()` ran: those named `<prefix><pid>-<n>-srv|ctr|home|lxd|c<i>` whose
 * `pid` no longer runs (processes still inside them are killed first), and
 * the matching temporary directories. Namespaces of live processes and
 * every other namespace are never touched. Resolves with the names
 * deleted. `createTestNetwork` calls it once per process.
 *
 * @example
 * await cleanupStaleTestNamespaces(); // ["incusx-t4242-0-srv", "incusx-t4242-0-ctr"]
 */
export async function cleanupStaleTestNamespaces(prefix: string = DEFAULT_NETNS_PREFIX): Promise<string[]> {
  const pattern = new RegExp(`^${escapeRegExp(prefix)}(\\d+)-\\d+-(srv|ctr|home|lxd|c\\d+)$`);
  const deleted: string[] = [];
  for (const name of listNamespaces()) {
    const match = pattern.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    await deleteNamespace(name);
    deleted.push(name);
  }
  const tempPattern = new RegExp(`^${escapeRegExp(TEMP_DIR_PREFIX)}(\\d+)-`);
  let entries: string[] = [];
  try {
    entries = readdirSync(tmpdir());
  } catch {
    // No temp directory to tidy.
  }
  for (const entry of entries) {
    const match = tempPattern.exec(entry);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !processAlive(pid)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
  return deleted;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
