// Run in the container namespace by dns.test.ts (through the harness's
// spawnNode): a host with the DHCPv4, DHCPv6 and DNS plugins, straight from
// source, running its NetworkRuntime on IFACE until SIGTERM (then it
// releases both leases). Prints each lease event as a JSON line on stdout;
// logs go to stderr as JSON lines. Usage: dns-runtime.ts IFACE STATE_DIR DNS_CONFIG_JSON
import { createRequire } from "node:module";
import { Host, jsonLinesSink, LeaseEventBus } from "@incusx/host";
import { IpRoute2LinkConfigurator } from "@incusx/linux-net";
import dhcpv4 from "@incusx/plugin-dhcpv4";
import dhcpv6 from "@incusx/plugin-dhcpv6";
import dns from "@incusx/plugin-dns";

const [iface, stateDir, dnsConfig] = process.argv.slice(2);
if (iface === undefined || stateDir === undefined || dnsConfig === undefined) {
  throw new Error("Usage: dns-runtime.ts IFACE STATE_DIR DNS_CONFIG_JSON");
}

const require = createRequire(import.meta.url);
const manifest = (dir: string): unknown => (require(`@incusx/plugin-${dir}/package.json`) as { incusx: unknown }).incusx;

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
