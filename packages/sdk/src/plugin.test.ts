import { describe, expect, it } from "vitest";
import { API_VERSION, definePlugin, isPlugin, pluginBrand } from "./index.js";

describe("definePlugin", () => {
  it("brands the plugin with the SDK API version so any host copy recognises it", () => {
    const plugin = definePlugin({ id: "example.one" });
    expect(isPlugin(plugin)).toBe(true);
    expect(pluginBrand(plugin)).toEqual({ apiVersion: API_VERSION });
  });

  it("recognises a plugin branded by another copy of the SDK", () => {
    const foreign = { id: "x", [Symbol.for("incusx.plugin")]: { apiVersion: "7" } };
    expect(pluginBrand(foreign)).toEqual({ apiVersion: "7" });
  });

  it("does not mistake plain objects for plugins", () => {
    expect(isPlugin({ id: "x" })).toBe(false);
    expect(isPlugin(null)).toBe(false);
  });

  it("refuses a plugin without an id", () => {
    expect(() => definePlugin({ id: "" })).toThrow(/`id` must be a non-empty string/);
  });
});
