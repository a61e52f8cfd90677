// Noticing that the path a network namespace was opened from no longer
// names it, for many namespaces at once at no idle cost: one inotify watch
// per directory (`/run/netns`, where `ip netns del` unlinks the name), one
// pidfd per process for `/proc/PID/ns/net` (procfs sends no inotify
// events; the pidfd turns readable when the process exits), and, where
// neither works (an addon or kernel without pidfd), one shared timer.
import { fstatSync, readlinkSync, statSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { nativeAddon, type NativeSocketHandle } from "./native-addon.js";

/**
 * How often the paths neither inotify nor a pidfd can watch
 * (`/proc/PID/ns/net` on a kernel before 5.3) are checked, all on one
 * timer: the longest a process's exit goes unnoticed there.
 * Each distinct path costs one readlink(2) per tick (about 4 µs here), so
 * 200 containers cost about 0.2% of a core (see the package README for the
 * measured figures).
 */
export const NETNS_POLL_MS = 500;

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
  // The directory watched, so an idle watch of a directory since removed (or replaced) is not reused.
  readonly dev: number;
  readonly ino: number;
}

/**
 * How many directory watches are kept once no namespace in them is
 * watched any more (the least recently used beyond it are closed). Adding
 * the first inotify watch of a directory costs 3 to 10 ms on Linux 6.x
 * (the kernel sets up the inode's mark connector), on the thread that
 * attaches a NIC; a kept watch makes the next NIC's watch free. An idle
 * watch costs no fd (libuv's one inotify fd serves them all) and wakes
 * the process only when a name in its directory changes.
 */
export const IDLE_DIRECTORY_WATCHES = 4;

const directories = new Map<string, DirectoryWatch>();
// Polled entries by path: NICs of one container share its /proc/PID/ns/net, checked once per tick.
const polled = new Map<string, Set<Watched>>();
// Entries of /proc/PID/ns/net by path, each path with one pidfd.
const byPid = new Map<string, { readonly handle: NativeSocketHandle; readonly entries: Set<Watched> }>();
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
  const watched = PROC_NET_NS.test(path) ? watchProcess(entry) : !path.startsWith("/proc/") && watchDirectory(entry);
  if (!watched) addPolled(entry);
  // Gone before the watch began: the events that said so came too early.
  queueMicrotask(() => check(entry));
  return stop;
}

/** How many paths are watched, by kind; for tests and diagnostics. */
export function netnsPathWatchCounts(): { directories: number; idleDirectories: number; inotifyPaths: number; pidfdPaths: number; polledPaths: number } {
  let pidfdPaths = 0;
  for (const pid of byPid.values()) pidfdPaths += pid.entries.size;
  let inotifyPaths = 0;
  let idleDirectories = 0;
  for (const dir of directories.values()) {
    inotifyPaths += dir.entries.size;
    if (dir.entries.size === 0) idleDirectories++;
  }
  let polledPaths = 0;
  for (const entries of polled.values()) polledPaths += entries.size;
  return { directories: directories.size - idleDirectories, idleDirectories, inotifyPaths, pidfdPaths, polledPaths };
}

function check(entry: Watched): void {
  if (entry.done) return;
  const why = whyGone(entry);
  if (why !== undefined) goneNow(entry, why);
}

function goneNow(entry: Watched, why: string): void {
  entry.done = true;
  removeEntry(entry);
  entry.gone(why);
}

const PROC_NET_NS = /^\/proc\/\d+\/ns\/net$/;

// What a path names now: a namespace's device and inode, "missing", or undefined when it cannot be told.
type Observation = { readonly dev?: number; readonly ino: number } | "missing" | undefined;

function observe(path: string): Observation {
  try {
    // A /proc link reads as "net:[INODE]", at half the cost of a stat; nsfs has one device.
    if (PROC_NET_NS.test(path)) {
      const match = /^net:\[(\d+)\]$/.exec(readlinkSync(path));
      return match === null ? undefined : { ino: Number(match[1]) };
    }
    const now = statSync(path);
    return { dev: now.dev, ino: now.ino };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // ENOENT: unlinked or the process exited; ESRCH/ENOTDIR: the same for a /proc entry mid-exit.
    return code === "ENOENT" || code === "ESRCH" || code === "ENOTDIR" ? "missing" : undefined;
  }
}

function verdict(entry: Watched, seen: Observation): string | undefined {
  if (seen === undefined) return undefined;
  if (seen === "missing") return `"${entry.path}" no longer exists`;
  if (seen.ino !== entry.ino || (seen.dev !== undefined && seen.dev !== entry.dev)) return `"${entry.path}" names another namespace now`;
  return undefined;
}

function whyGone(entry: Watched): string | undefined {
  return verdict(entry, observe(entry.path));
}

// One tick of the shared timer: each distinct path read once, its verdict for every entry on it.
function pollOnce(): void {
  for (const [path, entries] of [...polled]) {
    const seen = observe(path);
    for (const entry of [...entries]) {
      const why = verdict(entry, seen);
      if (why !== undefined && !entry.done) goneNow(entry, why);
    }
  }
}

// One fs.watch (inotify) per directory, shared by every namespace in it
// and kept a while after the last (IDLE_DIRECTORY_WATCHES). False when it cannot watch.
function watchDirectory(entry: Watched): boolean {
  const dir = dirname(entry.path);
  let here;
  try {
    here = statSync(dir);
  } catch {
    return false;
  }
  let watched = directories.get(dir);
  if (watched !== undefined && (watched.dev !== here.dev || watched.ino !== here.ino)) {
    // Idle while its directory was removed or replaced: it watches nothing now.
    closeDirectory(dir, watched);
    watched = undefined;
  }
  if (watched === undefined) {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false });
    } catch {
      return false;
    }
    const created: DirectoryWatch = { watcher, entries: new Set(), dev: here.dev, ino: here.ino };
    watcher.on("change", (_event, filename) => {
      const name = filename === null ? undefined : String(filename);
      for (const one of [...created.entries]) if (name === undefined || basename(one.path) === name) check(one);
    });
    watcher.on("error", () => {
      // The directory went (or inotify failed): its paths fall back on the timer.
      closeDirectory(dir, created);
      for (const one of created.entries) addPolled(one);
      created.entries.clear();
    });
    watched = created;
  }
  // Most recently used last, for closing the oldest idle ones first.
  directories.delete(dir);
  directories.set(dir, watched);
  watched.entries.add(entry);
  return true;
}

function closeDirectory(dir: string, watched: DirectoryWatch): void {
  watched.watcher.close();
  if (directories.get(dir) === watched) directories.delete(dir);
}

// Closes the least recently used idle directory watches beyond IDLE_DIRECTORY_WATCHES.
function trimIdleDirectories(): void {
  const idle = [...directories].filter(([, watched]) => watched.entries.size === 0);
  for (const [dir, watched] of idle.slice(0, Math.max(0, idle.length - IDLE_DIRECTORY_WATCHES))) closeDirectory(dir, watched);
}

// One pidfd per /proc/PID/ns/net path, shared by the NICs of that process. False when there can be none.
function watchProcess(entry: Watched): boolean {
  let watched = byPid.get(entry.path);
  if (watched === undefined) {
    const addon = nativeAddon().addon;
    if (addon?.watchPidExit === undefined) return false;
    const pid = Number(entry.path.split("/")[2]);
    const entries = new Set<Watched>();
    let handle: NativeSocketHandle;
    try {
      handle = addon.watchPidExit(pid, () => {
        for (const one of [...entries]) if (!one.done) goneNow(one, `"${entry.path}" no longer exists: process ${pid} exited`);
      });
    } catch {
      // ESRCH (exited already: the first check says so), ENOSYS (before Linux 5.3): the timer does it.
      return false;
    }
    watched = { handle, entries };
    byPid.set(entry.path, watched);
  }
  watched.entries.add(entry);
  return true;
}

function addPolled(entry: Watched): void {
  let entries = polled.get(entry.path);
  if (entries === undefined) {
    entries = new Set();
    polled.set(entry.path, entries);
  }
  entries.add(entry);
  if (pollTimer === undefined) {
    pollTimer = setInterval(pollOnce, NETNS_POLL_MS);
    pollTimer.unref?.();
  }
}

function removeEntry(entry: Watched): void {
  const pid = byPid.get(entry.path);
  if (pid?.entries.delete(entry) && pid.entries.size === 0) {
    byPid.delete(entry.path);
    nativeAddon().addon?.close(pid.handle);
  }
  const entries = polled.get(entry.path);
  if (entries?.delete(entry) && entries.size === 0) polled.delete(entry.path);
  if (polled.size === 0 && pollTimer !== undefined) {
    clearInterval(pollTimer);
    pollTimer = undefined;
  }
  const dir = dirname(entry.path);
  const watched = directories.get(dir);
  if (watched?.entries.delete(entry) && watched.entries.size === 0) trimIdleDirectories();
}
