import { readFileSync } from "node:fs";
import { definePlugin } from "@incusx/sdk";
import { startTestHost } from "@incusx/testkit";
import { describe, expect, it } from "vitest";
import { DEFAULT_DHCPV6_CONFIG } from "./index.js";

const packageDir = new URL("..", import.meta.url);
const schema = JSON.parse(readFileSync(new URL("package.json", packageDir), "utf8")).incusx.configSchema;

// Loads the real manifest with a probe plugin of the same id: what the host
// refuses (INVALID_CONFIG), or the config it hands to the plugin.
async function load(config: unknown): Promise<{ code?: string; config?: unknown }> {
  let seen: unknown;
  const probe = definePlugin({ id: "incusx.dhcpv6", start: (context) => void (seen = context.config) });
  const t = await startTestHost({ plugins: [{ plugin: probe, packageDir, config }], allowFailures: true });
  await t.stop();
  const code = t.report.plugins[0]?.error?.code;
  return code === undefined ? { config: seen } : { code };
}

describe("the DHCPv6 plugin's config schema", () => {
  it("makes the host refuse at load what the plugin cannot use", async () => {
    for (const config of [
      { addressPrefixLength: 63 },
      { addressPrefixLength: 129 },
      { addressPrefixLength: 96.5 },
      { rapidCommit: "yes" },
      { stableLinkLocal: 1 },
      { maxConcurrentSolicits: 0 },
      { maxConcurrentSolicits: 2.5 },
      { maxConcurrentSolicits: 4097 },
      { colour: "red" },
    ]) {
      expect(await load(config), JSON.stringify(config)).toEqual({ code: "INVALID_CONFIG" });
    }
    expect(await load({ addressPrefixLength: 64, rapidCommit: false, maxConcurrentSolicits: 1 })).toEqual({
      config: { addressPrefixLength: 64, rapidCommit: false, maxConcurrentSolicits: 1, stableLinkLocal: false },
    });
  });

  it("has the defaults the plugin had, which the host fills in", async () => {
    // stableLinkLocal is off by default: the kernel's link-local address is the kernel's business.
    expect(DEFAULT_DHCPV6_CONFIG).toEqual({ addressPrefixLength: 128, rapidCommit: true, maxConcurrentSolicits: 16, stableLinkLocal: false });
    expect(Object.isFrozen(DEFAULT_DHCPV6_CONFIG)).toBe(true);
    const fromSchema = Object.fromEntries(Object.entries<{ default?: unknown }>(schema.properties).filter(([, p]) => "default" in p).map(([k, p]) => [k, p.default]));
    expect(DEFAULT_DHCPV6_CONFIG).toEqual(fromSchema);
    expect(await load({})).toEqual({ config: DEFAULT_DHCPV6_CONFIG });
  });
});
