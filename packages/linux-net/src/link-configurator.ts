import { closeSync } from "node:fs";
import { isIP } from "node:net";
import { LinkError, type LinkErrorCode } from "./errors.js";
import { assertInterfaceName, netnsRefOf, runIp, runIpJson, type IpOptions } from "./ip-command.js";
import { nativeAddon, type NativeAddon, type NativeAddress } from "./native-addon.js";
import type { NetnsRef } from "./netns.js";
import { addressesFromJson, lifetimeFromJson, routesFromJson, INFINITE_LIFETIME, type IpLinkJson, type IpRouteJson } from "./ip-json.js";
import type { IpFamily, LinkAddress, LinkRoute, LinkSnapshot } from "./link-types.js";

/**
 * Options of an {@link IpRoute2LinkConfigurator}: `ipCommand` and `netns`.
 * With `netns` a namespace held by fd (`openNetns`, a `NetnsRef`) every
 * call works over rtnetlink in-process: the process stays where it is.
 * The configurator makes one netlink socket inside the namespace at its
 * first call and keeps it for every later exchange (and interface
 * lookup), so a call needs no setns and no socket of its own, until
 * {@link IpRoute2LinkConfigurator.close}. That needs the native addon (else
 * `ADDON_UNAVAILABLE`, never `ip` in the wrong namespace) and cannot be
 * combined with `ipCommand` (`EINVAL`, thrown by the constructor).
 */
export type IpRoute2LinkConfiguratorOptions = IpOptions;

/**
 * The SDK's `LinkConfigurator` on iproute2: addresses, routes and MTU of an
 * interface in the current network namespace (or `options.netns`), read
 * back with `ip -json`. Every change is idempotent: addresses and routes
 * use `replace` (so a renew updates lifetimes in place), removing something
 * absent succeeds. Failures are {@link LinkError}s (a missing interface is
 * `ENODEV`, also on removal).
 *
 * When the native addon is built and no `ipCommand` or `netns` is
 * configured, every operation goes over rtnetlink in-process, sending the
 * request `ip` would send (`ip addr replace/del`, `ip route replace/del`,
 * `ip link set mtu`) and reading back what `ip -json addr/route show`
 * reads, so applying a DHCP lease starts no process however many routes
 * it carries. Otherwise (or with an addon built before an operation
 * existed) the operation runs `ip`.
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
  readonly #netns: NetnsRef | undefined;
  // The netlink socket kept in #netns (an fd), once made; "closed" after close().
  #socket: number | "closed" | undefined;

  constructor(options: IpRoute2LinkConfiguratorOptions = {}) {
    this.#netns = netnsRefOf(options);
    this.#options = options;
  }

  /**
   * Closes the netlink socket kept in the namespace, if one was made. Calls
   * made afterwards still work, each with a socket of its own (as with an
   * addon older than `openRtnetlink`). Harmless twice.
   */
  close(): void {
    const socket = this.#socket;
    this.#socket = "closed";
    if (typeof socket === "number") closeSync(socket);
  }

  /** Whether a netlink socket is kept open in the namespace now; for tests and diagnostics. */
  get keepsSocket(): boolean {
    return typeof this.#socket === "number";
  }

  // The kept socket, made at the first call; undefined where there is none to keep.
  #keptSocket(addon: NativeAddon, netnsFd: number): number | undefined {
    if (this.#socket === undefined && addon.openRtnetlink !== undefined) {
      try {
        this.#socket = addon.openRtnetlink(netnsFd);
      } catch {
        // Each call then makes its own socket, and says what fails.
        return undefined;
      }
    }
    return typeof this.#socket === "number" ? this.#socket : undefined;
  }

  // The addon when this configurator may use it: built, and no ipCommand or netns asking for ip.
  // With a namespace handle, its calls carry the handle's fd.
  #native(): NativeAddon | undefined {
    const netns = this.#netns;
    if (netns !== undefined) {
      const addon = nativeAddon().addon;
      if (addon?.openNetns === undefined) {
        // ip would run in this namespace, not the handle's.
        throw new LinkError("ADDON_UNAVAILABLE", `Cannot configure links in "${netns.path}": the native addon is missing or predates namespaces`);
      }
      // Read per call: a closed handle fails with EINVAL, kept socket or not.
      const fd = netns.fd;
      return addonInNetns(addon, fd, this.#keptSocket(addon, fd));
    }
    return this.#options.ipCommand === undefined && this.#options.netns === undefined ? nativeAddon().addon : undefined;
  }

  // The addon's call `native` when the addon has the operation, else `ip ARGS`; either way a LinkError.
  async #apply(args: readonly string[], what: string, native: (() => void) | undefined): Promise<void> {
    if (native === undefined) {
      if (this.#netns !== undefined) throw new LinkError("ADDON_UNAVAILABLE", `${what}: the native addon lacks the operation`);
      await runIp(args, this.#options, what);
    } else {
      callNative(what, native);
    }
  }

  async addAddress(iface: string, address: LinkAddress): Promise<void> {
    assertInterfaceName(iface);
    const args = addressArgs("replace", iface, address);
    const what = `Failed to add address "${cidr(address)}" to "${iface}"`;
    const replace = this.#native()?.replaceAddress;
    // The lifetimes exactly as addressArgs gives them to ip.
    const lifetime = (name: string): number => {
      const value = args[args.indexOf(name) + 1];
      return value === "forever" ? INFINITE_LIFETIME : Number(value);
    };
    await this.#apply(
      args,
      what,
      replace &&
        (() => replace(iface, address.address, address.prefixLength, lifetime("valid_lft"), lifetime("preferred_lft"), args.includes("broadcast"))),
    );
  }

  async removeAddress(iface: string, address: LinkAddress): Promise<void> {
    assertInterfaceName(iface);
    const args = addressArgs("del", iface, address);
    const what = `Failed to remove address "${cidr(address)}" from "${iface}"`;
    const remove = this.#native()?.deleteAddress;
    await ignoreAbsent(this.#apply(args, what, remove && (() => remove(iface, address.address, address.prefixLength))));
  }

  async addRoute(iface: string, route: LinkRoute): Promise<void> {
    assertInterfaceName(iface);
    const args = routeArgs("replace", iface, route);
    const what = `Failed to add route "${route.destination}" to "${iface}"`;
    const replace = this.#native()?.replaceRoute;
    const { network, prefixLength } = routeDestination(route);
    await this.#apply(args, what, replace && (() => replace(iface, network, prefixLength, route.gateway ?? null, route.metric ?? null)));
  }

  async removeRoute(iface: string, route: LinkRoute): Promise<void> {
    assertInterfaceName(iface);
    const args = routeArgs("del", iface, route);
    const what = `Failed to remove route "${route.destination}" from "${iface}"`;
    const remove = this.#native()?.deleteRoute;
    const { network, prefixLength } = routeDestination(route);
    await ignoreAbsent(this.#apply(args, what, remove && (() => remove(iface, network, prefixLength, route.gateway ?? null, route.metric ?? null))));
  }

  async setMtu(iface: string, mtu: number): Promise<void> {
    assertInterfaceName(iface);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new LinkError("EINVAL", `Invalid MTU "${mtu}" for "${iface}"`);
    const what = `Failed to set MTU "${mtu}" on "${iface}"`;
    const set = this.#native()?.setMtu;
    await this.#apply(["link", "set", "dev", iface, "mtu", String(mtu)], what, set && (() => set(iface, mtu)));
  }

  /**
   * Reads the link's addresses (both families, with remaining lifetimes),
   * as {@link IpRoute2LinkConfigurator.snapshot} does, without its MTU and
   * routes: over rtnetlink one dump instead of four, for a caller checking
   * that the addresses it added are on the link.
   */
  async addresses(iface: string): Promise<LinkSnapshot["addresses"]> {
    assertInterfaceName(iface);
    const what = `Failed to read the addresses of "${iface}"`;
    const list = this.#native()?.listAddresses;
    if (list === undefined) return (await this.snapshot(iface)).addresses;
    return callNative(what, () => list(iface)).map(addressOfNative);
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
    const addon = this.#native();
    if (addon?.linkInfo !== undefined && addon.listAddresses !== undefined && addon.listRoutes !== undefined) {
      return nativeSnapshot(addon as Required<NativeAddon>, iface, what);
    }
    if (this.#netns !== undefined) throw new LinkError("ADDON_UNAVAILABLE", `${what}: the native addon lacks the operation`);
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

/**
 * The network address and prefix length of a route's destination, as the
 * addon takes them: `default` and `0.0.0.0/0` are `0.0.0.0`/0 (or `::`/0),
 * an address without a length is a host route (/32, /128), as for ip.
 */
function routeDestination(route: LinkRoute): { network: string; prefixLength: number } {
  const family = familyOfRoute(route);
  const bits = family === "ipv6" ? 128 : 32;
  if (route.destination === "default") return { network: family === "ipv6" ? "::" : "0.0.0.0", prefixLength: 0 };
  const [network = "", prefix] = route.destination.split("/");
  return { network, prefixLength: prefix === undefined ? bits : Number(prefix) };
}

// The addon's rtnetlink calls, each with the namespace fd `netns` and the
// kept socket (undefined: none) as its last arguments.
function addonInNetns(addon: NativeAddon, netns: number, socket: number | undefined): NativeAddon {
  const { linkInfo, setMtu, replaceAddress, deleteAddress, listAddresses, replaceRoute, deleteRoute, listRoutes } = addon;
  return {
    ...addon,
    linkInfo: linkInfo && ((name) => linkInfo(name, netns, socket)),
    setMtu: setMtu && ((name, mtu) => setMtu(name, mtu, netns, socket)),
    replaceAddress: replaceAddress && ((name, address, prefix, valid, preferred, broadcast) => replaceAddress(name, address, prefix, valid, preferred, broadcast, netns, socket)),
    deleteAddress: deleteAddress && ((name, address, prefix) => deleteAddress(name, address, prefix, netns, socket)),
    listAddresses: listAddresses && ((name) => listAddresses(name, netns, socket)),
    replaceRoute: replaceRoute && ((name, destination, prefix, gateway, metric) => replaceRoute(name, destination, prefix, gateway, metric, netns, socket)),
    deleteRoute: deleteRoute && ((name, destination, prefix, gateway, metric) => deleteRoute(name, destination, prefix, gateway, metric, netns, socket)),
    listRoutes: listRoutes && ((name, family) => listRoutes(name, family, netns, socket)),
  };
}

// A LinkSnapshot read with the addon: the same as snapshot() reads with ip.
function nativeSnapshot(addon: Required<NativeAddon>, iface: string, what: string): LinkSnapshot {
  const [link, addresses, routes4, routes6] = callNative(what, () => [
    addon.linkInfo(iface),
    addon.listAddresses(iface),
    addon.listRoutes(iface, 4),
    addon.listRoutes(iface, 6),
  ] as const);
  return {
    interface: link.name,
    mtu: link.mtu,
    addresses: addresses.map(addressOfNative),
    routes: [...routes4, ...routes6].map((r) => ({
      family: familyOfVersion(r.family),
      destination: `${r.destination}/${r.prefixLength}`,
      ...(r.gateway === undefined ? {} : { gateway: r.gateway }),
      ...(r.metric === undefined ? {} : { metric: r.metric }),
    })),
  };
}

function familyOfVersion(version: 4 | 6): IpFamily {
  return version === 6 ? "ipv6" : "ipv4";
}

// An address as the addon lists it, as a snapshot shows it (lifetimes as ip -json gives them).
function addressOfNative(a: NativeAddress): LinkSnapshot["addresses"][number] {
  const preferred = lifetimeFromJson(a.preferredLifetime);
  const valid = lifetimeFromJson(a.validLifetime);
  return {
    family: familyOfVersion(a.family),
    address: a.address,
    prefixLength: a.prefixLength,
    ...(preferred === undefined ? {} : { preferredLifetime: preferred }),
    ...(valid === undefined ? {} : { validLifetime: valid }),
  };
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
  // The addon's refusal of a malformed argument (a name over 15 bytes, a NUL).
  ERR_INVALID_ARG_VALUE: "EINVAL",
  ERR_INVALID_ARG_TYPE: "EINVAL",
  ENETUNREACH: "ENETUNREACH",
  EHOSTUNREACH: "ENETUNREACH",
};

// Runs an addon call, turning its error into the LinkError ip's would give.
function callNative<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new LinkError(linkErrorCodeFromErrno(error), `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

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
