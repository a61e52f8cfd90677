// `incusx nic attach|detach|list --daemon` and `incusx forknet dhcp --daemon`
// against a daemon running in this process (fixture runners binding fixed
// leases, a recording link, namespaces not opened), and `incusx daemon`
// itself driven by signals.
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Daemon, DaemonClient, DaemonServer } from "@incusx/daemon";
import { RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { parseCommandLine } from "../command.js";
import { runCli } from "../../test/run-cli.js";
import { createDaemonCommand } from "./daemon.js";
import { createForknetDhcpCommand } from "./forknet-dhcp.js";
import { NSFS_MAGIC } from "./forknet-dhcp-options.js";

// Conditions, not sleeps; generous for a machine other work loads.
const poll = <T>(check: () => T | Promise<T>) => expect.poll(check, { timeout: 15_000, interval: 20 });

const FIXTURE = fileURLToPath(new URL("../../../daemon/test/fixtures/plugin-static-lease", import.meta.url));

let dir: string;
let socket: string;
let link: RecordingLinkConfigurator;
let daemon: Daemon;
let server: DaemonServer;

function hostConfig(config: object): string {
  const file = join(dir, "host.json");
  writeFileSync(file, JSON.stringify({ stateDir: "state", plugins: [{ module: FIXTURE, config }] }));
  return file;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "incusx-cli-daemon-"));
  socket = join(dir, "daemon.sock");
  link = new RecordingLinkConfigurator();
  daemon = await Daemon.start({
    config: hostConfig({ ipv4: "192.0.2.10", ipv6: "2001:db8:1::10" }),
    logSink: () => {},
    perNic: { openNetns: (path) => ({ path, fd: -1, close() {} }), linkFor: () => link },
  });
  server = await DaemonServer.listen(daemon, { socket });
});

afterEach(async () => {
  await server.close();
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("incusx nic attach|detach|list --daemon", () => {
  it("attaches, lists with state and addresses, and detaches", async () => {
    const attach = await runCli(["nic", "attach", "--daemon", socket, "--instance", "c1", "--device", "eth0", "--netns", "c1", "--interface", "eth0"], dir);
    expect(attach.stderr).toBe("");
    expect(attach.stdout).toBe('NIC "c1/eth0" attached on eth0 in /run/netns/c1\n');
    await poll(async () => (await runCli(["nic", "list", "--daemon", socket], dir)).stdout).toBe(
      [
        "NIC      INTERFACE  FAMILY  STATE  ADDRESSES",
        "c1/eth0  eth0       ipv4    bound  192.0.2.10/24",
        "c1/eth0  eth0       ipv6    bound  2001:db8:1::10/64",
        "",
      ].join("\n"),
    );
    const json = JSON.parse((await runCli(["nic", "list", "--daemon", socket, "--json"], dir)).stdout);
    expect(json[0]).toMatchObject({ instance: "c1", device: "eth0", netns: "/run/netns/c1" });

    const detach = await runCli(["nic", "detach", "--daemon", socket, "--instance", "c1", "--device", "eth0", "--release"], dir);
    expect(detach).toMatchObject({ status: 0, stdout: 'NIC "c1/eth0" detached, leases released\n' });
    expect((await runCli(["nic", "list", "--daemon", socket], dir)).stdout).toBe("No NIC attached\n");
    expect((await link.snapshot("eth0")).addresses).toEqual([]);
  });

  it("prints the daemon's refusals with their code and exits 1", async () => {
    const unknown = await runCli(["nic", "detach", "--daemon", socket, "--instance", "nobody", "--device", "eth0"], dir);
    expect(unknown).toMatchObject({ status: 1, stderr: 'incusx: error[NOT_FOUND]: NIC "eth0" of instance "nobody" is not attached\n' });
    const bad = await runCli(["nic", "attach", "--daemon", socket, "--instance", "c 1", "--device", "eth0", "--netns", "c1", "--interface", "eth0"], dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^incusx: error\[INVALID_CONFIG\]: request: \/instance: must match pattern/);
    const absent = await runCli(["nic", "list", "--daemon", join(dir, "nothing.sock")], dir);
    expect(absent.status).toBe(1);
    expect(absent.stderr).toMatch(/error\[DAEMON_UNREACHABLE\]: .*no such socket/);
  });
});

describe("incusx forknet dhcp --daemon", () => {
  async function forknet(argv: string[]) {
    const command = createForknetDhcpCommand({ netnsFsType: () => NSFS_MAGIC, signals: new EventEmitter() });
    const args = parseCommandLine(command, argv);
    if (args === "help") throw new Error("help");
    let stdout = "";
    let stderr = "";
    const status = await command.run(args, { stdout: { write: (c: string) => (stdout += c) }, stderr: { write: (c: string) => (stderr += c) }, cwd: dir });
    return { status, stdout, stderr };
  }

  it("hands the NIC to the daemon and exits 0 once every family is configured, running no runner itself", async () => {
    const run = await forknet(["--netns", "ctr1", "--interface", "eth0", "--daemon", socket]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^bound ipv(4|6) eth0 /m);
    expect(run.stdout.split("\n").filter((l) => l.startsWith("bound")).length).toBe(2);
    // The daemon keeps the NIC: the command only handed it over.
    expect(await new DaemonClient(socket).nic("ctr1", "eth0")).toMatchObject({ netns: "/run/netns/ctr1", interface: "eth0" });
  });

  it("reports a refused hand-over (NIC attached already) with exit 1", async () => {
    await new DaemonClient(socket).attach({ instance: "ctr1", device: "eth0", netns: "ctr1", interface: "eth0" });
    const run = await forknet(["--netns", "ctr1", "--interface", "eth0", "--daemon", socket, "--json"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^incusx: error\[IN_USE\]: NIC "eth0" of instance "ctr1" is attached already/);
  });

  it("waits only for the families asked for", async () => {
    const run = await forknet(["--netns", "ctr1", "--interface", "eth0", "--daemon", socket, "--no-ipv4", "--timeout", "0.2"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^bound ipv6/);
  });

  it("passes --resolv-conf on to the daemon as a file of the host's root", async () => {
    const resolvConf = join(dir, "resolv.conf");
    const run = await forknet(["--netns", "ctr1", "--interface", "eth0", "--daemon", socket, "--resolv-conf", resolvConf]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(await new DaemonClient(socket).nic("ctr1", "eth0")).toMatchObject({ resolv_conf: { root: "/", path: resolvConf } });
  });

  it("refuses options the daemon's own config decides", async () => {
    await expect(forknet(["--netns", "ctr1", "--interface", "eth0", "--daemon", socket, "--state-dir", dir])).rejects.toThrow(/"--state-dir" does not apply with "--daemon"/);
  });
});

describe("incusx daemon", () => {
  it("serves until SIGTERM, reloads on SIGHUP, then removes its socket and exits 0", async () => {
    const signals = new EventEmitter();
    const own = join(dir, "own.sock");
    const command = createDaemonCommand({ signals });
    const args = parseCommandLine(command, ["--config", hostConfig({ ipv4: "192.0.2.30" }), "--socket", own]);
    if (args === "help") throw new Error("help");
    let stderr = "";
    const done = command.run(args, { stdout: { write: () => true }, stderr: { write: (c: string) => (stderr += c) }, cwd: dir });
    await poll(() => stderr).toContain(`incusx: daemon listening on ${own}`);
    const client = new DaemonClient(own);
    expect(((await client.server()).environment as { generation: number }).generation).toBe(0);
    signals.emit("SIGHUP");
    await poll(async () => ((await client.server()).environment as { generation: number }).generation).toBe(1);
    signals.emit("SIGTERM");
    expect(await done).toBe(0);
    expect(() => statSync(own)).toThrow(/ENOENT/);
  });

  it("serves /metrics on --metrics-listen until SIGTERM, and refuses a malformed address with exit 1", async () => {
    const signals = new EventEmitter();
    const own = join(dir, "metrics.sock");
    const command = createDaemonCommand({ signals });
    const args = parseCommandLine(command, ["--config", hostConfig({ ipv4: "192.0.2.30" }), "--socket", own, "--metrics-listen", "127.0.0.1:0"]);
    if (args === "help") throw new Error("help");
    let stderr = "";
    const done = command.run(args, { stdout: { write: () => true }, stderr: { write: (c: string) => (stderr += c) }, cwd: dir });
    await poll(() => stderr).toMatch(/incusx: metrics on http:\/\/127\.0\.0\.1:\d+\/metrics\n/);
    const url = /metrics on (\S+)/.exec(stderr)![1]!;
    const scrape = await fetch(url);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(/^incusx_plugin_start_duration_seconds\{plugin="fixture\.static-lease"\} /m);
    signals.emit("SIGTERM");
    expect(await done).toBe(0);

    const bad = await runCli(["daemon", "--config", hostConfig({ ipv4: "192.0.2.30" }), "--socket", own, "--metrics-listen", "9464"], dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/error\[INVALID_CONFIG\]: Invalid metrics address "9464"/);
  });

  it("serves the config's daemon.metricsListen, prints where after a SIGHUP moves it, and lets --metrics-listen win", async () => {
    const signals = new EventEmitter();
    const own = join(dir, "config-metrics.sock");
    const file = hostConfig({ ipv4: "192.0.2.30" });
    const withAddress = (address?: string) => {
      const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...config, daemon: address === undefined ? {} : { metricsListen: address } }));
    };
    withAddress("127.0.0.1:0");
    const command = createDaemonCommand({ signals });
    const args = parseCommandLine(command, ["--config", file, "--socket", own]);
    if (args === "help") throw new Error("help");
    let stderr = "";
    const done = command.run(args, { stdout: { write: () => true }, stderr: { write: (c: string) => (stderr += c) }, cwd: dir });
    await poll(() => stderr).toMatch(/incusx: metrics on http:\/\/127\.0\.0\.1:\d+\/metrics\n/);
    withAddress("[::1]:0");
    signals.emit("SIGHUP");
    await poll(() => stderr).toMatch(/incusx: metrics on http:\/\/\[::1\]:\d+\/metrics\n/);
    const moved = /incusx: metrics on (http:\/\/\[::1\]:\d+\/metrics)\n/.exec(stderr)![1]!;
    expect((await fetch(moved)).status).toBe(200);
    withAddress(undefined);
    signals.emit("SIGHUP");
    await poll(() => stderr).toContain("incusx: metrics no longer on TCP\n");
    signals.emit("SIGTERM");
    expect(await done).toBe(0);

    // The command line's address wins over the config's.
    withAddress("[::1]:0");
    const flagged = parseCommandLine(command, ["--config", file, "--socket", own, "--metrics-listen", "127.0.0.1:0"]);
    if (flagged === "help") throw new Error("help");
    stderr = "";
    const again = command.run(flagged, { stdout: { write: () => true }, stderr: { write: (c: string) => (stderr += c) }, cwd: dir });
    await poll(() => stderr).toMatch(/incusx: metrics on http:\/\/127\.0\.0\.1:\d+\/metrics\n/);
    signals.emit("SIGTERM");
    expect(await again).toBe(0);
  });

  it("documents itself in --help, with its exit statuses", async () => {
    const help = await runCli(["daemon", "--help"], dir);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: incusx daemon \[options\]/);
    expect(help.stdout).toMatch(/^Exit status: 0 after SIGTERM/m);
    expect((await runCli(["--help"], dir)).stdout).toMatch(/^  daemon +Serve one network runtime/m);
  });

  it("needs --config or --bundle", async () => {
    const run = await runCli(["daemon", "--socket", join(dir, "x.sock")], dir);
    expect(run).toMatchObject({ status: 2 });
    expect(run.stderr).toMatch(/"--config" or "--bundle" is required/);
  });
});
