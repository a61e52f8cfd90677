import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { deleteNamespaces, killProcessesIn } from "./namespaces.js";
import type { TestProcess } from "./processes.js";

/**
 * What one network of the harness holds until it is destroyed: its
 * namespaces (in the order they are deleted), its temporary directory and
 * the processes it started. Kept in one place so that an exit without
 * `destroy()` still removes all of it.
 */
export interface HeldNamespaces {
  /** Names of the namespaces created so far; filled while creating. */
  readonly namespaces: string[];
  /** The temporary directory. */
  readonly dir: string;
  /** Processes started in the namespaces; they leave the set when they exit. */
  readonly processes: Set<TestProcess>;
}

const held = new Set<HeldNamespaces>();
let exitHookInstalled = false;

/** Registers a network's holdings for the exit hook; `release` removes them. */
export function holdNamespaces(dir: string): HeldNamespaces {
  installExitHook();
  const record: HeldNamespaces = { namespaces: [], dir, processes: new Set() };
  held.add(record);
  return record;
}

/**
 * Stops the processes, deletes the namespaces and the directory of
 * `record`, and forgets it; the directory goes even when a namespace
 * could not be deleted (that failure is thrown afterwards).
 */
export async function releaseNamespaces(record: HeldNamespaces): Promise<void> {
  await Promise.all([...record.processes].map((child) => child.kill()));
  try {
    await deleteNamespaces(record.namespaces);
  } finally {
    rmSync(record.dir, { recursive: true, force: true });
    held.delete(record);
  }
}

/** Runs `task` over `items`, at most `limit` at a time; rejects with the first failure once all settled. */
export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      try {
        await task(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}

// Last resort when a test process exits without destroy() (a crash, a
// runner killing its worker): synchronously delete what is still ours.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const record of held) {
      for (const child of record.processes) child.child.kill("SIGKILL");
      killProcessesIn(record.namespaces);
      spawnSync("ip", ["-force", "-batch", "-"], { input: record.namespaces.map((name) => `netns delete ${name}\n`).join("") });
      rmSync(record.dir, { recursive: true, force: true });
    }
  });
}
