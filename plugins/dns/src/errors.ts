import { ErrorCode, IncusxError } from "@incusx/sdk";

/** Why a resolv.conf target was refused. */
export type UnsafeTargetReason = "symlink" | "not-a-file" | "too-large" | "hard-link" | "outside-root" | "root-changed";

/**
 * The resolv.conf target cannot be read or written safely: it (or its
 * directory) is a symbolic link, it is not a regular file, it is larger
 * than any resolv.conf (or the content is too large to replace in place
 * without a torn state), or, in place, it has more than one hard link;
 * inside a container root, also a path that would climb out of the root
 * (`outside-root`) or a root that is no longer the directory it was
 * (`root-changed`). Nothing was written. Code `UNSAFE_TARGET`.
 */
export class UnsafeTargetError extends IncusxError {
  /** The target path. */
  readonly path: string;
  /** What is wrong with it. */
  readonly reason: UnsafeTargetReason;

  constructor(path: string, reason: UnsafeTargetReason, message: string) {
    super(ErrorCode.UnsafeTarget, message, { pluginId: "incusx.dns" });
    this.path = path;
    this.reason = reason;
  }
}
