import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations.
import { OUTPUT_DIR, generateTypes } from "../../../scripts/gen-types.mjs";

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
