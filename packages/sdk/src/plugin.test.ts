import { describe, expect, it } from "vitest";
import { API_VERSION, all, defineToken, definePlugin, isPlugin, pluginBrand } from "./index.js";

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

describe("all", () => {
  it("asks a deps map for every registration of a token, in a shape any SDK copy recognises", () => {
    const token = defineToken<string>("example.all");
    expect(all(token)).toEqual({ allOf: token });
    expect(Object.isFrozen(all(token))).toBe(true);
  });

  it("refuses what is not a token", () => {
    expect(() => all("example.all" as never)).toThrow("all(): the token must be a token made by defineToken()");
  });
});
