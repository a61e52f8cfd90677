import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { LinkConfigurator, LinkRoute } from "@incusx/sdk";
import {
  FULLY_DYNAMIC,
  defaultRouteOwner,
  dnsConfigForSeeded,
  loadOrCreateDuid,
  parseSeededResolvConf,
  readHostnameFile,
  readInterfacesJson,
  singleDefaultRoute,
} from "./forknet-incus-files.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "incusx-incus-files-"));
  dirs.push(dir);
  return dir;
}

describe("interfaces.json as Incus writes it", () => {
  it("reads each interface's flags; a member left out reads false, as Go's json.Unmarshal leaves it", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "interfaces.json"), '{"eth0":{"dhcp4":true,"dhcp6":false,"route4":false,"route6":true},"eth1":{"dhcp4":true}}');
    const { interfaces, problem } = await readInterfacesJson(dir);
    expect(problem).toBeUndefined();
    expect(interfaces.get("eth0")).toEqual({ dhcp4: true, dhcp6: false, route4: false, route6: true });
    expect(interfaces.get("eth1")).toEqual({ dhcp4: true, dhcp6: false, route4: false, route6: false });
  });

  it("a missing file is no problem; one that does not parse is logged and means fully dynamic", async () => {
    const dir = await tempDir();
    expect(await readInterfacesJson(dir)).toEqual({ interfaces: new Map() });
    await writeFile(join(dir, "interfaces.json"), "[1]");
    const bad = await readInterfacesJson(dir);
    expect(bad.interfaces.size).toBe(0);
    expect(bad.problem).toMatch(/^Unable to parse interfaces.json file: /);
  });
});

describe("the default route owner", () => {
  const configs = new Map([
    ["eth0", { ...FULLY_DYNAMIC, route4: false }],
    ["eth1", FULLY_DYNAMIC],
  ]);
  const configOf = (name: string) => configs.get(name) ?? FULLY_DYNAMIC;

  it("is the first interface by name among those allowed one (gateway none is not)", () => {
    expect(defaultRouteOwner(["eth2", "eth1", "eth0"], configOf, "ipv4")).toBe("eth1");
    expect(defaultRouteOwner(["eth2", "eth1", "eth0"], configOf, "ipv6")).toBe("eth0");
    expect(defaultRouteOwner(["eth0"], configOf, "ipv4")).toBeUndefined();
  });

  it("drops default routes of other interfaces and keeps every other route", async () => {
    const added: string[] = [];
    const link = {
      addRoute: async (iface: string, route: LinkRoute) => void added.push(`+${iface} ${route.destination}`),
      removeRoute: async (iface: string, route: LinkRoute) => void added.push(`-${iface} ${route.destination}`),
      extra: () => "kept",
    } as unknown as LinkConfigurator & { extra(): string };
    const wrapped = singleDefaultRoute(link, (family) => (family === "ipv4" ? "eth0" : undefined));
    await wrapped.addRoute("eth1", { destination: "0.0.0.0/0", gateway: "192.0.2.1" });
    await wrapped.addRoute("eth1", { destination: "198.51.100.0/24", gateway: "192.0.2.1" });
    await wrapped.addRoute("eth0", { destination: "0.0.0.0/0", gateway: "192.0.2.1" });
    await wrapped.addRoute("eth0", { destination: "::/0", gateway: "2001:db8:1::1" });
    await wrapped.removeRoute("eth1", { destination: "0.0.0.0/0", gateway: "192.0.2.1" });
    expect(added).toEqual(["+eth1 198.51.100.0/24", "+eth0 0.0.0.0/0"]);
    expect(wrapped.extra()).toBe("kept");
  });
});

describe("Incus's hostname, resolv.conf and dhcp6.duid", () => {
  it("reads the hostname trimmed, and nothing from a missing file", async () => {
    const dir = await tempDir();
    expect(await readHostnameFile(dir)).toBeUndefined();
    await writeFile(join(dir, "hostname"), "c1\n");
    expect(await readHostnameFile(dir)).toBe("c1");
  });

  it("takes the static DNS of the seeded resolv.conf, a domain as the search list, and options edns0", () => {
    const seeded = parseSeededResolvConf("nameserver 203.0.113.53\nnameserver 2001:db8::53\ndomain example.org\noptions edns0\n");
    expect(seeded).toEqual({ nameservers: ["203.0.113.53", "2001:db8::53"], search: [], domain: "example.org" });
    expect(dnsConfigForSeeded("/x/resolv.conf", seeded)).toEqual({
      resolvConf: "/x/resolv.conf",
      nameservers: ["203.0.113.53", "2001:db8::53"],
      search: ["example.org"],
      options: ["edns0"],
      takeOver: true,
      writeMode: "in-place",
    });
    expect(dnsConfigForSeeded("/x", parseSeededResolvConf("search a.example b.example\ndomain c.example\n")).search).toEqual(["a.example", "b.example"]);
  });

  it("imports the DUID Incus wrote, byte for byte", async () => {
    const dir = await tempDir();
    const incus = Buffer.from("000100012e0a0b0c02000000c1a1", "hex");
    await writeFile(join(dir, "dhcp6.duid"), incus);
    expect(Buffer.from(await loadOrCreateDuid(dir, "02:00:00:00:00:01")).equals(incus)).toBe(true);
  });

  it("creates a DUID-LLT from the MAC where Incus keeps it (mode 0600) when there is none or it is unusable", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "dhcp6.duid"), Buffer.from([0]));
    const duid = await loadOrCreateDuid(dir, "02:00:00:00:c1:a1", () => Date.UTC(2000, 0, 1, 0, 0, 16));
    expect(Buffer.from(duid).toString("hex")).toBe("000100010000001002000000c1a1");
    expect(Buffer.from(await readFile(join(dir, "dhcp6.duid"))).equals(Buffer.from(duid))).toBe(true);
    expect((await stat(join(dir, "dhcp6.duid"))).mode & 0o777).toBe(0o600);
  });
});
