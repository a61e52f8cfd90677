import { LinkError, type LinkErrorCode } from "./errors.js";
import { assertInterfaceName } from "./ip-command.js";
import { NATIVE_ADDON_PATH, nativeAddon, type NativeAddon } from "./native-addon.js";
import { withNetns, type NetnsRef } from "./netns.js";

/** Options of {@link setIpv6Sysctls} and {@link readIpv6Sysctl}. */
export interface Ipv6SysctlOptions {
  /**
   * The network namespace of the interface; default the calling thread's.
   * A {@link NetnsRef} (a `NetnsHandle` of `openNetns`), or a name or path
   * opened for the call. The process does not move: the setting's file is
   * opened inside it in one native call and the thread comes back at once.
   */
  readonly netns?: string | NetnsRef;
}

/**
 * What an IPv6 setting's name must look like: the kernel's names
 * (`optimistic_dad`, `accept_ra_rt_info_max_plen`), lower-case letters,
 * digits and `_`, so a name is never a path.
 */
const IPV6_SYSCTL_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

// Directories of /proc/sys/net/ipv6/conf that are not one interface.
const NOT_AN_INTERFACE = new Set(["all", "default"]);

/**
 * Sets IPv6 settings of one interface (`net.ipv6.conf.IFACE.NAME`, e.g.
 * `{ optimistic_dad: 1, use_optimistic: 1 }`), in `options.netns` when
 * given, without `sysctl`, `ip` or moving the process.
 * Every name and value is checked before the first is written, so a bad
 * one changes nothing; settings are then written in order (a kernel
 * refusal stops there). Throws a {@link LinkError}: `EINVAL` (an
 * interface name that is no single interface, `all` and `default`
 * included; a setting name other than `[a-z][a-z0-9_]{0,62}`; a
 * value that is not a whole 32-bit number; a setting the kernel does not
 * have; a value it refuses), `ENODEV` (no such interface there, or IPv6
 * off on it), `EPERM`, `ADDON_UNAVAILABLE`.
 *
 * @example
 * const netns = openNetns("/run/netns/ctr1");
 * setIpv6Sysctls("eth0", { optimistic_dad: 1, use_optimistic: 1 }, { netns });
 */
export function setIpv6Sysctls(iface: string, settings: Readonly<Record<string, number>>, options: Ipv6SysctlOptions = {}): void {
  assertSysctlInterface(iface);
  const entries = Object.entries(settings);
  for (const [name, value] of entries) {
    assertSysctlName(name);
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
      throw new LinkError("EINVAL", `Invalid value ${JSON.stringify(value)} for IPv6 setting "${name}": a whole number from -2147483648 to 2147483647 is needed`);
    }
  }
  if (entries.length === 0) return;
  const { writeIpv6Sysctl } = sysctlAddon(iface);
  inNetns(options, (fd) => {
    for (const [name, value] of entries) {
      try {
        writeIpv6Sysctl(iface, name, String(value), fd);
      } catch (error) {
        throw sysctlError(`Cannot set IPv6 setting "${name}" of "${iface}"${where(options)} to ${value}`, error);
      }
    }
  });
}

/**
 * The current text of one IPv6 setting of `iface` (`"1"`), read in
 * `options.netns` when given. Throws as
 * {@link setIpv6Sysctls} does.
 *
 * @example
 * readIpv6Sysctl("eth0", "optimistic_dad", { netns }) // "1"
 */
export function readIpv6Sysctl(iface: string, name: string, options: Ipv6SysctlOptions = {}): string {
  assertSysctlInterface(iface);
  assertSysctlName(name);
  const { readIpv6Sysctl: read } = sysctlAddon(iface);
  return inNetns(options, (fd) => {
    try {
      return read(iface, name, fd);
    } catch (error) {
      throw sysctlError(`Cannot read IPv6 setting "${name}" of "${iface}"${where(options)}`, error);
    }
  });
}

// `work` with the fd of `options.netns` (undefined: the thread's own namespace).
function inNetns<T>(options: Ipv6SysctlOptions, work: (fd: number | undefined) => T): T {
  if (options.netns === undefined) return work(undefined);
  return withNetns(options.netns, (ref) => work(ref.fd));
}

function assertSysctlInterface(iface: string): void {
  assertInterfaceName(iface);
  if (NOT_AN_INTERFACE.has(iface)) {
    throw new LinkError("EINVAL", `Invalid interface name "${iface}": the IPv6 settings of one interface are set here, not "all" or "default"`);
  }
}

function assertSysctlName(name: string): void {
  if (typeof name !== "string" || !IPV6_SYSCTL_NAME_PATTERN.test(name)) {
    throw new LinkError("EINVAL", `Invalid IPv6 setting name ${JSON.stringify(name)}: lower-case letters, digits and "_" only, starting with a letter`);
  }
}

function sysctlAddon(iface: string): Required<Pick<NativeAddon, "readIpv6Sysctl" | "writeIpv6Sysctl">> {
  const load = nativeAddon();
  const addon = load.addon;
  if (addon?.writeIpv6Sysctl === undefined || addon.readIpv6Sysctl === undefined) {
    const reason =
      addon === undefined
        ? load.reason
        : `The native addon of @incusx/linux-net at "${NATIVE_ADDON_PATH}" predates IPv6 settings; rebuild it with "pnpm --filter @incusx/linux-net run build:native"`;
    throw new LinkError("ADDON_UNAVAILABLE", `Cannot change the IPv6 settings of "${iface}": ${reason}`);
  }
  return { readIpv6Sysctl: addon.readIpv6Sysctl, writeIpv6Sysctl: addon.writeIpv6Sysctl };
}

function where(options: Ipv6SysctlOptions): string {
  const netns = options.netns;
  return netns === undefined ? "" : ` in "${typeof netns === "string" ? netns : netns.path}"`;
}

const SYSCTL_CODES: Readonly<Record<string, LinkErrorCode>> = {
  ENODEV: "ENODEV",
  EPERM: "EPERM",
  EACCES: "EPERM",
  // No such setting: the name is wrong for this kernel.
  ENOENT: "EINVAL",
  EINVAL: "EINVAL",
  ERANGE: "EINVAL",
  ERR_INVALID_ARG_VALUE: "EINVAL",
  ERR_INVALID_ARG_TYPE: "EINVAL",
};

function sysctlError(what: string, error: unknown): LinkError {
  const code = (error as { code?: unknown }).code;
  const known = typeof code === "string" ? SYSCTL_CODES[code] : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  return new LinkError(known ?? "IP_FAILED", `${what}: ${reason}`, { cause: error });
}
