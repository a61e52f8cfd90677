import { ErrorCode, InvalidConfigError, InvalidManifestError } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { failure } from "../../../test/support/thrown-error.js";
import { validateBundleManifest, validatePluginManifest } from "./schema-validation.js";

const PKG = "/opt/p/package.json";
const SHA512 = `sha512-${"A".repeat(86)}==`;

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

describe("the error classes", () => {
  it("are the SDK's, so callers can branch on them", () => {
    expect(() => validatePluginManifest({}, PKG)).toThrow(InvalidManifestError);
    expect(() => validateBundleManifest({}, "bundle.json")).toThrow(InvalidConfigError);
  });
});

function semverPattern(): string {
  const n = "(0|[1-9][0-9]*)";
  const id = "(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)";
  return `^${n}\\.${n}\\.${n}(?:-${id}(?:\\.${id})*)?(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$`;
}
