// A container stops under the multi-NIC runtime: one process (this one)
// serves the eth0 of two test networks through host.networkRuntime(), with
// the real DHCPv4 plugin against each network's dnsmasq, holding both
// namespaces by fd. Deleting one namespace (`ip netns del`, as a container
// manager does) must make the runtime let go of that NIC within 1 s, give
// back every fd it opened for it, and leave the other NIC bound.
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { Host, LeaseEventBus } from "@incusx/host";
import dhcpv4 from "@incusx/plugin-dhcpv4";
import type { LeaseEvent } from "@incusx/sdk";
import { createTestNetwork, dhcpv4Addresses, skipReason } from "./dhcp-support.js";

const reason = skipReason();
const require = createRequire(import.meta.url);

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

describe.skipIf(reason !== undefined)(`runtime letting go of a deleted namespace${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("drops the NIC of a deleted namespace within 1 s, frees its fds, and keeps the other NIC bound", { timeout: 60_000 }, async ({ onTestFinished }) => {
    const stays = await createTestNetwork({ v6: false });
    onTestFinished(() => stays.destroy());
    const goes = await createTestNetwork({ v6: false });
    onTestFinished(() => goes.destroy());
    const state = await mkdtemp(join(tmpdir(), "incusx-gone-it-"));
    onTestFinished(() => rm(state, { recursive: true, force: true }));

    const events = new LeaseEventBus();
    const seen: LeaseEvent[] = [];
    events.subscribe((event) => void seen.push(event));
    const host = new Host({
      stateDir: state,
      defaults: { onFailure: "abort" },
      plugins: [{ plugin: dhcpv4, manifest: (require("@incusx/plugin-dhcpv4/package.json") as { incusx: unknown }).incusx }],
      services: { leaseEvents: events, logSink: () => {} },
    });
    expect((await host.start()).ok).toBe(true);
    onTestFinished(() => host.stop().then(() => undefined));
    const runtime = host.networkRuntime();
    onTestFinished(async () => {
      await Promise.all(runtime.list().map((nic) => runtime.detach(nic)));
    });
    const bound = (instance: string) => runtime.list().find((n) => n.instance === instance)?.families.every((f) => f.state === "bound");

    await runtime.attach({ instance: "stays", device: "eth0", interface: "eth0", netns: stays.containerNsPath, families: ["ipv4"] });
    await stays.waitFor(() => bound("stays"), { timeoutMs: 20_000, message: "The NIC that stays was not bound" });
    const address = (await dhcpv4Addresses(stays))[0]?.local;
    expect(address).toBeDefined();

    const fdsBefore = openFds();
    await runtime.attach({ instance: "goes", device: "eth0", interface: "eth0", netns: goes.containerNsPath, families: ["ipv4"] });
    await goes.waitFor(() => bound("goes"), { timeoutMs: 20_000, message: "The NIC that goes was not bound" });
    expect(openFds()).toBeGreaterThan(fdsBefore);

    await promisify(execFile)("ip", ["netns", "del", goes.containerNs]);
    const deleted = performance.now();
    await goes.waitFor(() => !runtime.list().some((n) => n.instance === "goes"), { timeoutMs: 5_000, intervalMs: 10, message: "The NIC of the deleted namespace is still attached" });
    const goneAfterMs = performance.now() - deleted;
    expect(goneAfterMs).toBeLessThan(1_000);
    // Hosts hear it as a failed event with code NIC_GONE (the network-runtime's constant) on the NIC's stream.
    const goneEvent = await goes.waitFor(() => seen.find((e) => e.kind === "failed" && e.error?.code === "NIC_GONE"));
    expect(goneEvent.error!.message).toContain(goes.containerNsPath);
    // The namespace fd, the runner's socket and the watch's netlink socket are closed (sockets close on a later loop turn).
    await goes.waitFor(() => openFds() === fdsBefore, { timeoutMs: 5_000, message: `fds did not come back to ${fdsBefore} (now ${openFds()})` });
    // Nothing was released for the gone NIC.
    expect(seen.filter((e) => e.kind === "released")).toEqual([]);

    // The other NIC: still attached and bound, its address still there.
    expect(runtime.list().map((n) => [n.instance, n.families.map((f) => f.state)])).toEqual([["stays", ["bound"]]]);
    expect((await dhcpv4Addresses(stays)).map((a) => a.local)).toEqual([address]);
  });
});
