// Crash safety of both write modes: a writer process rewriting resolv.conf
// with contents of different lengths is SIGKILLed at random points, many
// times; after every kill the file must be one whole resolv.conf (a padded
// in-place write counts: its padding is a comment). The in-place mode runs
// on a real file bind mount made in a private mount namespace (`unshare
// -m`), so the host's mounts are never touched. A deliberately unsafe
// writer (truncate, then write) is caught, proving the check can fail.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderResolvConf } from "./resolv-conf.js";

const ROUNDS = 12;
const here = fileURLToPath(new URL(".", import.meta.url));
const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const canBindMount = process.getuid?.() === 0 && spawnSync("unshare", ["--mount", "true"]).status === 0;

const config = (nameservers: string[], search: string[]) => ({
  nameservers,
  search,
  options: [],
  links: [],
  static: { nameservers: [], search: [], options: [] },
});
/** Contents of different lengths, in the order written: short, long, medium, longest (under a page). */
const CONTENTS = [
  renderResolvConf(config(["192.0.2.1"], [])),
  renderResolvConf(config(["192.0.2.53", "2001:db8:1::53", "fe80::1%eth0"], ["a.example", "b.example", "c.example"])),
  renderResolvConf(config(["198.51.100.7", "198.51.100.8"], ["m.example"])),
  renderResolvConf(config(["203.0.113.9"], Array.from({ length: 40 }, (_, i) => `d${i}.${"x".repeat(50)}.example`))),
];

/** Whether `text` is one of the contents, possibly followed by in-place padding (a comment line or one newline). */
function complete(text: string): boolean {
  return CONTENTS.some((c) => text.startsWith(c) && /^(?:|\n|#+\n)$/.test(text.slice(c.length)));
}

let work: string;
let writer: string;
let contentsFile: string;

// The writer runs as plain JavaScript: the test transpiles it with the real
// safe-write.ts and error classes once, so each of the many writers starts fast.
beforeAll(async () => {
  work = await mkdtemp(join(base, "incusx-dns-crash-"));
  const lib = join(work, "lib");
  await mkdir(lib);
  const require = createRequire(import.meta.url);
  const ts = require("typescript") as typeof import("typescript");
  // The SDK's source, found through the package (it publishes src).
  const sdkDir = dirname(require.resolve("@incusx/sdk/package.json"));
  const sources: [string, string][] = [
    [join(here, "crash-writer.test-support.ts"), "writer.mjs"],
    [join(here, "safe-write.ts"), "safe-write.mjs"],
    [join(here, "errors.ts"), "errors.mjs"],
    [join(sdkDir, "src/errors.ts"), "sdk-errors.mjs"],
  ];
  for (const [source, target] of sources) {
    const { outputText } = ts.transpileModule(await readFile(source, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const linked = outputText
      .replace(/from "\.\/safe-write\.js"/g, 'from "./safe-write.mjs"')
      .replace(/from "\.\/errors\.js"/g, 'from "./errors.mjs"')
      .replace(/from "@incusx\/sdk"/g, 'from "./sdk-errors.mjs"');
    expect(linked).not.toMatch(/from "(?!node:|\.\/[\w-]+\.mjs")/);
    await writeFile(join(lib, target), linked);
  }
  writer = join(lib, "writer.mjs");
  contentsFile = join(work, "contents.json");
  await writeFile(contentsFile, JSON.stringify(CONTENTS));
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** Runs `argv` until it prints `ready <mode>`, lets it write a random while, SIGKILLs it; the mode it chose. */
async function killAtRandom(argv: string[]): Promise<string> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
  const ready = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /ready (\S+)\n/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then((how) => reject(new Error(`The writer exited (${String(how)}) before it was ready: ${stderr}`)));
  });
  // The kill point: anywhere in the next 0-25 ms of rewrites.
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 25));
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  return ready;
}

/** A fresh directory with `resolv.conf` holding the first content. */
async function target(name: string): Promise<{ dir: string; path: string }> {
  const dir = join(work, name);
  await mkdir(dir);
  const path = join(dir, "resolv.conf");
  await writeFile(path, CONTENTS[0]!);
  return { dir, path };
}

describe("resolv.conf writes survive SIGKILL at any point", () => {
  it(`by rename: the file is whole after each of ${ROUNDS} kills`, { timeout: 60_000 }, async () => {
    const { dir, path } = await target("rename");
    const inodes = new Set<number>();
    for (let round = 0; round < ROUNDS; round++) {
      expect(await killAtRandom([process.execPath, writer, path, "auto", contentsFile])).toBe("rename");
      const text = await readFile(path, "utf8");
      expect(complete(text), `round ${round}: torn file:\n${text}`).toBe(true);
      inodes.add((await stat(path)).ino);
      // At most a stray temp file beside it, never anything else.
      for (const name of await readdir(dir)) expect(name).toMatch(/^(resolv\.conf|\.resolv\.conf\.incusx-[0-9a-f]{16})$/);
    }
    expect(inodes.size).toBeGreaterThan(1);
  });

  it.runIf(canBindMount)(`in place on a bind-mounted file: the file is whole after each of ${ROUNDS} kills`, { timeout: 60_000 }, async () => {
    const { path: source } = await target("bind-source");
    const { path: mountPoint } = await target("bind-target");
    await writeFile(mountPoint, "");
    const inode = (await stat(source)).ino;
    // A private mount namespace per writer: the bind mount lives and dies with it.
    const script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"';
    const argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", source, mountPoint];
    for (let round = 0; round < ROUNDS; round++) {
      expect(await killAtRandom([...argv, process.execPath, writer, mountPoint, "auto", contentsFile])).toBe("in-place");
      const text = await readFile(source, "utf8");
      expect(complete(text), `round ${round}: torn file:\n${JSON.stringify(text)}`).toBe(true);
    }
    expect((await stat(source)).ino).toBe(inode);
    // The writes went through the mount, never to the mount point's own file.
    expect(await readFile(mountPoint, "utf8")).toBe("");
  });

  it.skipIf(canBindMount)(`in place (no bind mount: needs root and unshare): the file is whole after each of ${ROUNDS} kills`, { timeout: 60_000 }, async () => {
    const { path } = await target("in-place");
    for (let round = 0; round < ROUNDS; round++) {
      await killAtRandom([process.execPath, writer, path, "in-place", contentsFile]);
      const text = await readFile(path, "utf8");
      expect(complete(text), `round ${round}: torn file:\n${JSON.stringify(text)}`).toBe(true);
    }
  });

  it("catches a writer that truncates before writing (the check can fail)", { timeout: 60_000 }, async () => {
    const { path } = await target("naive");
    let torn = 0;
    for (let round = 0; round < 6 && torn === 0; round++) {
      await killAtRandom([process.execPath, writer, path, "naive", contentsFile]);
      if (!complete(await readFile(path, "utf8"))) torn++;
    }
    expect(torn).toBeGreaterThan(0);
  });
});
