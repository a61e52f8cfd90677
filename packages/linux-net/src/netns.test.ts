import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { LinkError } from "./errors.js";
import { NATIVE_ADDON_PATH } from "./native-addon.js";
import { enterNetns, enterNetnsUnavailable, isCurrentNetns, netnsPath, nsenterArgs } from "./netns.js";

const enterScript = fileURLToPath(new URL("./fixtures/enter-netns.ts", import.meta.url));

describe("netnsPath", () => {
  it("puts a bare name under /run/netns, where ip netns keeps them", () => {
    expect(netnsPath("ctr1")).toBe("/run/netns/ctr1");
  });

  it("keeps a path as it is", () => {
    expect(netnsPath("/proc/42/ns/net")).toBe("/proc/42/ns/net");
    expect(netnsPath("./ns")).toBe("./ns");
  });

  it("rejects an empty name and names that would escape /run/netns", () => {
    expect(() => netnsPath("")).toThrow(TypeError);
    expect(() => netnsPath("a/../../etc")).toThrow(/Invalid network namespace name "a\/..\/..\/etc"/);
    expect(() => netnsPath("..")).toThrow(TypeError);
  });
});

describe("nsenterArgs", () => {
  it("enters only the network namespace and ends nsenter's options before the command", () => {
    expect(nsenterArgs("/run/netns/ctr1", ["ip", "-json", "addr"])).toEqual({
      command: "nsenter",
      args: ["--net=/run/netns/ctr1", "--", "ip", "-json", "addr"],
    });
  });

  it("passes arguments that look like options to the command, not to nsenter", () => {
    expect(nsenterArgs("/proc/1/ns/net", ["node", "--version"]).args).toEqual(["--net=/proc/1/ns/net", "--", "node", "--version"]);
  });

  it("rejects an empty command", () => {
    expect(() => nsenterArgs("/run/netns/x", [])).toThrow(TypeError);
  });
});

describe("isCurrentNetns", () => {
  it("knows this process's own namespace, and that another is another", async () => {
    expect(isCurrentNetns("/proc/self/ns/net")).toBe(true);
    expect(isCurrentNetns(`/proc/${process.pid}/ns/net`)).toBe(true);
    // A file that is no namespace at all is not the current one either.
    expect(isCurrentNetns("/proc/self/ns/uts")).toBe(false);
  });

  it("throws when the file does not exist", () => {
    expect(() => isCurrentNetns("/run/netns/incusx-no-such-namespace")).toThrow(/ENOENT/);
  });
});

// Only failing calls run in the test process: a successful one would move it.
describe.runIf(process.platform === "linux")("enterNetns refusals", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("can enter namespaces with the addon built at install", () => {
    expect(enterNetnsUnavailable()).toBeUndefined();
  });

  it("throws ENOENT for a missing namespace file and EINVAL for a file that is no namespace", () => {
    expect(() => enterNetns("/run/netns/incusx-no-such-namespace")).toThrow(
      expect.objectContaining({ code: "ENOENT", message: expect.stringMatching(/^Cannot enter network namespace "\/run\/netns\/incusx-no-such-namespace": Failed to open/) }),
    );
    dir = mkdtempSync(join(tmpdir(), "incusx-netns-"));
    const plain = join(dir, "not-a-namespace");
    writeFileSync(plain, "");
    expect(() => enterNetns(plain)).toThrow(LinkError);
    expect(() => enterNetns(plain)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("never opens a FIFO or device in place of the namespace file (a FIFO blocked the process forever)", () => {
    dir = mkdtempSync(join(tmpdir(), "incusx-netns-"));
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    // In a child: on failure it hangs in open() until killed, as the test process would.
    const script = `try { require(${JSON.stringify(NATIVE_ADDON_PATH)}).enterNetns(process.argv[1]); } catch (e) { console.log(e.code, e.message); }`;
    for (const path of [fifo, "/dev/null"]) {
      const run = spawnSync(process.execPath, ["-e", script, path], { encoding: "utf8", timeout: 20_000 });
      expect(run.signal, `enterNetns(${path}) still running after 20 s`).toBeNull();
      expect(run.stdout).toMatch(/^EINVAL .*not a namespace file/);
    }
  });

  it("refuses a namespace file of another kind, saying which kind it is, before setns", () => {
    for (const [file, kind] of [
      ["/proc/self/ns/mnt", "mount"],
      ["/proc/self/ns/uts", "UTS"],
      ["/proc/self/ns/ipc", "IPC"],
    ] as const) {
      expect(() => enterNetns(file)).toThrow(
        expect.objectContaining({ code: "EINVAL", message: expect.stringContaining(`is a ${kind} namespace, not a network namespace`) }),
      );
    }
  });
});

describe("enterNetns without the native addon", () => {
  afterEach(() => {
    vi.doUnmock("./native-addon.js");
    vi.resetModules();
  });

  it.each([
    [{ reason: "The native addon of @incusx/linux-net is not built" }, /is not built/],
    [{ addon: { open() {}, localPort() {}, send() {}, close() {} } }, /predates entering network namespaces; rebuild it/],
  ])("says why and throws ADDON_UNAVAILABLE (%#)", async (load, why) => {
    vi.resetModules();
    vi.doMock("./native-addon.js", () => ({ nativeAddon: () => load, NATIVE_ADDON_PATH: "/x/incusx_linux_net.node" }));
    const netns = await import("./netns.js");
    expect(netns.enterNetnsUnavailable()).toMatch(why);
    expect(() => netns.enterNetns("/run/netns/ctr")).toThrow(expect.objectContaining({ code: "ADDON_UNAVAILABLE", message: expect.stringMatching(why) }));
  });
});

describe.skipIf(!rootAvailable())("enterNetns in a child process (needs root)", () => {
  let net: TestNetwork | undefined;
  afterEach(async () => {
    await net?.destroy();
    net = undefined;
  });

  it("moves sockets and child processes started afterwards into the namespace", async () => {
    net = await createTestNetwork({ startDnsmasq: false });
    // The testkit spells iproute2's namespace directory out itself (it must not depend on linux-net).
    expect(net.containerNsPath).toBe(netnsPath(net.containerNs));
    const added = await net.exec("container", ["ip", "addr", "add", "198.51.100.7/24", "dev", "eth0"]);
    expect(added.code, added.stderr).toBe(0);
    // Started in the server namespace, entering the container's.
    const run = await net.runNode("server", enterScript, [net.containerNsPath, "198.51.100.7"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { before: { current: boolean; links: string[] }; after: { current: boolean; links: string[] }; bound: string; device: string };
    expect(result.before).toEqual({ current: false, links: ["lo", "veth-srv"] });
    expect(result.after).toEqual({ current: true, links: ["eth0", "lo"] });
    expect(result.bound).toBe("bound");
    expect(result.device).toBe("opened");
  });
});
