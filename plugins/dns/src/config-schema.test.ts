import { readFileSync } from "node:fs";
import { definePlugin } from "@incusx/sdk";
import { startTestHost } from "@incusx/testkit";
import { describe, expect, it } from "vitest";
import { checkDnsName } from "./dns-name.js";
import { DEFAULT_DNS_PLUGIN_CONFIG, staticDnsFromConfig } from "./config.js";

const packageDir = new URL("..", import.meta.url);
const schema = JSON.parse(readFileSync(new URL("package.json", packageDir), "utf8")).incusx.configSchema;

// Loads the real manifest with a probe plugin of the same id: what the host
// refuses (INVALID_CONFIG), or the config it hands to the plugin.
async function load(config: unknown): Promise<{ code?: string; config?: unknown }> {
  let seen: unknown;
  const probe = definePlugin({ id: "incusx.dns", start: (context) => void (seen = context.config) });
  const t = await startTestHost({ plugins: [{ plugin: probe, packageDir, config }], allowFailures: true });
  await t.stop();
  const code = t.report.plugins[0]?.error?.code;
  return code === undefined ? { config: seen } : { code };
}

const NAMES = [
  "example.net", "Example.NET.", "_msdcs.example", "a", "a-b.c_d", "xn--bcher-kva.example",
  "", ".", "a..b", "-a.example", "a-.example", "a b", "a\nnameserver 203.0.113.66", "a#b", "a.example..",
  `${"a".repeat(63)}.example`, `${"a".repeat(64)}.example`,
  `${"abcdefgh.".repeat(28)}a`, `${"abcdefgh.".repeat(28)}a.`, `${"abcdefgh.".repeat(28)}ab`,
];
const SERVERS = [
  "192.0.2.53", "2001:db8::53", "2001:DB8:0::53", "::ffff:192.0.2.1", "::192.0.2.1", "fe80::1%eth0", "FE80::53%br-0.1",
  "dns.example", "192.0.2.300", "010.0.0.1", "fe80::1", "fe80::1%a", "fe80::1%..", "fe80::1%a%b", "fe80::1%bad zone",
  "192.0.2.1%eth0", "2001:db8::53%eth0", "fe80::1%a-very-long-name", " 192.0.2.53",
];

describe("the DNS plugin's config schema", () => {
  it("makes the host refuse at load what the plugin refuses", async () => {
    for (const config of [
      { resolvConf: "etc/resolv.conf" },
      { nameservers: ["dns.example"] },
      { nameservers: ["fe80::1%a%b"] },
      { search: ["bad\nnameserver 203.0.113.66"] },
      { search: ["-a.example"] },
      { search: [`${"a".repeat(64)}.example`] },
      { options: ["ndots:2\nnameserver"] },
      { writeMode: "copy" },
      { takeOver: "yes" },
      { colour: "red" },
    ]) {
      expect(await load(config), JSON.stringify(config)).toEqual({ code: "INVALID_CONFIG" });
    }
    expect(await load({ resolvConf: "/r", nameservers: ["fe80::1%eth0"], search: ["example.net."], options: ["edns0"] })).toEqual({
      config: { ...DEFAULT_DNS_PLUGIN_CONFIG, resolvConf: "/r", nameservers: ["fe80::1%eth0"], search: ["example.net."], options: ["edns0"] },
    });
  });

  it("takes exactly the search domains the plugin takes", () => {
    const pattern = new RegExp(schema.properties.search.items.pattern, "u");
    for (const name of NAMES) expect(pattern.test(name), JSON.stringify(name)).toBe("name" in checkDnsName(name));
  });

  it("takes every name server the plugin takes (which also checks that the address parses and where a zone goes)", () => {
    const pattern = new RegExp(schema.properties.nameservers.items.pattern, "u");
    const plugin = (text: string) => {
      try {
        staticDnsFromConfig({ nameservers: [text] });
        return true;
      } catch {
        return false;
      }
    };
    for (const text of SERVERS) if (plugin(text)) expect(pattern.test(text), text).toBe(true);
    for (const text of ["dns.example", "fe80::1%a%b", "fe80::1%bad zone", "fe80::1%a", "fe80::1%..", " 192.0.2.53"]) {
      expect(pattern.test(text), text).toBe(false);
    }
  });

  it("has the defaults the plugin had, which the host fills in", async () => {
    expect(DEFAULT_DNS_PLUGIN_CONFIG).toEqual({ nameservers: [], search: [], options: [], writeMode: "auto", takeOver: false });
    expect(Object.isFrozen(DEFAULT_DNS_PLUGIN_CONFIG) && Object.isFrozen(DEFAULT_DNS_PLUGIN_CONFIG.nameservers)).toBe(true);
    const fromSchema = Object.fromEntries(Object.entries<{ default?: unknown }>(schema.properties).filter(([, p]) => "default" in p).map(([k, p]) => [k, p.default]));
    expect(DEFAULT_DNS_PLUGIN_CONFIG).toEqual(fromSchema);
    expect(await load({})).toEqual({ config: DEFAULT_DNS_PLUGIN_CONFIG });
  });
});
