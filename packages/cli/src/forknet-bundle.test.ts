// dist/forknet.bundle.mjs, the one-file `incusx forknet dhcp`, against a
// real dnsmasq in a test network (root only): the same end-to-end path as
// the unbundled command, with the built-in plugins (DHCPv4, DHCPv6, DNS)
// inside the file, the native addon of @incusx/linux-net found from it
// (setns), the nsenter fallback re-running the bundle, and a plugin named by
// --config loaded through the host's normal loader.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { NETNS_ENTRY_ENV } from "./commands/forknet-dhcp.js";

const bundle = fileURLToPath(new URL("../dist/forknet.bundle.mjs", import.meta.url));
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

  it("refuses another command with a usage error", async () => {
    const run = await runBundle(["plugins", "list"], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('this file runs "forknet dhcp" only');
  });
});

const skip = !rootAvailable() ? "needs root (network namespaces)" : !existsSync(bundle) ? "dist/forknet.bundle.mjs is not built; run pnpm build" : undefined;

describe.skipIf(skip !== undefined)(`forknet.bundle.mjs against dnsmasq${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let net: TestNetwork | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await net?.destroy();
    net = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const scratch = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "incusx-forknet-bundle-"));
    dirs.push(dir);
    return dir;
  };

  it("configures both families and writes resolv.conf with the bundled plugins, entering the namespace with setns", async () => {
    net = await createTestNetwork({});
    const dir = scratch();
    const resolvConf = join(dir, "resolv.conf");
    const run = await runBundle(
      ["dhcp", "--netns", net.containerNs, "--interface", "eth0", "--resolv-conf", resolvConf, "--state-dir", join(dir, "state"), "--exit-when-configured", "--timeout", "60", "--json"],
      {},
    );
    expect(run.code, run.stderr).toBe(0);
    const bound = events(run.stdout).filter((e) => e.kind === "bound").map((e) => e.family).sort();
    expect(bound).toEqual(["ipv4", "ipv6"]);
    const addresses = (await net.addresses("container", "eth0")).map((a) => a.local);
    expect(addresses).toEqual(expect.arrayContaining([expect.stringMatching(/^192\.0\.2\./), expect.stringMatching(/^2001:db8:1::/)]));
    expect(readFileSync(resolvConf, "utf8")).toMatch(/nameserver 192\.0\.2\.53/);
  });

  it(`re-runs the bundle itself under nsenter with ${NETNS_ENTRY_ENV}=nsenter`, async () => {
    net = await createTestNetwork({ v6: false });
    const dir = scratch();
    const run = await runBundle(
      ["forknet", "dhcp", "--netns", net.containerNs, "--interface", "eth0", "--no-ipv6", "--state-dir", dir, "--exit-when-configured", "--timeout", "60", "--json"],
      { [NETNS_ENTRY_ENV]: "nsenter" },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(events(run.stdout).map((e) => `${e.kind} ${e.family}`)).toContain("bound ipv4");
  });

  it("loads a plugin named by --config through the normal loader", async () => {
    net = await createTestNetwork({ v6: false });
    const dir = scratch();
    const config = join(dir, "host.json");
    writeFileSync(config, JSON.stringify({ plugins: [{ module: dhcpv4Dir }] }));
    const run = await runBundle(
      ["dhcp", "--netns", net.containerNs, "--interface", "eth0", "--no-ipv6", "--config", config, "--state-dir", join(dir, "state"), "--exit-when-configured", "--timeout", "60", "--json"],
      {},
    );
    expect(run.code, run.stderr).toBe(0);
    expect(events(run.stdout).map((e) => `${e.kind} ${e.family}`)).toContain("bound ipv4");
  });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runBundle(argv: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...argv], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
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
