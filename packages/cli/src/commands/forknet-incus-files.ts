import { randomBytes } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { IpFamily, LinkConfigurator, LinkRoute } from "@incusx/sdk";

/**
 * What Incus writes to `<instance>/network/interfaces.json` for one NIC
 * (`OCINetworkInterface` in internal/server/instance/drivers/driver_lxc.go):
 * DHCP per family (false for `none` or a static CIDR address) and whether
 * the family may have a default route (false for `ipv4.gateway`/`ipv6.gateway` `none`).
 */
export interface IncusInterfaceConfig {
  readonly dhcp4: boolean;
  readonly dhcp6: boolean;
  readonly route4: boolean;
  readonly route6: boolean;
}

/** The config Incus's forknet uses for an interface interfaces.json does not name: fully dynamic. */
export const FULLY_DYNAMIC: IncusInterfaceConfig = Object.freeze({ dhcp4: true, dhcp6: true, route4: true, route6: true });

/** Static DNS Incus seeded into `<instance>/network/resolv.conf` from `oci.dns.*`. */
export interface SeededDns {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
  readonly domain?: string;
}

/**
 * Reads `interfaces.json` as Incus's `loadInterfaces` does: a missing file
 * or one that does not parse means "every interface fully dynamic" (the
 * problem is returned for the log). A member missing in an entry reads as
 * `false`, as Go's json.Unmarshal leaves it.
 */
export async function readInterfacesJson(dir: string): Promise<{ readonly interfaces: ReadonlyMap<string, IncusInterfaceConfig>; readonly problem?: string }> {
  let text: string;
  try {
    text = await readFile(join(dir, "interfaces.json"), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { interfaces: new Map(), ...(code === "ENOENT" ? {} : { problem: `Unable to read interfaces.json file: ${(error as Error).message}` }) };
  }
  try {
    return { interfaces: parseInterfacesJson(text) };
  } catch (error) {
    return { interfaces: new Map(), problem: `Unable to parse interfaces.json file: ${(error as Error).message}` };
  }
}

/** The entries of an interfaces.json text; throws naming what is wrong (not JSON, not an object, an entry that is not one). */
export function parseInterfacesJson(text: string): Map<string, IncusInterfaceConfig> {
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not a JSON object");
  const interfaces = new Map<string, IncusInterfaceConfig>();
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (entry === null || typeof entry !== "object") throw new Error(`entry "${name}" is not an object`);
    const flag = (key: keyof IncusInterfaceConfig): boolean => (entry as Record<string, unknown>)[key] === true;
    interfaces.set(name, { dhcp4: flag("dhcp4"), dhcp6: flag("dhcp6"), route4: flag("route4"), route6: flag("route6") });
  }
  return interfaces;
}

/** The hostname from Incus's `hostname` file, trimmed; `undefined` when the file is missing or empty. */
export async function readHostnameFile(dir: string): Promise<string | undefined> {
  const text = await readFile(join(dir, "hostname"), "utf8").catch(() => "");
  const name = text.trim();
  return name === "" ? undefined : name;
}

/**
 * The static DNS of the resolv.conf Incus seeded, read as Incus's
 * `parseInitialResolvConf` does (`nameserver`, `search`, `domain` lines).
 */
export function parseSeededResolvConf(text: string): SeededDns {
  const nameservers: string[] = [];
  const search: string[] = [];
  let domain: string | undefined;
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 2) continue;
    if (fields[0] === "nameserver") nameservers.push(fields[1]!);
    else if (fields[0] === "search") search.push(...fields.slice(1));
    else if (fields[0] === "domain") domain = fields[1];
  }
  return { nameservers, search, ...(domain === undefined ? {} : { domain }) };
}

/**
 * The DNS plugin's config for Incus's resolv.conf: the seeded static DNS
 * (a `domain` counts as the search list when there is no `search`, as
 * resolv.conf(5) treats it), and `options edns0` as Incus writes. The
 * file is Incus's (it seeded it) and the container bind-mounts it, so the
 * plugin takes it over and writes it in place, as Incus does.
 */
export function dnsConfigForSeeded(resolvConf: string, seeded: SeededDns): Record<string, unknown> {
  const search = seeded.search.length > 0 ? seeded.search : seeded.domain === undefined ? [] : [seeded.domain];
  return { resolvConf, nameservers: [...seeded.nameservers], search: [...search], options: ["edns0"], takeOver: true, writeMode: "in-place" };
}

/** DUID-LLT hardware type for Ethernet (RFC 8415 §11.2, IANA hardware types). */
const HW_ETHERNET = 1;
/** Seconds from the Unix epoch to the DUID epoch, 2000-01-01 UTC (RFC 8415 §11.2). */
const DUID_EPOCH = 946_684_800;

/**
 * The DHCPv6 DUID Incus keeps in `<instance>/network/dhcp6.duid` (raw
 * bytes, as `dhcpv6.DUID.ToBytes`), so a container switched from Incus's
 * forknet keeps its identity and so its leases. A file that is missing or
 * too short (fewer than 3 bytes, or more than 130: RFC 8415's limits)
 * yields a new DUID-LLT from `mac` (a random one without a MAC), written
 * back with mode 0600 as Incus does.
 */
export async function loadOrCreateDuid(dir: string, mac: string | undefined, now: () => number = Date.now): Promise<Uint8Array> {
  const path = join(dir, "dhcp6.duid");
  try {
    const bytes = new Uint8Array(await readFile(path));
    if (bytes.length >= 3 && bytes.length <= 130) return bytes;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const hw = mac === undefined ? randomBytes(6) : Buffer.from(mac.split(":").map((b) => parseInt(b, 16)));
  const duid = Buffer.alloc(8 + hw.length);
  duid.writeUInt16BE(1, 0); // DUID-LLT
  duid.writeUInt16BE(HW_ETHERNET, 2);
  duid.writeUInt32BE((Math.floor(now() / 1000) - DUID_EPOCH) >>> 0, 4);
  hw.copy(duid, 8);
  await writeFile(path, duid, { mode: 0o600 });
  // writeFile's mode applies to a new file only; an unusable one left by someone else gets it too.
  await chmod(path, 0o600);
  return new Uint8Array(duid);
}

/**
 * The interface that owns the default route of `family`: as Incus's
 * `installDefaultRouteV4` settles it, the first by name among those
 * allowed one (`route4`/`route6`). `undefined` when none is.
 */
export function defaultRouteOwner(names: readonly string[], configOf: (name: string) => IncusInterfaceConfig, family: IpFamily): string | undefined {
  return [...names].sort().find((name) => (family === "ipv4" ? configOf(name).route4 : configOf(name).route6));
}

function isDefault(route: LinkRoute): boolean {
  return route.destination === "0.0.0.0/0" || route.destination === "::/0";
}

/**
 * A link configurator that lets only `owner(family)` carry a default
 * route: the leases of the other interfaces keep their other routes, so
 * two interfaces never replace each other's default route.
 */
export function singleDefaultRoute<T extends LinkConfigurator>(link: T, owner: (family: IpFamily) => string | undefined): T {
  const allowed = (iface: string, route: LinkRoute): boolean =>
    !isDefault(route) || owner(route.destination.includes(":") ? "ipv6" : "ipv4") === iface;
  // A proxy keeps the configurator's other methods (the runtime uses `addresses`, sysctls when present).
  return new Proxy(link, {
    get(target, prop) {
      if (prop === "addRoute" || prop === "removeRoute") {
        return async (iface: string, route: LinkRoute) => (allowed(iface, route) ? target[prop](iface, route) : undefined);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
