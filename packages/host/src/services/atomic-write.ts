import { closeSync, fsync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

const fsyncAsync = promisify(fsync);

/**
 * Replaces `target` with `contents` so that a crash leaves either the old
 * file or the new one, never a mix: the text goes to a temporary file
 * created exclusively in the same directory (mode `mode`, less the umask),
 * is fsynced, then renamed over `target`. The temporary file is removed
 * when anything fails, and the error is rethrown.
 *
 * Only the fsync, which waits for the disk, runs on libuv's thread pool:
 * opening, writing, closing and renaming a state file of a few hundred
 * bytes on a local disk take microseconds, while each round trip through
 * the pool costs a wake-up of the event loop (milliseconds on a loaded
 * machine) on the path of every lease a NIC binds.
 */
export async function writeFileAtomically(target: string, contents: string, mode: number): Promise<void> {
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(temporary, "wx", mode);
  try {
    try {
      writeFileSync(fd, contents);
      await fsyncAsync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
