// The LXD harness's last-resort cleanup (root and Debian's lxd; skipped,
// saying why, otherwise): a test process that leaves without stop() must
// not leave LXD, its dnsmasq, its namespace, its mounts or its LXD_DIR
// behind. The harness's everyday use is test/integration/lxd-harness.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupStaleTestNamespaces } from "../netns/namespaces.js";
import { nodeArgv } from "../netns/node-script.js";
import { spawnProcess } from "../netns/processes.js";
import { waitFor } from "../netns/wait.js";
import { lxdLeftovers, lxdSkipReason, type LxdLeftovers } from "./server.js";

const reason = lxdSkipReason();
const script = fileURLToPath(new URL("./fixtures/lxd-then-exit.ts", import.meta.url));
const hooksDir = mkdtempSync(join(tmpdir(), "incusx-lxd-hooks-"));
afterAll(() => rmSync(hooksDir, { recursive: true, force: true }));

interface Started {
  readonly ns: string;
  readonly dir: string;
  readonly inode: number;
  readonly pid: number;
}

const NOTHING_LEFT: LxdLeftovers = { namespace: false, processes: [], mounts: [], dir: false };

/** What is left once SIGKILLed processes had time to die (a kill is delivered at once, reaped a little later). */
async function settledLeftovers(started: Started): Promise<LxdLeftovers> {
  const left = () => lxdLeftovers(started.ns, started.inode, started.dir);
  await waitFor(() => JSON.stringify(left()) === JSON.stringify(NOTHING_LEFT), { timeoutMs: 10_000 }).catch(() => undefined);
  return left();
}

async function startChild(prefix: string, how: "exit" | "wait") {
  const child = spawnProcess(nodeArgv(script, [prefix, how], hooksDir));
  const line = await child.waitForLine((text) => text.startsWith("{"), 120_000);
  return { child, started: JSON.parse(line) as Started };
}

describe.skipIf(reason !== undefined)(`LXD harness without stop()${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("a test process that exits without stop(): the exit hook removes everything", { timeout: 150_000 }, async () => {
    const { child, started } = await startChild("incusx-lxdx", "exit");
    expect(await child.exited()).toBe(3);
    expect(await settledLeftovers(started)).toEqual(NOTHING_LEFT);
  });

  it("a test process killed with SIGKILL: stale-namespace cleanup removes what it left", { timeout: 150_000 }, async () => {
    const { child, started } = await startChild("incusx-lxdk", "wait");
    child.child.kill("SIGKILL");
    await child.exited();
    // Nothing ran in the dead process: LXD and its namespace are still there.
    const before = lxdLeftovers(started.ns, started.inode, started.dir);
    expect(before.namespace).toBe(true);
    expect(before.processes.map((proc) => proc.pid)).toContain(started.pid);
    expect(before.mounts.length).toBeGreaterThan(0);
    expect(await cleanupStaleTestNamespaces("incusx-lxdk")).toContain(started.ns);
    expect(await settledLeftovers(started)).toEqual(NOTHING_LEFT);
  });
});
