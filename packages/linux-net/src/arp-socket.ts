import { LinkError } from "./errors.js";
import { assertInterfaceName } from "./ip-command.js";
import { nativeAddon, type NativeAddon, type NativeSocketHandle } from "./native-addon.js";
import { NativeSocket } from "./native-socket.js";
import { withNetns, type NetnsRef } from "./netns.js";

/**
 * An ARP packet socket on one interface, for address conflict detection
 * (RFC 5227): it receives every ARP packet on the link but the ones this
 * host sends, and broadcasts ARP packets. Packets are the ARP bytes
 * without the Ethernet header.
 */
export interface ArpSocket {
  /** The interface the socket is bound to. */
  readonly iface: string;
  /**
   * Broadcasts one ARP packet (to ff:ff:ff:ff:ff:ff) out of the interface.
   * Rejects with a system error (`ENODEV` once the interface is gone, which
   * also fails the socket), or when the socket is closed.
   */
  send(packet: Uint8Array): Promise<void>;
  /** Calls `listener` for every ARP packet received from now on (and its source MAC), until the returned handle is closed. */
  onPacket(listener: (packet: Uint8Array, from: { readonly mac: string }) => void): { close(): void };
  /** Calls `listener` once if the socket fails for good (as `Udp4DeviceSocket.onError`). */
  onError(listener: (error: NodeJS.ErrnoException) => void): { close(): void };
  /** Closes the socket; harmless twice. */
  close(): Promise<void>;
}

/** Options of {@link openArpSocket}. */
export interface ArpSocketOptions {
  /** Interface to bind to, in the network namespace the socket is made in. */
  readonly iface: string;
  /**
   * The network namespace to make the socket in, as for
   * `openUdp4DeviceSocket`: the thread enters it, makes the socket and
   * comes back within one synchronous native call.
   */
  readonly netns?: string | NetnsRef;
}

/**
 * Opens an ARP socket on `iface` (AF_PACKET, ARP frames only, bound to the
 * interface; needs CAP_NET_RAW), made in `netns` when given. Rejects with a
 * {@link LinkError} `ADDON_UNAVAILABLE` when the native addon is missing or
 * predates ARP, `EINVAL` for a bad interface name, and otherwise with the
 * system error (`code` `ENODEV` for an unknown interface, `EPERM` without
 * CAP_NET_RAW).
 *
 * @example
 * const arp = await openArpSocket({ iface: "eth0", netns: ref });
 * arp.onPacket((packet, from) => check(packet, from.mac));
 * await arp.send(probe);
 */
export async function openArpSocket(options: ArpSocketOptions): Promise<ArpSocket> {
  const { iface, netns } = options;
  const loaded = nativeAddon();
  if (loaded.addon === undefined) throw new LinkError("ADDON_UNAVAILABLE", `Cannot open an ARP socket on interface "${iface}": ${loaded.reason}`);
  const { addon } = loaded;
  if (addon.openArp === undefined || addon.sendArp === undefined || (netns !== undefined && addon.openNetns === undefined)) {
    throw new LinkError(
      "ADDON_UNAVAILABLE",
      `Cannot open an ARP socket on interface "${iface}": the native addon predates ARP sockets; rebuild it with "pnpm --filter @incusx/linux-net run build:native"`,
    );
  }
  assertInterfaceName(iface);
  const open = (fd: number | undefined): ArpSocket => new NativeArpSocket(addon, iface, (onMessage, onError) => addon.openArp!(iface, onMessage, onError, fd));
  return netns === undefined ? open(undefined) : withNetns(netns, (ref) => open(ref.fd));
}

/** The addon's ARP socket. */
class NativeArpSocket extends NativeSocket<{ readonly mac: string }> implements ArpSocket {
  constructor(
    addon: NativeAddon,
    iface: string,
    open: (onMessage: (bytes: Buffer, mac: string, port: number) => void, onError: (error: NodeJS.ErrnoException) => void) => NativeSocketHandle,
  ) {
    super(addon, iface, `The ARP socket on interface "${iface}"`, open, (mac) => ({ mac }));
  }

  send(packet: Uint8Array): Promise<void> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    return this.sendNow(() => this.addon.sendArp!(this.handle, packet));
  }

  onPacket(listener: (packet: Uint8Array, from: { readonly mac: string }) => void): { close(): void } {
    return this.listen(listener);
  }
}
