// Every published workspace package passes publint in strict mode, so a
// release never ships a broken "exports", missing files or wrong formats.
// Needs `pnpm build`: publint checks the built dist/ that would be packed.
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script with no type declarations
import { lintPackage, publishedPackages, root } from "../../scripts/publint-all.mjs";

const packages = publishedPackages() as { name: string; dir: string }[];

describe("published packages pass publint --strict", () => {
  it("finds the published packages", () => {
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(["@incusx/sdk", "@incusx/host", "@incusx/cli"]));
    expect(packages.every((p) => p.dir.startsWith(root))).toBe(true);
  });

  it.each(packages.map((p) => [p.name, p.dir]))("%s", async (_name, dir) => {
    const problems = (await lintPackage(dir)) as string[];
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
