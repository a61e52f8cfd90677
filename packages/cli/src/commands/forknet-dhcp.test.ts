import { EventEmitter } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DhcpRunnerExtension, definePlugin, type DhcpRunOptions, type DhcpRunner, type IpFamily, type Lease, type LeaseEvent } from "@incusx/sdk";
import dns from "@incusx/plugin-dns";
import dnsPackage from "@incusx/plugin-dns/package.json" with { type: "json" };
import { FakeClock, MemoryStateStore, RecordingLinkConfigurator } from "@incusx/sdk/testing";
import { commandHelp, parseCommandLine, type Command } from "../command.js";
import { reportError } from "../errors.js";
import { runCli } from "../../test/run-cli.js";
import { createForknetDhcpCommand, NETNS_ENTRY_ENV, type ForknetDhcpDeps, type NetnsEntry, type RelayedChild } from "./forknet-dhcp.js";
import { NSFS_MAGIC, defaultStateDir } from "./forknet-dhcp-options.js";

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `command` in-process the way main() does, while the test drives clock and signals. */
function start(command: Command, argv: string[], cwd = "/work", stderrIsTTY = false): { done: Promise<Run>; out: () => string; err: () => string } {
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: { write: (c: string) => (stdout += c) },
    stderr: Object.assign({ write: (c: string) => (stderr += c) }, stderrIsTTY ? { isTTY: true } : {}),
    cwd,
  };
  const done = (async () => {
    let status: number;
    try {
      const args = parseCommandLine(command, argv);
      status = args === "help" ? (io.stdout.write(commandHelp(command)), 0) : await command.run(args, io);
    } catch (error) {
      status = reportError(io.stderr, error);
    }
    return { status, stdout, stderr };
  })();
  return { done, out: () => stdout, err: () => stderr };
}

const v6Lease = (clock: FakeClock): Lease => ({
  family: "ipv6",
  interface: "eth0",
  server: "000300015254000000aa",
  obtainedAt: clock.now(),
  addresses: [{ address: "2001:db8:1::1a5", prefixLength: 128, preferredLifetime: 3600, validLifetime: 3600 }],
  routes: [],
  dns: { servers: ["2001:db8:1::53"], search: ["example.test"] },
});

/** A runner calling `script` once per run, then waiting to be stopped. */
function runner(family: IpFamily, script: (o: DhcpRunOptions) => void = () => {}): DhcpRunner & { seen: DhcpRunOptions[] } {
  const seen: DhcpRunOptions[] = [];
  return {
    family,
    seen,
    run: async (options) => {
      seen.push(options);
      script(options);
      await new Promise((resolve) => options.signal.addEventListener("abort", resolve, { once: true }));
      if (options.releaseOnStop) {
        options.emit({ kind: "released", family, interface: options.interface, at: 0 });
      }
    },
  };
}

function pluginOf(id: string, runners: DhcpRunner[]) {
  return {
    plugin: definePlugin({ id, register: (r) => runners.forEach((x) => r.contribute(DhcpRunnerExtension, { useValue: x })) }),
    manifest: { id, apiVersions: ["1"], provides: ["dhcp-runner"] },
  };
}

let clock: FakeClock;
let link: RecordingLinkConfigurator;
let signals: EventEmitter;
let stateDir: string;

beforeEach(async () => {
  clock = new FakeClock(Date.UTC(2026, 0, 1));
  link = new RecordingLinkConfigurator();
  signals = new EventEmitter();
  stateDir = await mkdtemp(join(tmpdir(), "incusx-forknet-"));
  linkReads = [];
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

let linkReads: string[];

function childDeps(runners: DhcpRunner[]): ForknetDhcpDeps {
  return {
    readLink: async (iface) => void linkReads.push(iface),
    plugins: [pluginOf("test.dhcp", runners)],
    services: { clock, linkConfigurator: link, logSink: () => {}, stateStore: () => new MemoryStateStore() },
    signals: signals as unknown as ForknetDhcpDeps["signals"],
  };
}

function child(runners: DhcpRunner[], extra: Partial<ForknetDhcpDeps> = {}): Command {
  return createForknetDhcpCommand({ ...childDeps(runners), ...extra });
}

const inNetns = (...more: string[]) => ["--in-netns", "--netns", "ctr", "--interface", "eth0", "--state-dir", stateDir, ...more];
const bind = (clock: FakeClock) => (o: DhcpRunOptions) =>
  o.emit({ kind: "bound", family: "ipv6", interface: o.interface, at: clock.now(), lease: v6Lease(clock) });

describe("incusx forknet dhcp: command line", () => {
  it("shows its options in --help, without the internal --in-netns", async () => {
    const run = await runCli(["forknet", "dhcp", "--help"], "/");
    expect(run.status).toBe(0);
    for (const option of ["--netns NAME|PATH", "--interface IF", "--hostname H", "--state-dir DIR", "--resolv-conf FILE", "--no-ipv4", "--no-ipv6", "--exit-when-configured", "--timeout SECONDS", "--json", "--release", "--config FILE"]) {
      expect(run.stdout).toContain(option);
    }
    expect(run.stdout).not.toContain("in-netns");
  });

  it("is listed in the command overview and under incusx forknet", async () => {
    expect((await runCli(["--help"], "/")).stdout).toMatch(/^ {2}forknet dhcp +Configure an interface/m);
    expect((await runCli(["forknet", "--help"], "/")).stdout).toMatch(/^ {2}dhcp +Configure an interface/m);
    const missing = await runCli(["forknet"], "/");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('Missing subcommand of "incusx forknet"');
  });

  it.each([
    [["--interface", "eth0"], 'Option "--netns" is required'],
    [["--netns", "ctr", "--daemon", "/run/incusx/daemon.sock"], 'Option "--daemon" needs "--interface"'],
    [["--netns", "ctr", "--interface", "eth0", "--interfaces-json", "interfaces.json"], 'Option "--interfaces-json" applies only without "--interface"'],
    [["--netns", "ctr", "--interface", "eth0", "--no-ipv4", "--no-ipv6"], 'Options "--no-ipv4" and "--no-ipv6" leave nothing to do'],
    [["--netns", "ctr", "--interface", "eth0", "--exit-when-configured", "--timeout", "soon"], 'Invalid value for "--timeout": "soon" is not a positive number of seconds'],
    [["--netns", "ctr", "--interface", "eth0", "--exit-when-configured", "--timeout", "0"], 'Invalid value for "--timeout": "0"'],
    [["--netns", "ctr", "--interface", "eth0", "--timeout", "5"], 'Option "--timeout" only applies with "--exit-when-configured"'],
    [["--netns", "ctr", "--interface", "eth0", "--release", "--exit-when-configured"], 'Options "--release" and "--exit-when-configured" cannot be combined'],
    [["--netns", "a/b", "--interface", "eth0"], 'Invalid network namespace name "a/b"'],
    [["--netns", "ctr", "--interface", "a/b"], 'Invalid interface name "a/b"'],
    [["--netns", "ctr", "--interface", "eth0", "--colour"], 'Unknown option "--colour"'],
  ])("exits 2 for %j", async (argv, message) => {
    const run = await runCli(["forknet", "dhcp", ...argv], "/");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Run "incusx forknet dhcp --help" for usage.');
  });

  it("exits 1 when the network namespace does not exist", async () => {
    const run = await start(createForknetDhcpCommand({ netnsFsType: () => undefined }), ["--netns", "nope", "--interface", "eth0"]).done;
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('incusx: error[NOT_FOUND]: Network namespace "nope" not found: "/run/netns/nope" does not exist');
  });

  it("names the default state directory after the namespace", () => {
    expect(defaultStateDir("ctr1")).toBe("/var/lib/incusx/forknet/ctr1");
    expect(defaultStateDir("/run/netns/ctr1")).toBe("/var/lib/incusx/forknet/ctr1");
    expect(defaultStateDir("/proc/42/ns/net")).toBe("/var/lib/incusx/forknet/proc_42_ns_net");
  });
});

describe("incusx forknet dhcp: entering the namespace", () => {
  class FakeChild extends EventEmitter implements RelayedChild {
    readonly killed: string[] = [];
    kill(signal: NodeJS.Signals): boolean {
      this.killed.push(signal);
      return true;
    }
  }

  /** A namespace entry that records what it was asked; `unavailable` says why setns cannot work. */
  function entry(options: { current?: boolean; unavailable?: string; fail?: Error } = {}): NetnsEntry & { entered: string[] } {
    const entered: string[] = [];
    return {
      entered,
      isCurrent: () => options.current ?? false,
      unavailable: () => options.unavailable,
      enter: (path) => {
        if (options.fail) throw options.fail;
        entered.push(path);
      },
    };
  }

  function parent(extra: Partial<ForknetDhcpDeps> = {}) {
    const spawned: { command: string; args: readonly string[] }[] = [];
    const proc = new FakeChild();
    const command = createForknetDhcpCommand({
      netnsFsType: () => NSFS_MAGIC,
      binPath: "/opt/incusx/dist/bin.js",
      signals: signals as unknown as ForknetDhcpDeps["signals"],
      netnsEntry: entry({ unavailable: "The native addon of @incusx/linux-net is not built" }),
      spawn: (cmd, args) => {
        spawned.push({ command: cmd, args });
        return proc;
      },
      ...extra,
    });
    return { command, spawned, proc };
  }

  it("enters the namespace in-process with setns and does the work in the same process", async () => {
    const netnsEntry = entry();
    const p = parent({ ...childDeps([runner("ipv6", bind(clock))]), netnsEntry });
    const run = await start(p.command, ["--netns", "ctr", "--interface", "eth0", "--state-dir", stateDir, "--no-ipv4", "--exit-when-configured"]).done;
    expect(run.status, run.stderr).toBe(0);
    expect(netnsEntry.entered).toEqual(["/run/netns/ctr"]);
    expect(p.spawned).toEqual([]);
    // Read at once, so a held-back carrier change is applied (and DAD starts) before the plugins load.
    expect(linkReads).toEqual(["eth0"]);
    expect(run.stdout).toMatch(/^bound ipv6 eth0 2001:db8:1::1a5\/128/);
  });

  it("enters nothing when it already runs in the namespace", async () => {
    const netnsEntry = entry({ current: true });
    const p = parent({ ...childDeps([runner("ipv6", bind(clock))]), netnsEntry });
    const run = await start(p.command, ["--netns", "/proc/self/ns/net", "--interface", "eth0", "--state-dir", stateDir, "--no-ipv4", "--exit-when-configured"]).done;
    expect(run.status, run.stderr).toBe(0);
    expect(netnsEntry.entered).toEqual([]);
    expect(p.spawned).toEqual([]);
  });

  it(`uses nsenter when ${NETNS_ENTRY_ENV}=nsenter, even where setns works`, async () => {
    const netnsEntry = entry();
    const p = parent({ netnsEntry, env: { [NETNS_ENTRY_ENV]: "nsenter" } });
    const run = start(p.command, ["--netns", "ctr", "--interface", "eth0"]);
    await new Promise((r) => setImmediate(r));
    expect(p.spawned.map((s) => s.command)).toEqual(["nsenter"]);
    expect(netnsEntry.entered).toEqual([]);
    p.proc.emit("exit", 0, null);
    expect((await run.done).status).toBe(0);
  });

  it("exits 1 with the reason when setns refuses the namespace", async () => {
    const fail = Object.assign(new Error('Cannot enter network namespace "/run/netns/ctr": Failed to enter the network namespace: Invalid argument (EINVAL)'), { code: "EINVAL" });
    const p = parent({ netnsEntry: entry({ fail }) });
    const run = await start(p.command, ["--netns", "ctr", "--interface", "eth0"]).done;
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`incusx: error[EINVAL]: ${fail.message}\n`);
    expect(p.spawned).toEqual([]);
  });

  it("re-runs itself under nsenter, with the same options and paths made absolute, when it cannot enter in-process", async () => {
    const p = parent();
    const run = start(p.command, ["--netns", "ctr", "--interface", "eth0", "--state-dir", "state", "--no-ipv4", "--exit-when-configured", "--timeout", "2.5", "--json", "--hostname", "c1"], "/srv");
    await new Promise((r) => setImmediate(r));
    expect(p.spawned).toEqual([
      {
        command: "nsenter",
        args: [
          "--net=/run/netns/ctr", "--", process.execPath, "/opt/incusx/dist/bin.js",
          "forknet", "dhcp", "--in-netns", "--netns", "ctr", "--interface", "eth0",
          "--hostname", "c1", "--state-dir", "/srv/state", "--no-ipv4", "--exit-when-configured", "--timeout", "2.5", "--json",
        ],
      },
    ]);
    p.proc.emit("exit", 3, null);
    expect((await run.done).status).toBe(3);
  });

  it("without --interface, re-runs itself under nsenter for every interface, passing --interfaces-json as an absolute path", async () => {
    const p = parent();
    const run = start(p.command, ["--netns", "ctr", "--interfaces-json", "interfaces.json", "--state-dir", "state"], "/srv");
    await new Promise((r) => setImmediate(r));
    expect(p.spawned[0]!.args.slice(4)).toEqual([
      "forknet", "dhcp", "--in-netns", "--netns", "ctr", "--interfaces-json", "/srv/interfaces.json", "--state-dir", "/srv/state",
    ]);
    p.proc.emit("exit", 0, null);
    expect((await run.done).status).toBe(0);
  });

  it("forwards SIGTERM and SIGINT to the child and exits as the child did", async () => {
    const p = parent();
    const run = start(p.command, ["--netns", "/proc/42/ns/net", "--interface", "eth0"]);
    await new Promise((r) => setImmediate(r));
    expect(p.spawned[0]!.args[0]).toBe("--net=/proc/42/ns/net");
    signals.emit("SIGTERM");
    signals.emit("SIGINT");
    expect(p.proc.killed).toEqual(["SIGTERM", "SIGINT"]);
    p.proc.emit("exit", null, "SIGTERM");
    expect((await run.done).status).toBe(143);
    expect(signals.listenerCount("SIGTERM")).toBe(0);
  });

  it("exits 1 when nsenter cannot be started", async () => {
    const p = parent();
    const run = start(p.command, ["--netns", "ctr", "--interface", "eth0"]);
    await new Promise((r) => setImmediate(r));
    p.proc.emit("error", new Error("spawn nsenter ENOENT"));
    const result = await run.done;
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('error[SPAWN_FAILED]: Cannot run "nsenter": spawn nsenter ENOENT');
  });
});

describe("incusx forknet dhcp: inside the namespace", () => {
  it("exits 0 once every family is configured, with the address on the link and one JSON line per event", async () => {
    const v6 = runner("ipv6", bind(clock));
    const run = await start(child([v6]), inNetns("--no-ipv4", "--exit-when-configured", "--json", "--hostname", "c1")).done;
    expect(run.status).toBe(0);
    const events = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as LeaseEvent);
    expect(events.map((e) => [e.kind, e.family])).toEqual([["bound", "ipv6"]]);
    expect(events[0]!.lease?.dns.servers).toEqual(["2001:db8:1::53"]);
    expect((await link.snapshot("eth0")).addresses.map((a) => a.address)).toEqual(["2001:db8:1::1a5"]);
    expect(v6.seen[0]).toMatchObject({ interface: "eth0", hostname: "c1", releaseOnStop: false });
    expect(v6.seen[0]!.signal.aborted).toBe(true);
  });

  it("exits 3 at --timeout when only some families are configured", async () => {
    const run = start(child([runner("ipv4"), runner("ipv6", bind(clock))]), inNetns("--exit-when-configured", "--timeout", "10"));
    await clock.advance(9_999);
    expect(run.out()).toMatch(/^bound ipv6 eth0 2001:db8:1::1a5\/128 preferred 3600s valid 3600s dns 2001:db8:1::53 search example.test$/m);
    await clock.advance(1);
    expect((await run.done).status).toBe(3);
  });

  it("exits 4 at --timeout when no family is configured", async () => {
    const run = start(child([runner("ipv6")]), inNetns("--exit-when-configured", "--timeout", "1"));
    await clock.advance(1_000);
    const result = await run.done;
    expect(result.status).toBe(4);
    expect(result.stderr).toContain('incusx: note: no DHCP runner for "ipv4" is loaded; ipv4 is left alone');
  });

  it("says at --timeout, per family, why nothing was configured: on stderr, and as a JSON line with --json", async () => {
    const noReply = runner("ipv4", (o) => o.attemptFailed?.({ code: "NO_REPLY", message: "no reply after 4 Discovers", attempts: 4 }));
    const noLinkLocal = runner("ipv6", (o) => {
      o.attemptFailed?.({ code: "NO_ADDRS_AVAIL", message: "earlier word, superseded" });
      o.emit({ kind: "failed", family: "ipv6", interface: o.interface, at: clock.now(), error: { code: "NO_LINK_LOCAL", message: '"eth0" has no IPv6 link-local address' } });
    });
    const run = start(child([noReply, noLinkLocal]), inNetns("--exit-when-configured", "--timeout", "3", "--json"));
    await clock.advance(3_000);
    const result = await run.done;
    expect(result.status).toBe(4);
    expect(result.stderr).toContain("incusx: ipv4 not configured on eth0: no reply after 4 Discovers [NO_REPLY]\n");
    expect(result.stderr).toContain('incusx: ipv6 not configured on eth0: "eth0" has no IPv6 link-local address [NO_LINK_LOCAL]\n');
    const lines = result.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.kind === "timeout")).toEqual([
      { kind: "timeout", family: "ipv4", interface: "eth0", reason: { code: "NO_REPLY", message: "no reply after 4 Discovers", attempts: 4 } },
      { kind: "timeout", family: "ipv6", interface: "eth0", reason: { code: "NO_LINK_LOCAL", message: '"eth0" has no IPv6 link-local address' } },
    ]);
  });

  it("says at --timeout that no failure was reported when a runner said nothing, and nothing for a configured family", async () => {
    const run = start(child([runner("ipv4"), runner("ipv6", bind(clock))]), inNetns("--exit-when-configured", "--timeout", "2"));
    await clock.advance(2_000);
    const result = await run.done;
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("incusx: ipv4 not configured on eth0: no lease yet and no failure reported [NO_LEASE]\n");
    expect(result.stderr).not.toContain("ipv6 not configured");
  });

  it("does not count a lease the link refused as configured", async () => {
    link.failNext("addAddress", new Error("RTNETLINK answers: Permission denied"));
    const run = start(child([runner("ipv6", bind(clock))]), inNetns("--exit-when-configured", "--timeout", "5", "--json"));
    await clock.advance(5_000);
    const result = await run.done;
    expect(result.status).toBe(4);
    expect(result.stdout).toContain('"code":"LINK_FAILED"');
  });

  it("runs until SIGTERM, then stops cleanly with status 0, leaving the address", async () => {
    const v6 = runner("ipv6", bind(clock));
    const run = start(child([v6]), inNetns());
    await clock.advance(60_000);
    signals.emit("SIGTERM");
    const result = await run.done;
    expect(result.status).toBe(0);
    expect(v6.seen).toHaveLength(1);
    expect((await link.snapshot("eth0")).addresses).toHaveLength(1);
    expect(signals.listenerCount("SIGTERM") + signals.listenerCount("SIGINT")).toBe(0);
  });

  it("releases on SIGINT with --release and removes the address", async () => {
    const v6 = runner("ipv6", bind(clock));
    const run = start(child([v6]), inNetns("--release"));
    await clock.advance(1_000);
    signals.emit("SIGINT");
    const result = await run.done;
    expect(result.status).toBe(0);
    expect(v6.seen[0]!.releaseOnStop).toBe(true);
    expect(result.stdout).toMatch(/^released ipv6 eth0$/m);
    expect((await link.snapshot("eth0")).addresses).toEqual([]);
  });

  it("shows which families it still waits for on a terminal, and clears the line when done", async () => {
    const run = start(child([runner("ipv4"), runner("ipv6", bind(clock))]), inNetns("--exit-when-configured", "--timeout", "5"), "/work", true);
    await clock.advance(1);
    // Both at first; once IPv6 is bound, only IPv4.
    expect(run.err().indexOf("Waiting for ipv4 and ipv6 on eth0...")).toBeGreaterThanOrEqual(0);
    expect(run.err().lastIndexOf("Waiting for ipv4 on eth0...")).toBeGreaterThan(run.err().indexOf("Waiting for ipv4 and ipv6"));
    await clock.advance(5_000);
    const result = await run.done;
    expect(result.status).toBe(3);
    expect(result.stderr.endsWith("\r\x1b[K")).toBe(true);
  });

  it("shows no status line off a terminal or with --json", async () => {
    for (const [tty, args] of [[false, []], [true, ["--json"]]] as const) {
      const run = start(child([runner("ipv6", bind(clock))]), inNetns("--no-ipv4", "--exit-when-configured", ...args), "/work", tty);
      expect((await run.done).stderr).not.toContain("Waiting");
    }
  });

  it("exits 4 on a signal before anything was configured with --exit-when-configured", async () => {
    const run = start(child([runner("ipv6")]), inNetns("--exit-when-configured"));
    await clock.advance(1_000);
    signals.emit("SIGTERM");
    expect((await run.done).status).toBe(4);
  });

  it("exits 1 when no runner serves an enabled family", async () => {
    const result = await start(child([runner("ipv4")]), inNetns("--no-ipv4")).done;
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('incusx: error[NO_RUNNER]: No DHCP runner serves "ipv6"');
  });

  it("writes the lease's DNS to --resolv-conf before it exits", async () => {
    const resolvConf = join(stateDir, "resolv.conf");
    const dnsPlugin = { plugin: dns, manifest: dnsPackage.incusx };
    const run = start(child([runner("ipv6", bind(clock))], { dnsPlugin }), inNetns("--no-ipv4", "--exit-when-configured", "--resolv-conf", resolvConf));
    const result = await run.done;
    expect(result.status).toBe(0);
    expect(result.stderr).not.toContain("--resolv-conf");
    const written = await readFile(resolvConf, "utf8");
    expect(written).toMatch(/^# Generated by incusx/);
    expect(written).toContain("nameserver 2001:db8:1::53\n");
    expect(written).toContain("search example.test\n");
  });

  it("notes when --config loads no DNS plugin, so --resolv-conf is not written", async () => {
    const config = join(stateDir, "host.json");
    await writeFile(config, JSON.stringify({ plugins: [] }));
    const resolvConf = join(stateDir, "resolv.conf");
    const result = await start(child([]), inNetns("--config", config, "--resolv-conf", resolvConf)).done;
    expect(result.stderr).toContain('incusx: note: plugin "incusx.dns" is not running, so "--resolv-conf" is not written');
    await expect(readFile(resolvConf, "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("reports a plugin that failed to start and goes on with the others", async () => {
    const broken = {
      plugin: definePlugin({ id: "test.broken", start: () => { throw new Error("No socket"); } }),
      manifest: { id: "test.broken", apiVersions: ["1"] },
    };
    const command = createForknetDhcpCommand({
      plugins: [broken, pluginOf("test.dhcp", [runner("ipv6", bind(clock))])],
      services: { clock, linkConfigurator: link, logSink: () => {}, stateStore: () => new MemoryStateStore() },
      signals: signals as unknown as ForknetDhcpDeps["signals"],
    });
    const result = await start(command, inNetns("--exit-when-configured")).done;
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('error[PLUGIN_FAILED]: Plugin "test.broken" failed to start: No socket');
  });
});
