import { describe, expect, it } from "vitest";
import { nicSpecOf } from "./nic-request.js";

const body = { instance: "c1", device: "eth0", netns: "c1", interface: "eth0" };

describe("an attach request becomes the runtime's NIC", () => {
  it("names the namespace by its path under /run/netns and leaves unset options out", () => {
    expect(nicSpecOf(body)).toEqual({ instance: "c1", device: "eth0", interface: "eth0", netns: "/run/netns/c1" });
  });

  it("passes optimistic_dad, resolv_conf and release_on_stop on in the runtime's terms", () => {
    const spec = nicSpecOf({ ...body, optimistic_dad: true, release_on_stop: true, resolv_conf: { root: "/proc/42/root", path: "/etc/resolv.conf" } });
    expect(spec).toMatchObject({ optimisticDad: true, releaseOnStop: true, resolvConf: { root: "/proc/42/root", path: "/etc/resolv.conf" } });
  });

  it("refuses an optimistic_dad that is not a boolean, naming the field", () => {
    expect(() => nicSpecOf({ ...body, optimistic_dad: "yes" })).toThrow(/\/optimistic_dad: must be boolean/);
  });
});
