import { InvalidConfigError } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { staticDnsFromConfig } from "./config.js";
import { resolvConfConfig } from "./index.js";

describe("staticDnsFromConfig", () => {
  it("spells static servers canonically, keeps zones, and removes duplicates", () => {
    expect(
      staticDnsFromConfig({
        nameservers: ["2001:DB8::53", "2001:db8:0::53", "::ffff:192.0.2.1", "fe80::1%eth0"],
        search: ["Example.net.", "example.NET"],
        options: ["ndots:2", "edns0"],
      }),
    ).toEqual({ nameservers: ["2001:db8::53", "192.0.2.1", "fe80::1%eth0"], search: ["Example.net"], options: ["ndots:2", "edns0"] });
  });

  it("defaults every field to empty", () => {
    expect(staticDnsFromConfig({})).toEqual({ nameservers: [], search: [], options: [] });
  });

  it("rejects bad values with INVALID_CONFIG, listing each with its path", () => {
    let error: unknown;
    try {
      staticDnsFromConfig({
        resolvConf: "etc/resolv.conf",
        nameservers: ["192.0.2.300", "fe80::1%bad zone", "fe80::1%a%b"],
        search: ["bad\nnameserver 203.0.113.66"],
        options: ["ndots:2\nnameserver"],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).issues.map((i) => i.path)).toEqual([
      "/nameservers/0",
      "/nameservers/1",
      "/nameservers/2",
      "/search/0",
      "/options/0",
      "/resolvConf",
    ]);
    expect((error as Error).message).toContain('Invalid search domain "bad\\nnameserver 203.0.113.66": contains a control character');
  });
});

describe("static link-local name servers", () => {
  it("need a zone, and only they take one", () => {
    for (const nameservers of [["fe80::1"], ["FE80::53"], ["192.0.2.1%eth0"], ["2001:db8::53%eth0"], ["169.254.1.53%eth0"], ["ff02::1%eth0"]]) {
      expect(() => staticDnsFromConfig({ nameservers }), nameservers[0]).toThrow(InvalidConfigError);
    }
    expect(staticDnsFromConfig({ nameservers: ["FE80::53%eth0"] }).nameservers).toEqual(["fe80::53%eth0"]);
    expect(staticDnsFromConfig({ nameservers: ["169.254.1.53", "::ffff:169.254.1.54"] }).nameservers).toEqual(["169.254.1.53", "169.254.1.54"]);
  });
});

describe("resolvConfConfig", () => {
  it("makes the config `--resolv-conf FILE` stands for", () => {
    expect(resolvConfConfig("/etc/resolv.conf")).toEqual({ resolvConf: "/etc/resolv.conf" });
    expect(resolvConfConfig("/r", { takeOver: true })).toEqual({ takeOver: true, resolvConf: "/r" });
  });
});
