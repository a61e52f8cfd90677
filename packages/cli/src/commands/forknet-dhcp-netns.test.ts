// The built `incusx forknet dhcp` entering a real network namespace (root
// only, dnsmasq): in-process with setns by default, under nsenter when
// forced. Either way the address lands in the container namespace; what
// differs is which process runs there.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { NETNS_ENTRY_ENV } from "./forknet-dhcp.js";

const bin = fileURLToPath(new URL("../../dist/bin.js", import.meta.url));
const skip = !rootAvailable()
  ? "needs root (network namespaces)"
  : !existsSync(bin)
    ? "packages/cli/dist/bin.js is not built; run pnpm build"
    : undefined;

describe.skipIf(skip !== undefined)(`incusx forknet dhcp entering the namespace${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let net: TestNetwork | undefined;
  let state: string | undefined;
  let cli: ChildProcess | undefined;
  afterEach(async () => {
    cli?.kill("SIGKILL");
    await net?.destroy();
    if (state !== undefined) rmSync(state, { recursive: true, force: true });
    net = state = cli = undefined;
  });

  /** Starts the CLI from the host namespace; resolves once it printed the IPv4 lease. */
  async function bound(env: Record<string, string>): Promise<{ cli: ChildProcess; exited: Promise<number | null> }> {
    net = await createTestNetwork({ v6: false });
    state = mkdtempSync(join(tmpdir(), "incusx-forknet-netns-"));
    const child = spawn(process.execPath, [bin, "forknet", "dhcp", "--netns", net.containerNs, "--interface", "eth0", "--no-ipv6", "--state-dir", state], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    cli = child;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let stdout = "";
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        stdout += chunk;
        if (/^bound ipv4 eth0 192\.0\.2\.\d+\/24/m.test(stdout)) resolve();
      });
      void exited.then((code) => reject(new Error(`incusx exited with ${code} before binding; stderr: ${stderr}`)));
    });
    return { cli: child, exited };
  }

  // A namespace is known by its nsfs inode, whether named by /proc/PID/ns/net or a bind mount under /run/netns.
  const nsId = (path: string): number => statSync(path).ino;
  const netnsOf = (pid: number | undefined): number => nsId(`/proc/${pid}/ns/net`);
  const children = (pid: number | undefined): number[] =>
    readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);

  it("enters with setns: one process, itself in the container namespace, the address there", async () => {
    const { cli: child, exited } = await bound({});
    expect(netnsOf(child.pid)).toBe(nsId(net!.containerNsPath));
    expect(netnsOf(child.pid)).not.toBe(netnsOf(process.pid));
    expect(children(child.pid)).toEqual([]);
    const v4 = (await net!.addresses("container", "eth0")).filter((a) => a.family === "inet");
    expect(v4.map((a) => a.local)).toEqual([expect.stringMatching(/^192\.0\.2\./)]);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it(`re-runs itself under nsenter with ${NETNS_ENTRY_ENV}=nsenter: the parent stays, its child works in the namespace`, async () => {
    const { cli: child, exited } = await bound({ [NETNS_ENTRY_ENV]: "nsenter" });
    expect(netnsOf(child.pid)).toBe(netnsOf(process.pid));
    const [worker, ...more] = children(child.pid);
    expect(more).toEqual([]);
    expect(netnsOf(worker)).toBe(nsId(net!.containerNsPath));
    const v4 = (await net!.addresses("container", "eth0")).filter((a) => a.family === "inet");
    expect(v4.map((a) => a.local)).toEqual([expect.stringMatching(/^192\.0\.2\./)]);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
