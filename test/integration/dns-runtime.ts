// Run in the container namespace by dns.test.ts (through the harness's
// spawnNode): a host with the DHCPv4, DHCPv6 and DNS plugins, straight from
// source, running its NetworkRuntime on IFACE until SIGTERM (then it
// releases both leases). Prints each lease event as a JSON line on stdout;
// logs go to stderr as JSON lines. Usage: dns-runtime.ts IFACE STATE_DIR DNS_CONFIG_JSON
import { readFileSync } from "node:fs";
import { Host, jsonLinesSink, LeaseEventBus } from "../../packages/host/src/index.js";
import { IpRoute2LinkConfigurator } from "../../packages/linux-net/src/index.js";
import dhcpv4 from "../../plugins/dhcpv4/src/index.js";
import dhcpv6 from "../../plugins/dhcpv6/src/index.js";
import dns from "../../plugins/dns/src/index.js";

const [iface, stateDir, dnsConfig] = process.argv.slice(2);
if (iface === undefined || stateDir === undefined || dnsConfig === undefined) {
  throw new Error("Usage: dns-runtime.ts IFACE STATE_DIR DNS_CONFIG_JSON");
}

const manifest = (dir: string): unknown =>
  (JSON.parse(readFileSync(new URL(`../../plugins/${dir}/package.json`, import.meta.url), "utf8")) as { incusx: unknown }).incusx;

const events = new LeaseEventBus();
const host = new Host({
  stateDir,
  defaults: { onFailure: "abort" },
  plugins: [
    { plugin: dhcpv4, manifest: manifest("dhcpv4") },
    { plugin: dhcpv6, manifest: manifest("dhcpv6") },
    { plugin: dns, manifest: manifest("dns"), config: JSON.parse(dnsConfig) as unknown },
  ],
  services: { linkConfigurator: new IpRoute2LinkConfigurator(), logSink: jsonLinesSink(process.stderr, "debug"), leaseEvents: events },
});
const report = await host.start();
for (const plugin of report.plugins) if (plugin.error) throw new Error(`${plugin.id}: ${plugin.error.code}: ${plugin.error.message}`);

events.subscribe((event) => process.stdout.write(`${JSON.stringify(event)}\n`));
const stop = new AbortController();
process.once("SIGTERM", () => stop.abort(new Error("SIGTERM")));
await host.networkRuntime().run({ interface: iface, releaseOnStop: true, signal: stop.signal });
await host.stop();
process.stdout.write(`${JSON.stringify({ stopped: true })}\n`);
