import { describe, expect, it } from "vitest";
import { and, isListOf, isNotEmpty, optional, or, required, type Validator } from "./combinators.js";
import { isNetworkAddressV4, isNetworkV4 } from "./addresses.js";
import { isOneOf, isUint8 } from "./scalars.js";
import { ValidationError } from "./validation-error.js";
import { failure } from "./validator-table.test-helper.js";

/** The message `validator` throws for `value`, or `undefined` when it passes. */

const fail = (message: string): Validator => () => {
  throw new ValidationError(message);
};
const pass: Validator = () => {};

describe("combinators", () => {
  it.each<[string, Validator, string, string | undefined]>([
    ["and() accepts anything", and(), "x", undefined],
    ["and passes when all pass", and(pass, isUint8), "7", undefined],
    ["and reports the first failure", and(isUint8, fail("Second")), "x", 'Invalid value for an integer "x". Must be between 0 and 255'],
    ["and stops at the first failure", and(fail("First"), fail("Second")), "x", "First"],
    ["or passes when one passes", or(isOneOf("auto"), isNetworkAddressV4), "10.0.0.1", undefined],
    ["or passes on the first", or(isOneOf("auto"), isNetworkAddressV4), "auto", undefined],
    ["or replaces the causes with Incus's message", or(isOneOf("auto"), isNetworkAddressV4), "nope", '"nope" isn\'t a valid value'],
    ["or() rejects everything", or(), "x", '"x" isn\'t a valid value'],
    ["optional accepts the empty string", optional(fail("Never")), "", undefined],
    ["optional checks a set value with every validator", optional(pass, isUint8), "256", 'Invalid value for an integer "256". Must be between 0 and 255'],
    ["optional() accepts any set value", optional(), "x", undefined],
    ["required rejects the empty string", required(pass), "", "Required value"],
    ["required() accepts any set value", required(), "x", undefined],
    ["required checks a set value", required(isUint8), "-1", 'Invalid value for an integer "-1". Must be between 0 and 255'],
    ["isNotEmpty rejects the empty string", isNotEmpty, "", "Required value"],
    ["isNotEmpty accepts white space", isNotEmpty, " ", undefined],
    ["isListOf accepts one item", isListOf(isNetworkV4), "10.0.0.0/24", undefined],
    ["isListOf trims items", isListOf(isNetworkV4), " 10.0.0.0/24 ,\t10.0.1.0/24 ", undefined],
    ["isListOf names the bad item", isListOf(isNetworkV4), "10.0.0.0/24, 10.0.1.1/24", 'Item "10.0.1.1/24": Not an IPv4 network address "10.0.1.1/24"'],
    ["isListOf checks empty items", isListOf(isUint8), "1,,2", 'Item "": Invalid value for an integer "". Must be between 0 and 255'],
    ["isListOf checks an empty list as one empty item", isListOf(isUint8), "", 'Item "": Invalid value for an integer "". Must be between 0 and 255'],
    ["optional isListOf accepts an empty list", optional(isListOf(isUint8)), "", undefined],
    ["any thrown error counts as a failure", and(() => { throw new Error("Plain error"); }), "x", "Plain error"],
    ["a thrown non-error counts as a failure in lists", isListOf(() => { throw "text"; }), "x", 'Item "x": text'],
  ])("%s", (_name, validator, value, expected) => {
    expect(failure(validator, value)).toBe(expected);
  });

  it("throws ValidationError, with code INVALID_CONFIG", () => {
    try {
      required()("");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe("INVALID_CONFIG");
    }
  });
});
