// Who is at the other end of a unix socket connection: the kernel's record
// (SO_PEERCRED) through the native addon, since Node.js has no API for it.
import type { Socket } from "node:net";
import { LinkError } from "./errors.js";
import { nativeAddon } from "./native-addon.js";

/** The process that connected to a unix socket, as the kernel recorded it at `connect()`. */
export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * The credentials of the peer of a connected unix socket (SO_PEERCRED):
 * the pid, uid and gid of the process that called `connect()`, recorded by
 * the kernel, so a client cannot claim to be someone else. Takes an
 * accepted `net.Socket` (a server's `connection` event) or a raw fd.
 *
 * Throws a `LinkError` `ADDON_UNAVAILABLE` when the native addon (or this
 * function of it) is missing, a `TypeError` for a socket without an fd of
 * its own (not a unix or TCP connection, or already closed), and the
 * kernel's system error (`code` EBADF, ENOTSOCK, ENOTCONN) otherwise.
 *
 * @example
 * server.on("connection", (socket) => {
 *   if (peerCredentials(socket).uid !== 0) socket.destroy();
 * });
 */
export function peerCredentials(socket: Socket | number): PeerCredentials {
  const loaded = nativeAddon();
  if (loaded.addon === undefined) throw new LinkError("ADDON_UNAVAILABLE", loaded.reason);
  const read = loaded.addon.peerCredentials;
  if (read === undefined) {
    throw new LinkError("ADDON_UNAVAILABLE", 'The native addon of @incusx/linux-net predates peerCredentials; rebuild it with "pnpm --filter @incusx/linux-net run build:native"');
  }
  const fd = typeof socket === "number" ? socket : socketFd(socket);
  const { pid, uid, gid } = read(fd);
  return { pid, uid, gid };
}

// A connection's fd is only on its libuv handle (`_handle.fd`, set for pipes
// and TCP on Unix): Node has no public accessor for it.
function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) throw new TypeError("The socket has no file descriptor of its own (closed, or not a unix or TCP connection)");
  return fd;
}
