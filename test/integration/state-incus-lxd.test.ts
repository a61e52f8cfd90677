// @incusx/state-incus against a real LXD 5.0 (@incusx/testkit/lxd): what a
// host sees of a live server, kept current by its lifecycle events, across
// a restart of the server. Root and Debian's lxd; skipped, saying why, otherwise.
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IncusNetworkState, type IncusStateError } from "@incusx/state-incus";
import { untilState } from "@incusx/state-incus/testing";
import { LXD_TEST_IPV4, lxdSkipReason, startLxd, type LxdTestServer } from "@incusx/testkit/lxd";

const reason = lxdSkipReason();


describe.skipIf(reason !== undefined)(`IncusNetworkState on LXD 5.0${reason ? ` (skipped: ${reason})` : ""}`, () => {
  let lxd: LxdTestServer;
  let state: IncusNetworkState;
  const errors: IncusStateError[] = [];

  beforeAll(async () => {
    lxd = await startLxd();
    await lxd.createInstance("c1", { devices: { eth0: { type: "nic", network: lxd.bridge, "ipv4.address": "203.0.113.20" } } });
    state = new IncusNetworkState({ socket: lxd.socketPath, initialBackoffMs: 50, onError: (e) => errors.push(e) });
    await state.start();
  }, 120_000);
  afterAll(async () => {
    await state?.close();
    await lxd?.stop();
  }, 60_000);

  it("reads the bridge, the instance's NIC with its volatile.uuid, and no cluster member", async () => {
    expect(await state.network(lxd.bridge)).toEqual({
      name: lxd.bridge,
      type: "bridge",
      config: expect.objectContaining({ "ipv4.address": LXD_TEST_IPV4 }),
    });
    expect(await state.nics()).toEqual([
      {
        instance: "c1",
        device: "eth0",
        type: "bridged",
        instanceUuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        config: { network: lxd.bridge, "ipv4.address": "203.0.113.20" },
      },
    ]);
    const [c1] = await state.instances();
    expect(c1).toMatchObject({ name: "c1", project: "default" });
    expect(c1!.location).toBeUndefined();
    expect(c1!.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await state.member()).toBeUndefined();
  });

  it("sees a forward made with `lxc network forward create` within 1 s, from its event", async () => {
    const seen = untilState(state, async () => (await state.forwards(lxd.bridge)).some((f) => f.listenAddress === "198.51.100.30"));
    const begin = performance.now();
    await lxd.createForward("198.51.100.30", { targetAddress: "203.0.113.20", description: "c1 outbound" });
    await seen;
    const ms = performance.now() - begin;
    expect(ms).toBeLessThan(1000);
    expect(await state.forwards(lxd.bridge)).toContainEqual({ network: lxd.bridge, listenAddress: "198.51.100.30", description: "c1 outbound" });
  });

  it("drops a deleted instance", async () => {
    await lxd.createInstance("gone", { devices: { eth0: { type: "nic", network: lxd.bridge } } });
    await untilState(state, async () => (await state.nics()).some((n) => n.instance === "gone"));
    await lxd.deleteInstance("gone");
    await untilState(state, async () => !(await state.nics()).some((n) => n.instance === "gone"));
  });

  it("reconnects after LXD restarts (clean, then crashed) and reads everything again", async () => {
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      const lost = errors.length;
      await lxd.restart(signal);
      // A change made after the restart arrives by event only once the stream is back.
      const address = signal === "SIGTERM" ? "198.51.100.31" : "198.51.100.32";
      const seen = untilState(state, async () => (await state.forwards(lxd.bridge)).some((f) => f.listenAddress === address));
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (errors.length > lost) {
            clearInterval(poll);
            resolve();
          }
        }, 10);
      });
      await lxd.createForward(address);
      await seen;
      expect((await state.nics()).map((n) => n.instance)).toEqual(["c1"]);
    }
  }, 120_000);
});
