// Every stable error code is explained where users look for it: the
// README's table and the plugin authors' guide.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@incusx/sdk";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("error code documentation", () => {
  it.each(["README.md", "docs/plugin-authors.md"])("%s names every ErrorCode", (path) => {
    const text = read(path);
    const missing = Object.values(ErrorCode).filter((code) => !text.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
