// Replacing a file another party can see and may be hostile to: never
// through a symbolic link, never leaving it empty or half written.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, readFile, realpath, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UnsafeTargetError } from "./errors.js";

const { O_CREAT, O_DIRECTORY, O_EXCL, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } = constants;

/**
 * Largest content {@link writeInPlace} accepts: one page, so the single
 * `pwrite` at offset 0 lies in one page and a killed writer leaves either
 * all of it or none (the kernel stops a write only between pages).
 */
export const IN_PLACE_MAX_BYTES = 4096;

/**
 * The target's content, or `undefined` when it does not exist. Opens with
 * `O_NOFOLLOW` (and `O_NONBLOCK`, so a planted FIFO cannot hang us);
 * throws {@link UnsafeTargetError} for a symbolic link (also a symlinked
 * parent directory) or anything but a regular file.
 */
export async function readTarget(path: string): Promise<string | undefined> {
  let dir: FileHandle;
  try {
    dir = await openDirectory(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    let handle: FileHandle;
    try {
      handle = await open(inDirectory(dir, path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw refusal(path, error);
    }
    try {
      await requireRegular(handle, path);
      return await handle.readFile("utf8");
    } finally {
      await handle.close();
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
 * Replaces `path` atomically: a temp file with a random name created
 * exclusively (`O_EXCL|O_NOFOLLOW`) in the same directory, written,
 * fsynced, renamed over `path`, and the directory fsynced. `rename`
 * replaces a symbolic link rather than following it. Readers see the old
 * file or the new one, never a mix; a crash leaves at most a stray temp file.
 */
export async function writeByRename(path: string, content: string): Promise<void> {
  const dir = await openDirectory(path);
  try {
    await renameInto(dir, path, content);
  } finally {
    await dir.close();
  }
}

// writeByRename within the directory `dir` (of `path`) already opened.
async function renameInto(dir: FileHandle, path: string, content: string): Promise<void> {
  const target = inDirectory(dir, path);
  const existing = await lstatOrUndefined(target);
  if (existing?.isSymbolicLink()) throw symlinkRefusal(path);
  if (existing !== undefined && !existing.isFile()) throw notAFile(path);
  const temp = inDirectory(dir, `.${basename(path)}.incusx-${randomBytes(8).toString("hex")}`);
  const handle = await open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  try {
    try {
      await writeAll(handle, Buffer.from(content, "utf8"));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await dir.sync();
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
 * in one page. Creates the file (by rename) when it does not exist.
 */
export async function writeInPlace(path: string, content: string): Promise<void> {
  const data = Buffer.from(content, "utf8");
  if (data.length > IN_PLACE_MAX_BYTES) {
    throw new UnsafeTargetError(
      path,
      "too-large",
      `Refusing to write ${data.length} bytes in place to "${path}": more than ${IN_PLACE_MAX_BYTES} bytes cannot be replaced in one page-sized write`,
    );
  }
  const dir = await openDirectory(path);
  try {
    let handle: FileHandle;
    try {
      handle = await open(inDirectory(dir, path), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return await renameInto(dir, path, content);
      throw refusal(path, error);
    }
    try {
      const { size } = await requireRegular(handle, path);
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

async function requireRegular(handle: FileHandle, path: string): Promise<{ size: number }> {
  const stat = await handle.stat();
  if (!stat.isFile()) throw notAFile(path);
  return stat;
}

// A planted link in place of the directory would send the temp file and
// the rename elsewhere; only the last directory is checked (higher ones
// are the host's own layout). It is opened once with O_NOFOLLOW and every
// later step goes through that descriptor ({@link inDirectory}), so a link
// planted after the check changes nothing.
async function openDirectory(path: string): Promise<FileHandle> {
  try {
    return await open(dirname(path), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || (code === "ENOTDIR" && (await lstatOrUndefined(dirname(path)))?.isSymbolicLink() === true)) {
      throw new UnsafeTargetError(path, "symlink", `Refusing to write "${path}": its directory "${dirname(path)}" is a symbolic link`);
    }
    throw error;
  }
}

// `name`'s last component inside the open directory `dir`, as a path the
// kernel resolves through the descriptor rather than by name.
function inDirectory(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${basename(name)}`;
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function refusal(path: string, error: unknown): unknown {
  // O_NOFOLLOW on a symbolic link fails with ELOOP.
  return (error as NodeJS.ErrnoException).code === "ELOOP" ? symlinkRefusal(path) : error;
}

function symlinkRefusal(path: string): UnsafeTargetError {
  return new UnsafeTargetError(path, "symlink", `Refusing to write "${path}": it is a symbolic link, which could point at any file`);
}

function notAFile(path: string): UnsafeTargetError {
  return new UnsafeTargetError(path, "not-a-file", `Refusing to write "${path}": it is not a regular file`);
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
