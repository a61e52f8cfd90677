import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations.
import { OUTPUT_FILE, generateValidators } from "../../../scripts/gen-validators.mjs";

describe("validators precompiled from schemas/", () => {
  it("match the committed file (run `pnpm gen:types` after editing a schema)", () => {
    expect(readFileSync(OUTPUT_FILE, "utf8")).toBe(generateValidators());
  });
});
