import { endianness } from "node:os";
import { LinkError } from "./errors.js";
import { assertInterfaceName } from "./ip-command.js";
import { nativeAddon, type NativeAddon, type NativeSocketHandle } from "./native-addon.js";
import { watchNetnsPath } from "./netns-presence.js";
import type { NetnsRef } from "./netns.js";

/**
 * Why a watched NIC is gone:
 * - `interface-removed`: the interface was deleted, or moved to another
 *   namespace (RTM_DELLINK of its index);
 * - `interface-renamed`: its index now carries another name;
 * - `namespace-gone`: the path its namespace was opened from no longer
 *   names that namespace (`ip netns del`, the process of
 *   `/proc/PID/ns/net` exited, the name re-created for another one).
 */
export type NicGoneReason = "interface-removed" | "interface-renamed" | "namespace-gone";

/** What {@link watchNicPresence} reports, once. */
export interface NicGone {
  /** Why. */
  readonly reason: NicGoneReason;
  /** A sentence for logs, naming interface and namespace. */
  readonly message: string;
  /** The interface's new name, for `interface-renamed`. */
  readonly newName?: string;
}

/** The NIC {@link watchNicPresence} watches. */
export interface NicPresenceTarget {
  /** Interface name inside `netns`. */
  readonly iface: string;
  /**
   * The namespace, held open by fd (`openNetns`, or the SDK's
   * `NetworkNamespace`): `path` is what is watched for deletion, `fd` is
   * where the netlink socket is made.
   */
  readonly netns: NetnsRef;
}

/** Options of {@link watchNicPresence}. */
export interface WatchNicPresenceOptions {
  /** The netlink socket failed (the interface is no longer watched; the namespace still is). */
  readonly onError?: (error: unknown) => void;
}

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const IFLA_IFNAME = 3;
const NLMSG_HDRLEN = 16;
const IFINFOMSG_LEN = 16;

/** A link notice as {@link parseLinkNotices} reads it. */
export interface LinkNotice {
  readonly kind: "new" | "del";
  readonly index: number;
  readonly name?: string;
}

/**
 * The RTM_NEWLINK/RTM_DELLINK messages of one netlink datagram (other
 * messages skipped; a truncated message ends the read). Internal to this
 * package; exported for its tests.
 */
export function parseLinkNotices(bytes: Buffer, littleEndian: boolean = endianness() === "LE"): LinkNotice[] {
  const u16 = (at: number): number => (littleEndian ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u32 = (at: number): number => (littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const i32 = (at: number): number => (littleEndian ? bytes.readInt32LE(at) : bytes.readInt32BE(at));
  const notices: LinkNotice[] = [];
  let offset = 0;
  while (offset + NLMSG_HDRLEN <= bytes.length) {
    const length = u32(offset);
    if (length < NLMSG_HDRLEN || offset + length > bytes.length) break;
    const type = u16(offset + 4);
    if ((type === RTM_NEWLINK || type === RTM_DELLINK) && length >= NLMSG_HDRLEN + IFINFOMSG_LEN) {
      const index = i32(offset + NLMSG_HDRLEN + 4);
      let name: string | undefined;
      let at = offset + NLMSG_HDRLEN + IFINFOMSG_LEN;
      const end = offset + length;
      while (at + 4 <= end) {
        const rtaLength = u16(at);
        if (rtaLength < 4 || at + rtaLength > end) break;
        if (u16(at + 2) === IFLA_IFNAME) {
          const value = bytes.subarray(at + 4, at + rtaLength);
          const nul = value.indexOf(0);
          name = value.subarray(0, nul === -1 ? value.length : nul).toString("utf8");
        }
        at += (rtaLength + 3) & ~3;
      }
      notices.push({ kind: type === RTM_DELLINK ? "del" : "new", index, ...(name === undefined ? {} : { name }) });
    }
    offset += (length + 3) & ~3;
  }
  return notices;
}

/**
 * Calls `onGone` once when the NIC goes away: its interface is removed or
 * renamed (seen on a netlink socket made inside `netns`), or its namespace
 * is gone (the path no longer names the namespace `netns.fd` holds). While
 * someone holds the fd the kernel keeps the namespace, and its interfaces
 * with it, so deleting the name sends no netlink notice: the path is
 * watched instead, with inotify on its directory (`/run/netns/NAME`) or a
 * stat every {@link NETNS_POLL_MS} ms on one timer shared by every watch
 * (`/proc/PID/ns/net`; procfs has no inotify). Reported within that
 * period; an idle NIC costs no wake-up but that shared stat. An interface
 * missing at the start is waited for: only one that was seen can be
 * removed. The watch ends after reporting; `close()` ends it earlier and
 * is harmless twice. Throws a {@link LinkError}: `EINVAL` (a bad interface
 * name, a closed handle), `ADDON_UNAVAILABLE`.
 *
 * @example
 * const netns = openNetns("/run/netns/ctr1");
 * const watch = watchNicPresence({ iface: "eth0", netns }, (gone) => {
 *   logger.warn(gone.message); // stop the NIC's runners, then netns.close()
 * });
 */
export function watchNicPresence(target: NicPresenceTarget, onGone: (gone: NicGone) => void, options: WatchNicPresenceOptions = {}): { close(): void } {
  const { iface, netns } = target;
  assertInterfaceName(iface);
  let fd: number;
  try {
    fd = netns.fd;
  } catch (error) {
    throw new LinkError("EINVAL", `Cannot watch "${iface}": the network namespace handle of "${netns.path}" is closed`, { cause: error });
  }
  const addon = nativeAddon().addon;
  if (addon?.watchNetlink === undefined || addon.linkInfo === undefined) {
    throw new LinkError("ADDON_UNAVAILABLE", `Cannot watch "${iface}" in "${netns.path}": the native addon is missing or predates namespaces`);
  }
  const { watchNetlink, linkInfo } = addon as Required<NativeAddon>;
  const where = `"${iface}" in "${netns.path}"`;
  let closed = false;
  let socket: NativeSocketHandle | undefined;
  let stopPath: (() => void) | undefined;
  let index: number | undefined;

  const close = (): void => {
    if (closed) return;
    closed = true;
    stopPath?.();
    if (socket !== undefined) addon.close(socket);
    socket = undefined;
  };
  const report = (gone: NicGone): void => {
    if (closed) return;
    close();
    onGone(gone);
  };
  const gone = (reason: NicGoneReason, message: string, newName?: string): void =>
    report({ reason, message, ...(newName === undefined ? {} : { newName }) });

  // A re-read after lost notices (or at the start): the index, or undefined when absent.
  const readIndex = (): number | "renamed" | undefined => {
    try {
      const link = linkInfo(iface, fd);
      if (index !== undefined && link.index !== index) return "renamed";
      return link.index;
    } catch (error) {
      if ((error as { code?: unknown }).code === "ENODEV") return undefined;
      throw error;
    }
  };
  const onNotice = (bytes: Buffer): void => {
    if (closed) return;
    if (bytes.length === 0) {
      // The queue overflowed: what the lost notices said is read back.
      const seen = index;
      let now;
      try {
        now = readIndex();
      } catch (error) {
        options.onError?.(error);
        return;
      }
      if (seen !== undefined && now !== seen) gone("interface-removed", `Interface ${where} was removed (or renamed)`);
      else if (typeof now === "number") index = now;
      return;
    }
    for (const notice of parseLinkNotices(bytes)) {
      if (index === undefined) {
        // Waiting for the interface to appear (moved in after the watch began).
        if (notice.kind === "new" && notice.name === iface) index = notice.index;
        continue;
      }
      if (notice.index !== index) continue;
      if (notice.kind === "del") return gone("interface-removed", `Interface ${where} was removed`);
      if (notice.name !== undefined && notice.name !== iface) {
        return gone("interface-renamed", `Interface ${where} was renamed to "${notice.name}"`, notice.name);
      }
    }
  };

  try {
    stopPath = watchNetnsPath(netns.path, fd, (why) => gone("namespace-gone", `Network namespace of ${where} is gone: ${why}`));
    // Subscribed before the first read, so no change falls between them.
    socket = watchNetlink(onNotice, (error) => {
      if (!closed) options.onError?.(error);
    }, fd);
    const first = readIndex();
    if (typeof first === "number") index = first;
  } catch (error) {
    close();
    if (error instanceof LinkError) throw error;
    const code = (error as { code?: unknown }).code;
    const known = code === "EPERM" || code === "EINVAL" || code === "ENOENT" ? code : "IP_FAILED";
    throw new LinkError(known, `Cannot watch ${where}: ${(error as Error).message}`, { cause: error });
  }
  return { close };
}
