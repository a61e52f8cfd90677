// `incusx forknet dhcp <instance path> <log file>`, Incus's own invocation,
// against real dnsmasq (root only): the namespace of LXC_PID, dhcp.pid,
// the log file, readiness within 5 s, every NIC in one process with one
// default route, interfaces.json, hostname, the seeded resolv.conf and
// dhcp6.duid, in an instance directory laid out as Incus lays it out.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, perTestResources, skipReason, type TestNetwork } from "./dhcp-support.js";

const reason = skipReason();
const resources = perTestResources();
const workers: number[] = [];
afterEach(() => {
  // Only the workers these tests started, by their pid (read from dhcp.pid).
  for (const pid of workers.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
});

/** An instance's `network` directory as Incus writes it before start (driver_lxc.go). */
async function instanceDir(files: Record<string, string | Buffer>): Promise<{ dir: string; log: string }> {
  const root = await resources.state();
  const dir = join(root, "containers", "c1", "network");
  await mkdir(dir, { recursive: true });
  await mkdir(join(root, "logs", "c1"), { recursive: true });
  const log = join(root, "logs", "c1", "forknet-dhcp.log");
  await writeFile(log, "");
  await writeFile(join(dir, "hostname"), "c1\n");
  await writeFile(join(dir, "resolv.conf"), "options edns0\n");
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return { dir, log };
}

/** Runs Incus's invocation with LXC_PID = a process in the container namespace; resolves with its status and how long it took. */
function runIncusForm(net: TestNetwork, dir: string, log: string): Promise<{ status: number; ms: number; stderr: string }> {
  const holder = net.spawn("container", ["sleep", "600"]);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "forknet", "dhcp", dir, log], {
      env: { ...process.env, LXC_PID: String(holder.child.pid) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.once("exit", (code) => resolve({ status: code ?? -1, ms: performance.now() - started, stderr }));
  });
}

async function workerPid(dir: string): Promise<number> {
  const pid = Number(await readFile(join(dir, "dhcp.pid"), "utf8"));
  workers.push(pid);
  return pid;
}

function ip(ns: string, ...args: string[]): void {
  execFileSync("ip", ["-n", ns, ...args]);
}

describe.skipIf(reason !== undefined)(`incusx forknet dhcp in Incus's form${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("needs LXC_PID, as Incus does", async () => {
    const { dir, log } = await instanceDir({});
    const run = spawnSync(process.execPath, [CLI, "forknet", "dhcp", dir, log], { env: { PATH: process.env.PATH }, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("No LXC_PID in environment\n");
  }, 30_000);

  it("fails (exit 1, the log says why) when LXC_PID names no process, where Incus's setns fails", async () => {
    const { dir, log } = await instanceDir({});
    const run = spawnSync(process.execPath, [CLI, "forknet", "dhcp", dir, log], { env: { PATH: process.env.PATH, LXC_PID: "999999999" }, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("The DHCP worker exited with status 1 before its first configuration");
    expect(await readFile(log, "utf8")).toContain("Failed setns to container network namespace");
  }, 30_000);

  it("configures eth0 and eth1 in one background process, one default route, dhcp.pid, log, resolv.conf, DUID kept", { timeout: 120_000 }, async () => {
    const one = await resources.network({ dnsmasqArgs: ["--dhcp-option=option:domain-search,one.example"] });
    const two = await resources.network({ dnsmasqArgs: ["--dhcp-option=option:dns-server,198.51.100.53"] });
    ip(two.containerNs, "link", "set", "eth0", "down");
    ip(two.containerNs, "link", "set", "eth0", "name", "eth1");
    ip(two.containerNs, "link", "set", "eth1", "netns", one.containerNs);
    // A DUID Incus's forknet wrote before: kept, so DHCPv6 identity survives the switch.
    const duid = Buffer.from("000100012e0a0b0c02000000c1a1", "hex");
    const { dir, log } = await instanceDir({
      "interfaces.json": JSON.stringify({ eth0: { dhcp4: true, dhcp6: true, route4: true, route6: true }, eth1: { dhcp4: true, dhcp6: false, route4: true, route6: false } }),
      // oci.dns.search set, no oci.dns.nameservers: servers from both NICs' leases, the static search list replaces theirs (as Incus).
      "resolv.conf": "search static.example\noptions edns0\n",
      "dhcp6.duid": duid,
    });

    const run = await runIncusForm(one, dir, log);
    expect(run.status, run.stderr).toBe(0);
    // The foreground returned after the first configuration, within Incus's 5 s (plus Node start).
    expect(run.ms).toBeLessThan(20_000);
    const pid = await workerPid(dir);
    expect(readFileSyncSafe(`/proc/${pid}/cmdline`).includes("forknet\u0000dhcp")).toBe(true);

    const v4 = async (iface: string) => (await one.addresses("container", iface)).filter((a) => a.family === "inet" && a.local.startsWith("192.0.2."));
    await one.waitFor(async () => (await v4("eth0")).length > 0 && (await v4("eth1")).length > 0, { timeoutMs: 30_000, message: `no IPv4 on both; log: ${await readFile(log, "utf8")}` });
    // One default route, on the first interface by name, as Incus settles it.
    const defaults = await defaultRoutes(one);
    expect(defaults.map((r) => r.dev)).toEqual(["eth0"]);
    expect(readFileSyncSafe(`/proc/sys/net/ipv6/conf/eth1/accept_ra_defrtr`, one.containerNs)).toBe("0");

    const resolv = await one.waitFor(
      async () => {
        const text = await readFile(join(dir, "resolv.conf"), "utf8");
        return text.includes("192.0.2.53") && text.includes("198.51.100.53") ? text : undefined;
      },
      { timeoutMs: 30_000, message: `resolv.conf: ${await readFile(join(dir, "resolv.conf"), "utf8")}; log: ${await readFile(log, "utf8")}` },
    );
    expect(resolv).not.toContain("one.example");
    expect(resolv).toMatch(/options edns0/);
    expect(resolv).toMatch(/search static\.example/);
    expect(Buffer.from(await readFile(join(dir, "dhcp6.duid"))).equals(duid)).toBe(true);
    // dnsmasq saw the imported DUID on eth0's DHCPv6 lease.
    await one.waitFor(async () => one.dnsmasq.leases().includes("00:01:00:01:2e:0a:0b:0c:02:00:00:00:c1:a1"), {
      timeoutMs: 30_000,
      message: `DUID not in the leases: ${one.dnsmasq.leases()}`,
    });
    expect(await readFile(log, "utf8")).toContain("running dhcp on interface");

    // SIGTERM ends it, as Incus's stopDHCPClient does.
    process.kill(pid, "SIGTERM");
    await one.waitFor(() => !existsPid(pid), { timeoutMs: 10_000, message: "worker did not exit on SIGTERM" });
  });

  it("gives the default route to eth1 when eth0's gateway is none, and signals readiness after the first configuration", { timeout: 120_000 }, async () => {
    const one = await resources.network({});
    const two = await resources.network({});
    ip(two.containerNs, "link", "set", "eth0", "down");
    ip(two.containerNs, "link", "set", "eth0", "name", "eth1");
    ip(two.containerNs, "link", "set", "eth1", "netns", one.containerNs);
    const { dir, log } = await instanceDir({
      "interfaces.json": JSON.stringify({
        eth0: { dhcp4: true, dhcp6: false, route4: false, route6: false },
        eth1: { dhcp4: true, dhcp6: false, route4: true, route6: true },
      }),
    });
    // An IPv6 default route learnt before on eth0: Incus's disableIPv6Gateway deletes it.
    // `replace`: a router advertisement may have put a default route there already (adding would fail with EEXIST).
    ip(one.containerNs, "-6", "route", "replace", "default", "via", "fe80::1", "dev", "eth0");
    const run = await runIncusForm(one, dir, log);
    expect(run.status, run.stderr).toBe(0);
    await workerPid(dir);
    const v4 = async (iface: string) => (await one.addresses("container", iface)).filter((a) => a.family === "inet" && a.local.startsWith("192.0.2."));
    // The foreground returned before its 5 s: the worker had said it was configured, so both addresses are there now.
    if (run.ms < 4_500) {
      expect((await v4("eth0")).length).toBe(1);
      expect((await v4("eth1")).length).toBe(1);
    }
    await one.waitFor(async () => (await v4("eth0")).length > 0 && (await v4("eth1")).length > 0, { timeoutMs: 30_000, message: "no IPv4 on both" });
    const defaults = await defaultRoutes(one);
    expect(defaults.map((r) => r.dev)).toEqual(["eth1"]);
    expect(readFileSyncSafe("/proc/sys/net/ipv6/conf/eth0/accept_ra_defrtr", one.containerNs)).toBe("0");
    expect(readFileSyncSafe("/proc/sys/net/ipv6/conf/eth1/accept_ra_defrtr", one.containerNs)).toBe("1");
    expect(execFileSync("ip", ["-n", one.containerNs, "-6", "route", "show", "default", "dev", "eth0"]).toString()).toBe("");
  });
});

/** The container's IPv4 default routes, once there is one (the routes follow the addresses). */
function defaultRoutes(net: TestNetwork): Promise<{ dev: string }[]> {
  return net.waitFor(
    () => {
      const routes = JSON.parse(execFileSync("ip", ["-n", net.containerNs, "-json", "route", "show", "default"]).toString()) as { dev: string }[];
      return routes.length > 0 ? routes : undefined;
    },
    { timeoutMs: 30_000, message: "no default route" },
  );
}

function readFileSyncSafe(path: string, ns?: string): string {
  try {
    return ns === undefined
      ? execFileSync("cat", [path]).toString().trim()
      : execFileSync("ip", ["netns", "exec", ns, "cat", path]).toString().trim();
  } catch {
    return "";
  }
}

function existsPid(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
