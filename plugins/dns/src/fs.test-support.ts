// Shared by the plugin's tests: temp directories and reading resolv.conf back.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppliedDns } from "@incusx/testkit";
import { parseResolvConf } from "./resolv-conf.js";

/** A fresh temp directory and its removal. */
export async function tempDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "incusx-dns-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** What the resolv.conf at `path` says, as the DnsSink contract reads it. */
export async function readApplied(path: string): Promise<AppliedDns | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  const parsed = parseResolvConf(text);
  return { nameservers: parsed.nameservers, search: parsed.domain === undefined ? parsed.search : [parsed.domain] };
}
