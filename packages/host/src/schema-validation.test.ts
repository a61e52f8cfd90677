import { readFileSync } from "node:fs";
import { validateBundleManifest, validatePluginManifest } from "@incusx/bundle";
import { ErrorCode, InvalidConfigError } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { failure } from "../../../test/support/thrown-error.js";
import { compileConfigSchema } from "./config-schema.js";
import { validateHostConfig } from "./schema-validation.js";

describe("validateHostConfig", () => {
  it.each([
    ["an empty config", {}],
    [
      "every field",
      {
        $schema: "../schemas/host-config.schema.json",
        stateDir: "/var/lib/incusx",
        plugins: [
          { module: "@incusx/plugin-dhcpv4" },
          {
            module: "./plugins/mine",
            config: { anything: [1, 2] },
            onFailure: "continue",
            startTimeoutMs: 500,
            stopTimeoutMs: 1,
          },
        ],
        bundle: "/usr/lib/incusx/bundle.json",
        defaults: { onFailure: "abort", startTimeoutMs: 10_000, stopTimeoutMs: 10_000 },
      },
    ],
  ])("accepts %s", (_, config) => {
    expect(validateHostConfig(config, "host.json")).toBe(config);
  });

  it.each([
    [
      "an unknown failure policy",
      { plugins: [{ module: "a", onFailure: "ignore" }] },
      [{ path: "/plugins/0/onFailure", message: 'must be equal to one of the allowed values "abort", "continue"' }],
    ],
    [
      "a misspelt key in a plugin entry",
      { plugins: [{ modul: "a" }] },
      [
        { path: "/plugins/0", message: 'missing required property "module"' },
        { path: "/plugins/0", message: 'unknown property "modul"' },
      ],
    ],
    [
      "a zero timeout",
      { plugins: [{ module: "a", startTimeoutMs: 0 }] },
      [{ path: "/plugins/0/startTimeoutMs", message: "must be >= 1" }],
    ],
    [
      "a fractional timeout in the defaults",
      { defaults: { stopTimeoutMs: 1.5 } },
      [{ path: "/defaults/stopTimeoutMs", message: "must be integer" }],
    ],
    [
      "an unknown top-level key",
      { stateDir: "/var/lib/incusx", plugin: [] },
      [{ path: "(root)", message: 'unknown property "plugin"' }],
    ],
    [
      "an empty module name",
      { plugins: [{ module: "" }] },
      [{ path: "/plugins/0/module", message: "must NOT have fewer than 1 characters" }],
    ],
    [
      "a plugins object instead of a list",
      { plugins: { module: "a" } },
      [{ path: "/plugins", message: "must be array" }],
    ],
    ["a document that is not an object", "plugins", [{ path: "(root)", message: "must be object" }]],
  ])("rejects %s", (_, config, issues) => {
    expect(failure(() => validateHostConfig(config, "host.json"))).toEqual({
      name: "InvalidConfigError",
      code: ErrorCode.InvalidConfig,
      message: issues.map((i) => `host.json: ${i.path}: ${i.message}`).join("\n"),
      issues,
    });
  });

  it("reports every problem in the file, not just the first", () => {
    const config = { stateDir: 7, plugins: [{ module: "a", onFailure: "ignore" }, { module: "b", stopTimeoutMs: -1 }] };
    const error = failure(() => validateHostConfig(config, "/etc/incusx/host.json"));
    expect(error.message).toBe(
      [
        "/etc/incusx/host.json: /stateDir: must be string",
        '/etc/incusx/host.json: /plugins/0/onFailure: must be equal to one of the allowed values "abort", "continue"',
        "/etc/incusx/host.json: /plugins/1/stopTimeoutMs: must be >= 1",
      ].join("\n"),
    );
    expect(error.issues).toHaveLength(3);
  });
});

describe("compileConfigSchema", () => {
  const schema = {
    type: "object",
    additionalProperties: false,
    required: ["network"],
    properties: {
      network: { type: "string" },
      mtu: { type: "integer", minimum: 576, default: 1500 },
      mode: { enum: ["stateful", "stateless"], default: "stateful" },
      server: { type: "string", format: "ipv4" },
    },
  };

  it("accepts a valid config and fills in the schema's defaults", () => {
    const config = { network: "ovn0" };
    compileConfigSchema(schema, "example.net")(config, "host.json");
    expect(config).toEqual({ network: "ovn0", mtu: 1500, mode: "stateful" });
  });

  it("accepts any config when the schema is empty", () => {
    const check = compileConfigSchema({}, "example.any");
    expect(() => check(undefined)).not.toThrow();
    expect(() => check({ a: 1 })).not.toThrow();
  });

  it.each([
    [
      "a value below the minimum",
      { network: "ovn0", mtu: 100 },
      [{ path: "/mtu", message: "must be >= 576" }],
    ],
    [
      "a bad format and an unknown key",
      { network: "ovn0", server: "10.0.0.300", extra: 1 },
      [
        { path: "(root)", message: 'unknown property "extra"' },
        { path: "/server", message: 'must match format "ipv4"' },
      ],
    ],
    [
      "a missing required key",
      {},
      [{ path: "(root)", message: 'missing required property "network"' }],
    ],
    [
      "a value outside the enum",
      { network: "ovn0", mode: "slaac" },
      [{ path: "/mode", message: 'must be equal to one of the allowed values "stateful", "stateless"' }],
    ],
  ])("rejects %s, naming the plugin and the file", (_, config, issues) => {
    expect(failure(() => compileConfigSchema(schema, "example.net")(config, "host.json"))).toEqual({
      name: "InvalidConfigError",
      code: ErrorCode.InvalidConfig,
      pluginId: "example.net",
      message: issues.map((i) => `Config of plugin "example.net" (host.json): ${i.path}: ${i.message}`).join("\n"),
      issues,
    });
  });

  it("leaves the file out of the message when none is given", () => {
    expect(failure(() => compileConfigSchema(schema, "example.net")(7)).message).toBe(
      'Config of plugin "example.net": (root): must be object',
    );
  });

  it.each([
    [
      "a schema that is not an object",
      "object",
      'Plugin "example.bad" configSchema: (root): must be object',
    ],
    [
      "a wrong type keyword value",
      { type: "object", properties: { mtu: { minimum: "576" } } },
      'Plugin "example.bad" configSchema: /properties/mtu/minimum: must be number',
    ],
    [
      "a misspelt keyword",
      { type: "object", requried: ["network"] },
      'Plugin "example.bad" configSchema: (root): unknown keyword "requried"',
    ],
    [
      "a reference to nothing",
      { $ref: "#/definitions/missing" },
      `Plugin "example.bad" configSchema: /$ref: can't resolve reference "#/definitions/missing"`,
    ],
  ])("rejects %s as an invalid manifest of that plugin", (_, badSchema, message) => {
    expect(failure(() => compileConfigSchema(badSchema, "example.bad"))).toEqual({
      name: "InvalidManifestError",
      code: ErrorCode.InvalidManifest,
      pluginId: "example.bad",
      message,
    });
  });

  it("lets two plugins use the same schema $id", () => {
    const withId = { $id: "https://example.com/config.json", type: "object" };
    compileConfigSchema(withId, "example.one");
    expect(() => compileConfigSchema({ ...withId }, "example.two")).not.toThrow();
  });
});

describe("the examples in schemas/README.md", () => {
  const readme = readFileSync(new URL("../../../schemas/README.md", import.meta.url), "utf8");
  const examples = new Map(
    [...readme.matchAll(/<!-- example: ([a-z-]+) -->\n```json\n([\s\S]*?)```/g)].map((m) => [m[1], JSON.parse(m[2]!)]),
  );

  it("cover every schema", () => {
    expect([...examples.keys()].sort()).toEqual(["bundle", "host-config", "plugin-manifest"]);
  });

  it("are valid", () => {
    const manifest = validatePluginManifest(examples.get("plugin-manifest"), "README.md");
    const check = compileConfigSchema(manifest.configSchema, manifest.id);
    const host = validateHostConfig(examples.get("host-config"), "README.md");
    check(host.plugins?.[1]?.config, "README.md");
    validateBundleManifest(examples.get("bundle"), "README.md");
  });
});

describe("the error classes", () => {
  it("are the SDK's, so callers can branch on them", () => {
    expect(() => validateHostConfig([], "host.json")).toThrow(InvalidConfigError);
  });
});
