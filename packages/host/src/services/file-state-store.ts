import { mkdirSync, readFileSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomically } from "./atomic-write.js";
import type { JsonValue, StateStore } from "@incusx/sdk";

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SUFFIX = ".json";

/**
 * A {@link StateStore} keeping one JSON file per key in `dir`. Writes go to
 * a temporary file that is fsynced and renamed, so a crash leaves either
 * the old or the new value, never a torn one. Values are small: they are
 * read and written on the calling thread, all but the fsync (see
 * `writeFileAtomically`), and the directory is made when a write finds it
 * missing.
 */
export class FileStateStore implements StateStore {
  constructor(private readonly dir: string) {}

  async get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined> {
    let text: string;
    try {
      text = readFileSync(this.path(key), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`State file "${this.path(key)}" is not valid JSON: ${(error as Error).message}`);
    }
  }

  async set(key: string, value: JsonValue): Promise<void> {
    const target = this.path(key);
    const contents = JSON.stringify(value) + "\n";
    try {
      await writeFileAtomically(target, contents, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      await writeFileAtomically(target, contents, 0o600);
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async keys(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return names
      .filter((n) => n.endsWith(SUFFIX))
      .map((n) => n.slice(0, -SUFFIX.length))
      .filter((k) => KEY.test(k))
      .sort();
  }

  private path(key: string): string {
    if (!KEY.test(key)) {
      throw new TypeError(`Invalid state key "${key}": use letters, digits, ".", "-" and "_" (at most 128)`);
    }
    return join(this.dir, key + SUFFIX);
  }
}
