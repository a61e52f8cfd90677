import { isIP } from "node:net";
import { LinkError, type LinkErrorCode } from "./errors.js";
import { assertInterfaceName, runIp, runIpJson, type IpOptions } from "./ip-command.js";
import { nativeAddon } from "./native-addon.js";
import { addressesFromJson, routesFromJson, INFINITE_LIFETIME, type IpLinkJson, type IpRouteJson } from "./ip-json.js";
import type { IpFamily, LinkAddress, LinkRoute, LinkSnapshot } from "./link-types.js";

/** Options of an {@link IpRoute2LinkConfigurator}. */
export type IpRoute2LinkConfiguratorOptions = IpOptions;

/**
 * The SDK's `LinkConfigurator` on iproute2: addresses, routes and MTU of an
 * interface in the current network namespace (or `options.netns`), read
 * back with `ip -json`. Every change is idempotent: addresses and routes
 * use `replace` (so a renew updates lifetimes in place), removing something
 * absent succeeds. Failures are {@link LinkError}s (a missing interface is
 * `ENODEV`, also on removal).
 *
 * Adding an address, the hot path of a DHCP client, goes through rtnetlink
 * in-process when the native addon is built and no `ipCommand` or `netns`
 * is configured (the same request `ip addr replace` makes); everything else
 * runs `ip`.
 *
 * Addresses get their lifetimes in the kernel (`valid_lft`/`preferred_lft`),
 * so a crashed client cannot leave an address behind forever. No
 * `noprefixroute`: a DHCPv6 address is normally a /128 (the on-link prefix
 * comes from Router Advertisements) and the kernel's /128 host route is
 * harmless; when a caller asks for a shorter prefix (Incus uses /64) it
 * wants that prefix on-link, so the kernel's prefix route, which expires
 * with the address, is kept.
 *
 * @example
 * const link = new IpRoute2LinkConfigurator();
 * await link.addAddress("eth0", { address: "2001:db8:1::101", prefixLength: 128, validLifetime: 3600, preferredLifetime: 1800 });
 * await link.addRoute("eth0", { destination: "0.0.0.0/0", gateway: "192.0.2.1" });
 */
export class IpRoute2LinkConfigurator {
  readonly #options: IpOptions;

  constructor(options: IpRoute2LinkConfiguratorOptions = {}) {
    this.#options = { ...options };
  }

  async addAddress(iface: string, address: LinkAddress): Promise<void> {
    assertInterfaceName(iface);
    const args = addressArgs("replace", iface, address);
    const what = `Failed to add address "${cidr(address)}" to "${iface}"`;
    const replace = this.#options.ipCommand === undefined && this.#options.netns === undefined ? nativeAddon().addon?.replaceAddress : undefined;
    if (replace === undefined) {
      await runIp(args, this.#options, what);
      return;
    }
    // The lifetimes exactly as addressArgs gives them to ip.
    const lifetime = (name: string): number => {
      const value = args[args.indexOf(name) + 1];
      return value === "forever" ? INFINITE_LIFETIME : Number(value);
    };
    try {
      replace(iface, address.address, address.prefixLength, lifetime("valid_lft"), lifetime("preferred_lft"), args.includes("broadcast"));
    } catch (error) {
      throw new LinkError(linkErrorCodeFromErrno(error), `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  async removeAddress(iface: string, address: LinkAddress): Promise<void> {
    assertInterfaceName(iface);
    await ignoreAbsent(runIp(addressArgs("del", iface, address), this.#options, `Failed to remove address "${cidr(address)}" from "${iface}"`));
  }

  async addRoute(iface: string, route: LinkRoute): Promise<void> {
    assertInterfaceName(iface);
    await runIp(routeArgs("replace", iface, route), this.#options, `Failed to add route "${route.destination}" to "${iface}"`);
  }

  async removeRoute(iface: string, route: LinkRoute): Promise<void> {
    assertInterfaceName(iface);
    await ignoreAbsent(runIp(routeArgs("del", iface, route), this.#options, `Failed to remove route "${route.destination}" from "${iface}"`));
  }

  async setMtu(iface: string, mtu: number): Promise<void> {
    assertInterfaceName(iface);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new LinkError("EINVAL", `Invalid MTU "${mtu}" for "${iface}"`);
    await runIp(["link", "set", "dev", iface, "mtu", String(mtu)], this.#options, `Failed to set MTU "${mtu}" on "${iface}"`);
  }

  /**
   * Reads the link's MTU, addresses (both families, with remaining
   * lifetimes) and main-table routes (both families). Everything the kernel
   * shows is included, also its own routes (`fe80::/64`, prefix routes) and
   * link-local addresses, so a caller sees the real state.
   */
  async snapshot(iface: string): Promise<LinkSnapshot> {
    assertInterfaceName(iface);
    const what = `Failed to read the configuration of "${iface}"`;
    const [links, routes4, routes6] = await Promise.all([
      runIpJson<IpLinkJson>(["addr", "show", "dev", iface], this.#options, what),
      runIpJson<IpRouteJson>(["-4", "route", "show", "dev", iface], this.#options, what),
      runIpJson<IpRouteJson>(["-6", "route", "show", "dev", iface], this.#options, what),
    ]);
    const link = links[0];
    if (link === undefined) throw new LinkError("ENODEV", `${what}: Device "${iface}" does not exist`);
    return {
      interface: link.ifname,
      mtu: link.mtu,
      addresses: addressesFromJson(links),
      routes: [...routesFromJson(routes4, "ipv4"), ...routesFromJson(routes6, "ipv6")],
    };
  }
}

/**
 * The `ip` arguments that add (`replace`) or remove (`del`) `address` on
 * `iface`. IPv4 addresses get `broadcast +` (the prefix's broadcast
 * address). A preferred lifetime longer than the valid one is cut to it,
 * which the kernel demands; an absent lifetime is `forever`.
 */
export function addressArgs(verb: "replace" | "del", iface: string, address: LinkAddress): string[] {
  const family = familyOfAddress(address.address);
  const maxPrefix = family === "ipv6" ? 128 : 32;
  if (!Number.isInteger(address.prefixLength) || address.prefixLength < 0 || address.prefixLength > maxPrefix) {
    throw new LinkError("EINVAL", `Invalid prefix length "${address.prefixLength}" for address "${address.address}"`);
  }
  const args = [family === "ipv6" ? "-6" : "-4", "addr", verb, cidr(address)];
  if (family === "ipv4" && address.prefixLength < 31) args.push("broadcast", "+");
  args.push("dev", iface);
  if (verb === "del") return args;
  const valid = lifetimeArg(address.validLifetime);
  const preferred = lifetimeArg(address.preferredLifetime);
  const preferredCut = valid !== "forever" && (preferred === "forever" || Number(preferred) > Number(valid)) ? valid : preferred;
  args.push("valid_lft", valid, "preferred_lft", preferredCut);
  return args;
}

/**
 * The `ip` arguments that add (`replace`) or remove (`del`) `route` through
 * `iface`. The family comes from the destination (or the gateway for
 * `default`); `0.0.0.0/0` and `::/0` are passed as `default`.
 */
export function routeArgs(verb: "replace" | "del", iface: string, route: LinkRoute): string[] {
  const family = familyOfRoute(route);
  const isDefault = route.destination === "default" || route.destination === "0.0.0.0/0" || route.destination === "::/0";
  const args = [family === "ipv6" ? "-6" : "-4", "route", verb, isDefault ? "default" : route.destination];
  if (route.gateway !== undefined) {
    if (familyOfAddress(route.gateway) !== family) {
      throw new LinkError("EINVAL", `Gateway "${route.gateway}" is not of the family of route "${route.destination}"`);
    }
    args.push("via", route.gateway);
  }
  args.push("dev", iface);
  if (route.metric !== undefined) {
    if (!Number.isInteger(route.metric) || route.metric < 0 || route.metric > INFINITE_LIFETIME) {
      throw new LinkError("EINVAL", `Invalid metric "${route.metric}" for route "${route.destination}"`);
    }
    args.push("metric", String(route.metric));
  }
  return args;
}

function lifetimeArg(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds >= INFINITE_LIFETIME) return "forever";
  return String(Math.max(0, Math.floor(seconds)));
}

function cidr(address: LinkAddress): string {
  return `${address.address}/${address.prefixLength}`;
}

function familyOfAddress(address: string): IpFamily {
  const version = isIP(address.split("%")[0] ?? "");
  if (version === 4) return "ipv4";
  if (version === 6) return "ipv6";
  throw new LinkError("EINVAL", `Invalid IP address "${address}"`);
}

function familyOfRoute(route: LinkRoute): IpFamily {
  if (route.destination === "default") {
    if (route.gateway === undefined) throw new LinkError("EINVAL", `Route "default" needs a gateway or a CIDR destination ("0.0.0.0/0", "::/0")`);
    return familyOfAddress(route.gateway);
  }
  const [network, prefix, ...rest] = route.destination.split("/");
  const family = familyOfAddress(network ?? "");
  const max = family === "ipv6" ? 128 : 32;
  if (rest.length > 0 || (prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= max))) {
    throw new LinkError("EINVAL", `Invalid route destination "${route.destination}"`);
  }
  return family;
}

const ERRNO_CODES: Readonly<Record<string, LinkErrorCode>> = {
  ENODEV: "ENODEV",
  EPERM: "EPERM",
  EACCES: "EPERM",
  EEXIST: "EEXIST",
  ESRCH: "ESRCH",
  EADDRNOTAVAIL: "ESRCH",
  EINVAL: "EINVAL",
  ENETUNREACH: "ENETUNREACH",
};

// The LinkErrorCode of a system error from the addon, as linkErrorCodeFromStderr gives for ip's message.
function linkErrorCodeFromErrno(error: unknown): LinkErrorCode {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (typeof code === "string" ? ERRNO_CODES[code] : undefined) ?? "IP_FAILED";
}

async function ignoreAbsent(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (error instanceof LinkError && error.code === "ESRCH") return;
    throw error;
  }
}
