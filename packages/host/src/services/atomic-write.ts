import { open, rename, rm } from "node:fs/promises";
import { randomBytes } from "node:crypto";

/**
 * Replaces `target` with `contents` so that a crash leaves either the old
 * file or the new one, never a mix: the text goes to a temporary file
 * created exclusively in the same directory (mode `mode`, less the umask),
 * is fsynced, then renamed over `target`. The temporary file is removed
 * when anything fails, and the error is rethrown.
 */
export async function writeFileAtomically(target: string, contents: string, mode: number): Promise<void> {
  const temporary = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await open(temporary, "wx", mode);
  try {
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
