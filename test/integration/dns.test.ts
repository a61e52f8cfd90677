// DNS coordination against a real dnsmasq (root only): a host running the
// DHCPv4, DHCPv6 and DNS plugins in the container namespace keeps one
// resolv.conf from both families' leases, rewrites it when a DHCPv4
// renewal brings other DNS, empties it when the leases are released, and
// never writes what a hostile server smuggles into option 15.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { LeaseEvent } from "@incusx/sdk";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { nativeAddonStatus } from "@incusx/linux-net";
import { MARKER, parseResolvConf } from "@incusx/plugin-dns";

const RUNTIME = fileURLToPath(new URL("./dns-runtime.ts", import.meta.url));

function skipReason(): string | undefined {
  if (!rootAvailable()) return "needs root (network namespaces, veth pairs, dnsmasq)";
  for (const tool of ["dnsmasq", "ip"]) {
    if (!["/usr/sbin", "/usr/bin", "/sbin", "/bin"].some((dir) => existsSync(join(dir, tool)))) return `"${tool}" is not installed`;
  }
  const addon = nativeAddonStatus();
  return addon.loaded ? undefined : addon.reason;
}
const reason = skipReason();

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function network(options: Parameters<typeof createTestNetwork>[0]): Promise<TestNetwork> {
  const net = await createTestNetwork(options);
  cleanups.push(() => net.destroy());
  return net;
}

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "incusx-dns-it-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts the host in the container namespace, managing `resolvConf`. */
async function runtime(net: TestNetwork, config: Record<string, unknown>) {
  const proc = net.spawnNode("container", RUNTIME, [net.iface, await scratch(), JSON.stringify(config)]);
  cleanups.push(() => proc.kill());
  const events = (): LeaseEvent[] =>
    proc
      .stdout()
      .split("\n")
      .filter((l) => l.startsWith('{"kind"'))
      .map((l) => JSON.parse(l) as LeaseEvent);
  const waitForEvent = async (test: (e: LeaseEvent) => boolean, timeoutMs = 60_000): Promise<LeaseEvent> =>
    JSON.parse(await proc.waitForLine((l) => l.startsWith('{"kind"') && test(JSON.parse(l) as LeaseEvent), timeoutMs)) as LeaseEvent;
  return { proc, events, waitForEvent };
}

async function waitForFile(net: TestNetwork, path: string, test: (text: string) => boolean, message: string): Promise<string> {
  return net.waitFor(
    async () => {
      const text = await readFile(path, "utf8").catch(() => undefined);
      return text !== undefined && test(text) ? text : undefined;
    },
    { timeoutMs: 60_000, message: `${message}; resolv.conf: ${await readFile(path, "utf8").catch(() => "(none)")}` },
  );
}

// Renew every 4 s; a renewal lost while dnsmasq restarts is made good by the rebind at 12 s.
const T1 = ["--dhcp-option=option:T1,4", "--dhcp-option=option:T2,12"];

describe.skipIf(reason !== undefined)(`DNS coordination against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("writes both families' servers and search domains, rewrites on a DHCPv4 renewal, empties on release", { timeout: 180_000 }, async () => {
    const net = await network({
      leaseTime: "2m",
      dnsmasqArgs: [...T1, "--dhcp-option=option:domain-search,four.example", "--dhcp-option=option6:domain-search,six.example"],
    });
    const path = join(await scratch(), "resolv.conf");
    const run = await runtime(net, { resolvConf: path });

    const both = `${MARKER}\nnameserver 192.0.2.53\nnameserver 2001:db8:1::53\nsearch four.example six.example\n`;
    await waitForFile(net, path, (t) => t === both, "resolv.conf never had both families");
    const v4 = await run.waitForEvent((e) => e.kind === "bound" && e.family === "ipv4");
    expect(v4.lease?.dns).toMatchObject({ servers: ["192.0.2.53"], search: ["four.example"] });

    // Other DNS from the DHCPv4 server; the client learns it at its renewal (T1 = 4 s).
    await net.dnsmasq.restart([
      ...T1,
      "--dhcp-option=option:dns-server,198.51.100.53,198.51.100.54",
      "--dhcp-option=option:domain-search,renewed.example",
      "--dhcp-option=option6:domain-search,six.example",
    ]);
    const renewed = await run.waitForEvent(
      (e) => (e.kind === "renewed" || e.kind === "rebound") && e.family === "ipv4" && e.lease?.dns.servers.includes("198.51.100.53") === true,
    );
    expect(renewed.lease?.dns.search).toEqual(["renewed.example"]);
    const afterRenewal = await waitForFile(net, path, (t) => t.includes("renewed.example"), "The renewal did not rewrite resolv.conf");
    expect(parseResolvConf(afterRenewal)).toMatchObject({
      marked: true,
      nameservers: ["198.51.100.53", "198.51.100.54", "2001:db8:1::53"],
      search: ["renewed.example", "six.example"],
      unknown: [],
    });

    // SIGTERM: both runners release their leases, and their DNS goes with them.
    run.proc.child.kill("SIGTERM");
    expect(await run.proc.exited()).toBe(0);
    expect(run.events().filter((e) => e.kind === "released").map((e) => e.family).sort()).toEqual(["ipv4", "ipv6"]);
    expect(await readFile(path, "utf8")).toBe(`${MARKER}\n`);
  });

  it("drops a domain name with an embedded newline and nameserver line from a hostile server", { timeout: 180_000 }, async () => {
    const net = await network({
      v6: false,
      dnsmasqArgs: [
        "--dhcp-option=15,evil.example\nnameserver 203.0.113.66",
        // dnsmasq refuses a bad name in option 119 ("bad domain in dhcp-option"), even as hex;
        // dns-wire.test.ts sends such bytes through the real codec instead.
        "--dhcp-option=option:domain-search,ok.example",
      ],
    });
    const path = join(await scratch(), "resolv.conf");
    const run = await runtime(net, { resolvConf: path });

    const bound = await run.waitForEvent((e) => e.kind === "bound" && e.family === "ipv4");
    // The hostile bytes really reached the plugin...
    expect(bound.lease?.dns.domain).toBe("evil.example\nnameserver 203.0.113.66");
    // ...and none of them reached the file.
    const text = await waitForFile(net, path, (t) => t.includes("nameserver 192.0.2.53"), "resolv.conf was not written");
    expect(text).toBe(`${MARKER}\nnameserver 192.0.2.53\nsearch ok.example\n`);
    await net.waitFor(() => run.proc.stderr().includes("Dropped the domain name"), { timeoutMs: 10_000, message: "No warning" });
    expect(run.proc.stderr()).toContain(
      'Dropped the domain name \\"evil.example\\\\nnameserver 203.0.113.66\\" from the ipv4 lease on eth0: contains a control character',
    );
  });
});
