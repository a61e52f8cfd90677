import { readFileSync } from "node:fs";
import { definePlugin } from "@incusx/sdk";
import { startTestHost } from "@incusx/testkit";
import { describe, expect, it } from "vitest";
import { duidFromHex } from "./identity.js";
import { DEFAULT_DHCPV4_CONFIG } from "./index.js";

const packageDir = new URL("..", import.meta.url);
const schema = JSON.parse(readFileSync(new URL("package.json", packageDir), "utf8")).incusx.configSchema;

// Loads the real manifest with a probe plugin of the same id: what the host
// refuses (INVALID_CONFIG), or the config it hands to the plugin.
async function load(config: unknown): Promise<{ code?: string; config?: unknown }> {
  let seen: unknown;
  const probe = definePlugin({ id: "incusx.dhcpv4", start: (context) => void (seen = context.config) });
  const t = await startTestHost({ plugins: [{ plugin: probe, packageDir, config }], allowFailures: true });
  await t.stop();
  const code = t.report.plugins[0]?.error?.code;
  return code === undefined ? { config: seen } : { code };
}

const hex = (typeCode: number, bytes: number) => typeCode.toString(16).padStart(4, "0") + "ab".repeat(bytes - 2);

describe("the DHCPv4 plugin's config schema", () => {
  it("makes the host refuse at load what the plugin cannot use", async () => {
    for (const config of [
      { clientIdentifier: "uuid" },
      { requestBroadcast: "yes" },
      { applyMtu: 1 },
      { addressConflictDetection: "on" },
      { maxConcurrentDiscovers: 0 },
      { maxConcurrentDiscovers: 2.5 },
      { maxConcurrentDiscovers: "16" },
      { duid: "0001000102" }, // a DUID-LLT of 5 bytes: the plugin ignored it
      { duid: `0004${"ab".repeat(15)}` }, // a DUID-UUID of 17 bytes
      { duid: "00030001zz0000beef" },
      { colour: "red" },
    ]) {
      expect(await load(config), JSON.stringify(config)).toEqual({ code: "INVALID_CONFIG" });
    }
    const pinned = { clientIdentifier: "mac", requestBroadcast: false, applyMtu: false, addressConflictDetection: true, duid: "0003000102000000beef", maxConcurrentDiscovers: 1 };
    expect(await load(pinned)).toEqual({ config: pinned });
  });

  it("takes exactly the DUIDs the plugin can use (4 to 130 bytes)", () => {
    const pattern = new RegExp(schema.properties.duid.pattern, "u");
    for (const typeCode of [0, 1, 2, 3, 4, 5, 0xffff]) {
      for (const bytes of [2, 3, 4, 5, 6, 7, 8, 9, 17, 18, 19, 130, 131]) {
        const text = hex(typeCode, bytes);
        const usable = bytes <= 130 && duidFromHex(text) !== undefined;
        expect(pattern.test(text), `${text}: the plugin ${usable ? "uses" : "ignores"} it`).toBe(usable && bytes >= 4);
        expect(pattern.test(text.toUpperCase())).toBe(pattern.test(text));
      }
    }
  });

  it("has the defaults the plugin had, which the host fills in", async () => {
    expect(DEFAULT_DHCPV4_CONFIG).toEqual({ clientIdentifier: "duid", requestBroadcast: true, applyMtu: true, addressConflictDetection: false, maxConcurrentDiscovers: 16 });
    expect(Object.isFrozen(DEFAULT_DHCPV4_CONFIG)).toBe(true);
    const fromSchema = Object.fromEntries(Object.entries<{ default?: unknown }>(schema.properties).filter(([, p]) => "default" in p).map(([k, p]) => [k, p.default]));
    expect(DEFAULT_DHCPV4_CONFIG).toEqual(fromSchema);
    expect(await load({})).toEqual({ config: DEFAULT_DHCPV4_CONFIG });
  });
});
