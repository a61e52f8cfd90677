import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations.
import { OUTPUT_DIR, PLUGINS_DIR, PLUGIN_CONFIG_FILE, ROOT, generatePluginConfigTypes, generateTypes } from "../../../scripts/gen-types.mjs";

interface GeneratedFile {
  file: string;
  contents: string;
}

describe("types generated from schemas/", () => {
  let generated: GeneratedFile[];
  beforeAll(async () => {
    generated = await generateTypes();
  });

  it("match the committed files (run `pnpm gen:types` after editing a schema)", () => {
    for (const { file, contents } of generated) {
      expect(readFileSync(join(OUTPUT_DIR, file), "utf8"), `packages/sdk/src/generated/${file}`).toBe(contents);
    }
  });

  it("leave no stale file behind in the generated folder", () => {
    const committed = readdirSync(OUTPUT_DIR).sort();
    expect(committed).toEqual(generated.map((g) => g.file).sort());
  });

  it("name the manifest, host config and bundle types as the SDK exports them", () => {
    const barrel = generated.find((g) => g.file === "index.ts")?.contents ?? "";
    for (const name of ["PluginManifest", "HostConfig", "HostPluginEntry", "HostDefaults", "BundleManifest", "BundlePlugin"]) {
      expect(barrel).toMatch(new RegExp(`\\b${name}\\b`));
    }
  });
});

describe("plugin config types generated from each manifest's configSchema", () => {
  let generated: GeneratedFile[];
  beforeAll(async () => {
    generated = await generatePluginConfigTypes();
  });

  it("match the committed files (run `pnpm gen:types` after editing a configSchema)", () => {
    expect(generated.length).toBeGreaterThan(0);
    for (const { file, contents } of generated) expect(readFileSync(join(ROOT, file), "utf8"), file).toBe(contents);
  });

  it("exist for exactly the plugins whose manifest has a configSchema", () => {
    const withSchema = readdirSync(PLUGINS_DIR)
      .filter((name) => existsSync(join(PLUGINS_DIR, name, "package.json")))
      .filter((name) => JSON.parse(readFileSync(join(PLUGINS_DIR, name, "package.json"), "utf8")).incusx?.configSchema !== undefined)
      .map((name) => join("plugins", name, PLUGIN_CONFIG_FILE));
    const committed = readdirSync(PLUGINS_DIR)
      .map((name) => join("plugins", name, PLUGIN_CONFIG_FILE))
      .filter((file) => existsSync(join(ROOT, file)));
    expect(generated.map((g) => g.file).sort()).toEqual(withSchema.sort());
    expect(committed.sort()).toEqual(withSchema.sort());
  });

  it("keep the names the plugins exported before (type, input type, DEFAULT_*)", () => {
    const contents = (plugin: string) => generated.find((g) => g.file === join("plugins", plugin, PLUGIN_CONFIG_FILE))?.contents ?? "";
    for (const [plugin, type, constant] of [
      ["dhcpv4", "Dhcpv4Config", "DEFAULT_DHCPV4_CONFIG"],
      ["dhcpv6", "Dhcpv6Config", "DEFAULT_DHCPV6_CONFIG"],
      ["dns", "DnsPluginConfig", "DEFAULT_DNS_PLUGIN_CONFIG"],
      ["ovn-external-address", "OvnNatConfig", "DEFAULT_OVN_NAT_CONFIG"],
    ] as const) {
      expect(contents(plugin)).toContain(`export interface ${type} {`);
      expect(contents(plugin)).toContain(`export type ${type}Input = `);
      expect(contents(plugin)).toContain(`export const ${constant}: ${type} = Object.freeze(`);
    }
  });

  it("are documented by each plugin README's config table (keys and defaults as in the schema)", () => {
    for (const { file } of generated) {
      const dir = join(ROOT, file, "..", "..", "..");
      const schema = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).incusx.configSchema;
      const readme = readFileSync(join(dir, "README.md"), "utf8");
      const table = readme.slice(readme.indexOf("| Config key")).split("\n\n")[0] ?? "";
      const rows = [...table.matchAll(/^\| `([^`]+)` *\| ([^|]*?) *\|/gm)].map(([, key, value]) => [key, value]);
      const expected = Object.entries<{ default?: unknown }>(schema.properties).map(([key, p]) => [
        key,
        "default" in p ? `\`${JSON.stringify(p.default)}\`` : "none",
      ]);
      expect(rows, join(dir, "README.md")).toEqual(expected);
    }
  });

  it("make a property with a default required in the type, and every member readonly", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gen-types-"));
    mkdirSync(join(dir, "example"), { recursive: true });
    const configSchema = {
      title: "ExampleConfig",
      type: "object",
      additionalProperties: false,
      required: ["name"],
      properties: {
        name: { type: "string", description: "Needed." },
        mtu: { type: "integer", default: 1500 },
        tags: { type: "array", items: { type: "string" }, default: ["a"] },
        note: { type: "string" },
      },
    };
    writeFileSync(join(dir, "example", "package.json"), JSON.stringify({ name: "example", incusx: { id: "example", configSchema } }));
    try {
      const [file] = await generatePluginConfigTypes({ pluginsDir: dir });
      const text = (file as GeneratedFile).contents;
      expect(text).toMatch(/readonly name: string;/);
      expect(text).toMatch(/@default 1500\n\s*\*\/\n\s*readonly mtu: number;/);
      expect(text).toMatch(/readonly tags: readonly string\[\];/);
      expect(text).toMatch(/readonly note\?: string;/);
      expect(text).toContain('export type ExampleConfigInput = Omit<ExampleConfig, "mtu" | "tags"> &');
      // `name` has no default, so the defaults are not a whole config.
      expect(text).toContain('export const DEFAULT_EXAMPLE_CONFIG: Pick<ExampleConfig, "mtu" | "tags"> = Object.freeze({');
      expect(text).toContain('tags: Object.freeze(["a"]),');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
