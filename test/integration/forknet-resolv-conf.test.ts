// `incusx forknet dhcp --resolv-conf FILE` against a real dnsmasq (root
// only): one resolv.conf from both families' leases, written while the
// client runs, and rewritten without the servers when the leases are
// released.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseResolvConf } from "@incusx/plugin-dns";
import { forknet, perTestResources, skipReason, type TestNetwork } from "./dhcp-support.js";

const reason = skipReason();
const { network, state } = perTestResources();

const scratchDirs: string[] = [];
afterEach(async () => {
  for (const dir of scratchDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function waitForResolvConf(net: TestNetwork, path: string, test: (text: string) => boolean, what: string): Promise<string> {
  return net.waitFor(
    async () => {
      const text = await readFile(path, "utf8").catch(() => undefined);
      return text !== undefined && test(text) ? text : undefined;
    },
    { timeoutMs: 30_000, message: `${what}; resolv.conf: ${await readFile(path, "utf8").catch(() => "(none)")}` },
  );
}

describe.skipIf(reason !== undefined)(`incusx forknet dhcp --resolv-conf against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("writes servers and search domains of both families, and drops them when the leases are released", async () => {
    const net = await network({
      dnsmasqArgs: ["--dhcp-option=option:domain-search,four.example", "--dhcp-option=option6:domain-search,six.example"],
    });
    const dir = await mkdtemp(join(tmpdir(), "incusx-resolv-it-"));
    scratchDirs.push(dir);
    const path = join(dir, "resolv.conf");
    const run = forknet(net, ["--resolv-conf", path, "--release", "--state-dir", await state()]);
    await run.waitForEvent((e) => e.kind === "bound" && e.family === "ipv4");
    await run.waitForEvent((e) => e.kind === "bound" && e.family === "ipv6");

    const text = await waitForResolvConf(net, path, (t) => t.includes("2001:db8:1::53") && t.includes("192.0.2.53"), "both servers never appeared");
    const parsed = parseResolvConf(text);
    // Static, then IPv4, then IPv6 (the plugin's merge order).
    expect(parsed.nameservers).toEqual(["192.0.2.53", "2001:db8:1::53"]);
    expect(parsed.search).toEqual(["four.example", "six.example"]);

    expect(await run.stop(), run.stderr()).toBe(0);
    expect(run.events.filter((e) => e.kind === "released").map((e) => e.family).sort()).toEqual(["ipv4", "ipv6"]);
    const after = parseResolvConf(await readFile(path, "utf8"));
    expect(after.nameservers).toEqual([]);
    expect(after.search).toEqual([]);
  });
});
