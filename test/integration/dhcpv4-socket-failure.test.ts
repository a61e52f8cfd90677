// `incusx forknet dhcp` (DHCPv4) when the kernel fails its socket (root
// only): the DHCPv4 socket is destroyed with `ss -K` (sock_diag: the socket
// gets ECONNABORTED and POLLERR). The runner must not hang on the dead
// socket: it ends with the error, the runtime reports a `failed` event and
// restarts it, and the new runner binds again.
import { describe, expect, it, onTestFinished } from "vitest";
import { dhcpv4Addresses, forknet, perTestResources, skipReason } from "./dhcp-support.js";

const reason = skipReason();
const { network, state } = perTestResources();

describe.skipIf(reason !== undefined)(`incusx forknet dhcp, DHCPv4 socket failure${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("reports the failed socket and binds again on a new one", async () => {
    const net = await network({ v6: false });
    const run = forknet(net, ["--no-ipv6", "--state-dir", await state()]);
    onTestFinished(async () => void (await run.stop()));
    const bound = await run.waitForEvent((e) => e.kind === "bound");
    const address = bound.lease!.addresses[0]!.address;

    const eventsBefore = run.events.length;
    const kill = await net.exec("container", ["ss", "-K", "-u", "-a", "sport", "=", ":68"]);
    expect(kill.code, kill.stderr).toBe(0);
    const failed = await run.waitForEvent((e) => e.kind === "failed", 20_000, eventsBefore);
    expect(failed).toMatchObject({ family: "ipv4", interface: "eth0", error: { code: "ECONNABORTED" } });
    // The runtime restarts the runner after its backoff (1 s); it asks for its address again.
    const again = await run.waitForEvent((e) => e.kind === "bound", 30_000, eventsBefore);
    expect(again.lease!.addresses[0]!.address).toBe(address);
    expect((await dhcpv4Addresses(net)).map((a) => a.local)).toContain(address);
    expect(await run.stop()).toBe(0);
  });
});
