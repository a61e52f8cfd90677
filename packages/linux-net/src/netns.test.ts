import { describe, expect, it } from "vitest";
import { netnsPath, nsenterArgs } from "./netns.js";

describe("netnsPath", () => {
  it("puts a bare name under /run/netns, where ip netns keeps them", () => {
    expect(netnsPath("ctr1")).toBe("/run/netns/ctr1");
  });

  it("keeps a path as it is", () => {
    expect(netnsPath("/proc/42/ns/net")).toBe("/proc/42/ns/net");
    expect(netnsPath("./ns")).toBe("./ns");
  });

  it("rejects an empty name and names that would escape /run/netns", () => {
    expect(() => netnsPath("")).toThrow(TypeError);
    expect(() => netnsPath("a/../../etc")).toThrow(/Invalid network namespace name "a\/..\/..\/etc"/);
    expect(() => netnsPath("..")).toThrow(TypeError);
  });
});

describe("nsenterArgs", () => {
  it("enters only the network namespace and ends nsenter's options before the command", () => {
    expect(nsenterArgs("/run/netns/ctr1", ["ip", "-json", "addr"])).toEqual({
      command: "nsenter",
      args: ["--net=/run/netns/ctr1", "--", "ip", "-json", "addr"],
    });
  });

  it("passes arguments that look like options to the command, not to nsenter", () => {
    expect(nsenterArgs("/proc/1/ns/net", ["node", "--version"]).args).toEqual(["--net=/proc/1/ns/net", "--", "node", "--version"]);
  });

  it("rejects an empty command", () => {
    expect(() => nsenterArgs("/run/netns/x", [])).toThrow(TypeError);
  });
});
