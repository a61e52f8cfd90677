import { isAbsolute } from "node:path";

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
