import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, spawnProcess, type ExecResult, type TestProcess } from "../netns/processes.js";
import { waitFor } from "../netns/wait.js";

/** OVN's northbound schema, as Debian's ovn-common installs it. */
export const OVN_NB_SCHEMA = "/usr/share/ovn/ovn-nb.ovsschema";
/** OVN's southbound schema. */
export const OVN_SB_SCHEMA = "/usr/share/ovn/ovn-sb.ovsschema";

/** A fresh temp directory for one harness, removed by the returned function. */
export async function makeTempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs a command and returns stdout; throws with its stderr when it fails. */
export async function runTool(argv: readonly string[], timeoutMs = 20_000): Promise<string> {
  const result: ExecResult = await run(argv, { timeoutMs });
  if (result.code !== 0) throw new Error(`"${argv.join(" ")}" failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** A loopback TCP port free at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Resolves once something accepts connections on the unix socket or tcp port. */
export async function waitListening(target: { path: string } | { port: number }, what: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        if ("path" in target && !existsSync(target.path)) return resolve(false);
        const socket = "path" in target ? connect({ path: target.path }) : connect({ host: "127.0.0.1", port: target.port });
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      }),
    { timeoutMs, intervalMs: 20, message: `${what} did not listen` },
  );
}

/** Arguments of one ovsdb-server run in the foreground (the harness owns the process). */
export function ovsdbServerArgs(dir: string, name: string, db: string, remotes: readonly string[]): string[] {
  return [
    "ovsdb-server",
    ...remotes.map((r) => `--remote=${r}`),
    `--unixctl=${join(dir, `${name}.ctl`)}`,
    `--log-file=${join(dir, `${name}.log`)}`,
    `--pidfile=${join(dir, `${name}.pid`)}`,
    "--no-chdir",
    "-vconsole:off",
    db,
  ];
}

/** Starts `argv` and fails fast when it exits before `ready` resolves. */
export async function startProcess(argv: readonly string[], ready: () => Promise<void>): Promise<TestProcess> {
  const proc = spawnProcess(argv);
  let exited = false;
  void proc.exited().then(() => (exited = true));
  try {
    await Promise.race([
      ready(),
      proc.exited().then((code) => {
        throw new Error(`"${argv[0]}" exited with code ${code} while starting: ${proc.stderr().trim()}`);
      }),
    ]);
  } catch (error) {
    if (!exited) await proc.kill();
    throw error;
  }
  return proc;
}
