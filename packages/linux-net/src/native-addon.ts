// Loads the package's native addon (native/*.c, built by
// node-gyp at install into build/Release), once, and remembers why it
// could not be loaded so callers can say so instead of crashing.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

declare const nativeSocketBrand: unique symbol;

/** An open socket of the addon: an opaque handle only the addon reads. */
export type NativeSocketHandle = { readonly [nativeSocketBrand]: true };

/** A main-table route as the addon's listRoutes reads it (`ip route show dev IF`). */
export interface NativeRoute {
  readonly family: 4 | 6;
  /** Network address; `0.0.0.0` or `::` with prefix length 0 for a default route. */
  readonly destination: string;
  readonly prefixLength: number;
  readonly gateway?: string;
  /** Present when the kernel reports one (always for IPv6, for IPv4 when not 0), as ip prints it. */
  readonly metric?: number;
  /** RT_SCOPE_*, RTPROT_* and RTN_* numbers. */
  readonly scope: number;
  readonly protocol: number;
  readonly type: number;
}

/** An address as the addon's listAddresses reads it (`ip addr show dev IF`). */
export interface NativeAddress {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  /** RT_SCOPE_* number and IFA_F_* flags. */
  readonly scope: number;
  readonly flags: number;
  /** Seconds; 0xffffffff for forever. */
  readonly validLifetime: number;
  readonly preferredLifetime: number;
}

/**
 * The addon's functions, as native/addon.c registers them. Internal to
 * this package. String arguments are checked in C too: one longer than its
 * C buffer (an interface name over 15 bytes, an address over
 * INET6_ADDRSTRLEN - 1) or holding a NUL throws a RangeError with code
 * `ERR_INVALID_ARG_VALUE`, never a truncated call. The rtnetlink functions
 * take an optional last `netns` (an fd from openNetns): the netlink
 * socket and the interface lookup are then made in that namespace
 * (setns in and back within the call); without it, in the thread's own.
 * After `netns` they take an optional `socket`, an fd of openRtnetlink:
 * the exchange then goes over it, with no setns and no socket of its own
 * (the interface is looked up through it too).
 */
export interface NativeAddon {
  /**
   * Opens a UDP/IPv4 socket with SO_REUSEADDR, SO_BROADCAST and
   * SO_BINDTODEVICE(`iface`), bound to 0.0.0.0:`port`. Throws a system
   * error (`code` ENODEV, EACCES, EADDRINUSE...). `onError` gets, once, the
   * error the kernel failed the socket with (POLLERR); the socket then
   * receives nothing more. Addons built before onError existed ignore it.
   * With `netns` (an fd from openNetns) the socket is made inside that
   * network namespace and the thread comes back in the same call; addons
   * without openNetns would ignore it, so callers check for openNetns.
   */
  open(
    iface: string,
    port: number,
    onMessage: (bytes: Buffer, address: string, port: number) => void,
    onError?: (error: NodeJS.ErrnoException) => void,
    netns?: number,
  ): NativeSocketHandle;
  /**
   * Opens a UDP/IPv6 socket (SO_REUSEADDR, IPV6_V6ONLY, IPV6_MULTICAST_IF of
   * `iface`) bound to [`localAddress`]:`port`, a link-local address scoped
   * to `iface`, made in the namespace of fd `netns` when given. Link-scoped
   * destinations of `send` go out of `iface`; link-scoped sources arrive as
   * "fe80::...%iface". Throws a system error (`code` ENODEV from
   * if_nametoindex, EADDRNOTAVAIL...). Missing from addons built before it was added.
   */
  open6?(
    iface: string,
    localAddress: string,
    port: number,
    onMessage: (bytes: Buffer, address: string, port: number) => void,
    onError?: (error: NodeJS.ErrnoException) => void,
    netns?: number,
  ): NativeSocketHandle;
  /**
   * Opens a netlink socket subscribed to link and address notices
   * (RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR) in the namespace
   * of fd `netns` when given, watched on Node's loop. `onMessage` gets each
   * notice datagram from the kernel (others are dropped) and an empty one
   * when the queue overflowed and notices were lost. Close it with close().
   * Missing from addons built before it was added.
   */
  watchNetlink?(onMessage: (bytes: Buffer) => void, onError?: (error: NodeJS.ErrnoException) => void, netns?: number): NativeSocketHandle;
  /**
   * Watches process `pid` through a pidfd (pidfd_open, Linux 5.3): `onExit`
   * runs once, when it exits, with no timer before. Close it with close().
   * Throws a system error (`code` ESRCH: no such process, ENOSYS: an older
   * kernel). Missing from addons built before it was added.
   */
  watchPidExit?(pid: number, onExit: () => void, onError?: (error: NodeJS.ErrnoException) => void): NativeSocketHandle;
  /**
   * Opens an ARP packet socket (AF_PACKET, SOCK_DGRAM, ETH_P_ARP) bound to
   * `iface`, made in the namespace of fd `netns` when given. `onMessage`
   * gets each ARP packet received (without the Ethernet header) and its
   * source MAC ("02:16:3e:aa:bb:cc"); frames this host sends are not
   * delivered. Throws a system error (`code` ENODEV from if_nametoindex,
   * EPERM without CAP_NET_RAW). Missing from addons built before it was added.
   */
  openArp?(
    iface: string,
    onMessage: (bytes: Buffer, sourceMac: string, port: number) => void,
    onError?: (error: NodeJS.ErrnoException) => void,
    netns?: number,
  ): NativeSocketHandle;
  /** Broadcasts one ARP packet (1 to 1500 bytes, no Ethernet header) on a socket of openArp; throws a system error. */
  sendArp?(handle: NativeSocketHandle, bytes: Uint8Array): void;
  /** The bound port. */
  localPort(handle: NativeSocketHandle): number;
  /** Sends one datagram at once (sendto); throws a system error (`code` ENETUNREACH, EAGAIN...). */
  send(handle: NativeSocketHandle, bytes: Uint8Array, address: string, port: number): void;
  /**
   * UDP/IPv4 only: attaches a kernel socket filter keeping only BOOTP/DHCP
   * messages whose chaddr is `mac` (6 bytes). Missing from addons built
   * before it was added.
   */
  filterChaddr?(handle: NativeSocketHandle, mac: Uint8Array): void;
  /** Starts closing; `onClosed` runs once the fd is closed. False when already closing. */
  close(handle: NativeSocketHandle, onClosed?: () => void): boolean;
  /**
   * Moves the main thread into the network namespace at `path` (setns with
   * CLONE_NEWNET). Throws a system error (`code` ENOENT, EINVAL, EPERM), or
   * `ERR_NOT_MAIN_THREAD` on another thread. Missing from addons built
   * before it was added.
   */
  enterNetns?(path: string): void;
  /**
   * Opens the network namespace at `path` with enterNetns's checks, without
   * entering it: an fd (close-on-exec) the caller closes. Throws a system
   * error (`code` ENOENT, EINVAL, EPERM). Missing from addons built before it was added.
   */
  openNetns?(path: string): number;
  /**
   * Opens an rtnetlink socket inside the network namespace of fd `netns`
   * (the thread's own without it), connected to the kernel: an fd
   * (close-on-exec) the caller closes with `fs.closeSync`, to pass as the
   * `socket` argument of the rtnetlink functions. Throws a system error.
   * Missing from addons built before it was added.
   */
  openRtnetlink?(netns?: number): number;
  /**
   * Reads link `name` with RTM_GETLINK: index, name, ARPHRD_* type, IFF_*
   * flags (IFF_LOWER_UP included), MTU, hardware address, and how often
   * the carrier came and went (Linux 4.16 and later, and addons built
   * since). Throws a system error (`code` ENODEV). Missing from addons
   * built before it was added.
   */
  linkInfo?(
    name: string,
    netns?: number,
    socket?: number,
  ): { index: number; name: string; type: number; flags: number; mtu: number; address: Buffer; carrierUpCount?: number; carrierDownCount?: number };
  /**
   * Adds or updates (RTM_NEWADDR, create + replace) `address`/`prefixLength`
   * on link `name` with the lifetimes in seconds (0xffffffff: forever),
   * with the prefix's broadcast address when `broadcast` (IPv4). Throws a
   * system error (`code` ENODEV, EPERM, EINVAL...). Missing from addons
   * built before it was added.
   */
  replaceAddress?(
    name: string,
    address: string,
    prefixLength: number,
    validLifetime: number,
    preferredLifetime: number,
    broadcast: boolean,
    netns?: number, socket?: number,
  ): void;
  /** Removes `address`/`prefixLength` from link `name` (RTM_DELADDR). Throws a system error (`code` ENODEV, EADDRNOTAVAIL when absent). */
  deleteAddress?(name: string, address: string, prefixLength: number, netns?: number, socket?: number): void;
  /** The addresses of link `name`, both families (RTM_GETADDR dump). Throws a system error (`code` ENODEV). */
  listAddresses?(name: string, netns?: number, socket?: number): NativeAddress[];
  /**
   * Adds or replaces a main-table route through link `name` (RTM_NEWROUTE
   * as `ip route replace` sends it: protocol boot, scope link without
   * gateway for IPv4). `gateway`/`metric` null when absent. Throws a system
   * error (`code` ENODEV, ENETUNREACH, EINVAL...).
   */
  replaceRoute?(name: string, destination: string, prefixLength: number, gateway: string | null, metric: number | null, netns?: number, socket?: number): void;
  /** Removes a route as `ip route del` does (RTM_DELROUTE). Throws a system error (`code` ENODEV, ESRCH when absent). */
  deleteRoute?(name: string, destination: string, prefixLength: number, gateway: string | null, metric: number | null, netns?: number, socket?: number): void;
  /** The main-table routes through link `name` of one family (RTM_GETROUTE dump). Throws a system error (`code` ENODEV). */
  listRoutes?(name: string, family: 4 | 6, netns?: number, socket?: number): NativeRoute[];
  /** Sets the MTU of link `name` (RTM_NEWLINK). Throws a system error (`code` ENODEV, EINVAL). */
  setMtu?(name: string, mtu: number, netns?: number, socket?: number): void;
  /**
   * Reads /proc/sys/net/ipv6/conf/`iface`/`name`, opened inside the
   * namespace of fd `netns` when given (the file belongs to its opener's
   * namespace), without the trailing newline. Refuses (RangeError) an
   * interface name that is not one interface (`all`, `default`, `.`, `..`,
   * '/', ':', white space) and a setting name other than [a-z][a-z0-9_]*.
   * Throws a system error (`code` ENODEV, ENOENT for an unknown setting).
   * Missing from addons built before it was added.
   */
  readIpv6Sysctl?(iface: string, name: string, netns?: number): string;
  /** Writes `value` to the file readIpv6Sysctl reads, with its checks; EINVAL when the kernel refuses the value. */
  writeIpv6Sysctl?(iface: string, name: string, value: string, netns?: number): void;
  /**
   * The pid, uid and gid the kernel recorded for the peer of connected unix
   * socket `fd` when it connected (SO_PEERCRED). Throws a system error
   * (`code` EBADF, ENOTSOCK, ENOTCONN). Missing from addons built before it was added.
   */
  peerCredentials?(fd: number): { pid: number; uid: number; gid: number };
}

/**
 * Whether the native addon of `@incusx/linux-net` loaded, and if not, why
 * (not built, built for another Node.js or architecture, not Linux).
 */
export type NativeAddonStatus = { readonly loaded: true } | { readonly loaded: false; readonly reason: string };

/** Where node-gyp puts the addon; `src/` and `dist/` both sit one level below the package root. */
export const NATIVE_ADDON_PATH: string = fileURLToPath(new URL("../build/Release/incusx_linux_net.node", import.meta.url));

const BUILD_HINT =
  'build it with "pnpm install" (the package\'s install script) or "pnpm --filter @incusx/linux-net run build:native", ' +
  "which need python3, make and a C compiler";

/** The outcome of {@link loadNativeAddon}. */
export type NativeAddonLoad = { readonly addon: NativeAddon } | { readonly addon?: undefined; readonly reason: string };

/**
 * Loads the addon at `path` on `platform` (both default to the real ones;
 * tests pass others) and says why when it cannot. Never throws.
 */
export function loadNativeAddon(path: string = NATIVE_ADDON_PATH, platform: NodeJS.Platform = process.platform): NativeAddonLoad {
  if (platform !== "linux") {
    return { reason: `The native addon of @incusx/linux-net works on Linux only (this is "${platform}")` };
  }
  if (!existsSync(path)) {
    return { reason: `The native addon of @incusx/linux-net is not built ("${path}" does not exist): ${BUILD_HINT}` };
  }
  let exports: unknown;
  try {
    exports = createRequire(import.meta.url)(path);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    const abi = /NODE_MODULE_VERSION|ELF|undefined symbol|architecture|cannot open shared object/i.test(message ?? "");
    const what = abi
      ? `was built for another Node.js or architecture (this is Node.js ${process.version}, ${process.arch})`
      : "failed to load";
    return { reason: `The native addon of @incusx/linux-net at "${path}" ${what}: ${message}; re${BUILD_HINT}` };
  }
  const missing = (["open", "localPort", "send", "close"] as const).filter(
    (name) => typeof (exports as Record<string, unknown> | null)?.[name] !== "function",
  );
  if (missing.length > 0) {
    return { reason: `The file "${path}" is not the native addon of @incusx/linux-net (no "${missing.join('", "')}"); re${BUILD_HINT}` };
  }
  return { addon: exports as NativeAddon };
}

let loaded: NativeAddonLoad | undefined;

/** The addon of this installation, loaded on first use. Internal to this package. */
export function nativeAddon(): NativeAddonLoad {
  loaded ??= loadNativeAddon();
  return loaded;
}

/**
 * Whether the native addon behind {@link openUdp4DeviceSocket} (the DHCPv4
 * socket) loaded here, and if not, why. A DHCPv4 runner checks it to fail
 * with a clear message while DHCPv6, which needs no addon, keeps working.
 *
 * @example
 * const status = nativeAddonStatus();
 * if (!status.loaded) logger.warn(`DHCPv4 disabled: ${status.reason}`);
 */
export function nativeAddonStatus(): NativeAddonStatus {
  const result = nativeAddon();
  return result.addon !== undefined ? { loaded: true } : { loaded: false, reason: result.reason };
}
