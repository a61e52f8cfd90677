// The DHCPv4 client of `incusx forknet dhcp` under a flood (root only): a
// sender in the server namespace broadcasts 20,000 junk packets/s and 5
// option 119 pointer bombs/s (65 KB each, the client's chaddr, random xid)
// to port 68 for 10 s
// while dnsmasq serves the client. Issue 12: the bombs were decoded before
// the xid check, ~150 ms of CPU each. The client must bind within twice its
// unflooded time, stay within 20 MB of its unflooded peak RSS, and exit
// within 1 s of SIGTERM during the flood.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cpuTicks, pidInNamespace } from "./dhcpv6-support.js";
import { forknet, perTestResources, skipReason, type ForknetRun, type TestNetwork } from "./dhcp-support.js";

const reason = skipReason();
const { network, state } = perTestResources();

const FLOOD_MS = 10_000;
const JUNK_RATE = 20_000;
const BOMB_RATE = 5;
/** Bind-time baseline floor: a sub-second baseline would make "twice as long" mere scheduling noise. */
const BASELINE_FLOOR_MS = 1_000;
const TICK_MS = 10; // USER_HZ on Linux

/** Peak resident set (VmHWM) of `pid`, in kB. */
function peakRssKb(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match![1]);
}

interface Run {
  readonly run: ForknetRun;
  readonly pid: number;
  readonly bindMs: number;
}

/** Starts the client (DHCPv4 only, no exit when bound) and waits for its lease. */
async function bind(net: TestNetwork): Promise<Run> {
  await net.exec("container", ["ip", "-4", "addr", "flush", "dev", net.iface]);
  const started = performance.now();
  const run = forknet(net, ["--no-ipv6", "--state-dir", await state()]);
  const pid = await pidInNamespace(net);
  await run.waitForEvent((e) => e.kind === "bound" && e.family === "ipv4", 30_000);
  return { run, pid, bindMs: performance.now() - started };
}

/** SIGTERM to the CLI; how long until it exited. */
async function timeToExit(run: ForknetRun): Promise<number> {
  const started = performance.now();
  run.child.kill("SIGTERM");
  await run.exited();
  return performance.now() - started;
}

interface FloodReport {
  readonly ms: number;
  readonly junk: number;
  readonly bombs: number;
  readonly errors: number;
}

describe.skipIf(reason !== undefined)(`incusx forknet dhcp under a DHCPv4 flood${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it(`binds, stays small and stops within 1 s under ${JUNK_RATE} junk packets/s and ${BOMB_RATE} pointer bombs/s`, { timeout: 60_000 }, async () => {
    const net = await network({ v6: false });

    const quiet = await bind(net);
    const quietRssKb = peakRssKb(quiet.pid);
    const quietTicks = cpuTicks(quiet.pid); // start-up and binding, the part of a flooded run that is not the flood
    const quietExitMs = await timeToExit(quiet.run);

    // The attacker saw the client's DISCOVERs: bombs and a third of the junk carry its chaddr.
    const mac = (JSON.parse((await net.exec("container", ["ip", "-json", "link", "show", "dev", net.iface])).stdout) as { address: string }[])[0]!.address;
    const flooder = net.spawnNode("server", join(import.meta.dirname, "dhcpv4-flooder.ts"), [String(FLOOD_MS), String(JUNK_RATE), String(BOMB_RATE), mac]);
    await flooder.waitForLine((l) => l.includes('"started"'), 20_000);
    const reports = (): FloodReport[] =>
      flooder.stdout().split("\n").filter((l) => l.startsWith('{"ms"')).map((l) => JSON.parse(l) as FloodReport);
    // What the client sent during the flooded run: a retransmission means an answer was lost.
    const tcpdump = net.spawn("server", ["tcpdump", "-l", "-n", "-tt", "-v", "-i", net.serverIface, "udp", "dst", "port", "67"]);
    await net.waitFor(() => tcpdump.stderr().includes("listening on"), { timeoutMs: 10_000, message: "tcpdump did not start" });
    const sentAtStart = reports().at(-1) ?? { ms: 0, junk: 0, bombs: 0, errors: 0 };
    const flooded = await bind(net);
    const boundAt = performance.now();
    const ticksAtBind = cpuTicks(flooded.pid);
    const sentAtBind = reports().at(-1) ?? { ms: 0, junk: 0, bombs: 0, errors: 0 };
    // Stay bound under the flood until a second before it ends, then measure and stop.
    await net.waitFor(() => (reports().at(-1)?.ms ?? 0) >= FLOOD_MS - 1_000, { timeoutMs: FLOOD_MS + 10_000, message: "The flood did not go on" });

    const floodedRssKb = peakRssKb(flooded.pid);
    const totalTicks = cpuTicks(flooded.pid);
    const ticks = totalTicks - ticksAtBind;
    const sentBeforeStop = reports().at(-1)!;
    const floodedExitMs = await timeToExit(flooded.run);
    const snmp = (await net.exec("container", ["cat", "/proc/net/snmp"])).stdout.split("\n").filter((l) => l.startsWith("Udp:"));
    const udp = Object.fromEntries(snmp[0]!.split(/\s+/).slice(1).map((k, i) => [k, Number(snmp[1]!.split(/\s+/)[i + 1])]));
    await flooder.exited();
    const total = reports().at(-1)!;

    const hostileWhileRunning = sentBeforeStop.junk + sentBeforeStop.bombs - sentAtStart.junk - sentAtStart.bombs;
    const hostile = sentBeforeStop.junk + sentBeforeStop.bombs - sentAtBind.junk - sentAtBind.bombs;
    const figures = {
      achievedJunkPerSecond: Math.round((total.junk * 1000) / total.ms),
      achievedBombsPerSecond: Math.round((total.bombs * 10_000) / total.ms) / 10,
      sendErrors: total.errors,
      quietBindMs: Math.round(quiet.bindMs),
      floodedBindMs: Math.round(flooded.bindMs),
      quietPeakRssMb: Math.round(quietRssKb / 102.4) / 10,
      floodedPeakRssMb: Math.round(floodedRssKb / 102.4) / 10,
      // Whole flooded run less the quiet run's start-up and binding, over every packet sent while it ran.
      cpuMicrosecondsPerHostilePacketWholeRun: Math.round((((totalTicks - quietTicks) * TICK_MS * 1000) / hostileWhileRunning) * 10) / 10,
      cpuWhileBoundUnderFloodMs: ticks * TICK_MS,
      boundUnderFloodMs: Math.round(performance.now() - boundAt),
      cpuMicrosecondsPerHostilePacket: hostile > 0 ? Math.round(((ticks * TICK_MS * 1000) / hostile) * 10) / 10 : null,
      clientMessages: [...tcpdump.stdout().matchAll(/DHCP-Message \(53\), length 1: (\w+)/g)].map((m) => m[1]).join(" "),
      udpReceiveBufferDrops: udp.RcvbufErrors,
      quietExitMs: Math.round(quietExitMs),
      floodedExitMs: Math.round(floodedExitMs),
    };
    console.log(`DHCPv4 flood: ${JSON.stringify(figures)}`);

    // The sender really flooded: at least 90% of the rates asked for.
    expect(figures.achievedJunkPerSecond).toBeGreaterThanOrEqual(0.9 * JUNK_RATE);
    expect(total.bombs).toBeGreaterThanOrEqual(Math.floor((0.9 * BOMB_RATE * FLOOD_MS) / 1000));
    expect(flooded.bindMs, JSON.stringify(figures)).toBeLessThanOrEqual(2 * Math.max(quiet.bindMs, BASELINE_FLOOR_MS));
    expect(floodedRssKb - quietRssKb, JSON.stringify(figures)).toBeLessThanOrEqual(20 * 1024);
    expect(floodedExitMs, JSON.stringify(figures)).toBeLessThanOrEqual(1_000);
    expect(flooded.run.events.filter((e) => e.kind === "bound")).toHaveLength(1);
  });
});
