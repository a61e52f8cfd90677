// `incusx forknet dhcp --netns X` without `--interface`: every
// non-loopback interface of the namespace in one process, the code path of
// Incus's form (one default route per family, to the first interface by
// name; one resolv.conf merged from every interface's leases;
// interfaces.json flags with --interfaces-json), against real dnsmasq in
// test namespaces (root only).
import { execFileSync, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LeaseEvent } from "@incusx/sdk";
import { describe, expect, it } from "vitest";
import { CLI, perTestResources, skipReason, type TestNetwork } from "./dhcp-support.js";

const reason = skipReason();
const resources = perTestResources();

function ip(ns: string, ...args: string[]): void {
  execFileSync("ip", ["-n", ns, ...args]);
}

/** Two networks, each with its dnsmasq; the second's container interface moved into the first's namespace as eth1. */
async function twoInterfaces(): Promise<TestNetwork> {
  const one = await resources.network({ dnsmasqArgs: ["--dhcp-option=option:domain-search,one.example"] });
  const two = await resources.network({ dnsmasqArgs: ["--dhcp-option=option:dns-server,198.51.100.53"] });
  ip(two.containerNs, "link", "set", "eth0", "down");
  ip(two.containerNs, "link", "set", "eth0", "name", "eth1");
  ip(two.containerNs, "link", "set", "eth1", "netns", one.containerNs);
  return one;
}

/** Runs the flag form without --interface until it exits (--exit-when-configured); its JSON events and stderr. */
function runEvery(net: TestNetwork, args: readonly string[]): Promise<{ status: number; events: LeaseEvent[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "forknet", "dhcp", "--netns", net.containerNs, "--json", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.once("exit", (code) =>
      resolve({
        status: code ?? -1,
        events: stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as LeaseEvent),
        stderr,
      }),
    );
  });
}

function defaultRoutes(net: TestNetwork, family: "-4" | "-6"): string[] {
  const routes = JSON.parse(execFileSync("ip", ["-n", net.containerNs, family, "-json", "route", "show", "default"]).toString()) as { dev: string }[];
  return routes.map((r) => r.dev).sort();
}

const bound = (events: readonly LeaseEvent[]) => events.filter((e) => e.kind === "bound").map((e) => `${e.interface} ${e.family}`).sort();

describe.skipIf(reason !== undefined)(`incusx forknet dhcp --netns without --interface${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("configures eth0 and eth1 in one process: one default route (eth0, first by name), one merged resolv.conf, interfaces.json flags", { timeout: 120_000 }, async () => {
    const net = await twoInterfaces();
    const dir = await resources.state();
    const resolvConf = join(dir, "resolv.conf");
    const interfacesJson = join(dir, "interfaces.json");
    await writeFile(interfacesJson, JSON.stringify({ eth0: { dhcp4: true, dhcp6: true, route4: true, route6: true }, eth1: { dhcp4: true, dhcp6: false, route4: true, route6: false } }));

    const run = await runEvery(net, ["--exit-when-configured", "--timeout", "60", "--state-dir", join(dir, "state"), "--resolv-conf", resolvConf, "--interfaces-json", interfacesJson]);
    expect(run.status, run.stderr).toBe(0);
    // eth1's interfaces.json entry runs no DHCPv6.
    expect(bound(run.events)).toEqual(["eth0 ipv4", "eth0 ipv6", "eth1 ipv4"]);
    const v4 = async (iface: string) => (await net.addresses("container", iface)).filter((a) => a.family === "inet" && a.local.startsWith("192.0.2."));
    expect(await v4("eth0")).toHaveLength(1);
    expect(await v4("eth1")).toHaveLength(1);
    // Both leases carry a router; only the owner's becomes the default route.
    expect(defaultRoutes(net, "-4")).toEqual(["eth0"]);
    expect(execFileSync("ip", ["netns", "exec", net.containerNs, "cat", "/proc/sys/net/ipv6/conf/eth1/accept_ra_defrtr"]).toString().trim()).toBe("0");
    const resolv = await readFile(resolvConf, "utf8");
    expect(resolv).toMatch(/^nameserver 192\.0\.2\.53$/m);
    expect(resolv).toMatch(/^nameserver 198\.51\.100\.53$/m);
    expect(resolv).toMatch(/one\.example/);
  });

  it("without interfaces.json, every interface is fully dynamic and the default route still goes to one", { timeout: 120_000 }, async () => {
    const net = await twoInterfaces();
    const dir = await resources.state();
    const run = await runEvery(net, ["--exit-when-configured", "--timeout", "60", "--no-ipv6", "--state-dir", dir]);
    expect(run.status, run.stderr).toBe(0);
    expect(bound(run.events)).toEqual(["eth0 ipv4", "eth1 ipv4"]);
    expect(defaultRoutes(net, "-4")).toEqual(["eth0"]);
  });

  it("refuses an --interfaces-json it cannot read with exit 1, naming the file", { timeout: 60_000 }, async () => {
    const net = await resources.network({});
    const dir = await resources.state();
    const run = await runEvery(net, ["--exit-when-configured", "--timeout", "10", "--state-dir", dir, "--interfaces-json", join(dir, "missing.json")]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/error\[INVALID_CONFIG\]: Invalid value for "--interfaces-json": cannot read ".*missing\.json"/);
  });
});
