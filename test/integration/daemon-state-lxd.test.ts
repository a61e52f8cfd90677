// `incusx daemon` as a process whose host state is a real LXD 5.0
// (@incusx/testkit/lxd): its `GET /1.0/state` shows what LXD holds, and a
// daemon SIGKILLed, with LXD changed while it was down, reads a consistent
// view once started again on the same config and state directory: the same
// document as `incusx state dump --incus-socket` reading LXD directly.
// Root and Debian's lxd; skipped, saying why, otherwise.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DaemonClient } from "@incusx/daemon";
import type { HostState } from "@incusx/sdk/host";
import { lxdSkipReason, startLxd, type LxdTestServer } from "@incusx/testkit/lxd";

const reason = lxdSkipReason();
const CLI = fileURLToPath(new URL("../../packages/cli/dist/bin.js", import.meta.url));

interface DaemonProcess {
  readonly child: ChildProcess;
  readonly client: DaemonClient;
  readonly exited: Promise<unknown>;
  stderr(): string;
}

// Started, and ready once its socket answers `GET /1.0` (or failed, if it exited first).
async function startDaemon(config: string, socket: string): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [CLI, "daemon", "--config", config, "--socket", socket], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const client = new DaemonClient(socket, { agent: false });
  await expect
    .poll(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`The daemon exited: ${stderr}`);
        return client.server().then(
          () => true,
          () => false,
        );
      },
      { timeout: 60_000, interval: 50 },
    )
    .toBe(true);
  return { child, client, exited, stderr: () => stderr };
}

async function kill(daemon: DaemonProcess | undefined): Promise<void> {
  if (daemon === undefined || daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
  daemon.child.kill("SIGKILL");
  await daemon.exited;
}

function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number((error as { code?: number }).code ?? 1), stdout, stderr }));
  });
}

const forwardsOf = (state: HostState, network: string): string[] => (state.networks ?? []).find((n) => n.name === network)?.forwards?.map((f) => f.listen_address) ?? [];
const instancesOf = (state: HostState): string[] => (state.instances ?? []).map((i) => i.name);

describe.skipIf(reason !== undefined)(`incusx daemon's GET /1.0/state on LXD 5.0${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("lists LXD's bridge, forwards and NICs, and after a SIGKILL and LXD changed meanwhile reads the same view as the server", async () => {
    let lxd: LxdTestServer | undefined;
    let daemon: DaemonProcess | undefined;
    const dir = await mkdtemp(join(tmpdir(), "incusx-daemon-state-"));
    try {
      lxd = await startLxd();
      await lxd.createInstance("c1", { devices: { eth0: { type: "nic", network: lxd.bridge, "ipv4.address": "203.0.113.20" } } });
      await lxd.createForward("198.51.100.40", { targetAddress: "203.0.113.20" });
      const config = join(dir, "host.json");
      await writeFile(config, JSON.stringify({ stateDir: join(dir, "state"), plugins: [], state: { type: "incus", socket: lxd.socketPath } }));
      const socket = join(dir, "run", "daemon.sock");

      daemon = await startDaemon(config, socket);
      const before = await daemon.client.state();
      expect((before.networks ?? []).map((n) => [n.name, n.type])).toEqual([[lxd.bridge, "bridge"]]);
      expect(forwardsOf(before, lxd.bridge)).toEqual(["198.51.100.40"]);
      expect(before.instances).toEqual([
        expect.objectContaining({ name: "c1", project: "default", devices: expect.objectContaining({ eth0: { type: "nic", network: lxd.bridge, "ipv4.address": "203.0.113.20" } }) }),
      ]);

      // Killed, not stopped: nothing of the daemon runs while LXD changes.
      await kill(daemon);
      await lxd.createForward("198.51.100.41", { targetAddress: "203.0.113.20" });
      await lxd.deleteInstance("c1");

      daemon = await startDaemon(config, socket);
      const after = await daemon.client.state();
      const direct = await cli(["state", "dump", "--incus-socket", lxd.socketPath]);
      expect(direct.stderr).toBe("");
      expect(direct.code).toBe(0);
      expect(after).toEqual(JSON.parse(direct.stdout));
      expect(forwardsOf(after, lxd.bridge).sort()).toEqual(["198.51.100.40", "198.51.100.41"]);
      expect(instancesOf(after)).not.toContain("c1");
      // The CLI through the daemon prints the very same text.
      const viaDaemon = await cli(["state", "dump", "--daemon", socket]);
      expect(viaDaemon).toEqual(direct);
    } finally {
      await kill(daemon);
      await lxd?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
