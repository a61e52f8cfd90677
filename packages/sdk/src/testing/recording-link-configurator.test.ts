import { describe, expect, it } from "vitest";
import { RecordingLinkConfigurator } from "./recording-link-configurator.js";

describe("RecordingLinkConfigurator", () => {
  it("shows applied addresses, routes and MTU in the snapshot, both families", async () => {
    const link = new RecordingLinkConfigurator();
    await link.addAddress("eth0", { address: "192.0.2.10", prefixLength: 24, validLifetime: 3600 });
    await link.addAddress("eth0", { address: "2001:db8:1::10", prefixLength: 128 });
    await link.addRoute("eth0", { destination: "0.0.0.0/0", gateway: "192.0.2.1" });
    await link.setMtu("eth0", 1400);
    expect(await link.snapshot("eth0")).toEqual({
      interface: "eth0",
      mtu: 1400,
      addresses: [
        { address: "192.0.2.10", prefixLength: 24, validLifetime: 3600, family: "ipv4" },
        { address: "2001:db8:1::10", prefixLength: 128, family: "ipv6" },
      ],
      routes: [{ destination: "0.0.0.0/0", gateway: "192.0.2.1", family: "ipv4" }],
    });
  });

  it("records every change in call order", async () => {
    const link = new RecordingLinkConfigurator();
    await link.setMtu("eth0", 1400);
    await link.addAddress("eth1", { address: "192.0.2.10", prefixLength: 24 });
    await link.removeAddress("eth0", { address: "192.0.2.99", prefixLength: 24 });
    await link.snapshot("eth0");
    expect(link.calls.map((c) => `${c.op} ${c.interface}`)).toEqual([
      "setMtu eth0",
      "addAddress eth1",
      "removeAddress eth0",
    ]);
    expect(link.callsFor("eth1")).toHaveLength(1);
    link.clearCalls();
    expect(link.calls).toEqual([]);
    expect((await link.snapshot("eth1")).addresses).toHaveLength(1);
  });

  it("is idempotent: re-adding updates lifetimes, removing the absent is harmless", async () => {
    const link = new RecordingLinkConfigurator();
    await link.addAddress("eth0", { address: "192.0.2.10", prefixLength: 24, validLifetime: 60 });
    await link.addAddress("eth0", { address: "192.0.2.10", prefixLength: 24, validLifetime: 120 });
    await link.removeRoute("eth0", { destination: "198.51.100.0/24" });
    const snap = await link.snapshot("eth0");
    expect(snap.addresses).toEqual([{ address: "192.0.2.10", prefixLength: 24, validLifetime: 120, family: "ipv4" }]);
    expect(snap.routes).toEqual([]);
  });

  it("replaces a route with the same destination and metric", async () => {
    const link = new RecordingLinkConfigurator();
    await link.addRoute("eth0", { destination: "::/0", gateway: "fe80::1" });
    await link.addRoute("eth0", { destination: "::/0", gateway: "fe80::2" });
    await link.addRoute("eth0", { destination: "::/0", gateway: "fe80::3", metric: 100 });
    expect((await link.snapshot("eth0")).routes).toEqual([
      { destination: "::/0", gateway: "fe80::2", family: "ipv6" },
      { destination: "::/0", gateway: "fe80::3", metric: 100, family: "ipv6" },
    ]);
    await link.removeRoute("eth0", { destination: "::/0" });
    expect((await link.snapshot("eth0")).routes).toHaveLength(1);
  });

  it("starts each interface at the configured MTU", async () => {
    expect((await new RecordingLinkConfigurator().snapshot("eth0")).mtu).toBe(1500);
    expect((await new RecordingLinkConfigurator({ mtu: 9000 }).snapshot("eth0")).mtu).toBe(9000);
  });

  it("rejects calls on interfaces that do not exist when the list is given", async () => {
    const link = new RecordingLinkConfigurator({ interfaces: ["eth0"] });
    await expect(link.setMtu("eth9", 1400)).rejects.toThrow('Interface "eth9" does not exist');
    await expect(link.snapshot("eth9")).rejects.toThrow(/does not exist/);
    await expect(link.setMtu("eth0", 1400)).resolves.toBeUndefined();
  });

  it("rejects an address that is not an IP address", async () => {
    const link = new RecordingLinkConfigurator();
    await expect(link.addAddress("eth0", { address: "nope", prefixLength: 24 })).rejects.toThrow(
      'Invalid IP address "nope"',
    );
  });

  it("fails the next call of an operation on request, changing nothing", async () => {
    const link = new RecordingLinkConfigurator();
    link.failNext("addRoute", new Error("RTNETLINK answers: Network is unreachable"));
    await expect(link.addRoute("eth0", { destination: "0.0.0.0/0", gateway: "192.0.2.1" })).rejects.toThrow(
      /unreachable/,
    );
    expect((await link.snapshot("eth0")).routes).toEqual([]);
    await link.addRoute("eth0", { destination: "0.0.0.0/0", gateway: "192.0.2.1" });
    expect((await link.snapshot("eth0")).routes).toHaveLength(1);
    expect(link.calls).toHaveLength(2);
  });
});
