import { describe, expect, it } from "vitest";
import { nestsDeeperThan } from "./json-depth.js";

describe("nestsDeeperThan", () => {
  it("counts arrays and objects, the outermost value as level 1", () => {
    expect(nestsDeeperThan("{}", 0)).toBe(true);
    expect(nestsDeeperThan("{}", 1)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[]}]}', 4)).toBe(false);
    expect(nestsDeeperThan('{"a":[{"b":[[]]}]}', 4)).toBe(true);
    expect(nestsDeeperThan("[[]] [[]]", 2)).toBe(false);
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    expect(nestsDeeperThan('{"a":"[[[{{{","b":"\\"[[[[","c":"\\\\"}', 1)).toBe(false);
    expect(nestsDeeperThan('["\\\\", [[]]]', 2)).toBe(true);
  });

  it("stops at the first level past the limit of a very deep text", () => {
    expect(nestsDeeperThan("[".repeat(1_000_000), 64)).toBe(true);
  });
});
