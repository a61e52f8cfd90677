import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations.
import { MODULES, ROOT, generateValidators, outputFile } from "../../../scripts/gen-validators.mjs";

type ValidatorModule = { packageDir: string; validators: Record<string, string> };

describe("validators precompiled from schemas/", () => {
  it.each((MODULES as ValidatorModule[]).map((module) => [relative(ROOT as string, outputFile(module) as string), module] as const))(
    "%s matches the committed file (run `pnpm gen:types` after editing a schema)",
    (_file, module) => {
      expect(readFileSync(outputFile(module) as string, "utf8")).toBe(generateValidators(module));
    },
  );

  it("cover every schema in schemas/ once, in the package that validates it", () => {
    const schemas = (MODULES as ValidatorModule[]).flatMap((module) => Object.values(module.validators)).filter((file) => file.endsWith(".json"));
    expect(schemas.sort()).toEqual([
      "bundle.schema.json",
      "daemon-nic-attach.schema.json",
      "host-config.schema.json",
      "host-state.schema.json",
      "plugin-manifest.schema.json",
    ]);
    expect((MODULES as ValidatorModule[]).map((module) => module.packageDir)).toEqual(["packages/bundle", "packages/host", "packages/daemon"]);
  });
});
