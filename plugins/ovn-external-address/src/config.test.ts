import { readFileSync } from "node:fs";
import { parseEndpoints } from "@incusx/ovsdb";
import { definePlugin } from "@incusx/sdk";
import { startTestHost } from "@incusx/testkit";
import { describe, expect, it } from "vitest";
import { DEFAULT_OVN_NAT_CONFIG } from "./generated/config.js";

const packageDir = new URL("..", import.meta.url);
const schema = JSON.parse(readFileSync(new URL("package.json", packageDir), "utf8")).incusx.configSchema;

// Loads the real manifest with a probe plugin of the same id: what the host
// refuses (INVALID_CONFIG), or the config it hands to the plugin.
async function load(config: unknown): Promise<{ code?: string; config?: unknown }> {
  let seen: unknown;
  const probe = definePlugin({ id: "incusx.ovn-external-address", start: (context) => void (seen = context.config) });
  const t = await startTestHost({ plugins: [{ plugin: probe, packageDir, config }], allowFailures: true });
  await t.stop();
  const code = t.report.plugins[0]?.error?.code;
  return code === undefined ? { config: seen } : { code };
}

const ENDPOINTS = [
  "unix:/run/ovn/ovnnb_db.sock", "tcp:192.0.2.1:6641", "tcp:nb.example:6641", "tcp:[2001:db8::1]:6641", "tcp:[fe80::1%eth0]:6641",
  "tcp:192.0.2.1:1", "tcp:192.0.2.1:65535", "tcp:192.0.2.1:06641", "unix:/a,tcp:192.0.2.1:6641",
  "unix:", "tcp:192.0.2.1:0", "tcp:192.0.2.1:65536", "tcp:192.0.2.1:99999", "tcp:192.0.2.1:", "tcp::6641", "tcp:6641",
  "tcp:2001:db8::1:6641", "tcp:[2001:db8::1]6641", "tcp:[nb.example]:6641", "tcp:192.0.2.1:66a", "ssl:192.0.2.1:6641",
  "unix:/a,tcp:192.0.2.1:0",
];

describe("the OVN external-address plugin's config schema", () => {
  it("makes the host refuse at load what the plugin cannot connect to", async () => {
    for (const config of [
      { northbound: "tcp:192.0.2.1:0" },
      { northbound: "tcp:192.0.2.1:65536" },
      { northbound: "tcp:2001:db8::1:6641" },
      { northbound: "ssl:192.0.2.1:6641" },
      { requestTimeoutMs: 99 },
      { requestTimeoutMs: 1000.5 },
      { colour: "red" },
    ]) {
      expect(await load(config), JSON.stringify(config)).toEqual({ code: "INVALID_CONFIG" });
    }
    expect(await load({ northbound: "tcp:[2001:db8::1]:6641", requestTimeoutMs: 100 })).toEqual({
      config: { northbound: "tcp:[2001:db8::1]:6641", requestTimeoutMs: 100 },
    });
  });

  it("agrees with the OVSDB client on which connection strings (without spaces or empty parts) are good", () => {
    const pattern = new RegExp(schema.properties.northbound.pattern, "u");
    const client = (text: string) => {
      try {
        parseEndpoints(text);
        return true;
      } catch {
        return false;
      }
    };
    for (const text of ENDPOINTS) expect(pattern.test(text), text).toBe(client(text));
  });

  it("has the defaults the plugin had, which the host fills in", async () => {
    expect(DEFAULT_OVN_NAT_CONFIG).toEqual({ requestTimeoutMs: 30_000 });
    expect(Object.isFrozen(DEFAULT_OVN_NAT_CONFIG)).toBe(true);
    const fromSchema = Object.fromEntries(Object.entries<{ default?: unknown }>(schema.properties).filter(([, p]) => "default" in p).map(([k, p]) => [k, p.default]));
    expect(DEFAULT_OVN_NAT_CONFIG).toEqual(fromSchema);
    expect(await load({})).toEqual({ config: DEFAULT_OVN_NAT_CONFIG });
  });
});
