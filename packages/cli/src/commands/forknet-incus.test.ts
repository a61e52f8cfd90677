import { describe, expect, it } from "vitest";
import { runCli } from "../../test/run-cli.js";
import { incusForeground, incusPositionals } from "./forknet-incus.js";

const io = () => {
  let stderr = "";
  return { io: { stdout: { write: () => undefined }, stderr: { write: (c: string) => void (stderr += c) }, cwd: "/srv" }, stderr: () => stderr };
};

describe("incusx forknet dhcp in Incus's form, its command line", () => {
  it("takes exactly <instance path> <log file>, made absolute", () => {
    expect(incusPositionals(["net", "/l/forknet-dhcp.log"], "/var/c1")).toEqual({ instancePath: "/var/c1/net", logFile: "/l/forknet-dhcp.log" });
    expect(() => incusPositionals(["only-one"], "/")).toThrow(/exactly 2 arguments/);
  });

  it("refuses our flags mixed into it, and a third argument, as usage errors (exit 2)", async () => {
    const mixed = await runCli(["forknet", "dhcp", "--netns", "c1", "/i/network", "/l/log"], "/");
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toContain(`Option "--netns" does not apply to Incus's form <instance path> <log file>`);
    const three = await runCli(["forknet", "dhcp", "a", "b", "c"], "/");
    expect(three.status).toBe(2);
    expect(three.stderr).toContain("exactly 2 arguments");
  });

  it("needs LXC_PID, with Incus's message, and a process id in it", async () => {
    const missing = io();
    expect(await incusForeground(["/i/network", "/l/log"], missing.io, { env: {} })).toBe(1);
    expect(missing.stderr()).toBe("No LXC_PID in environment\n");
    const bad = io();
    expect(await incusForeground(["/i/network", "/l/log"], bad.io, { env: { LXC_PID: "1; rm" } })).toBe(1);
    expect(bad.stderr()).toBe('Invalid LXC_PID "1; rm": not a process id\n');
  });
});
