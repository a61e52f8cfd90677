import { describe, expect, it } from "vitest";
import { InvalidConfigError } from "@incusx/sdk";
import { compileConfigSchema } from "./config-schema.js";

function issuesOf(schema: object, config: unknown) {
  try {
    compileConfigSchema(schema, "example.p")(config);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return (error as InvalidConfigError).issues;
  }
}

describe("plugin config schemas", () => {
  it("fill in defaults of nested objects and of referenced definitions", () => {
    const schema = {
      type: "object",
      definitions: { lease: { type: "object", properties: { seconds: { type: "integer", default: 3600 } } } },
      properties: {
        v4: { type: "object", default: {}, properties: { enabled: { type: "boolean", default: true } } },
        lease: { $ref: "#/definitions/lease" },
      },
    };
    const config: Record<string, unknown> = { lease: {} };
    compileConfigSchema(schema, "example.p")(config);
    expect(config).toEqual({ v4: { enabled: true }, lease: { seconds: 3600 } });
  });

  it("never shares a default object between two configs", () => {
    const check = compileConfigSchema({ type: "object", properties: { list: { type: "array", default: [] } } }, "example.p");
    const a: Record<string, unknown[]> = {};
    const b: Record<string, unknown[]> = {};
    check(a);
    check(b);
    a.list!.push(1);
    expect(b.list).toEqual([]);
  });

  it("reports a wrong item type at the item's path", () => {
    expect(issuesOf({ type: "array", items: { type: "integer" } }, [1, "x"])).toEqual([
      { path: "/1", message: "must be integer" },
    ]);
  });

  it("reports a value matching no alternative once, not once per alternative", () => {
    const schema = { type: "object", properties: { mtu: { anyOf: [{ type: "integer" }, { const: "auto" }] } } };
    expect(issuesOf(schema, { mtu: true })).toEqual([{ path: "/mtu", message: "must match a schema in anyOf" }]);
  });

  it("reports unknown properties of nested objects at the object's path", () => {
    const schema = {
      type: "object",
      properties: { dns: { type: "object", additionalProperties: false, properties: { servers: { type: "array" } } } },
    };
    expect(issuesOf(schema, { dns: { server: [] } })).toEqual([{ path: "/dns", message: 'unknown property "server"' }]);
  });

  it("accepts keys matched by patternProperties when others are refused", () => {
    const schema = { type: "object", additionalProperties: false, patternProperties: { "^user\\.": { type: "string" } } };
    expect(issuesOf(schema, { "user.a": "x", other: 1 })).toEqual([{ path: "(root)", message: 'unknown property "other"' }]);
  });

  it("refuses an unknown keyword deep in the schema, naming where it is", () => {
    expect(() => compileConfigSchema({ type: "object", properties: { a: { type: "string", maxLenght: 3 } } }, "example.p")).toThrow(
      'Plugin "example.p" configSchema: /properties/a: unknown keyword "maxLenght"',
    );
  });

  it("checks a missing config as null", () => {
    expect(issuesOf({ type: "object" }, undefined)).toEqual([{ path: "(root)", message: "must be object" }]);
  });

  it("accepts references through the schema's own $id", () => {
    const schema = {
      $id: "https://example.com/p.json",
      type: "object",
      definitions: { port: { type: "integer", maximum: 65535 } },
      properties: { port: { $ref: "https://example.com/p.json#/definitions/port" } },
    };
    expect(issuesOf(schema, { port: 70000 })).toEqual([{ path: "/port", message: "must be <= 65535" }]);
  });

  it("refuses references to other documents, which a plugin cannot ship", () => {
    expect(() => compileConfigSchema({ $ref: "https://example.com/other.json" }, "example.p")).toThrow(
      `can't resolve reference "https://example.com/other.json"`,
    );
  });
});
