import { LinkError } from "./errors.js";
import { assertInterfaceName, netnsRefOf, runIpJson, type IpOptions } from "./ip-command.js";
import { usableLinkLocalFromJson, type IpLinkJson } from "./ip-json.js";
import { LinkWatch } from "./link-watch.js";
import { nativeAddon, type NativeAddon, type NativeSocketHandle } from "./native-addon.js";
import { withNetns, type NetnsRef } from "./netns.js";

/**
 * Resolves with the IPv6 link-local address of `iface` once it exists and
 * has finished duplicate address detection (not `tentative`, not
 * `dadfailed`), which is when a DHCPv6 client may bind to it, or at once
 * when the kernel made it `optimistic` (RFC 4429, `optimistic_dad` set
 * on the interface before the address was created): the kernel lets a
 * socket bind to an optimistic address while DAD runs. Works while
 * the interface is down, has no address yet or does not exist yet: it
 * re-reads on every `ip monitor` address/link event (plus a slow safety
 * poll), not on fixed sleeps, and takes the address straight from the
 * monitor's line when that line already shows it usable (the kernel's
 * notice that DAD finished), which saves an `ip` run on the way to the
 * first Solicit. Rejects with `signal.reason` when aborted, and
 * with a {@link LinkError} when `ip` cannot run (`EPERM`, `IP_NOT_FOUND`).
 *
 * With `options.netns` a namespace held by fd (`openNetns`, a
 * {@link NetnsRef}) it waits in that namespace without `ip`: a netlink
 * socket made there (subscribed to link and address notices) wakes it, and
 * each notice re-reads the link's addresses over rtnetlink (also made
 * there); no safety poll is needed. Rejects with `ADDON_UNAVAILABLE`
 * without the addon, `EINVAL` with `ipCommand` too or a closed handle.
 *
 * @example
 * const local = await waitForLinkLocal("eth0", AbortSignal.timeout(10_000));
 * const socket = await openUdp6Socket({ iface: "eth0", localAddress: local, port: DHCPV6_CLIENT_PORT });
 */
export function waitForLinkLocal(iface: string, signal: AbortSignal, options: IpOptions = {}): Promise<string> {
  assertInterfaceName(iface);
  if (signal.aborted) return Promise.reject(signal.reason);
  let ref: NetnsRef | undefined;
  try {
    ref = netnsRefOf(options);
  } catch (error) {
    return Promise.reject(error);
  }
  if (ref !== undefined) return waitForLinkLocalInNetns(iface, signal, ref);
  const ipOptions = options;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      watch.close();
      signal.removeEventListener("abort", onAbort);
      outcome();
    };
    const onAbort = (): void => finish(() => reject(signal.reason));
    const check = async (): Promise<void> => {
      let links: IpLinkJson[];
      try {
        links = await runIpJson<IpLinkJson>(["-6", "addr", "show", "dev", iface, "scope", "link"], ipOptions);
      } catch (error) {
        // Not there yet (a NIC moved in later): wait for the next event.
        if (error instanceof LinkError && error.code === "ENODEV") return;
        throw error;
      }
      const address = usableLinkLocalFromJson(links);
      if (address !== undefined) finish(() => resolve(address));
    };
    const onLine = (line: string): void => {
      const address = usableLinkLocalFromMonitorLine(line, iface);
      if (address !== undefined) finish(() => resolve(address));
    };
    const watch = new LinkWatch(ipOptions, check, (error) => finish(() => reject(error)), onLine);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The link-local address an `ip -o monitor address` line announces for
 * `iface` when it is usable (not `dadfailed`, not a deletion, and not
 * `tentative` unless `optimistic`), else `undefined`. The kernel's notice
 * that DAD of the link-local address finished is such a line, and so is
 * the one adding an optimistic address.
 *
 * @example
 * usableLinkLocalFromMonitorLine("2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever", "eth0") // "fe80::1"
 */
export function usableLinkLocalFromMonitorLine(line: string, iface: string): string | undefined {
  const match = /^\d+:\s+(\S+)\s+inet6\s+(fe80:[0-9a-f:]*)\/\d+\s+([^\\]*)/i.exec(line);
  if (match === null || match[1] !== iface) return undefined;
  const flags = match[3]!.trim().split(/\s+/);
  if (flags.includes("dadfailed") || (flags.includes("tentative") && !flags.includes("optimistic"))) return undefined;
  return match[2]!.toLowerCase();
}

const IFA_F_OPTIMISTIC = 0x04;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;

/** Whether an address with IFA_F_* `flags` may be bound: DAD finished, or optimistic (RFC 4429), and not failed. */
function usableFlags(flags: number): boolean {
  if ((flags & IFA_F_DADFAILED) !== 0) return false;
  return (flags & IFA_F_TENTATIVE) === 0 || (flags & IFA_F_OPTIMISTIC) !== 0;
}

// waitForLinkLocal in the namespace of `netns`, woken by netlink notices made there.
function waitForLinkLocalInNetns(iface: string, signal: AbortSignal, netns: NetnsRef): Promise<string> {
  const addon = nativeAddon().addon;
  if (addon?.watchNetlink === undefined || addon.listAddresses === undefined) {
    return Promise.reject(new LinkError("ADDON_UNAVAILABLE", `Cannot wait for a link-local address on "${iface}" in "${netns.path}": the native addon is missing or predates namespaces`));
  }
  const { watchNetlink, listAddresses } = addon as Required<NativeAddon>;
  return new Promise((resolve, reject) => {
    let settled = false;
    let watch: NativeSocketHandle | undefined;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      if (watch !== undefined) addon.close(watch);
      signal.removeEventListener("abort", onAbort);
      outcome();
    };
    const onAbort = (): void => finish(() => reject(signal.reason));
    const fail = (error: unknown): void => {
      const code = (error as { code?: unknown }).code;
      const known = code === "EPERM" || code === "EINVAL" || code === "ENOENT" ? code : "IP_FAILED";
      finish(() => reject(error instanceof LinkError ? error : new LinkError(known, `Failed to wait for a link-local address on "${iface}": ${(error as Error).message}`, { cause: error })));
    };
    const check = (): void => {
      if (settled) return;
      let addresses;
      try {
        addresses = listAddresses(iface, netns.fd);
      } catch (error) {
        // Not there yet (a NIC moved in later): wait for the next notice.
        if ((error as { code?: unknown }).code === "ENODEV") return;
        fail(error);
        return;
      }
      const usable = addresses.find(
        (a) => a.family === 6 && /^fe[89ab]/i.test(a.address) && usableFlags(a.flags),
      );
      if (usable !== undefined) finish(() => resolve(usable.address));
    };
    try {
      // Subscribed before the first read, so no change falls between them.
      watch = watchNetlink(check, fail, netns.fd);
    } catch (error) {
      fail(error);
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    check();
  });
}

/** Why an interface will never get an IPv6 link-local address by itself (see {@link linkLocalBlocker}). */
export type LinkLocalBlocker = "addr-gen-mode-none" | "ipv6-disabled";

const ADDR_GEN_MODE_NONE = "1";

/**
 * Why `iface` has no IPv6 link-local address and the kernel will not make
 * one: IPv6 is off on it (`disable_ipv6` = 1), or address generation is
 * off (`addr_gen_mode` = 1, `ip link set dev IF addrgenmode none`) and no
 * link-local address is there (one added by hand counts, even tentative).
 * `undefined` when one is there or may still come (the interface does not
 * exist yet, the setting cannot be read). Lets a DHCPv6 runner say so at
 * once instead of waiting for a link-local address forever. Reads in
 * `options.netns` when given (a namespace held by fd, or a name or path
 * opened for the call); needs the native addon (`undefined` without it).
 *
 * @example
 * if (linkLocalBlocker("eth0", { netns }) === "addr-gen-mode-none") throw new Error("no link-local address");
 */
export function linkLocalBlocker(iface: string, options: IpOptions = {}): LinkLocalBlocker | undefined {
  assertInterfaceName(iface);
  const addon = nativeAddon().addon;
  if (addon?.readIpv6Sysctl === undefined || addon.listAddresses === undefined) return undefined;
  const { readIpv6Sysctl, listAddresses } = addon;
  const read = (fd: number | undefined) => ({
    disabled: readIpv6Sysctl(iface, "disable_ipv6", fd).trim(),
    mode: readIpv6Sysctl(iface, "addr_gen_mode", fd).trim(),
    addresses: listAddresses(iface, fd),
  });
  let state: ReturnType<typeof read>;
  try {
    // A name or path is opened for the call: reading here would read the caller's namespace.
    state = options.netns === undefined ? read(undefined) : withNetns(options.netns, (ref) => read(ref.fd));
  } catch {
    // Missing (it may come), or unreadable: nothing to say for sure.
    return undefined;
  }
  const { disabled, mode, addresses } = state;
  if (disabled === "1") return "ipv6-disabled";
  if (mode !== ADDR_GEN_MODE_NONE) return undefined;
  const hasLinkLocal = addresses.some((a) => a.family === 6 && /^fe[89ab]/i.test(a.address) && (a.flags & IFA_F_DADFAILED) === 0);
  return hasLinkLocal ? undefined : "addr-gen-mode-none";
}
