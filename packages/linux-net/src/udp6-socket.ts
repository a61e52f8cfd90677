import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";
import { LinkError } from "./errors.js";
import { assertInterfaceName } from "./ip-command.js";
import { nativeAddon } from "./native-addon.js";
import { withNetns, type NetnsRef } from "./netns.js";
import { NativeUdpSocket } from "./udp4-device-socket.js";

/** UDP port DHCPv6 clients listen on (RFC 8415 section 7.2). */
export const DHCPV6_CLIENT_PORT = 546;
/** UDP port DHCPv6 servers and relays listen on (RFC 8415 section 7.2). */
export const DHCPV6_SERVER_PORT = 547;
/** All_DHCP_Relay_Agents_and_Servers, the link-scoped multicast group a client sends to (RFC 8415 section 7.1). */
export const ALL_DHCP_SERVERS = "ff02::1:2";

/** Where a datagram came from. */
export interface Udp6Peer {
  /** Source address; link-local and multicast ones carry their zone (`fe80::1%eth0`), as Node reports them. */
  readonly address: string;
  /** Source port. */
  readonly port: number;
}

/** A UDP/IPv6 socket bound to one interface. */
export interface Udp6Socket {
  /**
   * Sends one datagram. A link-local (fe80::/10) or multicast (ff00::/8)
   * `address` without a zone is sent through the socket's interface.
   */
  send(bytes: Uint8Array, address: string, port: number): Promise<void>;
  /** Calls `listener` for every datagram received from now on, until the returned handle is closed. */
  onMessage(listener: (bytes: Uint8Array, from: Udp6Peer) => void): { close(): void };
  /** Closes the socket; harmless twice. */
  close(): Promise<void>;
}

/** Options of {@link openUdp6Socket}. */
export interface Udp6SocketOptions {
  /** Interface the socket belongs to; also the zone of link-local and multicast peers. */
  readonly iface: string;
  /** Local address to bind (the interface's link-local address for a DHCPv6 client), without zone. */
  readonly localAddress: string;
  /** Local port (546 for a DHCPv6 client). */
  readonly port: number;
  /**
   * The network namespace to make the socket in, through the native
   * addon: one held by fd (a `NetnsRef`, e.g. from `openNetns`), or a name
   * or path, opened for the call and closed again. The thread enters it,
   * makes and binds the socket and comes back within one synchronous
   * call, and the socket works from here. Default: `node:dgram` in the
   * calling process's namespace. With it, `localAddress` carries no zone
   * (or `%iface`), and `iface` is the namespace's interface.
   */
  readonly netns?: string | NetnsRef;
}

/**
 * Opens a UDP/IPv6 socket bound to `localAddress%iface` and `port`, with
 * SO_REUSEADDR so a restarted client can bind again at once. This is all a
 * DHCPv6 client needs from the kernel: unicast replies come to the bound
 * link-local address, and sending to `ff02::1:2%iface` picks the link.
 * Rejects with Node's error (`EADDRNOTAVAIL` while the address is still
 * tentative, `EACCES` below port 1024 without privileges).
 *
 * @example
 * const socket = await openUdp6Socket({ iface: "eth0", localAddress: "fe80::1", port: DHCPV6_CLIENT_PORT });
 * socket.onMessage((bytes, from) => console.log(bytes.length, from.address));
 * await socket.send(solicit, ALL_DHCP_SERVERS, DHCPV6_SERVER_PORT);
 */
export async function openUdp6Socket(options: Udp6SocketOptions): Promise<Udp6Socket> {
  const { iface, port } = options;
  if (options.netns !== undefined) return openNativeUdp6Socket(options, options.netns);
  const localAddress = withZone(options.localAddress, iface);
  const socket = createSocket({ type: "udp6", reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once("error", onError);
    socket.bind({ address: localAddress, port }, () => {
      socket.off("error", onError);
      resolve();
    });
  });
  return new BoundUdp6Socket(socket, iface);
}

/**
 * `address` with `%iface` appended when it is a link-local (fe80::/10) or
 * multicast (ff00::/8) IPv6 address without a zone; other addresses as
 * they are.
 *
 * @example
 * withZone("ff02::1:2", "eth0") // "ff02::1:2%eth0"
 * withZone("2001:db8::1", "eth0") // "2001:db8::1"
 */
export function withZone(address: string, iface: string): string {
  if (address.includes("%")) return address;
  if (isIP(address) !== 6) return address;
  return /^(fe[89ab][0-9a-f]|ff[0-9a-f]{2}):/i.test(address) ? `${address}%${iface}` : address;
}

class BoundUdp6Socket implements Udp6Socket {
  readonly #socket: Socket;
  readonly #iface: string;
  readonly #listeners = new Set<(bytes: Uint8Array, from: Udp6Peer) => void>();
  #closed: Promise<void> | undefined;

  constructor(socket: Socket, iface: string) {
    this.#socket = socket;
    this.#iface = iface;
    socket.on("message", (message, info) => {
      const from = { address: info.address, port: info.port };
      for (const listener of [...this.#listeners]) listener(message, from);
    });
    // Errors on a bound UDP socket are per datagram (ICMP unreachable); sends report theirs.
    socket.on("error", () => {});
  }

  send(bytes: Uint8Array, address: string, port: number): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(new Error("Socket is closed"));
    return new Promise((resolve, reject) => {
      this.#socket.send(bytes, port, withZone(address, this.#iface), (error) => (error ? reject(error) : resolve()));
    });
  }

  onMessage(listener: (bytes: Uint8Array, from: Udp6Peer) => void): { close(): void } {
    // Wrap so the same function can subscribe twice and close independently.
    const wrapped = (bytes: Uint8Array, from: Udp6Peer): void => listener(bytes, from);
    this.#listeners.add(wrapped);
    return { close: () => void this.#listeners.delete(wrapped) };
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      this.#listeners.clear();
      this.#socket.close(() => resolve());
    });
    return this.#closed;
  }
}

// openUdp6Socket with a namespace: the addon's socket, made inside it.
function openNativeUdp6Socket(options: Udp6SocketOptions, netns: string | NetnsRef): Udp6Socket {
  const { iface, port } = options;
  const addon = nativeAddon().addon;
  if (addon?.open6 === undefined) {
    const where = typeof netns === "string" ? netns : netns.path;
    throw new LinkError("ADDON_UNAVAILABLE", `Cannot open a UDP/IPv6 socket on interface "${iface}" in "${where}": the native addon is missing or predates namespaces`);
  }
  assertInterfaceName(iface);
  const [address = "", zone] = options.localAddress.split("%");
  if (isIP(address) !== 6 || (zone !== undefined && zone !== iface)) {
    throw new LinkError("EINVAL", `Invalid local IPv6 address "${options.localAddress}" for interface "${iface}"`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LinkError("EINVAL", `Invalid UDP port "${port}"`);
  const open6 = addon.open6;
  return withNetns(netns, ({ fd }) => new NativeUdpSocket(addon, iface, 6, (onMessage, onError) => open6(iface, address, port, onMessage, onError, fd)));
}
