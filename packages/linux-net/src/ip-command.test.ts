import { describe, expect, it } from "vitest";
import { linkErrorCodeFromStderr, LinkError } from "./errors.js";
import { assertInterfaceName, ipInvocation, runIp } from "./ip-command.js";

describe("ipInvocation", () => {
  it("runs ip from PATH in the current namespace by default", () => {
    expect(ipInvocation(["-json", "addr"])).toEqual({ command: "ip", args: ["-json", "addr"] });
  });

  it("refuses a namespace held by fd: that works over rtnetlink, never through ip", () => {
    expect(() => ipInvocation(["link"], { netns: { path: "/run/netns/ctr1", fd: 99 } })).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("uses ip -n for a namespace name and nsenter for a namespace path", () => {
    expect(ipInvocation(["link"], { netns: "ctr1" })).toEqual({ command: "ip", args: ["-n", "ctr1", "link"] });
    expect(ipInvocation(["link"], { netns: "/proc/7/ns/net", ipCommand: "/sbin/ip" })).toEqual({
      command: "nsenter",
      args: ["--net=/proc/7/ns/net", "--", "/sbin/ip", "link"],
    });
  });
});

describe("linkErrorCodeFromStderr (iproute2 6.1 messages)", () => {
  it.each([
    ['Cannot find device "nosuch"', "ENODEV"],
    ['Device "nosuch" does not exist.', "ENODEV"],
    ["RTNETLINK answers: Operation not permitted", "EPERM"],
    ["RTNETLINK answers: File exists", "EEXIST"],
    ["RTNETLINK answers: No such process", "ESRCH"],
    ["Error: ipv6: address not found.", "ESRCH"],
    ["RTNETLINK answers: Cannot assign requested address", "ESRCH"],
    ["RTNETLINK answers: Network is unreachable", "ENETUNREACH"],
    ['Error: any valid prefix is expected rather than "x".', "EINVAL"],
    ["RTNETLINK answers: Invalid argument", "EINVAL"],
    ["something new", "IP_FAILED"],
  ])("maps %j to %s", (stderr, code) => {
    expect(linkErrorCodeFromStderr(stderr)).toBe(code);
  });
});

describe("assertInterfaceName", () => {
  it("accepts kernel interface names", () => {
    expect(() => assertInterfaceName("eth0")).not.toThrow();
    expect(() => assertInterfaceName("veth-srv.100")).not.toThrow();
  });

  it.each(["", "sixteen-chars-xx", "a b", "a/b", "eth0%1", "..", "eth0:1"])("rejects %j before it reaches ip", (name) => {
    expect(() => assertInterfaceName(name)).toThrow(LinkError);
  });

  it("counts bytes, not characters: IFNAMSIZ is 16 bytes with the NUL, so a name has at most 15 UTF-8 bytes", () => {
    expect(() => assertInterfaceName("sec-abcdefghijk")).not.toThrow();
    expect(() => assertInterfaceName("sec-abcdefghij\u00e9")).toThrow(new LinkError("EINVAL", 'Invalid interface name "sec-abcdefghij\u00e9" (16 bytes; at most 15)'));
    expect(() => assertInterfaceName("\u{1f600}\u{1f600}\u{1f600}\u{1f600}")).toThrow(/16 bytes; at most 15/);
    expect(() => assertInterfaceName("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9")).not.toThrow();
  });

  it("rejects a NUL, which C would take for the end of a shorter name", () => {
    expect(() => assertInterfaceName("eth0\0x")).toThrow(LinkError);
  });
});

describe("runIp", () => {
  it("reports a missing ip program as IP_NOT_FOUND with the command line", async () => {
    const error = await runIp(["link"], { ipCommand: "/nonexistent/ip" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkError);
    expect(error).toMatchObject({ code: "IP_NOT_FOUND", command: ["/nonexistent/ip", "link"] });
  });

  it("reports a failing command with its code, stderr and an Incus-style message", async () => {
    const error = await runIp(["link", "show", "dev", "incusx-nosuch"], {}, 'Failed to read link "incusx-nosuch"').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "ENODEV",
      stderr: 'Device "incusx-nosuch" does not exist.',
      message: 'Failed to read link "incusx-nosuch": Device "incusx-nosuch" does not exist.',
    });
  });
});
