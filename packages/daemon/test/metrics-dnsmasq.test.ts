// The daemon's metrics against a real dnsmasq (root only): the DHCPv4 and
// DHCPv6 plugins configure a NIC in a test namespace, and the scrape of
// GET /1.0/metrics (socket) and of the TCP listener, read back by a
// Prometheus text parser, shows it bound in both families.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { Daemon } from "../src/daemon.js";
import { DaemonServer } from "../src/daemon-server.js";
import { MetricsServer } from "../src/metrics-server.js";
import { parseScrape, valueOf } from "../src/prometheus-text.test-support.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const PLUGINS = [join(root, "plugins/dhcpv4"), join(root, "plugins/dhcpv6")];

function skipReason(): string | undefined {
  if (!rootAvailable()) return "needs root (network namespaces, dnsmasq)";
  if (!PLUGINS.every((p) => existsSync(join(p, "dist/index.js")))) return "the DHCP plugins are not built; run `pnpm build`";
  if (!["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].some(existsSync)) return "dnsmasq is not installed";
  return undefined;
}
const reason = skipReason();

function scrapeSocket(socket: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: "/1.0/metrics", agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString("utf8")) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

let net: TestNetwork | undefined;
let dir: string | undefined;
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await net?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  net = dir = undefined;
});

describe.skipIf(reason !== undefined)(`daemon metrics against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("counts a NIC configured by dnsmasq as bound in both families, on the socket and on TCP", async () => {
    net = await createTestNetwork({});
    dir = mkdtempSync(join(tmpdir(), "incusx-metrics-dnsmasq-"));
    const config = join(dir, "host.json");
    writeFileSync(config, JSON.stringify({ stateDir: join(dir, "state"), plugins: PLUGINS.map((module) => ({ module })) }));
    const daemon = await Daemon.start({ config, logSink: () => {} });
    stops.push(() => daemon.stop());
    const socket = join(dir, "daemon.sock");
    const server = await DaemonServer.listen(daemon, { socket });
    stops.push(() => server.close());
    const tcp = await MetricsServer.listen(daemon.metrics, "127.0.0.1:0");
    stops.push(() => tcp.close());

    const idle = parseScrape(await scrapeSocket(socket));
    expect(valueOf(idle, "incusx_dhcp_leases_bound_total", { family: "ipv4" })).toBe(0);
    expect(valueOf(idle, "incusx_plugin_start_duration_seconds", { plugin: "incusx.dhcpv4" })).toBeGreaterThan(0);
    expect(valueOf(idle, "incusx_plugin_start_duration_seconds", { plugin: "incusx.dhcpv6" })).toBeGreaterThan(0);

    await daemon.attach({ instance: "c1", device: "eth0", netns: net.containerNsPath, interface: net.iface });
    await net.waitFor(() => daemon.nic({ instance: "c1", device: "eth0" })?.families.every((f) => f.state === "bound") || undefined, {
      timeoutMs: 30_000,
      message: "the NIC was not bound in both families",
    });

    const text = await scrapeSocket(socket);
    const scrape = parseScrape(text);
    for (const family of ["ipv4", "ipv6"]) {
      expect(valueOf(scrape, "incusx_nics", { family, state: "bound" }), family).toBe(1);
      expect(valueOf(scrape, "incusx_dhcp_leases_bound_total", { family }), family).toBe(1);
      expect(valueOf(scrape, "incusx_dhcp_lease_renew_failures_total", { family }), family).toBe(0);
    }
    expect(text).not.toMatch(/c1|instance=/);
    const overTcp = parseScrape(await (await fetch(tcp.url)).text());
    expect(valueOf(overTcp, "incusx_nics", { family: "ipv6", state: "bound" })).toBe(1);

    await daemon.detach({ instance: "c1", device: "eth0" }, { release: true });
    expect(valueOf(parseScrape(await scrapeSocket(socket)), "incusx_nics", { family: "ipv4", state: "bound" })).toBe(0);
  }, 120_000);
});
