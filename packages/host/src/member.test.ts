import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { HostIdentityToken, definePlugin } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { Host } from "./host.js";
import { MEMBER_NAME_MAX_LENGTH, MEMBER_NAME_PATTERN, hostIdentity, memberNameProblem } from "./member.js";
import { hostOptionsFromConfig } from "./config.js";
import { validateHostConfig } from "./schema-validation.js";

const schema = JSON.parse(readFileSync(new URL("../../../schemas/host-config.schema.json", import.meta.url), "utf8")) as {
  properties: { member: { pattern: string; maxLength: number } };
};

describe("host member name", () => {
  it("is the schema's rule", () => {
    expect(MEMBER_NAME_PATTERN.source).toBe(schema.properties.member.pattern);
    expect(MEMBER_NAME_MAX_LENGTH).toBe(schema.properties.member.maxLength);
  });

  it("defaults to the host name and takes a given one", () => {
    expect(hostIdentity(undefined)).toEqual({ member: hostname() });
    expect(hostIdentity("node-1.example")).toEqual({ member: "node-1.example" });
  });

  it("refuses a bad name with INVALID_CONFIG naming the problem", () => {
    for (const bad of ["", "-a", ".a", "a b", "a/b", "x".repeat(254)]) expect(memberNameProblem(bad)).toBeDefined();
    expect(() => hostIdentity("a b")).toThrow(expect.objectContaining({ code: "INVALID_CONFIG", message: expect.stringContaining('"a b"') }));
  });

  it("comes from the host config and reaches plugins as HostIdentityToken", async () => {
    const config = validateHostConfig({ member: "node2", plugins: [] }, "host.json");
    expect(hostOptionsFromConfig(config, "/").member).toBe("node2");
    expect(() => validateHostConfig({ member: "no spaces" }, "host.json")).toThrow();
    let seen: unknown;
    const plugin = definePlugin({
      id: "test.identity",
      start: (context) => {
        seen = context.resolve(HostIdentityToken);
      },
    });
    const host = new Host({
      member: "node2",
      stateDir: "/nonexistent-incusx-state",
      plugins: [{ plugin, manifest: { id: "test.identity", apiVersions: ["1"], provides: [] } }],
    });
    const report = await host.start();
    expect(report.ok).toBe(true);
    expect(seen).toEqual({ member: "node2" });
    await host.stop();
  });
});
