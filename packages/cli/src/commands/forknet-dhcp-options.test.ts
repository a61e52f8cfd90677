// `--netns` must name a network namespace file, and the state directory
// derived from it must be a directory of its own under the state root.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidConfigError, isIncusxError } from "@incusx/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { parseCommandLine } from "../command.js";
import { reportError } from "../errors.js";
import { createForknetDhcpCommand, type NetnsEntry } from "./forknet-dhcp.js";
import { DEFAULT_STATE_ROOT, NSFS_MAGIC, defaultStateDir, resolveNetns } from "./forknet-dhcp-options.js";

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "incusx-netns-option-"));
  writeFileSync(join(scratch, "file"), "not a namespace\n");
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs `incusx forknet dhcp --netns NETNS` in-process with a namespace
 * entry that records the path it is asked to enter and then fails, so no
 * DHCP work ever starts (and nothing touches this namespace's links).
 */
async function run(netns: string): Promise<{ status: number; stderr: string; entered: string[] }> {
  const entered: string[] = [];
  const entry: NetnsEntry = {
    isCurrent: () => false,
    unavailable: () => undefined,
    enter: (path) => {
      entered.push(path);
      throw Object.assign(new Error("Recorded, not entered"), { code: "TEST_ENTRY" });
    },
  };
  const command = createForknetDhcpCommand({
    netnsEntry: entry,
    spawn: () => {
      throw new Error("No nsenter in this test");
    },
  });
  let stderr = "";
  const io = { stdout: { write: () => true }, stderr: { write: (c: string) => ((stderr += c), true) }, cwd: "/" };
  let status: number;
  try {
    const args = parseCommandLine(command, ["--netns", netns, "--interface", "eth0"]);
    if (args === "help") throw new Error("Unexpected help");
    status = await command.run(args, io);
  } catch (error) {
    status = reportError(io.stderr, error);
  }
  return { status, stderr, entered };
}

describe("--netns names a network namespace", () => {
  it.each([
    ["a regular file", () => join(scratch, "file")],
    ["a directory", () => scratch],
    ["the parent of /run/netns entries", () => "/run/netns/.."],
  ])("refuses %s with INVALID_CONFIG naming the path, entering nothing", async (_, path) => {
    const { status, stderr, entered } = await run(path());
    expect(entered).toEqual([]);
    expect(status).toBe(1);
    expect(stderr).toContain(`incusx: error[INVALID_CONFIG]: Invalid value for "--netns": "${path()}" is not a network namespace`);
  });

  it("says NOT_FOUND for a path with nothing there", async () => {
    const { status, stderr } = await run(join(scratch, "missing"));
    expect(status).toBe(1);
    expect(stderr).toContain(`incusx: error[NOT_FOUND]: Network namespace "${join(scratch, "missing")}" not found`);
  });

  it("checks the filesystem type of what the path names (statfs f_type)", () => {
    expect(() => resolveNetns(join(scratch, "file"))).toThrow(InvalidConfigError);
    expect(resolveNetns("ctr", () => NSFS_MAGIC)).toBe("/run/netns/ctr");
    expect(() => resolveNetns("ctr", () => 0x01021994 /* tmpfs */)).toThrow(/"\/run\/netns\/ctr" is not a network namespace/);
    expect(() => resolveNetns("ctr", () => undefined)).toThrow(/"\/run\/netns\/ctr" does not exist/);
    expect(resolveNetns("/proc/self/ns/net")).toBe("/proc/self/ns/net");
  });

  it("refuses a path it may not inspect with INVALID_CONFIG naming the path and the reason", () => {
    const denied = (): never => {
      throw Object.assign(new Error("EACCES: permission denied, statfs '/proc/1/ns/net'"), { code: "EACCES" });
    };
    expect(() => resolveNetns("/proc/1/ns/net", denied)).toThrow(InvalidConfigError);
    expect(() => resolveNetns("/proc/1/ns/net", denied)).toThrow(/"\/proc\/1\/ns\/net" cannot be inspected: EACCES/);
  });
});

describe.runIf(rootAvailable())("--netns with a real network namespace", () => {
  let net: TestNetwork | undefined;
  afterEach(async () => {
    await net?.destroy();
    net = undefined;
  });

  it("accepts it by name and by path", async () => {
    net = await createTestNetwork({ v6: false, startDnsmasq: false });
    expect(resolveNetns(net.containerNs)).toBe(net.containerNsPath);
    expect(resolveNetns(net.containerNsPath)).toBe(net.containerNsPath);
    const { status, stderr, entered } = await run(net.containerNs);
    expect(entered, stderr).toEqual([net.containerNsPath]);
    expect([status, stderr]).toEqual([1, "incusx: error[TEST_ENTRY]: Recorded, not entered\n"]);
  });
});

describe("the state directory derived from --netns", () => {
  it("is a directory of its own under the state root", () => {
    expect(defaultStateDir("ctr1")).toBe(`${DEFAULT_STATE_ROOT}/ctr1`);
    expect(defaultStateDir("/run/netns/ctr1")).toBe(`${DEFAULT_STATE_ROOT}/ctr1`);
    expect(defaultStateDir("/proc/42/ns/net")).toBe(`${DEFAULT_STATE_ROOT}/proc_42_ns_net`);
    expect(defaultStateDir("../ns")).toBe(`${DEFAULT_STATE_ROOT}/.._ns`);
  });

  it.each(["/run/netns/..", "/run/netns/.", "/run/netns/", "/..", "/.", "/", "..", "."])(
    "never collapses to the root or its parent (%j): INVALID_CONFIG naming the path",
    (netns) => {
      let error: unknown;
      try {
        error = defaultStateDir(netns);
      } catch (thrown) {
        error = thrown;
      }
      expect(isIncusxError(error), `got ${String(error)}`).toBe(true);
      expect(error).toMatchObject({ code: "INVALID_CONFIG" });
      expect((error as Error).message).toContain(`"${netns}"`);
      expect((error as Error).message).toContain('"--state-dir"');
    },
  );
});
