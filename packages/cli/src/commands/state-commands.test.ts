// The CLI over a live Incus-compatible server (@incusx/state-incus's fake
// one): `--incus-socket` where `--state` is taken, and `incusx state dump`.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Daemon, DaemonServer } from "@incusx/daemon";
import { parseHostState } from "@incusx/host";
import { hostStateModel } from "@incusx/sdk/host";
import { IncusNetworkState } from "@incusx/state-incus";
import { FakeIncus } from "@incusx/state-incus/testing";
import { runCli } from "../../test/run-cli.js";

// Without root the kernel's credentials would refuse this run's own client: a stand-in says root then.
const asRoot = process.getuid?.() === 0 ? {} : { peerCredentials: () => ({ pid: process.pid, uid: 0, gid: 0 }) };

let fake: FakeIncus;
let dir: string;
beforeEach(async () => {
  fake = await FakeIncus.start();
  dir = await mkdtemp(join(tmpdir(), "incusx-state-cli-"));
});
afterEach(async () => {
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("--incus-socket", () => {
  it("nic validate reads the NIC and the forwards from the server", async () => {
    const ok = await runCli(["nic", "validate", "--incus-socket", fake.socket, "--instance", "c1", "--device", "eth0"], dir);
    expect(ok.stderr).toBe("");
    expect(ok).toMatchObject({ status: 0, stdout: 'NIC "c1/eth0" (ovn) is valid\n' });
    const tenant = await runCli(["nic", "validate", "--incus-socket", fake.socket, "--instance", "tenant_c2", "--device", "eth0"], dir);
    expect(tenant).toMatchObject({ status: 0 });
    (fake.data.instances[0]!.expanded_devices as Record<string, Record<string, string>>).eth0!["ipv4.address.external"] = "198.51.100.77";
    const bad = await runCli(["nic", "validate", "--incus-socket", fake.socket, "--instance", "c1", "--device", "eth0"], dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('"198.51.100.77" is not a network forward on network "ovn0"');
  });

  it("is one state source or the other, never both, and an unreachable server is STATE_UNAVAILABLE", async () => {
    const both = await runCli(["nic", "validate", "--state", "s.json", "--incus-socket", fake.socket, "--instance", "c1", "--device", "eth0"], dir);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('"--state" and "--incus-socket"');
    const none = await runCli(["nic", "validate", "--instance", "c1", "--device", "eth0"], dir);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('Missing option "--state" (or "--incus-socket")');
    const down = await runCli(["nic", "validate", "--incus-socket", join(dir, "nothing.socket"), "--instance", "c1", "--device", "eth0"], dir);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain("error[STATE_UNAVAILABLE]");
  });
});

describe("incusx state dump", () => {
  it("prints what the host sees from a server in the state-file format, valid against the state schema", async () => {
    const result = await runCli(["state", "dump", "--incus-socket", fake.socket], dir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const dumped = parseHostState(result.stdout, "dump");
    const live = new IncusNetworkState({ socket: fake.socket });
    try {
      // Read back as a state file, the dump gives the host the same NICs, networks and forwards.
      const model = hostStateModel(dumped);
      expect(model.nics).toEqual(await live.nics());
      expect(model.networks).toEqual(await live.networks());
      expect(model.forwards).toEqual([...(await live.forwards("incusbr0")), ...(await live.forwards("ovn0")), ...(await live.forwards("tenant_ovn0"))]);
    } finally {
      await live.close();
    }
    expect(dumped.instances?.find((i: { name: string }) => i.name === "tenant_c2")).toMatchObject({ project: "tenant", location: "server02", config: { "volatile.uuid": "0c9e1f3a-2b44-4d6e-8f70-91a2b3c4d502" } });
  });

  it("--daemon prints what the running daemon's host sees, the same document as reading the server directly", async () => {
    await writeFile(join(dir, "host.json"), JSON.stringify({ stateDir: "state", plugins: [], state: { type: "incus", socket: fake.socket } }));
    const daemon = await Daemon.start({ config: join(dir, "host.json"), logSink: () => {} });
    const server = await DaemonServer.listen(daemon, { socket: join(dir, "daemon.sock"), logSink: () => {}, ...asRoot });
    try {
      const viaDaemon = await runCli(["state", "dump", "--daemon", join(dir, "daemon.sock")], dir);
      expect(viaDaemon.stderr).toBe("");
      expect(viaDaemon.status).toBe(0);
      const direct = await runCli(["state", "dump", "--incus-socket", fake.socket], dir);
      expect(viaDaemon.stdout).toBe(direct.stdout);
      const both = await runCli(["state", "dump", "--daemon", join(dir, "daemon.sock"), "--incus-socket", fake.socket], dir);
      expect(both.status).toBe(2);
    } finally {
      await server.close();
      await daemon.stop();
    }
    const gone = await runCli(["state", "dump", "--daemon", join(dir, "daemon.sock")], dir);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain("DAEMON_UNREACHABLE");
  });

  it("prints a state file as the host reads it", async () => {
    await writeFile(join(dir, "s.json"), JSON.stringify({ networks: [{ name: "br0", type: "bridge" }] }));
    const result = await runCli(["state", "dump", "--state", "s.json"], dir);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ networks: [{ name: "br0", type: "bridge" }] });
  });
});
