import { fileURLToPath } from "node:url";
import type { LinkConfigurator } from "@incusx/sdk";
import { createTestNetwork, rootAvailable, type TestNetwork } from "@incusx/testkit/netns";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LinkError } from "./errors.js";
import { addressArgs, IpRoute2LinkConfigurator, routeArgs } from "./link-configurator.js";
import type { LinkAddress, LinkRoute } from "./link-types.js";

const addScript = fileURLToPath(new URL("./fixtures/add-address.ts", import.meta.url));
const opsScript = fileURLToPath(new URL("./fixtures/link-ops.ts", import.meta.url));

describe("IpRoute2LinkConfigurator", () => {
  it("is a LinkConfigurator of the SDK", () => {
    const link: LinkConfigurator = new IpRoute2LinkConfigurator();
    expect(link).toBeInstanceOf(IpRoute2LinkConfigurator);
  });
});

describe("ip arguments for addresses", () => {
  it("replaces an IPv6 address with its lifetimes, so a renew updates them in place", () => {
    expect(addressArgs("replace", "eth0", { address: "2001:db8:1::101", prefixLength: 128, validLifetime: 3600, preferredLifetime: 1800 })).toEqual(
      ["-6", "addr", "replace", "2001:db8:1::101/128", "dev", "eth0", "valid_lft", "3600", "preferred_lft", "1800"],
    );
  });

  it("uses forever for absent lifetimes and the prefix's broadcast for IPv4", () => {
    expect(addressArgs("replace", "eth0", { address: "192.0.2.150", prefixLength: 24 })).toEqual(
      ["-4", "addr", "replace", "192.0.2.150/24", "broadcast", "+", "dev", "eth0", "valid_lft", "forever", "preferred_lft", "forever"],
    );
  });

  it("cuts a preferred lifetime longer than the valid one, which the kernel refuses", () => {
    expect(addressArgs("replace", "eth0", { address: "2001:db8:1::101", prefixLength: 128, validLifetime: 60 }).slice(-4)).toEqual(
      ["valid_lft", "60", "preferred_lft", "60"],
    );
    expect(addressArgs("replace", "eth0", { address: "2001:db8:1::101", prefixLength: 128, validLifetime: 60.7, preferredLifetime: 90 }).slice(-4)).toEqual(
      ["valid_lft", "60", "preferred_lft", "60"],
    );
  });

  it("removes without lifetimes", () => {
    expect(addressArgs("del", "eth0", { address: "2001:db8:1::101", prefixLength: 128, validLifetime: 5 })).toEqual(
      ["-6", "addr", "del", "2001:db8:1::101/128", "dev", "eth0"],
    );
  });

  it("rejects a bad address or prefix length with EINVAL", () => {
    expect(() => addressArgs("replace", "eth0", { address: "2001:db8::zz", prefixLength: 128 })).toThrow(LinkError);
    expect(() => addressArgs("replace", "eth0", { address: "192.0.2.1", prefixLength: 33 })).toThrow(/Invalid prefix length "33"/);
  });
});

describe("ip arguments for routes", () => {
  it("writes the default routes of both families as default, with gateway and metric", () => {
    expect(routeArgs("replace", "eth0", { destination: "0.0.0.0/0", gateway: "192.0.2.1", metric: 100 })).toEqual(
      ["-4", "route", "replace", "default", "via", "192.0.2.1", "dev", "eth0", "metric", "100"],
    );
    expect(routeArgs("del", "eth0", { destination: "::/0", gateway: "fe80::1" })).toEqual(["-6", "route", "del", "default", "via", "fe80::1", "dev", "eth0"]);
    expect(routeArgs("replace", "eth0", { destination: "default", gateway: "fe80::1" })[0]).toBe("-6");
  });

  it("adds an on-link route without a gateway", () => {
    expect(routeArgs("replace", "eth0", { destination: "198.51.100.0/24" })).toEqual(["-4", "route", "replace", "198.51.100.0/24", "dev", "eth0"]);
  });

  it("rejects a gateway of the other family and malformed destinations", () => {
    expect(() => routeArgs("replace", "eth0", { destination: "::/0", gateway: "192.0.2.1" })).toThrow(/not of the family/);
    expect(() => routeArgs("replace", "eth0", { destination: "192.0.2.0/40" })).toThrow(/Invalid route destination/);
    expect(() => routeArgs("replace", "eth0", { destination: "default" })).toThrow(LinkError);
  });
});

describe.skipIf(!rootAvailable())("IpRoute2LinkConfigurator on a real link (network namespace, root)", () => {
  let net: TestNetwork;
  let link: IpRoute2LinkConfigurator;

  beforeEach(async () => {
    net = await createTestNetwork({ startDnsmasq: false });
    link = new IpRoute2LinkConfigurator({ netns: net.containerNs });
  });
  afterEach(() => net.destroy());

  it("puts addresses of both families on the link with their lifetimes in the kernel", async () => {
    await link.addAddress("eth0", { address: "2001:db8:1::101", prefixLength: 128, validLifetime: 3600, preferredLifetime: 1800 });
    await link.addAddress("eth0", { address: "192.0.2.150", prefixLength: 24, validLifetime: 600, preferredLifetime: 300 });
    const kernel = await net.addresses("container", "eth0");
    expect(kernel).toContainEqual(expect.objectContaining({ local: "2001:db8:1::101", prefixlen: 128, valid_life_time: 3600, preferred_life_time: 1800 }));
    expect(kernel).toContainEqual(expect.objectContaining({ local: "192.0.2.150", prefixlen: 24, broadcast: "192.0.2.255", valid_life_time: 600 }));
    const snapshot = await link.snapshot("eth0");
    expect(snapshot.addresses).toContainEqual({ family: "ipv6", address: "2001:db8:1::101", prefixLength: 128, validLifetime: 3600, preferredLifetime: 1800 });
  });

  it("updates lifetimes when the same address is added again (a renew), keeping one address", async () => {
    const address = { address: "2001:db8:1::101", prefixLength: 128 };
    await link.addAddress("eth0", { ...address, validLifetime: 60, preferredLifetime: 30 });
    await link.addAddress("eth0", { ...address, validLifetime: 7200, preferredLifetime: 3600 });
    const matching = (await link.snapshot("eth0")).addresses.filter((a) => a.address === address.address);
    expect(matching).toHaveLength(1);
    expect(matching[0]!.validLifetime).toBeGreaterThan(7000);
    await link.addAddress("eth0", address);
    expect((await link.snapshot("eth0")).addresses.find((a) => a.address === address.address)).toEqual({ family: "ipv6", ...address });
  });

  it("removes addresses, and removing an absent one succeeds", async () => {
    const address = { address: "192.0.2.150", prefixLength: 24 };
    await link.addAddress("eth0", address);
    await link.removeAddress("eth0", address);
    await link.removeAddress("eth0", address);
    await link.removeAddress("eth0", { address: "2001:db8:1::999", prefixLength: 128 });
    expect((await link.snapshot("eth0")).addresses.map((a) => a.address)).not.toContain("192.0.2.150");
  });

  it("replaces, reads back and removes routes of both families", async () => {
    await link.addAddress("eth0", { address: "192.0.2.150", prefixLength: 24 });
    await link.addRoute("eth0", { destination: "0.0.0.0/0", gateway: "192.0.2.1", metric: 100 });
    await link.addRoute("eth0", { destination: "0.0.0.0/0", gateway: "192.0.2.1", metric: 100 });
    await link.addRoute("eth0", { destination: "198.51.100.0/24" });
    await link.addRoute("eth0", { destination: "::/0", gateway: "fe80::1", metric: 1024 });
    const routes = (await link.snapshot("eth0")).routes;
    expect(routes.filter((r) => r.destination === "0.0.0.0/0")).toEqual([{ family: "ipv4", destination: "0.0.0.0/0", gateway: "192.0.2.1", metric: 100 }]);
    expect(routes).toContainEqual({ family: "ipv4", destination: "198.51.100.0/24" });
    expect(routes).toContainEqual({ family: "ipv6", destination: "::/0", gateway: "fe80::1", metric: 1024 });
    await link.removeRoute("eth0", { destination: "::/0", gateway: "fe80::1", metric: 1024 });
    await link.removeRoute("eth0", { destination: "::/0", gateway: "fe80::1", metric: 1024 });
    await link.removeRoute("eth0", { destination: "198.51.100.0/24" });
    const after = (await link.snapshot("eth0")).routes.map((r) => r.destination);
    expect(after).not.toContain("::/0");
    expect(after).not.toContain("198.51.100.0/24");
  });

  it("sets the MTU", async () => {
    await link.setMtu("eth0", 1400);
    expect((await link.snapshot("eth0")).mtu).toBe(1400);
  });

  it("fails with ENODEV, the command and its stderr when the interface does not exist", async () => {
    const error = await link.addAddress("nosuch0", { address: "192.0.2.150", prefixLength: 24 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkError);
    expect(error).toMatchObject({ code: "ENODEV", stderr: 'Cannot find device "nosuch0"' });
    expect((error as LinkError).message).toBe('Failed to add address "192.0.2.150/24" to "nosuch0": Cannot find device "nosuch0"');
    await expect(link.snapshot("nosuch0")).rejects.toMatchObject({ code: "ENODEV" });
    await expect(link.setMtu("nosuch0", 1400)).rejects.toMatchObject({ code: "ENODEV" });
  });

  it("fails with ENETUNREACH for a gateway that is not on the link", async () => {
    await expect(link.addRoute("eth0", { destination: "0.0.0.0/0", gateway: "203.0.113.1" })).rejects.toMatchObject({ code: "ENETUNREACH" });
  });

  it("works through a namespace path (nsenter) as well as a name", async () => {
    const byPath = new IpRoute2LinkConfigurator({ netns: net.containerNsPath });
    await byPath.setMtu("eth0", 1280);
    expect((await link.snapshot("eth0")).mtu).toBe(1280);
  });
});

describe.skipIf(!rootAvailable())("IpRoute2LinkConfigurator adding addresses in-process (native addon, network namespace, root)", () => {
  let net: TestNetwork;
  beforeEach(async () => {
    net = await createTestNetwork({ startDnsmasq: false });
  });
  afterEach(() => net.destroy());

  const addInside = async (iface: string, addresses: LinkAddress[]): Promise<unknown> => {
    const run = await net.runNode("container", addScript, [iface, JSON.stringify(addresses)]);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout);
  };
  // What the kernel shows, without the lifetimes' seconds ticking away and the link-local address.
  const kernel = async () =>
    (await net.addresses("container", "eth0"))
      .filter((a) => a.scope === "global")
      .map(({ valid_life_time, preferred_life_time, ...rest }) => ({ ...rest, valid: Math.round(Number(valid_life_time) / 100), preferred: Math.round(Number(preferred_life_time) / 100) }));

  it("leaves the kernel exactly as ip addr replace does, also for a renew", async () => {
    const addresses: LinkAddress[] = [
      { address: "2001:db8:1::101", prefixLength: 128, validLifetime: 3600, preferredLifetime: 1800 },
      { address: "192.0.2.150", prefixLength: 24, validLifetime: 600, preferredLifetime: 900 },
      { address: "198.51.100.7", prefixLength: 32 },
      // A renew of the first: new lifetimes, still one address.
      { address: "2001:db8:1::101", prefixLength: 128, validLifetime: 7200, preferredLifetime: 3600 },
    ];
    expect(await addInside("eth0", addresses)).toBe("ok");
    const native = await kernel();
    expect(native).toHaveLength(3);
    expect(native).toContainEqual(expect.objectContaining({ local: "192.0.2.150", prefixlen: 24, broadcast: "192.0.2.255", valid: 6, preferred: 6 }));
    await net.exec("container", ["ip", "addr", "flush", "dev", "eth0", "scope", "global"]);
    const ip = new IpRoute2LinkConfigurator({ netns: net.containerNs });
    for (const address of addresses) await ip.addAddress("eth0", address);
    expect(await kernel()).toEqual(native);
  });

  it("fails with the link error codes ip's messages give", async () => {
    expect(await addInside("nosuch0", [{ address: "192.0.2.150", prefixLength: 24 }])).toEqual({
      code: "ENODEV",
      message: expect.stringMatching(/^Failed to add address "192\.0\.2\.150\/24" to "nosuch0": .*No such device/),
    });
  });
});

describe.skipIf(!rootAvailable())("IpRoute2LinkConfigurator in-process: routes, removals, MTU and snapshots without ip (native addon, network namespace, root)", () => {
  let net: TestNetwork;
  beforeEach(async () => {
    net = await createTestNetwork({ startDnsmasq: false });
  });
  afterEach(() => net.destroy());

  type Op = { op: string; iface: string; arg?: unknown };
  const runOps = async (ops: Op[], viaIp = false): Promise<{ results: unknown[]; spawns: number }> => {
    const run = await net.runNode("container", opsScript, [...(viaIp ? ["--ip"] : []), JSON.stringify(ops)], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as { results: unknown[]; spawns: number };
  };
  // With -d, ip shows type, protocol and scope always, so they are compared too.
  const detailedRoutes = async (family: "-4" | "-6") => {
    const run = await net.exec("container", ["ip", "-d", "-j", family, "route", "show", "dev", "eth0"]);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout || "[]") as { dst: string; gateway?: string; metric?: number; protocol?: string; scope?: string }[];
  };
  const kernelRoutes = async () => ({ v4: await detailedRoutes("-4"), v6: await detailedRoutes("-6") });
  const flushRoutes = async () => {
    for (const family of ["-4", "-6"]) await net.exec("container", ["ip", family, "route", "flush", "dev", "eth0", "proto", "boot"]);
  };
  const routes: LinkRoute[] = [
    { destination: "0.0.0.0/0", gateway: "192.0.2.1", metric: 100 },
    { destination: "198.51.100.0/24" },
    { destination: "203.0.113.0/25", gateway: "192.0.2.1" },
    { destination: "203.0.113.200/32", gateway: "192.0.2.254", metric: 5 },
    { destination: "::/0", gateway: "fe80::1", metric: 1024 },
    { destination: "2001:db8:2::/48", gateway: "2001:db8:1::1" },
    { destination: "2001:db8:3::/64" },
  ];
  const setup: Op[] = [
    { op: "addAddress", iface: "eth0", arg: { address: "192.0.2.150", prefixLength: 24 } },
    { op: "addAddress", iface: "eth0", arg: { address: "2001:db8:1::101", prefixLength: 64 } },
  ];

  it("adds and replaces routes of both families exactly as ip route replace does, starting no process", async () => {
    const adds = routes.map((arg) => ({ op: "addRoute", iface: "eth0", arg }));
    // Twice: the second round replaces in place.
    const native = await runOps([...setup, ...adds, ...adds]);
    expect(native.results.every((r) => r === null), JSON.stringify(native.results)).toBe(true);
    expect(native.spawns).toBe(0);
    const inProcess = await kernelRoutes();
    expect(inProcess.v4).toContainEqual(expect.objectContaining({ dst: "198.51.100.0/24", scope: "link", protocol: "boot", type: "unicast" }));
    expect(inProcess.v4.filter((r) => r.dst === "default")).toEqual([expect.objectContaining({ gateway: "192.0.2.1", metric: 100 })]);
    await flushRoutes();
    const ip = await runOps(adds, true);
    expect(ip.results.every((r) => r === null), JSON.stringify(ip.results)).toBe(true);
    expect(ip.spawns).toBeGreaterThanOrEqual(adds.length);
    expect(await kernelRoutes()).toEqual(inProcess);
  });

  it("removes routes and addresses, absent ones quietly, and fails with ENODEV and ENETUNREACH as ip does", async () => {
    const result = await runOps([
      ...setup,
      ...routes.map((arg) => ({ op: "addRoute", iface: "eth0", arg })),
      ...routes.map((arg) => ({ op: "removeRoute", iface: "eth0", arg })),
      ...routes.map((arg) => ({ op: "removeRoute", iface: "eth0", arg })),
      { op: "removeAddress", iface: "eth0", arg: { address: "192.0.2.150", prefixLength: 24 } },
      { op: "removeAddress", iface: "eth0", arg: { address: "192.0.2.150", prefixLength: 24 } },
      { op: "removeAddress", iface: "eth0", arg: { address: "2001:db8:1::999", prefixLength: 128 } },
      { op: "addRoute", iface: "eth0", arg: { destination: "0.0.0.0/0", gateway: "203.0.113.1" } },
      { op: "addRoute", iface: "nosuch0", arg: { destination: "198.51.100.0/24" } },
      { op: "removeRoute", iface: "nosuch0", arg: { destination: "198.51.100.0/24" } },
      { op: "removeAddress", iface: "nosuch0", arg: { address: "192.0.2.150", prefixLength: 24 } },
      { op: "setMtu", iface: "nosuch0", arg: 1400 },
      { op: "snapshot", iface: "nosuch0" },
    ]);
    expect(result.spawns).toBe(0);
    const failures = result.results.filter((r) => r !== null);
    expect(failures).toEqual([
      // With the kernel's explanation (extended ACK), as ip prints it.
      { code: "ENETUNREACH", message: expect.stringMatching(/^Failed to add route "0\.0\.0\.0\/0" to "eth0": .*Nexthop has invalid gateway/) },
      { code: "ENODEV", message: expect.stringMatching(/^Failed to add route "198\.51\.100\.0\/24" to "nosuch0": /) },
      { code: "ENODEV", message: expect.stringMatching(/^Failed to remove route/) },
      { code: "ENODEV", message: expect.stringMatching(/^Failed to remove address/) },
      { code: "ENODEV", message: expect.stringMatching(/^Failed to set MTU "1400" on "nosuch0"/) },
      { code: "ENODEV", message: expect.stringMatching(/^Failed to read the configuration of "nosuch0"/) },
    ]);
    const left = await kernelRoutes();
    expect([...left.v4, ...left.v6].map((r) => r.dst)).toEqual(["2001:db8:1::/64", "fe80::/64"]);
    expect((await net.addresses("container", "eth0")).map((a) => a.local)).not.toContain("192.0.2.150");
  });

  it("reads the same snapshot as ip, and sets the MTU", async () => {
    const ops: Op[] = [
      ...setup,
      { op: "addAddress", iface: "eth0", arg: { address: "198.51.100.7", prefixLength: 32, validLifetime: 4000, preferredLifetime: 3000 } },
      ...routes.map((arg) => ({ op: "addRoute", iface: "eth0", arg })),
      { op: "setMtu", iface: "eth0", arg: 1400 },
      { op: "snapshot", iface: "eth0" },
    ];
    const native = await runOps(ops);
    expect(native.spawns).toBe(0);
    const ip = await runOps([{ op: "snapshot", iface: "eth0" }], true);
    // Lifetimes tick between the two reads.
    const settle = (snapshot: unknown) =>
      JSON.parse(JSON.stringify(snapshot), (key, value: unknown) => (key.endsWith("Lifetime") ? Math.round(Number(value) / 100) : value)) as unknown;
    const snapshot = native.results.at(-1) as { mtu: number; routes: unknown[] };
    expect(snapshot.mtu).toBe(1400);
    expect(snapshot.routes).toContainEqual({ family: "ipv4", destination: "203.0.113.200/32", gateway: "192.0.2.254", metric: 5 });
    expect(settle(snapshot)).toEqual(settle(ip.results[0]));
  });

  it("applies a lease of 64 routes, and reads it back, without starting a process", async () => {
    const many = Array.from({ length: 64 }, (_, i) => ({ destination: `198.51.100.${i * 4}/30`, gateway: "192.0.2.1" }));
    const ops: Op[] = [...setup, ...many.map((arg) => ({ op: "addRoute", iface: "eth0", arg })), { op: "snapshot", iface: "eth0" }];
    const native = await runOps(ops);
    expect(native.spawns).toBe(0);
    const kernel = await kernelRoutes();
    // Besides the 64: the prefix routes of both addresses and fe80::/64.
    expect(kernel.v4).toHaveLength(64 + 1);
    expect((native.results.at(-1) as { routes: unknown[] }).routes).toHaveLength(kernel.v4.length + kernel.v6.length);
  });
});
