import { describe, expect, it } from "vitest";
import { orderByRequirements } from "./order.js";

const node = (id: string, ...requires: string[]) => ({ id, requires });

describe("orderByRequirements", () => {
  it("keeps the configured order when nothing is required", () => {
    expect(orderByRequirements([node("c"), node("a"), node("b")]).order).toEqual(["c", "a", "b"]);
  });

  it("starts a required plugin before the plugin requiring it", () => {
    const result = orderByRequirements([node("dns", "dhcpv4", "dhcpv6"), node("dhcpv6"), node("dhcpv4")]);
    expect(result.order).toEqual(["dhcpv6", "dhcpv4", "dns"]);
  });

  it("names each missing requirement", () => {
    const result = orderByRequirements([node("a", "ghost", "b"), node("b")]);
    expect(result.missing.get("a")).toEqual(["ghost"]);
    expect(result.order).toEqual(["b", "a"]);
  });

  it("takes plugins on a cycle out and gives the cycle path", () => {
    const result = orderByRequirements([node("a", "b"), node("b", "c"), node("c", "a"), node("d")]);
    expect(result.order).toEqual(["d"]);
    expect(result.cycles.get("a")).toEqual(["a", "b", "c", "a"]);
    expect(result.cycles.get("c")).toEqual(["c", "a", "b", "c"]);
  });

  it("treats a plugin requiring itself as a cycle", () => {
    expect(orderByRequirements([node("a", "a")]).cycles.get("a")).toEqual(["a", "a"]);
  });

  it("keeps a plugin that depends on a cycle so the host can fail it", () => {
    const result = orderByRequirements([node("x", "a"), node("a", "b"), node("b", "a")]);
    expect(result.order).toEqual(["x"]);
    expect([...result.cycles.keys()].sort()).toEqual(["a", "b"]);
  });
});
