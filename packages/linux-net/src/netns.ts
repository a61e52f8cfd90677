import { closeSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { LinkError, type LinkErrorCode } from "./errors.js";
import { NATIVE_ADDON_PATH, nativeAddon, type NativeAddon } from "./native-addon.js";

/** Where iproute2 (`ip netns add NAME`) mounts named network namespaces. */
export const NETNS_RUN_DIR = "/run/netns";

/**
 * The file of a network namespace: `/run/netns/NAME` for a bare name (as
 * `ip netns add` creates), the argument itself for a path
 * (`/proc/1234/ns/net`, a bind mount).
 *
 * @example
 * netnsPath("ctr1") // "/run/netns/ctr1"
 * netnsPath("/proc/42/ns/net") // "/proc/42/ns/net"
 */
export function netnsPath(nameOrPath: string): string {
  if (nameOrPath === "") throw new TypeError("Network namespace name must not be empty");
  if (isAbsolute(nameOrPath) || nameOrPath.startsWith("./") || nameOrPath.startsWith("../")) return nameOrPath;
  if (nameOrPath.includes("/") || nameOrPath === "." || nameOrPath === "..") {
    throw new TypeError(`Invalid network namespace name "${nameOrPath}"`);
  }
  return `${NETNS_RUN_DIR}/${nameOrPath}`;
}

/**
 * The command line that runs `argv` inside the network namespace at
 * `netnsPath`, with util-linux `nsenter` (only the network namespace
 * changes; mounts, so /sys, stay the caller's). Spawn it without a shell.
 *
 * @example
 * const { command, args } = nsenterArgs("/run/netns/ctr1", ["ip", "-json", "addr"]);
 * // command "nsenter", args ["--net=/run/netns/ctr1", "--", "ip", "-json", "addr"]
 * execFile(command, args);
 */
export function nsenterArgs(netnsPath: string, argv: readonly string[]): { command: string; args: string[] } {
  if (argv.length === 0) throw new TypeError("Command to run in the network namespace must not be empty");
  return { command: "nsenter", args: [`--net=${netnsPath}`, "--", ...argv] };
}

/**
 * Whether the calling thread is already in the network namespace at
 * `path`: both files name the same namespace (same nsfs inode). Throws a
 * system error when `path` cannot be read.
 *
 * @example
 * isCurrentNetns("/proc/self/ns/net") // true
 */
export function isCurrentNetns(path: string): boolean {
  const wanted = statSync(path);
  const current = statSync("/proc/thread-self/ns/net");
  return wanted.dev === current.dev && wanted.ino === current.ino;
}

/**
 * Why {@link enterNetns} cannot work in this installation (the native
 * addon is missing, or was built before it could enter namespaces), or
 * `undefined` when it can. Callers fall back to {@link nsenterArgs}.
 */
export function enterNetnsUnavailable(): string | undefined {
  const load = nativeAddon();
  if (load.addon === undefined) return load.reason;
  if (typeof load.addon.enterNetns !== "function") {
    return `The native addon of @incusx/linux-net at "${NATIVE_ADDON_PATH}" predates entering network namespaces; rebuild it with "pnpm --filter @incusx/linux-net run build:native"`;
  }
  return undefined;
}

/**
 * Moves this process's main thread into the network namespace at `path`
 * with setns(2), through the native addon: what `nsenter --net` does,
 * without starting another process. Call it from the main thread before
 * opening sockets or starting child processes; those then live in the
 * namespace (child processes, such as `ip`, are forked from the main
 * thread). Only the main thread moves: do nothing namespace-dependent on
 * worker threads or the thread pool (`dns.lookup`). /sys stays the
 * caller's, as with `nsenter`; read link state with iproute2 or netlink.
 * Throws a {@link LinkError}: `ADDON_UNAVAILABLE` (see
 * {@link enterNetnsUnavailable}), `ENOENT`, `EINVAL` (not a network
 * namespace), `EPERM`.
 *
 * @example
 * if (enterNetnsUnavailable() === undefined) enterNetns("/run/netns/ctr1");
 */
export function enterNetns(path: string): void {
  const unavailable = enterNetnsUnavailable();
  if (unavailable !== undefined) throw new LinkError("ADDON_UNAVAILABLE", unavailable);
  try {
    (nativeAddon().addon as Required<NativeAddon>).enterNetns(path);
  } catch (error) {
    throw namespaceError(`Cannot enter network namespace "${path}"`, error);
  }
}

/** The addon's system error as a {@link LinkError} whose message starts with `what`. */
function namespaceError(what: string, error: unknown): LinkError {
  const code = (error as { code?: unknown }).code;
  const known: LinkErrorCode = code === "ENOENT" || code === "EINVAL" || code === "EPERM" ? code : "IP_FAILED";
  const reason = error instanceof Error ? error.message : String(error);
  return new LinkError(known, `${what}: ${reason}`, { cause: error });
}

/**
 * A network namespace held open by fd, as the `netns` option of this
 * package's functions takes it: a {@link NetnsHandle}, or any object with
 * the path it was opened from and the open fd (the SDK's
 * `NetworkNamespace` is one). Work done with it happens in-process through
 * the native addon, never through `ip` or `nsenter`. Whoever opened the fd
 * keeps it open while the work runs and closes it.
 */
export interface NetnsRef {
  /** The path it was opened from, for messages; never opened again. */
  readonly path: string;
  /** The open fd naming the namespace; may throw once the holder closed it. */
  readonly fd: number;
}

/** Whether a `netns` option is a namespace held by fd rather than a name or path. */
export function isNetnsRef(netns: string | NetnsRef | undefined): netns is NetnsRef {
  return typeof netns === "object" && netns !== null;
}

/**
 * A network namespace held open by fd, from {@link openNetns}. Work done
 * with it (a socket opened with its `netns` option) happens in the very
 * namespace that was opened, even after its name is deleted or its
 * process exits and the PID is reused: the fd, not the path, names it.
 * The namespace lives at least until {@link NetnsHandle.close}.
 */
export class NetnsHandle implements NetnsRef {
  /** The path it was opened from (for messages; never opened again). */
  readonly path: string;
  #fd: number | undefined;

  /** @internal Use {@link openNetns}. */
  constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /** Whether {@link NetnsHandle.close} was called. */
  get closed(): boolean {
    return this.#fd === undefined;
  }

  /**
   * The open fd, for the native calls that enter the namespace. Throws a
   * {@link LinkError} `EINVAL` once closed: the number may name another
   * file by then.
   */
  get fd(): number {
    if (this.#fd === undefined) throw new LinkError("EINVAL", `The network namespace handle of "${this.path}" is closed`);
    return this.#fd;
  }

  /** Closes the fd; harmless twice. Sockets opened through it keep working (they hold their namespace). */
  close(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Opens the network namespace at `path` (`/run/netns/NAME`,
 * `/proc/PID/ns/net`) without entering it, checked as {@link enterNetns}
 * checks it: never opening a FIFO or device, refusing a file that is not a
 * namespace or a namespace of another kind. The process stays where it
 * is; pass the handle as the `netns` option of
 * {@link openUdp4DeviceSocket} to work inside it. Throws a
 * {@link LinkError}: `ADDON_UNAVAILABLE`, `ENOENT`, `EINVAL` (not a
 * network namespace), `EPERM`.
 *
 * @example
 * const netns = openNetns("/run/netns/ctr1");
 * try { const socket = await openUdp4DeviceSocket({ iface: "eth0", port: 68, netns }); }
 * finally { netns.close(); }
 */
export function openNetns(path: string): NetnsHandle {
  const addon = nativeAddon().addon;
  if (addon === undefined || typeof addon.openNetns !== "function") {
    throw new LinkError("ADDON_UNAVAILABLE", `Cannot open network namespace "${path}": ${openNetnsUnavailable()}`);
  }
  try {
    return new NetnsHandle(path, addon.openNetns(path));
  } catch (error) {
    throw namespaceError(`Cannot open network namespace "${path}"`, error);
  }
}

/**
 * Runs `work` with the namespace `netns` names, held by fd: a
 * {@link NetnsRef} as it is; a name or path opened with {@link openNetns}
 * for the call and closed after it (what `work` made there, a socket,
 * keeps its namespace). For calls that finish their namespace work
 * synchronously.
 */
export function withNetns<T>(netns: string | NetnsRef, work: (ref: NetnsRef) => T): T {
  if (isNetnsRef(netns)) return work(netns);
  const handle = openNetns(netnsPath(netns));
  try {
    return work(handle);
  } finally {
    handle.close();
  }
}

/** Why the addon cannot work in another namespace here (missing, or built before it could). */
function openNetnsUnavailable(): string {
  const load = nativeAddon();
  if (load.addon === undefined) return load.reason;
  return `The native addon of @incusx/linux-net at "${NATIVE_ADDON_PATH}" predates working in another network namespace; rebuild it with "pnpm --filter @incusx/linux-net run build:native"`;
}
