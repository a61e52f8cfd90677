// @incusx/host loads bundles with this package, so this package must never
// need the host: neither as a dependency nor through an import.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("../", import.meta.url));

describe("@incusx/bundle sits below @incusx/host", () => {
  it("depends on no incusx package but the SDK", () => {
    const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    const deps = ["dependencies", "peerDependencies", "devDependencies", "optionalDependencies"].flatMap((field) => Object.keys(pkg[field] ?? {}));
    expect(deps.filter((name) => name.startsWith("@incusx/"))).toEqual(["@incusx/sdk"]);
  });

  it("imports no other incusx package than the SDK, and nothing outside its own src/", () => {
    const src = join(packageDir, "src");
    const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"));
    expect(files.length).toBeGreaterThan(0);
    const offending = files.flatMap((file) =>
      [...readFileSync(join(src, file), "utf8").matchAll(/from "([^"]+)"/g)]
        .map((m) => m[1]!)
        .filter((spec) => (spec.startsWith("@incusx/") && spec !== "@incusx/sdk" && !spec.startsWith("@incusx/sdk/")) || (spec.startsWith(".") && outside(src, resolve(src, dirname(file), spec))))
        .map((spec) => `${file}: ${spec}`),
    );
    expect(offending).toEqual([]);
  });
});

function outside(dir: string, path: string): boolean {
  return relative(dir, path).startsWith("..");
}
