// `incusx daemon` as a process against a real dnsmasq (root only): a NIC
// attached over the API is configured inside its namespace by the one
// daemon process, `forknet dhcp --daemon` hands its NIC over, SIGTERM stops
// the runners keeping every address and removes the socket, and a client
// that is not root is refused.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DaemonClient, type DaemonEvent } from "@incusx/daemon";
import { CLI, dhcpAddresses, dhcpv4Addresses, perTestResources, skipReason, type TestNetwork } from "./dhcp-support.js";

const reason = skipReason();
const { network, state } = perTestResources();
const root = fileURLToPath(new URL("../../", import.meta.url));

interface DaemonProcess {
  readonly child: ChildProcess;
  readonly socket: string;
  readonly client: DaemonClient;
  stderr(): string;
  exited(): Promise<number | null>;
}

async function startDaemon(dir: string): Promise<DaemonProcess> {
  const config = join(dir, "host.json");
  writeFileSync(config, JSON.stringify({ stateDir: join(dir, "state"), plugins: [{ module: join(root, "plugins/dhcpv4") }, { module: join(root, "plugins/dhcpv6") }] }));
  const socket = join(dir, "run", "daemon.sock");
  const child = spawn(process.execPath, [CLI, "daemon", "--config", config, "--socket", socket], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = Date.now();
  while (!stderr.includes("daemon listening on")) {
    if (child.exitCode !== null || Date.now() - started > 30_000) throw new Error(`The daemon did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, socket, client: new DaemonClient(socket), stderr: () => stderr, exited: () => exit };
}

async function configured(net: TestNetwork): Promise<boolean> {
  return (await dhcpv4Addresses(net)).length === 1 && (await dhcpAddresses(net)).length === 1;
}

async function stopDaemon(daemon: DaemonProcess): Promise<number | null> {
  if (daemon.child.exitCode === null) daemon.child.kill("SIGTERM");
  const timer = setTimeout(() => daemon.child.kill("SIGKILL"), 10_000);
  const code = await daemon.exited();
  clearTimeout(timer);
  return code;
}

describe.skipIf(reason !== undefined)(`incusx daemon against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("configures a NIC attached over the API inside its namespace, and SIGTERM keeps its addresses", async () => {
    const net = await network({});
    const daemon = await startDaemon(await state());
    try {
      const events: DaemonEvent[] = [];
      const stream = await daemon.client.events((e) => events.push(e));
      const nic = await daemon.client.attach({ instance: "c1", device: "eth0", netns: net.containerNsPath, interface: net.iface });
      expect(nic).toMatchObject({ instance: "c1", netns: net.containerNsPath });
      await net.waitFor(() => configured(net), { timeoutMs: 30_000, message: `not configured; daemon stderr: ${daemon.stderr()}` });
      await net.waitFor(async () => (await daemon.client.nic("c1", "eth0")).families.every((f) => f.state === "bound") || undefined, { timeoutMs: 10_000 });
      const bound = events.filter((e) => e.type === "lease" && e.metadata.kind === "bound").map((e) => e.metadata.family);
      expect(bound.sort()).toEqual(["ipv4", "ipv6"]);
      stream.close();

      const before = (await net.addresses("container", net.iface)).map((a) => a.local).sort();
      expect(await stopDaemon(daemon)).toBe(0);
      expect(existsSync(daemon.socket)).toBe(false);
      expect((await net.addresses("container", net.iface)).map((a) => a.local).sort()).toEqual(before);
    } finally {
      await stopDaemon(daemon);
    }
  }, 120_000);

  it("forknet dhcp --daemon hands its NIC to the daemon and exits 0 once configured", async () => {
    const net = await network({});
    const daemon = await startDaemon(await state());
    try {
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, "forknet", "dhcp", "--netns", net.containerNs, "--interface", net.iface, "--daemon", daemon.socket, "--json"], (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? null), stdout, stderr }),
        );
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.split("\n").filter((l) => l.includes('"kind":"bound"')).length).toBe(2);
      expect(await configured(net)).toBe(true);
      // The daemon, not the exited command, keeps the NIC.
      expect(await daemon.client.list()).toMatchObject([{ instance: net.containerNs, device: net.iface }]);
      await daemon.client.detach(net.containerNs, net.iface, { release: true });
      await net.waitFor(async () => ((await dhcpv4Addresses(net)).length === 0 && (await dhcpAddresses(net)).length === 0) || undefined, {
        timeoutMs: 15_000,
        message: `addresses not released: ${JSON.stringify(await net.addresses("container", net.iface))}; daemon stderr: ${daemon.stderr()}`,
      });
    } finally {
      await stopDaemon(daemon);
    }
  }, 120_000);

  it("refuses a client that is not root", async () => {
    const dir = await state();
    chmodSync(dir, 0o755);
    const daemon = await startDaemon(dir);
    try {
      // A client with no file of the checkout: the checkout may sit in a directory only root can enter
      // (a clone in `mktemp -d`), which would make nobody's CLI fail for another reason.
      const script = `require("node:net").connect(${JSON.stringify(daemon.socket)}).on("connect", () => { console.log("connected"); process.exit(0); }).on("error", (e) => { console.log(e.code); process.exit(0); });`;
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) =>
        execFile("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script], { cwd: "/" }, (_error, stdout, stderr) =>
          resolve({ stdout, stderr }),
        ),
      );
      expect(stdout.trim(), stderr).toBe("EACCES");
      expect(await daemon.client.list()).toEqual([]);
    } finally {
      await stopDaemon(daemon);
    }
  }, 120_000);
});
