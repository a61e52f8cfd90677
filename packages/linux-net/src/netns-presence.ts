// Noticing that the path a network namespace was opened from no longer
// names it, for many namespaces at once at (next to) no idle cost: one
// inotify watch per directory (`/run/netns`, where `ip netns del` unlinks
// the name) and one shared timer for the paths inotify cannot see
// (`/proc/PID/ns/net`: procfs sends no inotify events).
import { fstatSync, statSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

/**
 * How often the paths inotify cannot watch (`/proc/PID/ns/net`) are
 * stat()ed, all on one timer: the longest a process's exit goes
 * unnoticed. 200 such paths cost one stat(2) each per tick (see the
 * package README for the measured CPU).
 */
export const NETNS_POLL_MS = 250;

/** One namespace whose path is watched; `gone` runs once. */
interface Watched {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly gone: (why: string) => void;
  done: boolean;
}

interface DirectoryWatch {
  readonly watcher: FSWatcher;
  readonly entries: Set<Watched>;
}

const directories = new Map<string, DirectoryWatch>();
const polled = new Set<Watched>();
let pollTimer: ReturnType<typeof setInterval> | undefined;

/**
 * Calls `gone` once when `path` no longer names the namespace held by
 * `fd`: the file is missing (`ip netns del`, the process exited) or names
 * another namespace (a name re-created, a PID reused). Throws the system
 * error of fstat(2) on `fd`. The returned function stops watching.
 */
export function watchNetnsPath(path: string, fd: number, gone: (why: string) => void): () => void {
  const held = fstatSync(fd);
  const entry: Watched = { path, dev: held.dev, ino: held.ino, gone, done: false };
  const stop = (): void => {
    if (entry.done) return;
    entry.done = true;
    removeEntry(entry);
  };
  if (path.startsWith("/proc/") || !watchDirectory(entry)) addPolled(entry);
  // Gone before the watch began: the events that said so came too early.
  queueMicrotask(() => check(entry));
  return stop;
}

/** Re-checks every watched path now (what a tick of the shared timer does). */
export function checkAllNetnsPaths(): void {
  for (const entry of polled) check(entry);
  for (const dir of directories.values()) for (const entry of dir.entries) check(entry);
}

/** How many paths are watched, by kind; for tests and diagnostics. */
export function netnsPathWatchCounts(): { directories: number; inotifyPaths: number; polledPaths: number } {
  let inotifyPaths = 0;
  for (const dir of directories.values()) inotifyPaths += dir.entries.size;
  return { directories: directories.size, inotifyPaths, polledPaths: polled.size };
}

function check(entry: Watched): void {
  if (entry.done) return;
  const why = whyGone(entry);
  if (why === undefined) return;
  entry.done = true;
  removeEntry(entry);
  entry.gone(why);
}

function whyGone(entry: Watched): string | undefined {
  let now;
  try {
    now = statSync(entry.path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // ENOENT: unlinked or the process exited; ESRCH/ENOTDIR: the same for a /proc entry mid-exit.
    if (code === "ENOENT" || code === "ESRCH" || code === "ENOTDIR") return `"${entry.path}" no longer exists`;
    return undefined;
  }
  if (now.dev !== entry.dev || now.ino !== entry.ino) return `"${entry.path}" names another namespace now`;
  return undefined;
}

// One fs.watch (inotify) per directory, shared by every namespace in it. False when it cannot watch.
function watchDirectory(entry: Watched): boolean {
  const dir = dirname(entry.path);
  let watched = directories.get(dir);
  if (watched === undefined) {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false });
    } catch {
      return false;
    }
    const created: DirectoryWatch = { watcher, entries: new Set() };
    watcher.on("change", (_event, filename) => {
      const name = filename === null ? undefined : String(filename);
      for (const one of [...created.entries]) if (name === undefined || basename(one.path) === name) check(one);
    });
    watcher.on("error", () => {
      // The directory went (or inotify failed): its paths fall back on the timer.
      watcher.close();
      if (directories.get(dir) === created) directories.delete(dir);
      for (const one of created.entries) addPolled(one);
      created.entries.clear();
    });
    directories.set(dir, created);
    watched = created;
  }
  watched.entries.add(entry);
  return true;
}

function addPolled(entry: Watched): void {
  polled.add(entry);
  if (pollTimer === undefined) {
    pollTimer = setInterval(() => {
      for (const one of [...polled]) check(one);
    }, NETNS_POLL_MS);
    pollTimer.unref?.();
  }
}

function removeEntry(entry: Watched): void {
  if (polled.delete(entry) && polled.size === 0 && pollTimer !== undefined) {
    clearInterval(pollTimer);
    pollTimer = undefined;
  }
  const dir = dirname(entry.path);
  const watched = directories.get(dir);
  if (watched?.entries.delete(entry) && watched.entries.size === 0) {
    watched.watcher.close();
    directories.delete(dir);
  }
}
