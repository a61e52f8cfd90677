import { describe, expect, it } from "vitest";
import { isNetworkAddressV4 } from "./addresses.js";
import { optional, required } from "./combinators.js";
import { isNetworkMTU } from "./link.js";
import { checkRules, invalidOption, isUserKey, sortProblems, unknownOption, type Rules } from "./rules.js";

const rules: Rules = {
  network: required(),
  mtu: optional(isNetworkMTU),
  "ipv4.address": optional(isNetworkAddressV4),
};

describe("checkRules", () => {
  it("returns nothing for a valid config", () => {
    expect(checkRules(rules, { network: "ovn0", mtu: "1500", "ipv4.address": "10.0.0.5" })).toEqual([]);
  });

  it("wraps a bad value in Incus's message, with the value", () => {
    expect(checkRules(rules, { network: "ovn0", mtu: "100" })).toEqual([
      { key: "mtu", value: "100", message: 'Invalid value for device option "mtu": Out of MTU range (1280-16384) "100"' },
    ]);
  });

  it("checks unset keys as empty, so a required key is reported without a value", () => {
    expect(checkRules(rules, {})).toEqual([
      { key: "network", message: 'Invalid value for device option "network": Required value' },
    ]);
  });

  it("reports a set but empty required key with its empty value", () => {
    expect(checkRules(rules, { network: "" })).toEqual([
      { key: "network", value: "", message: 'Invalid value for device option "network": Required value' },
    ]);
  });

  it("returns every problem, sorted by key", () => {
    const problems = checkRules(rules, { mtu: "x", "ipv4.address": "2001:db8::1" });
    expect(problems.map((p) => p.message)).toEqual([
      'Invalid value for device option "ipv4.address": Not an IPv4 address "2001:db8::1"',
      'Invalid value for device option "mtu": Invalid MTU "x"',
      'Invalid value for device option "network": Required value',
    ]);
  });

  it("ignores keys no rule covers unless asked", () => {
    expect(checkRules(rules, { network: "ovn0", foo: "bar" })).toEqual([]);
  });

  it("rejects keys no rule covers when asked, except known and user keys", () => {
    const problems = checkRules(
      rules,
      { network: "ovn0", foo: "bar", "ipv4.address.external": "198.51.100.9", "user.note": "hi", baz: "" },
      { rejectUnknown: true, knownKeys: ["ipv4.address.external"] },
    );
    expect(problems).toEqual([
      { key: "baz", value: "", message: 'Invalid device option "baz"' },
      { key: "foo", value: "bar", message: 'Invalid device option "foo"' },
    ]);
  });

  it("reports a validator that throws a plain Error with its message", () => {
    const problems = checkRules({ k: () => { throw new TypeError("Boom"); } }, { k: "v" });
    expect(problems).toEqual([{ key: "k", value: "v", message: 'Invalid value for device option "k": Boom' }]);
  });

  it("quotes keys the way Incus does", () => {
    expect(checkRules({ 'we"ird': required() }, {})[0]?.message).toBe(
      'Invalid value for device option "we\\"ird": Required value',
    );
  });
});

describe("problem helpers", () => {
  it("invalidOption builds Incus's bad value message", () => {
    expect(
      invalidOption(
        "ipv4.address.external",
        'External address "198.51.100.9" is not a network forward on network "ovn0"',
        "198.51.100.9",
      ),
    ).toEqual({
      key: "ipv4.address.external",
      value: "198.51.100.9",
      message:
        'Invalid value for device option "ipv4.address.external": External address "198.51.100.9" is not a network forward on network "ovn0"',
    });
    expect(invalidOption("network", "Required value")).toEqual({
      key: "network",
      message: 'Invalid value for device option "network": Required value',
    });
  });

  it("unknownOption builds Incus's unknown key message", () => {
    expect(unknownOption("foo", "bar")).toEqual({ key: "foo", value: "bar", message: 'Invalid device option "foo"' });
    expect(unknownOption("foo")).toEqual({ key: "foo", message: 'Invalid device option "foo"' });
  });

  it("isUserKey accepts user.* only", () => {
    expect(isUserKey("user.note")).toBe(true);
    expect(isUserKey("user")).toBe(false);
    expect(isUserKey("users.x")).toBe(false);
  });

  it("sortProblems sorts by key and keeps the order within a key", () => {
    const problems = [
      { key: "b", message: "1" },
      { key: "a", message: "2" },
      { key: "b", message: "3" },
      { key: "B", message: "4" },
    ];
    expect(sortProblems(problems).map((p) => p.message)).toEqual(["4", "2", "1", "3"]);
    expect(problems[0]?.message).toBe("1");
  });
});
