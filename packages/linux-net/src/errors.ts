/**
 * Why a link operation failed, as a stable code callers branch on:
 * - `ENODEV`: the interface does not exist (in this network namespace).
 * - `EPERM`: not allowed (not root, or no CAP_NET_ADMIN in this namespace).
 * - `EEXIST`: the object already exists where it must not.
 * - `ESRCH`: the address or route to remove does not exist (removals swallow it).
 * - `EINVAL`: a malformed argument (an interface name over 15 bytes, a
 *   NUL), or iproute2 or the kernel rejected one.
 * - `ENETUNREACH`: a route's gateway is not reachable on the link.
 * - `IP_NOT_FOUND`: the `ip` command (or `nsenter`) is not installed.
 * - `IP_FAILED`: anything else; the stderr says what.
 * - `ENOENT`: a file named by the caller (a network namespace) does not exist.
 * - `ADDON_UNAVAILABLE`: the native addon (device-bound UDP/IPv4 socket,
 *   entering a network namespace in-process) is not built or does not load
 *   here; the message says why and how to build it.
 */
export type LinkErrorCode =
  | "ENODEV"
  | "EPERM"
  | "EEXIST"
  | "ESRCH"
  | "EINVAL"
  | "ENETUNREACH"
  | "ENOENT"
  | "IP_NOT_FOUND"
  | "IP_FAILED"
  | "ADDON_UNAVAILABLE";

/** Options of a {@link LinkError}. */
export interface LinkErrorOptions {
  /** The command line that failed, program first. */
  readonly command?: readonly string[];
  /** What the command wrote to stderr. */
  readonly stderr?: string;
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * A failed link operation (address, route, MTU, link state). Carries a
 * stable `code`, the failing command line and its stderr, so a caller can
 * branch on the code and a human can read what iproute2 said.
 *
 * @example
 * try { await link.setMtu("eth0", 1400) }
 * catch (err) { if (err instanceof LinkError && err.code === "ENODEV") return }
 */
export class LinkError extends Error {
  /** Stable machine-readable code. */
  readonly code: LinkErrorCode;
  /** The command line that failed, program first; empty when no command ran. */
  readonly command: readonly string[];
  /** What the command wrote to stderr (trimmed). */
  readonly stderr: string;

  constructor(code: LinkErrorCode, message: string, options: LinkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LinkError";
    this.code = code;
    this.command = options.command ?? [];
    this.stderr = (options.stderr ?? "").trim();
  }
}

const STDERR_CODES: readonly (readonly [RegExp, LinkErrorCode])[] = [
  [/Cannot find device|does not exist|No such device/i, "ENODEV"],
  [/Operation not permitted|Permission denied/i, "EPERM"],
  [/File exists|already assigned/i, "EEXIST"],
  [/No such process|address not found|Cannot assign requested address/i, "ESRCH"],
  [/Network is unreachable|Nexthop has invalid gateway/i, "ENETUNREACH"],
  [/Invalid argument|is expected rather than|Invalid address|Error: argument .* is wrong|Invalid "?lifetime/i, "EINVAL"],
];

/** The {@link LinkErrorCode} that iproute2's stderr text means. */
export function linkErrorCodeFromStderr(stderr: string): LinkErrorCode {
  for (const [pattern, code] of STDERR_CODES) {
    if (pattern.test(stderr)) return code;
  }
  return "IP_FAILED";
}
