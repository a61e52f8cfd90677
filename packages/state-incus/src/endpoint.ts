import { statSync } from "node:fs";

/**
 * Where Incus, then LXD (snap, then Debian's package) put their unix
 * socket: the order {@link findSocket} tries them in.
 */
export const DEFAULT_SOCKETS: readonly string[] = Object.freeze([
  "/var/lib/incus/unix.socket",
  "/var/snap/lxd/common/lxd/unix.socket",
  "/var/lib/lxd/unix.socket",
]);

/**
 * How to reach the server: its unix socket (what a host on the same machine
 * uses; the socket's file permissions are the access control), or its HTTPS
 * address with a client certificate the server trusts.
 */
export type IncusEndpoint =
  | { readonly socket: string }
  | {
      readonly url: string;
      /** PEM text of the client certificate. */
      readonly cert: string;
      /** PEM text of the client certificate's key. */
      readonly key: string;
      /** PEM text of the server's certificate or CA; default the system's CAs. */
      readonly ca?: string;
    };

/**
 * The first of `candidates` that is a unix socket, or `undefined`.
 *
 * @example
 * const socket = findSocket() ?? "/var/lib/incus/unix.socket";
 */
export function findSocket(candidates: readonly string[] = DEFAULT_SOCKETS): string | undefined {
  return candidates.find((path) => {
    try {
      return statSync(path).isSocket();
    } catch {
      return false;
    }
  });
}

/** A short name of the endpoint for messages: the socket path or the URL. */
export function endpointName(endpoint: IncusEndpoint): string {
  return "socket" in endpoint ? endpoint.socket : endpoint.url;
}
