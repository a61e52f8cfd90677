// Why DHCPv6 configured nothing, said at once or at --timeout, against real
// namespaces: an interface without a link-local address (addr_gen_mode
// none) fails at once with NO_LINK_LOCAL; a link without a server ends at
// --timeout with "no reply after N Solicits".
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTestNetwork, dhcpAddresses, forknet, skipReason, stateDir } from "./dhcpv6-support.js";

const reason = skipReason();

async function network(onTestFinished: (fn: () => Promise<void>) => void, startDnsmasq = true) {
  const net = await createTestNetwork({ v4: false, startDnsmasq });
  const state = await stateDir();
  onTestFinished(async () => {
    await net.destroy();
    await state.remove();
  });
  return { net, state: state.dir };
}

describe.skipIf(reason !== undefined)(`DHCPv6 diagnostics${reason ? ` (skipped: ${reason})` : ""}`, { concurrent: true }, () => {
  it("fails at once with NO_LINK_LOCAL when addr_gen_mode is none, and says so at --timeout", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const { net, state } = await network(onTestFinished);
    await net.exec("container", ["ip", "link", "set", "dev", net.iface, "addrgenmode", "none"]);
    await net.exec("container", ["ip", "-6", "addr", "flush", "dev", net.iface, "scope", "link"]);
    const timeoutMs = 8_000;
    const startedAt = Date.now();
    const run = forknet(net, ["--no-ipv4", "--state-dir", state, "--exit-when-configured", "--timeout", String(timeoutMs / 1000)]);
    onTestFinished(async () => void (await run.stop()));
    const failed = await run.waitForEvent((e) => e.kind === "failed", timeoutMs);
    // Long before the timeout: the cause is known at start.
    expect(failed.error).toEqual({ code: "NO_LINK_LOCAL", message: expect.stringContaining("addr_gen_mode = none") });
    expect(Date.now() - startedAt).toBeLessThan(timeoutMs);
    expect(await run.exited()).toBe(4);
    expect(run.stderr()).toMatch(/incusx: ipv6 not configured on eth0: "eth0" has no IPv6 link-local address: address generation is off .*\[NO_LINK_LOCAL\]/);
  });

  it("says no reply after N Solicits at --timeout when no server answers", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const { net, state } = await network(onTestFinished, false);
    const run = forknet(net, ["--no-ipv4", "--state-dir", state, "--exit-when-configured", "--timeout", "6"]);
    onTestFinished(async () => void (await run.stop()));
    expect(await run.exited()).toBe(4);
    expect(run.stderr()).toMatch(/incusx: ipv6 not configured on eth0: no reply after \d+ Solicits? \[NO_REPLY\]/);
  });

  it("adds a stable RFC 7217 link-local address with stableLinkLocal, and binds", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const { net, state } = await network(onTestFinished);
    await net.exec("container", ["ip", "link", "set", "dev", net.iface, "addrgenmode", "none"]);
    await net.exec("container", ["ip", "-6", "addr", "flush", "dev", net.iface, "scope", "link"]);
    const config = join(state, "host.json");
    const plugin = dirname(createRequire(import.meta.url).resolve("@incusx/plugin-dhcpv6/package.json"));
    await writeFile(config, JSON.stringify({ plugins: [{ module: plugin, config: { stableLinkLocal: true } }] }));
    const run = forknet(net, ["--no-ipv4", "--state-dir", state, "--config", config, "--exit-when-configured", "--timeout", "20"]);
    onTestFinished(async () => void (await run.stop()));
    expect(await run.exited(), run.stderr()).toBe(0);
    expect(await dhcpAddresses(net)).toHaveLength(1);
    const linkLocal = (await net.addresses("container", net.iface)).filter((a) => a.family === "inet6" && a.local.startsWith("fe80:"));
    expect(linkLocal).toHaveLength(1);
    expect(linkLocal[0]!.prefixlen).toBe(64);
    // Not the kernel's EUI-64 address, which would show the MAC.
    const mac = JSON.parse((await net.exec("container", ["ip", "-json", "link", "show", "dev", net.iface])).stdout)[0].address as string;
    const b = mac.split(":").map((x) => parseInt(x, 16));
    const eui64 = `fe80::${(((b[0]! ^ 2) << 8) | b[1]!).toString(16)}:${b[2]!.toString(16)}ff:fe${b[3]!.toString(16).padStart(2, "0")}:${((b[4]! << 8) | b[5]!).toString(16)}`;
    expect(linkLocal[0]!.local).not.toBe(eui64);
  });

  it("moves to the next stable address when another host on the link holds the first (RFC 7217 DAD_Counter)", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const { net, state } = await network(onTestFinished);
    await net.exec("container", ["ip", "link", "set", "dev", net.iface, "addrgenmode", "none"]);
    const config = join(state, "host.json");
    const plugin = dirname(createRequire(import.meta.url).resolve("@incusx/plugin-dhcpv6/package.json"));
    await writeFile(config, JSON.stringify({ plugins: [{ module: plugin, config: { stableLinkLocal: true } }] }));
    const linkLocals = async () =>
      (await net.addresses("container", net.iface)).filter((a) => a.family === "inet6" && a.local.startsWith("fe80:")).map((a) => a.local);
    const runOnce = async () => {
      await net.exec("container", ["ip", "-6", "addr", "flush", "dev", net.iface, "scope", "link"]);
      const run = forknet(net, ["--no-ipv4", "--state-dir", state, "--config", config, "--exit-when-configured", "--timeout", "20"]);
      onTestFinished(async () => void (await run.stop()));
      expect(await run.exited(), run.stderr()).toBe(0);
      return linkLocals();
    };
    // The first run shows the address of DAD_Counter 0 (the secret stays in the state dir).
    const [first] = await runOnce();
    expect(first).toBeDefined();
    // Now another host on the link holds it: DAD fails there and the next counter's address is taken.
    await net.exec("server", ["ip", "-6", "addr", "add", `${first}/64`, "dev", net.serverIface, "nodad"]);
    const after = await runOnce();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(first);
    expect(await dhcpAddresses(net)).toHaveLength(1);
  });
});
