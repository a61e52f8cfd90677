import { posix } from "node:path";

/** What {@link isPlainRelativePath} refuses, for error messages. */
export const PLAIN_PATH_RULE = 'no "%", "#", "?", backslash or NUL, no ".." segment, not absolute';

// Characters a URL parser or another platform's path rules would read
// differently from the file name on disk: "%" escapes ("%2e%2e" is ".."),
// "#" and "?" end the path, "\" is a separator elsewhere, NUL ends a C string.
const NOT_PLAIN = /[%#?\\\0]/;

/**
 * Whether `path` (a plugin's `path` or `entry` in a bundle) names the same
 * file whether it is read as a file path or as part of a URL, and stays
 * below the directory it is relative to: none of the characters above, no
 * ".." segment before or after normalisation, not absolute, not empty.
 */
export function isPlainRelativePath(path: string): boolean {
  if (path === "" || NOT_PLAIN.test(path) || posix.isAbsolute(path)) return false;
  if (path.split("/").includes("..")) return false;
  const normal = posix.normalize(path);
  return normal !== ".." && !normal.startsWith("../") && !posix.isAbsolute(normal);
}
