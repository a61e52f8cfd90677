// dist/forknet.bundle.mjs, the one-file `incusx forknet dhcp`, and its
// startup snapshot dist/forknet.snapshot.blob run by the launcher
// dist/incusx-forknet, against a real dnsmasq in a test network (root
// only): the same end-to-end path as the unbundled command, with the
// built-in plugins (DHCPv4, DHCPv6, DNS) inside the file, the native addon
// of @incusx/linux-net found from it (setns), the nsenter fallback
// re-running the bundle (or the snapshot), and a plugin named by --config
// loaded through the host's normal loader. Without root: the launcher's
// choice between the snapshot and the bundle, and that nothing per process
// (environment, cwd) is frozen into the snapshot.
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { NETNS_ENTRY_ENV } from "./commands/forknet-dhcp.js";

const bundle = fileURLToPath(new URL("../dist/forknet.bundle.mjs", import.meta.url));
const launcher = fileURLToPath(new URL("../dist/incusx-forknet", import.meta.url));
const blob = fileURLToPath(new URL("../dist/forknet.snapshot.blob", import.meta.url));
const snapshotScript = fileURLToPath(new URL("../dist/forknet.snapshot.cjs", import.meta.url));
const sidecar = fileURLToPath(new URL("../dist/forknet.snapshot.node", import.meta.url));
const linuxNetDir = fileURLToPath(new URL("../../linux-net", import.meta.url));
const snapshotBuilt = existsSync(launcher) && existsSync(blob);
const dhcpv4Dir = fileURLToPath(new URL("../../../plugins/dhcpv4", import.meta.url));

describe.skipIf(!existsSync(bundle))("forknet.bundle.mjs as a file", () => {
  it("imports nothing but Node.js built-ins (everything else is inside)", () => {
    const text = readFileSync(bundle, "utf8");
    const specifiers = [...text.matchAll(/^import\s[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !s!.startsWith("node:"))).toEqual([]);
  });

  it("leaves out the live server state (undici, ws): forknet dhcp reads no network state", () => {
    const text = readFileSync(bundle, "utf8");
    expect(text).not.toMatch(/undici/);
    expect(text).toContain("The one-shot forknet bundle reads no live server state");
    // About 0.9 MB without it, 2.2 MB with it.
    expect(text.length).toBeLessThan(1_500_000);
  });

  it("keeps --daemon working from the unbundled daemon client next to it", async () => {
    const run = await runBundle(["dhcp", "--netns", "/proc/self/ns/net", "--interface", "eth0", "--daemon", join(tmpdir(), "incusx-no-such-daemon.sock")], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("DAEMON_UNREACHABLE");
  });

  it.skipIf(!snapshotBuilt)("keeps --daemon working from the startup snapshot (import() through the prelude's loader)", async () => {
    const run = await runLauncher(["dhcp", "--netns", "/proc/self/ns/net", "--interface", "eth0", "--daemon", join(tmpdir(), "incusx-no-such-daemon.sock")], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("DAEMON_UNREACHABLE");
    expect(run.stderr).not.toContain("ExperimentalWarning");
  });

  it("refuses another command with a usage error", async () => {
    const run = await runBundle(["plugins", "list"], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('this file runs "forknet dhcp" only');
  });
});

describe.skipIf(!snapshotBuilt)("the startup snapshot and its launcher", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("is made by the Node.js running the build, named with its exact mtime beside the blob", () => {
    expect(readFileSync(sidecar, "utf8").trim()).toBe(process.execPath);
    const mtime = (file: string) => execFileSync("stat", ["-c", "%.9Y", file], { encoding: "utf8" }).trim();
    expect(mtime(sidecar)).toBe(mtime(process.execPath));
  });

  it("its script requires Node.js built-ins only and leaves no import() without the prelude's loader", () => {
    const text = readFileSync(snapshotScript, "utf8");
    const body = text.slice(text.indexOf("var __incusxImport = "));
    const required = [...body.matchAll(/(?<![\w'".])require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(required.filter((s) => !s!.startsWith("node:"))).toEqual([]);
    expect(body.slice(body.indexOf("\n// packages/")).match(/(?<![\w.])import\(/g) ?? []).toEqual([]);
  });

  it("runs the snapshot with the recorded Node.js and falls back to forknet.bundle.mjs otherwise", () => {
    const dir = mkdtempSync(join(tmpdir(), "incusx-forknet-launcher-"));
    dirs.push(dir);
    const dist = join(dir, "dist");
    mkdirSync(dist);
    for (const file of [launcher, blob, bundle]) copyFileSync(file, join(dist, file.slice(file.lastIndexOf("/") + 1)));
    const log = join(dir, "log");
    // Stand-ins that say which one ran: the recorded Node.js, and `node` on PATH.
    const recorded = join(dir, "recorded-node");
    writeFileSync(recorded, `#!/bin/sh\necho "snapshot $*" >>${log}\nexec ${process.execPath} "$@"\n`, { mode: 0o755 });
    mkdirSync(join(dir, "path"));
    writeFileSync(join(dir, "path/node"), `#!/bin/sh\necho "bundle $*" >>${log}\nexec ${process.execPath} "$@"\n`, { mode: 0o755 });
    const record = (node = recorded) => {
      writeFileSync(join(dist, "forknet.snapshot.node"), `${node}\n`);
      execFileSync("touch", ["-r", recorded, join(dist, "forknet.snapshot.node")]);
    };
    const run = (env: Record<string, string> = {}, command = join(dist, "incusx-forknet")) => {
      rmSync(log, { force: true });
      let stderr = "";
      try {
        execFileSync(command, ["plugins"], { env: { ...process.env, NODE_OPTIONS: "", PATH: `${join(dir, "path")}:${process.env.PATH}`, ...env }, stdio: ["ignore", "ignore", "pipe"] });
      } catch (error) {
        stderr = String((error as { stderr: Buffer }).stderr);
      }
      // Either way the command ran: a usage error, exit 2.
      expect(stderr).toContain('this file runs "forknet dhcp" only');
      return readFileSync(log, "utf8").trim();
    };
    record();
    expect(run()).toBe(`snapshot --snapshot-blob ${join(dist, "forknet.snapshot.blob")} -- plugins`);
    // Through a symlink (as npm links bins), the files are found beside the real launcher.
    symlinkSync(join(dist, "incusx-forknet"), join(dir, "linked"));
    expect(run({}, join(dir, "linked"))).toMatch(/^snapshot /);
    // V8 flags in NODE_OPTIONS would make Node.js refuse the blob.
    expect(run({ NODE_OPTIONS: "--max-old-space-size=200" })).toBe(`bundle ${join(dist, "forknet.bundle.mjs")} plugins`);
    // The recorded Node.js replaced by a newer or an older file (an upgrade, a package with an older mtime).
    utimesSync(recorded, new Date(), new Date(Date.now() + 60_000));
    expect(run()).toMatch(/^bundle /);
    utimesSync(recorded, new Date(), new Date("2001-01-01T00:00:00Z"));
    expect(run()).toMatch(/^bundle /);
    record();
    expect(run()).toMatch(/^snapshot /);
    record(join(dir, "no-such-node"));
    expect(run()).toMatch(/^bundle /);
    record();
    rmSync(join(dist, "forknet.snapshot.blob"));
    expect(run()).toMatch(/^bundle /);
    copyFileSync(blob, join(dist, "forknet.snapshot.blob"));
    rmSync(join(dist, "forknet.snapshot.node"));
    expect(run()).toMatch(/^bundle /);
    // Several Node.js starts (snapshot builds): generous on a loaded machine.
  }, 60_000);

  it("reads the environment and the working directory of the process, not of the build", async () => {
    const dir = mkdtempSync(join(tmpdir(), "incusx-forknet-cwd-"));
    dirs.push(dir);
    // Incus's form needs LXC_PID from the environment.
    const noPid = await runLauncher(["forknet", "dhcp", join(dir, "instance"), join(dir, "log")], { LXC_PID: "" }, dir);
    expect(noPid.code).toBe(1);
    expect(noPid.stderr).toBe("No LXC_PID in environment\n");
    const badPid = await runLauncher(["forknet", "dhcp", join(dir, "instance"), join(dir, "log")], { LXC_PID: "not-a-pid" }, dir);
    expect(badPid.stderr).toBe('Invalid LXC_PID "not-a-pid": not a process id\n');
    // A relative --config is relative to the process's working directory.
    const config = await runLauncher(["dhcp", "--netns", "/proc/self/ns/net", "--interface", "lo", "--config", "host.json"], {}, dir);
    expect(config.code).toBe(1);
    expect(config.stderr).toContain(`${join(dir, "host.json")}: cannot read`);
  });

  it("freezes no per-process value: a top-level read fails the build, naming it", () => {
    const dir = mkdtempSync(join(tmpdir(), "incusx-forknet-frozen-"));
    dirs.push(dir);
    const prelude = readFileSync(fileURLToPath(new URL("../scripts/forknet-snapshot-prelude.cjs", import.meta.url)), "utf8");
    const tail = 'require("node:v8").startupSnapshot.setDeserializeMainFunction(() => {});\n';
    for (const [code, what] of [
      ["const home = process.env.HOME;", "process.env"],
      ["const id = Math.random();", "Math.random()"],
      ['const key = require("node:crypto").randomBytes(8);', "crypto.randomBytes()"],
      ["const started = Date.now();", "Date.now()"],
      ["const where = process.cwd();", "process.cwd()"],
      ['const self = __incusxMetaUrl;', "import.meta.url"],
      ['let host; try { host = require("node:os").hostname(); } catch {} __incusxSnapshot.checkBuild();', "os.hostname()"],
    ] as const) {
      const script = join(dir, "entry.cjs");
      writeFileSync(script, `${prelude}\n${code}\n${tail}`);
      let stderr = "";
      try {
        execFileSync(process.execPath, ["--snapshot-blob", join(dir, "blob"), "--build-snapshot", script], { stdio: ["ignore", "ignore", "pipe"] });
      } catch (error) {
        stderr = String((error as { stderr: Buffer }).stderr);
      }
      expect(stderr, code).toContain(`${what} read while the startup snapshot is built`);
    }
    // Several Node.js starts (snapshot builds): generous on a loaded machine.
  }, 60_000);
});

const skip = !rootAvailable() ? "needs root (network namespaces)" : !existsSync(bundle) ? "dist/forknet.bundle.mjs is not built; run pnpm build" : undefined;

/** The two ways a host starts the one-shot command: the ES module, and the launcher (the startup snapshot when built). */
const starts: readonly (readonly [string, (argv: readonly string[], env: Record<string, string>) => Promise<Run>])[] = [
  ["forknet.bundle.mjs", runBundle],
  ...(snapshotBuilt ? [["incusx-forknet (startup snapshot)", (argv: readonly string[], env: Record<string, string>) => runLauncher(argv, env)] as const] : []),
];

describe.skipIf(skip !== undefined).each(starts)(`%s against dnsmasq${skip ? ` (skipped: ${skip})` : ""}`, (_name, run) => {
  const { use, scratch } = testResources();

  it("configures both families and writes resolv.conf with the bundled plugins, entering the namespace with setns", async () => {
    const net = use(await createTestNetwork({}));
    const dir = scratch();
    const resolvConf = join(dir, "resolv.conf");
    const result = await run(
      ["dhcp", "--netns", net.containerNs, "--interface", "eth0", "--resolv-conf", resolvConf, "--state-dir", join(dir, "state"), "--exit-when-configured", "--timeout", "60", "--json"],
      {},
    );
    expect(result.code, result.stderr).toBe(0);
    const bound = events(result.stdout).filter((e) => e.kind === "bound").map((e) => e.family).sort();
    expect(bound).toEqual(["ipv4", "ipv6"]);
    const addresses = (await net.addresses("container", "eth0")).map((a) => a.local);
    expect(addresses).toEqual(expect.arrayContaining([expect.stringMatching(/^192\.0\.2\./), expect.stringMatching(/^2001:db8:1::/)]));
    expect(readFileSync(resolvConf, "utf8")).toMatch(/nameserver 192\.0\.2\.53/);
  });

  it(`re-runs itself under nsenter with ${NETNS_ENTRY_ENV}=nsenter`, async () => {
    const net = use(await createTestNetwork({ v6: false }));
    const dir = scratch();
    const result = await run(
      ["forknet", "dhcp", "--netns", net.containerNs, "--interface", "eth0", "--no-ipv6", "--state-dir", dir, "--exit-when-configured", "--timeout", "60", "--json"],
      { [NETNS_ENTRY_ENV]: "nsenter" },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(events(result.stdout).map((e) => `${e.kind} ${e.family}`)).toContain("bound ipv4");
  });

  it("loads a plugin named by --config through the normal loader", async () => {
    const net = use(await createTestNetwork({ v6: false }));
    const dir = scratch();
    const config = join(dir, "host.json");
    writeFileSync(config, JSON.stringify({ plugins: [{ module: dhcpv4Dir }] }));
    const result = await run(
      ["dhcp", "--netns", net.containerNs, "--interface", "eth0", "--no-ipv6", "--config", config, "--state-dir", join(dir, "state"), "--exit-when-configured", "--timeout", "60", "--json"],
      {},
    );
    expect(result.code, result.stderr).toBe(0);
    // Nothing but the events: no warning from the loader of a plugin by path.
    expect(result.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("{"))).toEqual([]);
    expect(events(result.stdout).map((e) => `${e.kind} ${e.family}`)).toContain("bound ipv4");
  });

  it("sends another DHCPDISCOVER transaction id on every start (no random state shared between processes)", async () => {
    const net = use(await createTestNetwork({ v6: false }));
    const xids = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const result = await run(
        ["dhcp", "--netns", net.containerNs, "--interface", "eth0", "--no-ipv6", "--state-dir", join(scratch(), "state"), "--exit-when-configured", "--timeout", "60"],
        {},
      );
      expect(result.code, result.stderr).toBe(0);
    }
    for (const m of net.dnsmasq.log().matchAll(/ (\d+) DHCPDISCOVER\(/g)) xids.add(m[1]!);
    expect(xids.size).toBe(2);
  });
  it("runs Incus's form: the worker (started the same way) configures the namespace of LXC_PID and writes dhcp.pid", async () => {
    const net = use(await createTestNetwork({ v6: false }));
    const dir = join(scratch(), "network");
    mkdirSync(dir);
    writeFileSync(join(dir, "hostname"), "c1\n");
    writeFileSync(join(dir, "resolv.conf"), "options edns0\n");
    const log = join(dir, "..", "forknet-dhcp.log");
    const holder = net.spawn("container", ["sleep", "600"]);
    let worker: number | undefined;
    try {
      const result = await run(["forknet", "dhcp", dir, log], { LXC_PID: String(holder.child.pid) });
      expect(result.code, `${result.stderr}${existsSync(log) ? readFileSync(log, "utf8") : ""}`).toBe(0);
      worker = Number(readFileSync(join(dir, "dhcp.pid"), "utf8"));
      // The worker re-runs what the foreground ran: the snapshot re-runs the snapshot.
      const cmdline = readFileSync(`/proc/${worker}/cmdline`, "utf8").split("\0");
      expect(cmdline.includes("--snapshot-blob")).toBe(_name.includes("snapshot"));
      const addresses = (await net.addresses("container", "eth0")).map((a) => a.local);
      expect(addresses).toEqual(expect.arrayContaining([expect.stringMatching(/^192\.0\.2\./)]));
    } finally {
      if (worker !== undefined) process.kill(worker, "SIGKILL");
      holder.child.kill("SIGKILL");
    }
  });
});

describe.skipIf(skip !== undefined || !snapshotBuilt)("the startup snapshot moved to another directory", () => {
  const { use, scratch } = testResources();

  it("finds the native addon from where it is now, not from where it was built", async () => {
    // A packager's layout: node_modules/@incusx/{cli/dist,linux-net} under another root.
    const root = scratch();
    const dist = join(root, "node_modules/@incusx/cli/dist");
    const linuxNet = join(root, "node_modules/@incusx/linux-net");
    mkdirSync(dist, { recursive: true });
    mkdirSync(join(linuxNet, "build/Release"), { recursive: true });
    for (const file of [launcher, blob, bundle, sidecar]) copyFileSync(file, join(dist, file.slice(file.lastIndexOf("/") + 1)));
    execFileSync("touch", ["-r", process.execPath, join(dist, "forknet.snapshot.node")]);
    copyFileSync(join(linuxNetDir, "package.json"), join(linuxNet, "package.json"));
    copyFileSync(join(linuxNetDir, "build/Release/incusx_linux_net.node"), join(linuxNet, "build/Release/incusx_linux_net.node"));
    const net = use(await createTestNetwork({ v6: false }));
    // Runs until stopped: the mapped addon is read from /proc while it runs.
    const child = spawn(join(dist, "incusx-forknet"), ["dhcp", "--netns", net.containerNs, "--interface", "eth0", "--no-ipv6", "--state-dir", join(root, "state"), "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const bound = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (c: Buffer) => {
          out += c;
          if (out.includes('"kind":"bound"')) resolve(out);
        });
        child.once("exit", () => reject(new Error(`exited before binding: ${stderr}`)));
      });
      expect(bound).toContain('"family":"ipv4"');
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
      expect(cmdline.slice(1, 3)).toEqual(["--snapshot-blob", join(dist, "forknet.snapshot.blob")]);
      const maps = readFileSync(`/proc/${child.pid}/maps`, "utf8");
      expect(maps).toContain(join(linuxNet, "build/Release/incusx_linux_net.node"));
      expect(maps).not.toContain(join(linuxNetDir, "build/Release/incusx_linux_net.node"));
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });
});

/** A test network and scratch directories for each test of the enclosing describe, removed after it (also on failure). */
function testResources(): { use(net: TestNetwork): TestNetwork; scratch(): string } {
  let net: TestNetwork | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await net?.destroy();
    net = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return {
    use: (created) => (net = created),
    scratch: () => {
      const dir = mkdtempSync(join(tmpdir(), "incusx-forknet-bundle-"));
      dirs.push(dir);
      return dir;
    },
  };
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runBundle(argv: readonly string[], env: Record<string, string>): Promise<Run> {
  return runCommand(process.execPath, [bundle, ...argv], env);
}

/** Runs `incusx-forknet` (the snapshot, as hosts run it) with `argv`; `launcherPath` for a moved copy. */
function runLauncher(argv: readonly string[], env: Record<string, string>, cwd?: string, launcherPath = launcher): Promise<Run> {
  return runCommand(launcherPath, argv, { NODE_OPTIONS: "", ...env }, cwd);
}

function runCommand(command: string, argv: readonly string[], env: Record<string, string>, cwd?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env }, ...(cwd === undefined ? {} : { cwd }) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function events(stdout: string): { kind: string; family: string }[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { kind: string; family: string });
}
