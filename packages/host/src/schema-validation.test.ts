import { ErrorCode, InvalidConfigError, InvalidManifestError, type ValidationIssue } from "@incusx/sdk";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileConfigSchema } from "./config-schema.js";
import {
  validateBundleManifest,
  validateHostConfig,
  validatePluginManifest,
} from "./schema-validation.js";

const PKG = "/opt/p/package.json";
const SHA512 = `sha512-${"A".repeat(86)}==`;

// What a thrown error looks like to a user and to code branching on it.
function failure(run: () => unknown): { name: string; code: string; message: string; pluginId?: string; issues?: readonly ValidationIssue[] } {
  try {
    run();
  } catch (error) {
    const e = error as InvalidConfigError;
    return {
      name: e.constructor.name,
      code: e.code,
      message: e.message,
      ...(e.pluginId === undefined ? {} : { pluginId: e.pluginId }),
      ...(e instanceof InvalidConfigError ? { issues: e.issues } : {}),
    };
  }
  throw new Error("expected an error");
}

describe("validatePluginManifest", () => {
  it.each([
    ["the smallest manifest", { id: "example", apiVersions: ["1"] }],
    [
      "every field",
      {
        id: "incusx.dhcpv4",
        description: "DHCPv4 client",
        apiVersions: ["1", "2"],
        provides: ["dhcp-runner", "nic-validator", "nat-backend"],
        requires: ["incusx.dns"],
        configSchema: { type: "object", properties: { mtu: { type: "integer" } } },
        entry: "./dist/plugin.js",
      },
    ],
    ["an extension point of a later SDK", { id: "a_b-c.d", apiVersions: ["1"], provides: ["future-point"] }],
  ])("accepts %s", (_, manifest) => {
    expect(validatePluginManifest(manifest, PKG)).toBe(manifest);
  });

  it.each([
    [
      "an empty apiVersions",
      { id: "example", apiVersions: [] },
      `${PKG}: /incusx/apiVersions: must NOT have fewer than 1 items`,
    ],
    [
      "a missing id",
      { apiVersions: ["1"] },
      `${PKG}: /incusx: missing required property "id"`,
    ],
    [
      "an upper-case id",
      { id: "Example", apiVersions: ["1"] },
      `${PKG}: /incusx/id: must match pattern "^[a-z0-9]+([._-][a-z0-9]+)*$"`,
    ],
    [
      "a numeric API version",
      { id: "example", apiVersions: [1] },
      `${PKG}: /incusx/apiVersions/0: must be string`,
    ],
    [
      "a repeated API version",
      { id: "example", apiVersions: ["1", "1"] },
      `${PKG}: /incusx/apiVersions: must NOT have duplicate items (items 0 and 1 are identical)`,
    ],
    [
      "a version field (the package.json version is the only one)",
      { id: "example", apiVersions: ["1"], version: "1.0.0" },
      `${PKG}: /incusx: unknown property "version"`,
    ],
    [
      "a malformed extension point id",
      { id: "example", apiVersions: ["1"], provides: ["NIC validator"] },
      `${PKG}: /incusx/provides/0: must match pattern "^[a-z0-9]+([._-][a-z0-9]+)*$"`,
    ],
    [
      "a configSchema that is not an object",
      { id: "example", apiVersions: ["1"], configSchema: "object" },
      `${PKG}: /incusx/configSchema: must be object`,
    ],
    [
      "an entry leaving the package",
      { id: "example", apiVersions: ["1"], entry: "./../other/index.js" },
      `${PKG}: /incusx/entry: must match pattern "^(?!.*(?:^|/)\\.\\.(?:/|$))\\./.+$"`,
    ],
    [
      "an entry climbing out midway",
      { id: "example", apiVersions: ["1"], entry: "./dist/../../x.js" },
      `${PKG}: /incusx/entry: must match pattern "^(?!.*(?:^|/)\\.\\.(?:/|$))\\./.+$"`,
    ],
    [
      "an entry without a leading ./",
      { id: "example", apiVersions: ["1"], entry: "dist/plugin.js" },
      `${PKG}: /incusx/entry: must match pattern "^(?!.*(?:^|/)\\.\\.(?:/|$))\\./.+$"`,
    ],
    [
      "a manifest that is not an object",
      ["example"],
      `${PKG}: /incusx: must be object`,
    ],
    [
      "no manifest at all",
      undefined,
      `${PKG}: (root): missing required property "incusx"`,
    ],
  ])("rejects %s", (_, manifest, message) => {
    // The error names the plugin whenever the manifest has a usable id.
    const id = (manifest as { id?: string } | undefined)?.id;
    expect(failure(() => validatePluginManifest(manifest, PKG))).toEqual({
      name: "InvalidManifestError",
      code: ErrorCode.InvalidManifest,
      message,
      ...(id === "example" ? { pluginId: id } : {}),
    });
  });

  it("lists every problem, one per line, and names the plugin when its id is valid", () => {
    const manifest = { id: "example", apiVersions: [], requires: ["x", "x"], extra: true };
    expect(failure(() => validatePluginManifest(manifest, PKG))).toEqual({
      name: "InvalidManifestError",
      code: ErrorCode.InvalidManifest,
      pluginId: "example",
      message: [
        `${PKG}: /incusx: unknown property "extra"`,
        `${PKG}: /incusx/apiVersions: must NOT have fewer than 1 items`,
        `${PKG}: /incusx/requires: must NOT have duplicate items (items 0 and 1 are identical)`,
      ].join("\n"),
    });
  });

  it("reports paths from the manifest's root when it was given on its own", () => {
    expect(failure(() => validatePluginManifest({ id: "example" }, "inline plugin", "")).message).toBe(
      'inline plugin: (root): missing required property "apiVersions"',
    );
    expect(failure(() => validatePluginManifest(undefined, "inline plugin", "")).message).toBe(
      "inline plugin: (root): must be object",
    );
  });
});

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

describe("validateBundleManifest", () => {
  const plugin = { id: "incusx.dhcpv4", package: "@incusx/plugin-dhcpv4", version: "1.4.2", path: "plugins/dhcpv4" };
  const bundle = { name: "debian-default", version: "1.0.0", apiVersion: "1", plugins: [plugin] };

  it.each([
    ["the smallest bundle", bundle],
    ["a bundle with no plugins", { ...bundle, plugins: [] }],
    [
      "every field",
      {
        $schema: "https://incusx.dev/schemas/bundle.schema.json",
        ...bundle,
        version: "2.0.0-rc.1+build.5",
        description: "Plugins Debian ships",
        plugins: [
          {
            ...plugin,
            integrity: SHA512,
            enabled: false,
            config: { leaseTime: 3600 },
            onFailure: "continue",
          },
          { id: "incusx.dns", package: "plugin-dns", version: "0.1.0", path: "./plugins/dns" },
        ],
      },
    ],
  ])("accepts %s", (_, manifest) => {
    expect(validateBundleManifest(manifest, "bundle.json")).toBe(manifest);
  });

  it("does not fill in defaults such as enabled", () => {
    const manifest = structuredClone(bundle);
    validateBundleManifest(manifest, "bundle.json");
    expect(manifest.plugins[0]).toEqual(plugin);
  });

  it.each([
    [
      "a version range",
      { ...bundle, plugins: [{ ...plugin, version: "^1.4.2" }] },
      [{ path: "/plugins/0/version", message: `must match pattern "${semverPattern()}"` }],
    ],
    [
      "a path leaving the bundle",
      { ...bundle, plugins: [{ ...plugin, path: "plugins/../../etc" }] },
      [{ path: "/plugins/0/path", message: 'must match pattern "^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"' }],
    ],
    [
      "an absolute path",
      { ...bundle, plugins: [{ ...plugin, path: "/usr/lib/p" }] },
      [{ path: "/plugins/0/path", message: 'must match pattern "^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$)).+$"' }],
    ],
    [
      "a sha1 integrity",
      { ...bundle, plugins: [{ ...plugin, integrity: "sha1-AAAA" }] },
      [{ path: "/plugins/0/integrity", message: 'must match pattern "^sha512-[A-Za-z0-9+/]{86}==$"' }],
    ],
    [
      "an enabled flag given as a string",
      { ...bundle, plugins: [{ ...plugin, enabled: "yes" }] },
      [{ path: "/plugins/0/enabled", message: "must be boolean" }],
    ],
    [
      "a missing apiVersion and an unknown key",
      { name: "x", version: "1.0.0", plugins: [], api: "1" },
      [
        { path: "(root)", message: 'missing required property "apiVersion"' },
        { path: "(root)", message: 'unknown property "api"' },
      ],
    ],
    [
      "a plugin without package",
      { ...bundle, plugins: [{ id: "a", version: "1.0.0", path: "a" }] },
      [{ path: "/plugins/0", message: 'missing required property "package"' }],
    ],
  ])("rejects %s", (_, manifest, issues) => {
    expect(failure(() => validateBundleManifest(manifest, "bundle.json"))).toEqual({
      name: "InvalidConfigError",
      code: ErrorCode.InvalidConfig,
      message: issues.map((i) => `bundle.json: ${i.path}: ${i.message}`).join("\n"),
      issues,
    });
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
    expect(() => validatePluginManifest({}, PKG)).toThrow(InvalidManifestError);
    expect(() => validateHostConfig([], "host.json")).toThrow(InvalidConfigError);
    expect(() => validateBundleManifest({}, "bundle.json")).toThrow(InvalidConfigError);
  });
});

function semverPattern(): string {
  const n = "(0|[1-9][0-9]*)";
  const id = "(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)";
  return `^${n}\\.${n}\\.${n}(?:-${id}(?:\\.${id})*)?(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$`;
}
