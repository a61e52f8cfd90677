import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Lower-case hex SHA-256 of `bytes`. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The digest of a set of files, as bundle manifests record it: the SHA-256
 * of one line `<sha256 of file>  <path>\n` per file (the format of
 * `sha256sum`), sorted by path in byte order. `files` maps "/"-separated
 * relative paths to the hex SHA-256 of each file. The same digest comes from
 * `find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum`.
 */
export function digestOfFiles(files: Readonly<Record<string, string>>): string {
  const paths = Object.keys(files).sort(byteOrder);
  return sha256(paths.map((path) => `${files[path]}  ${path}\n`).join(""));
}

/** Compares strings by their UTF-8 bytes, as `LC_ALL=C sort` does. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** An entry found while walking a directory. */
export interface WalkedEntry {
  /** "/"-separated path relative to the walked directory. */
  readonly path: string;
  /** `file` for a regular file; `other` for a symlink, socket, device or FIFO. */
  readonly kind: "file" | "other";
}

/**
 * Every entry under `dir` that is not a directory, recursively, without
 * following symlinks. `skip` leaves out top-level names (the manifest).
 */
export function walkFiles(dir: string, skip: ReadonlySet<string> = new Set()): WalkedEntry[] {
  const found: WalkedEntry[] = [];
  const visit = (absolute: string, prefix: string): void => {
    for (const name of readdirSync(absolute)) {
      const path = prefix === "" ? name : `${prefix}/${name}`;
      if (prefix === "" && skip.has(name)) continue;
      const stat = lstatSync(join(absolute, name));
      if (stat.isDirectory()) visit(join(absolute, name), path);
      else found.push({ path, kind: stat.isFile() ? "file" : "other" });
    }
  };
  visit(dir, "");
  return found.sort((a, b) => byteOrder(a.path, b.path));
}

/** SHA-256 of the file at `path`. */
export function sha256File(path: string): string {
  return sha256(readFileSync(path));
}

/**
 * Splits a bundle's file list by package: for each of `paths` (package
 * directories relative to the bundle), its files with paths relative to it.
 * One pass over `files`, however many packages there are.
 */
export function filesUnder(files: Readonly<Record<string, string>>, paths: readonly string[]): Map<string, Record<string, string>> {
  const byPath = new Map(paths.map((path) => [path.replace(/\/+$/, ""), {} as Record<string, string>]));
  for (const [file, hash] of Object.entries(files)) {
    for (let cut = file.indexOf("/"); cut !== -1; cut = file.indexOf("/", cut + 1)) {
      const own = byPath.get(file.slice(0, cut));
      if (own !== undefined) own[file.slice(cut + 1)] = hash;
    }
  }
  return new Map(paths.map((path) => [path, byPath.get(path.replace(/\/+$/, ""))!]));
}
