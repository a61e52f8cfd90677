// A container's root directory as the host sees it (/proc/PID/root, a
// rootfs directory): the way down from it to the resolv.conf lies in a
// tree the container controls, so it is walked one component at a time.
import { constants } from "node:fs";
import { lstat, open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { UnsafeTargetError } from "./errors.js";

const { O_DIRECTORY, O_NOFOLLOW, O_RDONLY } = constants;

/**
 * A container's root directory, named by a host path the host trusts
 * (`/proc/PID/root`, the rootfs directory). {@link openDirectoryOf} opens
 * the directory of a path inside it without following a symbolic link in
 * any component below the root (each one opened with `O_NOFOLLOW` through
 * the descriptor of the one above, so a link planted anywhere cannot send
 * the walk onto the host), and refuses `..`. The root itself must stay the
 * directory it was at the first open (device and inode): a
 * `/proc/PID/root` whose PID was reused by a host process names the host's
 * root, and is refused. No descriptor is held between writes, so the host
 * never keeps a container's filesystem busy.
 *
 * @example
 * const root = new ContainerRoot(`/proc/${pid}/root`);
 * await writeByRename("/etc/resolv.conf", content, root);
 */
export class ContainerRoot {
  private identity: { readonly dev: number; readonly ino: number } | undefined;

  constructor(
    /** The root's host path; followed (`/proc/PID/root` is a link the kernel resolves into the container). */
    readonly path: string,
  ) {}

  /** The host path of `path` inside the root, for messages. */
  label(path: string): string {
    return `${this.path.replace(/\/+$/, "")}${path}`;
  }

  /**
   * The directory of `path` (absolute, inside the root), opened. Throws
   * {@link UnsafeTargetError}: `outside-root` for a path that is not
   * absolute or has an empty, `.` or `..` component; `symlink` when a
   * component is a symbolic link; `not-a-file` when one is not a
   * directory; `root-changed` when the root is another directory than at
   * the first open. `ENOENT` when the root or a directory is missing.
   */
  async openDirectoryOf(path: string): Promise<FileHandle> {
    const label = this.label(path);
    const names = path.split("/");
    if (names[0] !== "" || names.slice(1).some((name) => name === "" || name === "." || name === "..")) {
      throw new UnsafeTargetError(label, "outside-root", `Refusing "${path}" inside "${this.path}": a path inside a container root is absolute, without empty, "." or ".." components`);
    }
    let dir = await this.openRoot(label);
    try {
      let at = "";
      for (const name of dirname(path).split("/").slice(1).filter((n) => n !== "")) {
        at = `${at}/${name}`;
        const next = await this.step(dir, name, label, at);
        await dir.close();
        dir = next;
      }
      return dir;
    } catch (error) {
      await dir.close();
      throw error;
    }
  }

  private async openRoot(label: string): Promise<FileHandle> {
    const root = await open(this.path, O_RDONLY | O_DIRECTORY);
    try {
      const { dev, ino } = await root.stat();
      this.identity ??= { dev, ino };
      if (this.identity.dev !== dev || this.identity.ino !== ino) {
        throw new UnsafeTargetError(label, "root-changed", `Refusing to write "${label}": the container root "${this.path}" is no longer the directory it was (the container is gone)`);
      }
      return root;
    } catch (error) {
      await root.close();
      throw error;
    }
  }

  // One component below `dir`, resolved by the kernel through the open
  // descriptor: O_NOFOLLOW refuses a link, O_DIRECTORY anything but a
  // directory, and neither ever opens a FIFO or device.
  private async step(dir: FileHandle, name: string, label: string, at: string): Promise<FileHandle> {
    const inDir = `/proc/self/fd/${dir.fd}/${name}`;
    try {
      return await open(inDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ELOOP" || (code === "ENOTDIR" && (await lstat(inDir).catch(() => undefined))?.isSymbolicLink() === true)) throw new UnsafeTargetError(label, "symlink", `Refusing to write "${label}": "${at}" inside the container is a symbolic link`);
      if (code === "ENOTDIR") throw new UnsafeTargetError(label, "not-a-file", `Refusing to write "${label}": "${at}" inside the container is not a directory`);
      throw error;
    }
  }
}
