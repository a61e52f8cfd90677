import { stoppedAfterEach } from "@incusx/dhcp-client/testing";
import type { DhcpAttemptFailure } from "@incusx/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { nak, offer, startClient } from "./fake-server.test-support.js";

const { start } = stoppedAfterEach(afterEach, startClient);

describe("DHCPv4 attempt failures (why there is no lease yet)", () => {
  it("says no reply after N DHCPDISCOVERs at each unanswered wait", async () => {
    const failures: DhcpAttemptFailure[] = [];
    const h = await start({ attemptFailed: (f) => void failures.push(f) });
    // Jitter 0: DISCOVERs at 0, 4, 12 s.
    await h.clock.advance(12_000);
    expect(failures).toEqual([
      { code: "NO_REPLY", message: "no reply after 1 DHCPDISCOVER", attempts: 1 },
      { code: "NO_REPLY", message: "no reply after 2 DHCPDISCOVERs", attempts: 2 },
    ]);
  });

  it("says NAK when the server refuses the request, and survives a throwing listener", async () => {
    const failures: DhcpAttemptFailure[] = [];
    const h = await start({
      attemptFailed: (f) => {
        failures.push(f);
        throw new Error("listener bug");
      },
    });
    h.transport.deliver(offer(h.transport.last()));
    await h.clock.flush();
    h.transport.deliver(nak(h.transport.last()));
    await h.clock.flush();
    expect(failures).toEqual([{ code: "NAK", message: "the server refused the request (DHCPNAK)" }]);
    expect(h.logs.messages({ level: "error" })).toContainEqual(expect.stringContaining("attempt failure listener threw"));
  });
});
