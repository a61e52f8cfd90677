import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { LinkError } from "./errors.js";
import { readIpv6Sysctl, setIpv6Sysctls } from "./ipv6-sysctl.js";
import { nativeAddon } from "./native-addon.js";
import { openNetns, type NetnsHandle } from "./netns.js";

// An interface name no host has: a write that went to the wrong namespace
// finds no such interface there and fails, so the host is never changed.
const TEST_IFACE = "ixsysctl0";

/** The namespace of this process and of the calling thread, as "dev:ino" pairs. */
function where(): string {
  return ["/proc/self/ns/net", "/proc/thread-self/ns/net"].map((file) => `${statSync(file).dev}:${statSync(file).ino}`).join(" ");
}

function hostValue(dir: string, name: string): string {
  return readFileSync(`/proc/sys/net/ipv6/conf/${dir}/${name}`, "utf8").trim();
}

async function inNs(net: TestNetwork, ns: "server" | "container", iface: string, name: string): Promise<string> {
  const result = await net.exec(ns, ["cat", `/proc/sys/net/ipv6/conf/${iface}/${name}`]);
  if (result.code !== 0) throw new Error(result.stderr);
  return result.stdout.trim();
}

describe.skipIf(!rootAvailable())("setIpv6Sysctls inside a test namespace (needs root)", () => {
  let net: TestNetwork | undefined;
  let netns: NetnsHandle | undefined;
  afterEach(async () => {
    netns?.close();
    netns = undefined;
    await net?.destroy();
    net = undefined;
  });

  async function setUp(): Promise<{ net: TestNetwork; netns: NetnsHandle }> {
    net = await createTestNetwork({ v4: false, v6: false, startDnsmasq: false, containerLinkUp: false });
    // The same name in both namespaces: only the container's may change.
    for (const ns of ["container", "server"] as const) {
      const added = await net.exec(ns, ["ip", "link", "add", TEST_IFACE, "type", "veth", "peer", "name", "ixsysctl1"]);
      if (added.code !== 0) throw new Error(added.stderr);
    }
    netns = openNetns(net.containerNsPath);
    return { net, netns };
  }

  it("sets optimistic_dad and use_optimistic inside the namespace only; the host and another namespace keep theirs", async () => {
    const { net, netns } = await setUp();
    expect(existsSync(`/proc/sys/net/ipv6/conf/${TEST_IFACE}`)).toBe(false);
    const host = { all: hostValue("all", "optimistic_dad"), default: hostValue("default", "optimistic_dad"), useDefault: hostValue("default", "use_optimistic") };
    const home = where();
    const fds = readdirSync("/proc/self/fd").length;

    setIpv6Sysctls(TEST_IFACE, { optimistic_dad: 1, use_optimistic: 1 }, { netns });

    expect(await inNs(net, "container", TEST_IFACE, "optimistic_dad")).toBe("1");
    expect(await inNs(net, "container", TEST_IFACE, "use_optimistic")).toBe("1");
    expect(readIpv6Sysctl(TEST_IFACE, "optimistic_dad", { netns })).toBe("1");
    // The other namespace's interface of the same name and the host are untouched.
    expect(await inNs(net, "server", TEST_IFACE, "optimistic_dad")).toBe("0");
    expect(await inNs(net, "server", TEST_IFACE, "use_optimistic")).toBe("0");
    expect({ all: hostValue("all", "optimistic_dad"), default: hostValue("default", "optimistic_dad"), useDefault: hostValue("default", "use_optimistic") }).toEqual(host);
    expect(existsSync(`/proc/sys/net/ipv6/conf/${TEST_IFACE}`)).toBe(false);
    // The process never moved and kept no fd.
    expect(where()).toBe(home);
    expect(readdirSync("/proc/self/fd").length).toBe(fds);

    // A path is opened for the call and closed after it.
    setIpv6Sysctls(TEST_IFACE, { optimistic_dad: 0 }, { netns: net.containerNsPath });
    expect(await inNs(net, "container", TEST_IFACE, "optimistic_dad")).toBe("0");
    expect(readIpv6Sysctl(TEST_IFACE, "optimistic_dad", { netns: net.containerNs })).toBe("0");
    expect(readdirSync("/proc/self/fd").length).toBe(fds);
    expect(await inNs(net, "container", TEST_IFACE, "use_optimistic")).toBe("1");
  });

  it("refuses interface and setting names that are no plain names, values that are no whole numbers, and changes nothing", async () => {
    const { net, netns } = await setUp();
    const home = where();
    const refused = (iface: string, settings: Record<string, number>): LinkError => {
      try {
        setIpv6Sysctls(iface, settings, { netns });
      } catch (error) {
        return error as LinkError;
      }
      throw new Error(`"${iface}" ${JSON.stringify(settings)} was accepted`);
    };
    for (const iface of ["", ".", "..", "all", "default", "../all", "eth0/../../all", "a b", "eth0:1", "x".repeat(16), "lo\0"]) {
      const error = refused(iface, { optimistic_dad: 1 });
      expect(error).toBeInstanceOf(LinkError);
      expect(error.code).toBe("EINVAL");
    }
    for (const name of ["", "../all/forwarding", "Optimistic_dad", "optimistic-dad", "forwarding/", "..", "_x", "a".repeat(64), "x\0"]) {
      const error = refused(TEST_IFACE, { use_optimistic: 1, [name]: 1 });
      expect(error).toBeInstanceOf(LinkError);
      expect(error.code).toBe("EINVAL");
      expect(error.message).toContain("Invalid IPv6 setting name");
    }
    for (const value of [1.5, Number.NaN, 2 ** 31, "1" as unknown as number]) {
      expect(refused(TEST_IFACE, { use_optimistic: 1, optimistic_dad: value }).code).toBe("EINVAL");
    }
    // Checked before the first write: the good setting beside a bad one was not written.
    expect(await inNs(net, "container", TEST_IFACE, "use_optimistic")).toBe("0");

    // Names that pass the checks but that the kernel does not know, or an interface not there.
    expect(refused(TEST_IFACE, { no_such_setting: 1 })).toMatchObject({ code: "EINVAL", message: expect.stringContaining("no_such_setting") });
    expect(refused("ixnosuchif0", { optimistic_dad: 1 })).toMatchObject({ code: "ENODEV" });
    // A value the kernel refuses.
    expect(refused(TEST_IFACE, { addr_gen_mode: 99 })).toMatchObject({ code: "EINVAL" });
    // The native checks hold on their own too (a caller skipping the TypeScript ones).
    const addon = nativeAddon().addon!;
    for (const [iface, name] of [["all", "forwarding"], ["..", "forwarding"], ["a/b", "x"], [TEST_IFACE, "../../all/forwarding"], [TEST_IFACE, "A"]] as const) {
      expect(() => addon.writeIpv6Sysctl!(iface, name, "1", netns.fd)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_VALUE" }));
    }
    expect(where()).toBe(home);

    netns.close();
    expect(refused(TEST_IFACE, { optimistic_dad: 1 })).toMatchObject({ code: "EINVAL", message: expect.stringContaining("closed") });
  });
});
