// Shared by the dhcpv6*.test.ts integration tests: runs the built
// `incusx forknet dhcp` as a user would (it enters the namespace itself) and
// reads its --json lease events.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LeaseEvent } from "@incusx/sdk";
import { afterEach } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";

export { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** The built CLI the tests run. */
export const CLI = join(root, "packages/cli/dist/bin.js");
const PLUGIN = join(root, "plugins/dhcpv6/dist/index.js");

/** Why the integration tests cannot run here, or `undefined` when they can. */
export function skipReason(): string | undefined {
  if (!rootAvailable()) return "needs root (network namespaces, veth pairs, dnsmasq)";
  if (!existsSync(CLI) || !existsSync(PLUGIN)) return "the CLI or the DHCPv6 plugin is not built; run `pnpm build` (make test does)";
  for (const tool of ["dnsmasq", "nsenter", "ip"]) {
    if (!["/usr/sbin", "/usr/bin", "/sbin", "/bin"].some((dir) => existsSync(join(dir, tool)))) return `"${tool}" is not installed`;
  }
  return undefined;
}

/** A running `incusx forknet dhcp --json`. */
export interface ForknetRun {
  readonly child: ChildProcess;
  /** Every lease event printed so far. */
  readonly events: LeaseEvent[];
  stderr(): string;
  /** Resolves with the first event (already seen or future) matching `test`. */
  waitForEvent(test: (event: LeaseEvent) => boolean, timeoutMs?: number, after?: number): Promise<LeaseEvent>;
  /** Resolves with the exit status (128+N for signal N). */
  exited(): Promise<number>;
  /** SIGTERM, then SIGKILL after 3 s; waits for the exit. */
  stop(): Promise<number>;
}

const running = new Set<ForknetRun>();

/** Starts the CLI with `--netns` of `net`'s container, `--interface eth0`, `--json` and `args`. */
export function forknet(net: TestNetwork, args: readonly string[]): ForknetRun {
  const child = spawn(
    process.execPath,
    [CLI, "forknet", "dhcp", "--netns", net.containerNs, "--interface", net.iface, "--json", ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const events: LeaseEvent[] = [];
  const listeners = new Set<() => void>();
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    const lines = stdout.split("\n");
    stdout = lines.pop() ?? "";
    for (const line of lines) if (line.startsWith("{")) events.push(JSON.parse(line) as LeaseEvent);
    for (const listener of [...listeners]) listener();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exit = new Promise<number>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : 0))),
  );
  void exit.then(() => {
    running.delete(run);
    for (const listener of [...listeners]) listener();
  });
  let exited = false;
  void exit.then(() => (exited = true));

  const run: ForknetRun = {
    child,
    events,
    stderr: () => stderr,
    waitForEvent(test, timeoutMs = 15_000, after = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = events.slice(after).find(test);
          if (found) return finish(() => resolve(found));
          if (exited) finish(() => reject(new Error(`incusx exited before the event; events: ${summary(events)}; stderr: ${stderr}`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`No matching event within ${timeoutMs} ms; events: ${summary(events)}; stderr: ${stderr}`))),
          timeoutMs,
        );
        const finish = (then: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        check();
      });
    },
    exited: () => exit,
    async stop() {
      if (!exited) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
        await exit;
        clearTimeout(timer);
      }
      return exit;
    },
  };
  running.add(run);
  return run;
}

/** Stops every CLI run still going (for afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((run) => run.stop()));
}

function summary(events: readonly LeaseEvent[]): string {
  return events.length === 0 ? "(none)" : events.map((e) => `${e.kind} ${e.family}${e.error ? ` ${e.error.code}` : ""}`).join(", ");
}

/** A fresh state directory, removed by the returned function. */
export async function stateDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "incusx-dhcpv6-it-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Networks and state directories for the tests of one file, see {@link perTestResources}. */
export interface PerTestResources {
  /** A test network (`createTestNetwork`), destroyed after the test. */
  network(options: Parameters<typeof createTestNetwork>[0]): Promise<TestNetwork>;
  /** A fresh state directory, removed after the test. */
  state(): Promise<string>;
}

/**
 * Registers an afterEach that stops every CLI run still going ({@link stopAll})
 * and then removes what the test made with the returned functions, newest
 * first, also when the test failed.
 */
export function perTestResources(): PerTestResources {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await stopAll();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async network(options) {
      const net = await createTestNetwork(options);
      cleanups.push(() => net.destroy());
      return net;
    },
    async state() {
      const s = await stateDir();
      cleanups.push(s.remove);
      return s.dir;
    },
  };
}

/** Global DHCPv6 addresses (from dnsmasq's 2001:db8:1::100-200 range) on the container's eth0. */
export async function dhcpAddresses(net: TestNetwork) {
  return (await net.addresses("container", net.iface)).filter(
    (a) => a.family === "inet6" && a.scope === "global" && /^2001:db8:1::(1[0-9a-f]{2}|200)$/.test(a.local),
  );
}

/** utime + stime of `pid` in clock ticks, from /proc/PID/stat. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces; fields after it are space-separated.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** The pid of the `incusx` process inside the container namespace (itself after setns, or the child it re-ran under nsenter). */
export async function pidInNamespace(net: TestNetwork): Promise<number> {
  return net.waitFor(
    () => {
      const stdout = execFileSync("ip", ["netns", "pids", net.containerNs], { encoding: "utf8" });
      const pids = stdout.split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number);
      return pids.find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("\0forknet\0dhcp\0"));
    },
    { timeoutMs: 10_000, message: "The incusx child did not appear in the container namespace" },
  );
}

/** A packet capture of DHCPv6 client messages on the server's side of the link (tcpdump). */
export interface Dhcpv6Capture {
  /** `[epoch seconds, message type]` of each message seen so far (`solicit`, `renew`, `rebind`, ...). */
  messages(): { at: number; type: string }[];
}

/** Starts tcpdump in the server namespace; the network's destroy() stops it. */
export async function captureDhcpv6(net: TestNetwork): Promise<Dhcpv6Capture> {
  const tcpdump = net.spawn("server", ["tcpdump", "-l", "-n", "-tt", "-i", net.serverIface, "udp", "port", "547"]);
  // tcpdump says "listening on" on stderr once its socket is open.
  await net.waitFor(() => tcpdump.stderr().includes("listening on"), { timeoutMs: 10_000, message: "tcpdump did not start" });
  return {
    messages: () =>
      tcpdump
        .stdout()
        .split("\n")
        .map((line) => /^(\d+\.\d+) IP6 \S+\.546 > \S+\.547: dhcp6 ([\w-]+)/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ at: Number(m[1]), type: m[2]! })),
  };
}
