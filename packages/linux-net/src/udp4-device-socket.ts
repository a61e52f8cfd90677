import { isIP } from "node:net";
import { LinkError } from "./errors.js";
import { assertInterfaceName } from "./ip-command.js";
import { nativeAddon, type NativeAddon, type NativeSocketHandle } from "./native-addon.js";
import { NativeSocket } from "./native-socket.js";
import { withNetns, type NetnsRef } from "./netns.js";

/** UDP port DHCPv4 clients listen on (RFC 2131 section 4.1). */
export const DHCPV4_CLIENT_PORT = 68;
/** UDP port DHCPv4 servers and relays listen on (RFC 2131 section 4.1). */
export const DHCPV4_SERVER_PORT = 67;
/** The limited broadcast address a DHCPv4 client sends to before it has an address. */
export const IPV4_BROADCAST = "255.255.255.255";

/** Where a datagram came from. */
export interface Udp4Peer {
  /** Source address, dotted quad. */
  readonly address: string;
  /** Source port. */
  readonly port: number;
}

/** A UDP/IPv4 socket bound to one interface, usable before the interface has any IPv4 address or route. */
export interface Udp4DeviceSocket {
  /** The interface the socket is bound to. */
  readonly iface: string;
  /** The bound local port (the one asked for, or the one the kernel picked for port 0). */
  readonly localPort: number;
  /**
   * Sends one datagram out of the socket's interface: to 255.255.255.255
   * (no address or route needed) or to a unicast server. Resolves once the
   * kernel queued it; rejects with a system error (`code` `ENETUNREACH`
   * for a unicast address with no route, `EAGAIN` when the send buffer is
   * full) or when the socket is closed.
   */
  send(bytes: Uint8Array, address: string, port: number): Promise<void>;
  /** Calls `listener` for every datagram received from now on, until the returned handle is closed. */
  onMessage(listener: (bytes: Uint8Array, from: Udp4Peer) => void): { close(): void };
  /**
   * Calls `listener` once if the socket fails for good: the kernel fails it
   * (POLLERR, e.g. `ECONNABORTED` when it is destroyed with `ss -K`; a
   * system error with `syscall` "poll"), or a send finds its interface gone
   * (`ENODEV`; the binding keeps the old interface index, so even a
   * re-created link of the same name is not reached). The socket then
   * refuses to send; its owner closes it and opens a new one. A listener
   * added after the failure is called at once (in a microtask).
   */
  onError(listener: (error: NodeJS.ErrnoException) => void): { close(): void };
  /** Closes the socket and releases its port; harmless twice. */
  close(): Promise<void>;
}

/** Options of {@link openUdp4DeviceSocket}. */
export interface Udp4DeviceSocketOptions {
  /** Interface to bind to (SO_BINDTODEVICE), in the network namespace the socket is made in. */
  readonly iface: string;
  /** Local port: 68 for a DHCPv4 client; 0 lets the kernel pick one. */
  readonly port: number;
  /**
   * The network namespace to make the socket in: one held by fd (a
   * `NetnsRef`, e.g. from `openNetns`), or a name or path, opened for the
   * call and closed again; default: the calling thread's. The thread
   * enters it, makes the socket and comes back within one synchronous
   * native call; the socket then works from here, in that namespace.
   */
  readonly netns?: string | NetnsRef;
  /**
   * A DHCPv4 client's hardware address (6 bytes): the kernel then drops
   * every datagram but BOOTP/DHCP messages whose chaddr is this address (a
   * socket filter), so the broadcast replies to other clients on the link
   * never wake this process. An optimisation only: the client still checks
   * each reply, and an addon built before the filter existed opens the
   * socket without it.
   */
  readonly chaddr?: Uint8Array;
}

/**
 * Opens the socket a DHCPv4 client needs: UDP/IPv4 bound to 0.0.0.0:`port`
 * and to device `iface` (SO_BINDTODEVICE), with SO_BROADCAST and
 * SO_REUSEADDR. Bound to the device, it sends to 255.255.255.255 out of
 * `iface` even while the interface has no IPv4 address and no route,
 * where `node:dgram` fails with ENETUNREACH; it receives the server's
 * broadcast replies (set the BOOTP broadcast flag) and, once configured,
 * unicast ones. Clients on other interfaces can bind the same port.
 *
 * It runs on a small native addon (the socket is watched by libuv on
 * Node's loop). Rejects with a {@link LinkError} `ADDON_UNAVAILABLE` when
 * the addon is not built or does not load (see `nativeAddonStatus()`),
 * `EINVAL` for a bad interface name or port, and otherwise with the system
 * error (`code` `ENODEV` for an unknown interface, `EACCES` or `EPERM`
 * without CAP_NET_BIND_SERVICE/CAP_NET_RAW, `syscall` "setns" when the
 * namespace cannot be entered). With `netns`, a closed handle is a
 * {@link LinkError} `EINVAL`, a name or path that is no namespace one of
 * `openNetns`'s, and whatever fails, the thread is back in its own
 * namespace when this returns.
 *
 * @example
 * const socket = await openUdp4DeviceSocket({ iface: "eth0", port: DHCPV4_CLIENT_PORT });
 * socket.onMessage((bytes, from) => handle(decodeDhcpv4(bytes), from));
 * await socket.send(encodeDhcpv4(discover), IPV4_BROADCAST, DHCPV4_SERVER_PORT);
 */
export async function openUdp4DeviceSocket(options: Udp4DeviceSocketOptions): Promise<Udp4DeviceSocket> {
  const { iface, port, netns } = options;
  const loaded = nativeAddon();
  if (loaded.addon === undefined) {
    throw new LinkError("ADDON_UNAVAILABLE", `Cannot open a UDP/IPv4 socket on interface "${iface}": ${loaded.reason}`);
  }
  assertInterfaceName(iface);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LinkError("EINVAL", `Invalid UDP port "${port}"`);
  }
  const { chaddr } = options;
  if (chaddr !== undefined && (!(chaddr instanceof Uint8Array) || chaddr.length !== 6)) {
    throw new LinkError("EINVAL", "The chaddr filter takes a 6-byte hardware address");
  }
  const filter = chaddr === undefined ? undefined : loaded.addon.filterChaddr?.bind(loaded.addon);
  const open = (fd: number | undefined): NativeUdpSocket =>
    new NativeUdpSocket(loaded.addon, iface, 4, (onMessage, onError) => {
      const handle = loaded.addon.open(iface, port, onMessage, onError, fd);
      if (filter !== undefined) {
        try {
          filter(handle, chaddr!);
        } catch (error) {
          loaded.addon.close(handle);
          throw error;
        }
      }
      return handle;
    });
  if (netns === undefined) return open(undefined);
  if (typeof loaded.addon.openNetns !== "function") {
    // An older addon would ignore the namespace and open the socket here.
    throw new LinkError("ADDON_UNAVAILABLE", `Cannot open a UDP/IPv4 socket on interface "${iface}" in "${typeof netns === "string" ? netns : netns.path}": the native addon predates namespaces`);
  }
  return withNetns(netns, (ref) => open(ref.fd));
}

/**
 * A UDP socket of the addon (IPv4 device-bound, or IPv6 made in another
 * namespace). Internal to this package.
 */
export class NativeUdpSocket extends NativeSocket<Udp4Peer> implements Udp4DeviceSocket {
  readonly localPort: number;
  readonly #family: 4 | 6;

  constructor(
    addon: NativeAddon,
    iface: string,
    family: 4 | 6,
    open: (onMessage: (bytes: Buffer, address: string, port: number) => void, onError: (error: NodeJS.ErrnoException) => void) => NativeSocketHandle,
  ) {
    super(addon, iface, `The UDP/IPv${family} socket on interface "${iface}"`, open, (address, port) => ({ address, port }));
    this.#family = family;
    this.localPort = addon.localPort(this.handle);
  }

  send(bytes: Uint8Array, address: string, port: number): Promise<void> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    // IPv6: the addon scopes link-local destinations to the socket's interface; another zone is refused.
    const [bare = "", zone] = this.#family === 6 ? address.split("%") : [address];
    if (isIP(bare) !== this.#family || (zone !== undefined && zone !== this.iface)) {
      return Promise.reject(new TypeError(`Invalid IPv${this.#family} address "${address}"`));
    }
    return this.sendNow(() => this.addon.send(this.handle, bytes, bare, port));
  }

  onMessage(listener: (bytes: Uint8Array, from: Udp4Peer) => void): { close(): void } {
    return this.listen(listener);
  }
}
