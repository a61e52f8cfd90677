import { Dhcpv6MessageType as T, Dhcpv6StatusCode as S } from "@incusx/dhcp-wire";
import { stoppedAfterEach } from "@incusx/dhcp-client/testing";
import type { DhcpAttemptFailure } from "@incusx/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { advertise, reply, startClient } from "./fake-server.test-support.js";

const { start } = stoppedAfterEach(afterEach, startClient);

async function withFailures() {
  const failures: DhcpAttemptFailure[] = [];
  const h = await start({ attemptFailed: (f) => void failures.push(f) });
  return { h, failures };
}

describe("attempt failures (why there is no lease yet)", () => {
  it("says no reply after N Solicits at each unanswered round", async () => {
    const { h, failures } = await withFailures();
    // RAND +0.05 on the first Solicit, then 0: timeouts at 1.05, 3.15, 7.35 s, each followed by the next Solicit.
    await h.clock.advance(7_350);
    expect(h.transport.ofType(T.SOLICIT)).toHaveLength(4);
    expect(failures).toEqual([
      { code: "NO_REPLY", message: "no reply after 1 Solicit", attempts: 1 },
      { code: "NO_REPLY", message: "no reply after 2 Solicits", attempts: 2 },
      { code: "NO_REPLY", message: "no reply after 3 Solicits", attempts: 3 },
    ]);
  });

  it("says NoAddrsAvail when servers answer without addresses", async () => {
    const { h, failures } = await withFailures();
    h.transport.deliver(advertise(h.transport.last(), { noIa: true, status: S.NoAddrsAvail }));
    await h.clock.advance(1_050);
    expect(failures[0]).toEqual({ code: "NO_ADDRS_AVAIL", message: "servers answered 1 Solicit with no address to give (NoAddrsAvail)", attempts: 1 });
  });

  it("says what the server answered a Request with (NoAddrsAvail, NotOnLink)", async () => {
    const { h, failures } = await withFailures();
    h.transport.deliver(advertise(h.transport.last()));
    await h.clock.advance(1_050);
    h.transport.deliver(reply(h.transport.last(), { status: S.NotOnLink, noIa: true }));
    await h.clock.flush();
    expect(failures).toEqual([{ code: "NOT_ON_LINK", message: "the server answered the Request with NotOnLink" }]);
  });

  it("says no reply to 10 Requests after REQ_MAX_RC, and a throwing listener does not stop the client", async () => {
    const failures: DhcpAttemptFailure[] = [];
    const h = await start({
      attemptFailed: (f) => {
        failures.push(f);
        throw new Error("listener bug");
      },
    });
    h.transport.deliver(advertise(h.transport.last()));
    await h.clock.advance(1_050);
    await h.clock.advance(400_000);
    expect(failures.map((f) => f.code)).toContain("NO_REPLY");
    expect(failures).toContainEqual({ code: "NO_REPLY", message: "no reply to 10 Requests", attempts: 10 });
    expect(h.logs.messages({ level: "error" })).toContainEqual(expect.stringContaining("attempt failure listener threw"));
    expect(h.client.state).toBe("soliciting");
  });
});
