// Replacing a file another party can see and may be hostile to: never
// through a symbolic link, never opening anything but a regular file,
// never leaving it empty or half written.
import { randomBytes } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { lstat, open, readFile, realpath, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { ContainerRoot } from "./container-root.js";
import { UnsafeTargetError } from "./errors.js";

const { O_CREAT, O_DIRECTORY, O_EXCL, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } = constants;

// Linux's O_PATH: a descriptor naming an inode without opening it, so no
// FIFO or device open routine runs. Node does not export it; its value is
// the asm-generic 010000000 on every architecture Node runs on (only
// alpha, parisc and sparc differ).
const O_PATH = (constants as { O_PATH?: number }).O_PATH ?? 0o10000000;

/**
 * Largest existing target {@link readTarget} (and {@link writeInPlace})
 * accepts, in bytes: far above any real resolv.conf (glibc reads 3
 * servers and a 2048-character search list), small enough that a planted
 * huge or sparse file costs nothing to refuse.
 */
export const TARGET_MAX_BYTES = 64 * 1024;

/**
 * Largest content {@link writeInPlace} accepts: one page, so the single
 * `pwrite` at offset 0 lies in one page and a killed writer leaves either
 * all of it or none (the kernel stops a write only between pages).
 */
export const IN_PLACE_MAX_BYTES = 4096;

/**
 * The target's content, or `undefined` when it does not exist. The target
 * is looked up with `O_PATH|O_NOFOLLOW` and its type checked before it is
 * opened, so a FIFO or device node is never opened; throws
 * {@link UnsafeTargetError} for a symbolic link (also a symlinked parent
 * directory), anything but a regular file, or a file over
 * {@link TARGET_MAX_BYTES} (of which at most that much is ever read).
 * With `root`, `path` lies inside that container root and every component
 * of it is checked ({@link ContainerRoot}); a missing root reads as no file.
 */
export async function readTarget(inRoot: string, root?: ContainerRoot): Promise<string | undefined> {
  const path = root?.label(inRoot) ?? inRoot;
  let dir: FileHandle;
  try {
    dir = await openDirectory(inRoot, root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const target = await lookUp(dir, path);
    if (target === undefined) return undefined;
    try {
      checkTarget(await target.stat(), path);
      const handle = await reopen(target, O_RDONLY);
      try {
        return await readBounded(handle, path);
      } finally {
        await handle.close();
      }
    } finally {
      await target.close();
    }
  } finally {
    await dir.close();
  }
}

/**
 * Whether `path` is a mount point of this process's mount namespace (a
 * file bind-mounted over, as container managers do with resolv.conf),
 * from `/proc/self/mountinfo`.
 */
export async function isMountPoint(path: string, mountinfo = "/proc/self/mountinfo"): Promise<boolean> {
  const target = join(await realpath(dirname(path)), basename(path));
  const text = await readFile(mountinfo, "utf8");
  return text.split("\n").some((line) => unescapeMountPath(line.split(" ")[4] ?? "") === target);
}

/**
 * Whether `path` inside `root` is a mount point as the container sees it
 * (a file bind-mounted over, in the container's own mount namespace, which
 * this process's mountinfo does not show): the file found through the
 * container's tree sits on another mount than its directory (`mnt_id` in
 * `/proc/self/fdinfo`). A rename from here would not be refused there: it
 * would replace the file under the mount, which the container never sees.
 * `false` when the file does not exist.
 */
export async function isMountedOver(inRoot: string, root: ContainerRoot): Promise<boolean> {
  const dir = await openDirectory(inRoot, root);
  try {
    const target = await lookUp(dir, inRoot);
    if (target === undefined) return false;
    try {
      return (await mountIdOf(target)) !== (await mountIdOf(dir));
    } finally {
      await target.close();
    }
  } finally {
    await dir.close();
  }
}

async function mountIdOf(handle: FileHandle): Promise<string> {
  const info = await readFile(`/proc/self/fdinfo/${handle.fd}`, "utf8");
  const id = /^mnt_id:\s*(\d+)$/m.exec(info)?.[1];
  if (id === undefined) throw new Error(`No mnt_id in /proc/self/fdinfo/${handle.fd}`);
  return id;
}

/**
 * Replaces `path` atomically: a temp file with a random name created
 * exclusively (`O_EXCL|O_NOFOLLOW`) in the same directory, written,
 * fsynced, renamed over `path`, and the directory fsynced. `rename`
 * replaces a symbolic link rather than following it. The new file gets
 * the old one's owner and group (an unprivileged container's root owns
 * its resolv.conf under a high host uid). Readers see the old file or the
 * new one, never a mix; a crash leaves at most a stray temp file. With
 * `root`, `path` lies inside that container root ({@link readTarget}).
 */
export async function writeByRename(inRoot: string, content: string, root?: ContainerRoot): Promise<void> {
  const dir = await openDirectory(inRoot, root);
  try {
    await renameInto(dir, root?.label(inRoot) ?? inRoot, content);
  } finally {
    await dir.close();
  }
}

// writeByRename within the directory `dir` (of `path`) already opened.
async function renameInto(dir: FileHandle, path: string, content: string): Promise<void> {
  const existing = await statTarget(dir, path);
  if (existing !== undefined) checkType(existing, path);
  const temp = inDirectory(dir, `.${basename(path)}.incusx-${randomBytes(8).toString("hex")}`);
  const handle = await open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  try {
    try {
      await writeAll(handle, Buffer.from(content, "utf8"));
      if (existing !== undefined) await keepOwner(handle, existing);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, inDirectory(dir, path));
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await dir.sync();
}

// Only when it differs: changing the owner needs privileges a writer
// replacing its own file may not have.
async function keepOwner(handle: FileHandle, old: Stats): Promise<void> {
  const { uid, gid } = await handle.stat();
  if (uid !== old.uid || gid !== old.gid) await handle.chown(old.uid, old.gid);
}

/**
 * Replaces the content of `path` without replacing the file (a bind mount
 * must keep its inode), so that at every instant the file holds a whole
 * resolv.conf, the old or the new one:
 * - new content at least as long as the old: one `pwrite` at offset 0;
 * - shorter: the new content padded to the old length with a trailing
 *   comment line is written in one `pwrite` (the file is now the new
 *   content plus a comment), then the file is truncated to the new length.
 * Content is limited to {@link IN_PLACE_MAX_BYTES} so that each write lies
 * in one page. The target is checked as {@link readTarget} does, and must
 * have one hard link: writing through a second name would change another
 * file (a planted link to the container's /etc/shadow). Creates the file
 * (by rename) when it does not exist. With `root`, `path` lies inside
 * that container root ({@link readTarget}).
 */
export async function writeInPlace(inRoot: string, content: string, root?: ContainerRoot): Promise<void> {
  const path = root?.label(inRoot) ?? inRoot;
  const data = Buffer.from(content, "utf8");
  if (data.length > IN_PLACE_MAX_BYTES) {
    throw new UnsafeTargetError(
      path,
      "too-large",
      `Refusing to write ${data.length} bytes in place to "${path}": more than ${IN_PLACE_MAX_BYTES} bytes cannot be replaced in one page-sized write`,
    );
  }
  const dir = await openDirectory(inRoot, root);
  try {
    const target = await lookUp(dir, path);
    if (target === undefined) return await renameInto(dir, path, content);
    try {
      checkTarget(await target.stat(), path, { inPlace: true });
      const handle = await reopen(target, O_RDWR);
      try {
        // Checked again on the open file: it may have grown since.
        const { size } = checkTarget(await handle.stat(), path, { inPlace: true });
        const padded = data.length >= size ? data : Buffer.concat([data, padding(size - data.length)]);
        await writeAll(handle, padded);
        await handle.datasync();
        if (padded.length !== data.length) {
          await handle.truncate(data.length);
          await handle.datasync();
        }
      } finally {
        await handle.close();
      }
    } finally {
      await target.close();
    }
  } finally {
    await dir.close();
  }
}

/** `length` bytes that keep a resolv.conf ending in a newline valid: a comment line (or one newline). */
export function padding(length: number): Buffer {
  return Buffer.from(length === 1 ? "\n" : `${"#".repeat(length - 1)}\n`, "utf8");
}

// One pwrite at offset 0; a regular file is never written short except on
// a full disk, which is reported rather than retried into a torn state.
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  const { bytesWritten } = await handle.write(data, 0, data.length, 0);
  if (bytesWritten !== data.length) throw new Error(`Short write: ${bytesWritten} of ${data.length} bytes`);
}

// `path` in the open directory `dir` as an O_PATH descriptor: the inode
// itself (a symbolic link is not followed), with no open routine run.
// `undefined` when there is none.
async function lookUp(dir: FileHandle, path: string): Promise<FileHandle | undefined> {
  try {
    return await open(inDirectory(dir, path), O_PATH | O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function statTarget(dir: FileHandle, path: string): Promise<Stats | undefined> {
  const target = await lookUp(dir, path);
  if (target === undefined) return undefined;
  try {
    return await target.stat();
  } finally {
    await target.close();
  }
}

// Opens the very inode `target` names (whose type was checked), whatever
// its name points at by now: /proc/self/fd/N reopens a descriptor.
function reopen(target: FileHandle, flags: number): Promise<FileHandle> {
  return open(`/proc/self/fd/${target.fd}`, flags | O_NONBLOCK | O_NOCTTY);
}

function checkType(stat: Stats, path: string): void {
  if (stat.isSymbolicLink()) throw symlinkRefusal(path);
  if (!stat.isFile()) throw notAFile(path);
}

function checkTarget(stat: Stats, path: string, { inPlace = false } = {}): Stats {
  checkType(stat, path);
  if (stat.size > TARGET_MAX_BYTES) throw tooLargeTarget(path, stat.size);
  if (inPlace && stat.nlink > 1) {
    throw new UnsafeTargetError(
      path,
      "hard-link",
      `Refusing to write "${path}" in place: it has ${stat.nlink} hard links, so writing it would change another file too`,
    );
  }
  return stat;
}

// Reads at most TARGET_MAX_BYTES + 1 bytes, whatever the size said.
async function readBounded(handle: FileHandle, path: string): Promise<string> {
  const buffer = Buffer.alloc(TARGET_MAX_BYTES + 1);
  let length = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
    if (length > TARGET_MAX_BYTES) throw tooLargeTarget(path);
  }
  return buffer.toString("utf8", 0, length);
}

// A planted link in place of the directory would send the temp file and
// the rename elsewhere; on a host path only the last directory is checked
// (higher ones are the host's own layout), inside a container root every
// one is. It is opened once with O_NOFOLLOW and every later step goes
// through that descriptor ({@link inDirectory}), so a link planted after
// the check changes nothing.
async function openDirectory(path: string, root?: ContainerRoot): Promise<FileHandle> {
  if (root !== undefined) return root.openDirectoryOf(path);
  try {
    return await open(dirname(path), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const dir = dirname(path);
    if (code === "ELOOP" || (code === "ENOTDIR" && (await lstat(dir).catch(() => undefined))?.isSymbolicLink() === true)) {
      throw new UnsafeTargetError(path, "symlink", `Refusing to write "${path}": its directory "${dir}" is a symbolic link`);
    }
    // O_DIRECTORY refuses a FIFO or device in place of the directory without opening it.
    if (code === "ENOTDIR") throw new UnsafeTargetError(path, "not-a-file", `Refusing to write "${path}": its directory "${dir}" is not a directory`);
    throw error;
  }
}

// `name`'s last component inside the open directory `dir`, as a path the
// kernel resolves through the descriptor rather than by name.
function inDirectory(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${basename(name)}`;
}

function symlinkRefusal(path: string): UnsafeTargetError {
  return new UnsafeTargetError(path, "symlink", `Refusing to write "${path}": it is a symbolic link, which could point at any file`);
}

function notAFile(path: string): UnsafeTargetError {
  return new UnsafeTargetError(path, "not-a-file", `Refusing to write "${path}": it is not a regular file`);
}

function tooLargeTarget(path: string, size?: number): UnsafeTargetError {
  const holds = size === undefined ? "more" : `${size} bytes, more`;
  return new UnsafeTargetError(path, "too-large", `Refusing "${path}": it holds ${holds} than ${TARGET_MAX_BYTES} bytes, which no resolv.conf needs`);
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
