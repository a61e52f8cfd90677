// `incusx forknet dhcp` against a real dnsmasq in throwaway network
// namespaces (root only). The long-lease scenarios (renew at T1, server
// loss) live in dhcpv6-lease-life.test.ts.
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  captureDhcpv6,
  cpuTicks,
  dhcpAddresses,
  forknet,
  pidInNamespace,
  perTestResources,
  skipReason,
} from "./dhcpv6-support.js";

const reason = skipReason();
const { network, state } = perTestResources();

describe.skipIf(reason !== undefined)(`incusx forknet dhcp against dnsmasq${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("puts the leased address on eth0 as a /128 with the lease's lifetimes and exits 0", async () => {
    const net = await network({ v4: false });
    const run = forknet(net, ["--no-ipv4", "--exit-when-configured", "--timeout", "20", "--state-dir", await state()]);
    expect(await run.exited(), run.stderr()).toBe(0);
    const bound = run.events.find((e) => e.kind === "bound")!;
    expect(bound).toMatchObject({ family: "ipv6", interface: "eth0" });
    const leased = bound.lease!.addresses[0]!;
    expect(leased).toMatchObject({ prefixLength: 128, validLifetime: 3600 });
    expect(bound.lease!.dns.servers).toEqual(["2001:db8:1::53"]);

    const [address, ...more] = await dhcpAddresses(net);
    expect(more).toEqual([]);
    expect(address).toMatchObject({ local: leased.address, prefixlen: 128 });
    // Counting down in the kernel from the lease's lifetimes, not "forever".
    expect(address!.valid_life_time).toBeGreaterThan(3600 - 30);
    expect(address!.valid_life_time).toBeLessThanOrEqual(3600);
    expect(address!.preferred_life_time).toBeGreaterThan(leased.preferredLifetime - 30);
    expect(address!.preferred_life_time).toBeLessThanOrEqual(leased.preferredLifetime);
    expect(net.dnsmasq.leases()).toContain(leased.address);
  });

  it("keeps its DUID across restarts and gets the same address again", async () => {
    const net = await network({ v4: false });
    const dir = await state();
    const args = ["--no-ipv4", "--exit-when-configured", "--timeout", "20", "--state-dir", dir];
    const first = forknet(net, args);
    expect(await first.exited(), first.stderr()).toBe(0);
    // The runtime keeps one client DUID for every family.
    const duidFile = join(dir, "plugins", "incusx.network-runtime", "client.duid.json");
    const duid = await readFile(duidFile, "utf8");
    const address = first.events.find((e) => e.kind === "bound")!.lease!.addresses[0]!.address;

    await net.exec("container", ["ip", "-6", "addr", "flush", "dev", "eth0", "scope", "global"]);
    const second = forknet(net, args);
    expect(await second.exited(), second.stderr()).toBe(0);
    expect(second.events.find((e) => e.kind === "bound")!.lease!.addresses[0]!.address).toBe(address);
    expect(await readFile(duidFile, "utf8")).toBe(duid);
    expect((await dhcpAddresses(net)).map((a) => a.local)).toEqual([address]);
  });

  it("takes the stateless path (Information-Request) from an ra-stateless server and still delivers DNS", async () => {
    const net = await network({ v4: false, v6: "stateless" });
    const capture = await captureDhcpv6(net);
    const run = forknet(net, ["--no-ipv4", "--exit-when-configured", "--timeout", "30", "--state-dir", await state()]);
    expect(await run.exited(), run.stderr()).toBe(0);
    const bound = run.events.find((e) => e.kind === "bound")!;
    expect(bound.lease!.addresses).toEqual([]);
    expect(bound.lease!.dns.servers).toEqual(["2001:db8:1::53"]);
    // tcpdump prints a moment after the packet; the client may have exited already.
    await net.waitFor(() => capture.messages().some((m) => m.type === "inf-req"), {
      timeoutMs: 5_000,
      message: `No Information-Request captured (saw ${capture.messages().map((m) => m.type).join(", ")}; dnsmasq log: ${net.dnsmasq.log()})`,
    });
    expect(await dhcpAddresses(net)).toEqual([]);
  });

  it("keeps soliciting with growing gaps when no server answers, and uses no CPU in between", async () => {
    const net = await network({ v4: false, startDnsmasq: false });
    const capture = await captureDhcpv6(net);
    const run = forknet(net, ["--no-ipv4", "--state-dir", await state()]);
    const pid = await pidInNamespace(net);
    await net.waitFor(() => capture.messages().filter((m) => m.type === "solicit").length >= 2, {
      timeoutMs: 10_000,
      message: "No second Solicit",
    });
    // A window after startup, between retransmissions: the process only waits on a timer.
    const before = cpuTicks(pid);
    await net.waitFor(() => capture.messages().filter((m) => m.type === "solicit").length >= 4, {
      timeoutMs: 20_000,
      message: "No fourth Solicit",
    });
    const ticks = cpuTicks(pid) - before;
    const solicits = capture.messages().filter((m) => m.type === "solicit").map((m) => m.at);
    const gaps = solicits.slice(1).map((t, i) => t - solicits[i]!);
    // RFC 8415 section 15: each gap about twice the one before (RAND is +-10%).
    const seen = `gaps ${gaps.map((g) => g.toFixed(2)).join(", ")} s`;
    expect(gaps[1]!, seen).toBeGreaterThan(gaps[0]! * 1.5);
    expect(gaps[2]!, seen).toBeGreaterThan(gaps[1]! * 1.5);
    // 10 ms ticks over several seconds: a few for sending two packets, none
    // for waiting. V8's memory reducer runs one compacting GC about 8 s
    // after start (seen with --trace-gc: up to 5 ticks), which can fall in
    // this window; on a machine loaded by the rest of the suite the same
    // work has been seen to take 13 ticks. A busy wait costs about 670 ticks
    // here, so 30 still catches it and any work that runs all the time.
    expect(ticks, `CPU ticks over ${(solicits[3]! - solicits[1]!).toFixed(1)} s`).toBeLessThanOrEqual(30);
    expect(run.events.filter((e) => e.kind === "bound")).toEqual([]);
    expect(await run.stop()).toBe(0);
  });

  it("exits 4 at --timeout when no server answers", async () => {
    const net = await network({ v4: false, startDnsmasq: false });
    const run = forknet(net, ["--no-ipv4", "--exit-when-configured", "--timeout", "2", "--state-dir", await state()]);
    expect(await run.exited()).toBe(4);
    expect(await dhcpAddresses(net)).toEqual([]);
  });

  it("gives the address the prefix length set in a host config", async () => {
    const net = await network({ v4: false });
    const dir = await state();
    const config = join(dir, "host.json");
    const plugin = dirname(createRequire(import.meta.url).resolve("@incusx/plugin-dhcpv6/package.json"));
    await writeFile(config, JSON.stringify({ plugins: [{ module: plugin, config: { addressPrefixLength: 64 } }] }));
    const run = forknet(net, ["--no-ipv4", "--exit-when-configured", "--timeout", "20", "--state-dir", dir, "--config", config]);
    expect(await run.exited(), run.stderr()).toBe(0);
    const [address] = await dhcpAddresses(net);
    expect(address).toMatchObject({ prefixlen: 64 });
  });
});
