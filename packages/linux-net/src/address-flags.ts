import { LinkError } from "./errors.js";
import { assertInterfaceName, netnsRefOf, runIpJson, type IpOptions } from "./ip-command.js";
import { addressFlagsFromJson, type AddressFlags, type IpLinkJson } from "./ip-json.js";
import { LinkWatch } from "./link-watch.js";
import { nativeAddon, type NativeAddon, type NativeAddress, type NativeSocketHandle } from "./native-addon.js";
import type { NetnsRef } from "./netns.js";

/** Options of {@link watchAddressFlags}. */
export interface WatchAddressFlagsOptions extends IpOptions {
  /** Called when reading fails for another reason than a missing interface; the watch goes on. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Calls `onChange` with every address of `iface` (both families) and its
 * kernel flags (`tentative`, `dadfailed`, `deprecated`, `dynamic`, ...)
 * once at start and whenever the list or a flag changes, driven by
 * `ip monitor`. Lets a DHCPv6 client see `dadfailed` on an address it
 * assigned and Decline it. A missing interface reports an empty list.
 *
 * With `options.netns` a namespace held by fd (`openNetns`, a
 * {@link NetnsRef}) it watches there without `ip`: a netlink socket made
 * there wakes the watch, and each notice re-reads the addresses over
 * rtnetlink; flags are named as `ip -json` names them. Needs the native
 * addon (`ADDON_UNAVAILABLE`); not with `ipCommand` (`EINVAL`). Both
 * thrown at once.
 *
 * @example
 * const watch = watchAddressFlags("eth0", (addresses) => {
 *   for (const a of addresses) if (a.flags.includes("dadfailed")) decline(a.address);
 * });
 * watch.close();
 */
export function watchAddressFlags(
  iface: string,
  onChange: (addresses: AddressFlags[]) => void,
  options: WatchAddressFlagsOptions = {},
): { close(): void } {
  assertInterfaceName(iface);
  const ref = netnsRefOf(options);
  if (ref !== undefined) return watchAddressFlagsInNetns(iface, onChange, options, ref);
  let last: string | undefined;
  let closed = false;
  const check = async (): Promise<void> => {
    let addresses: AddressFlags[];
    try {
      addresses = addressFlagsFromJson(await runIpJson<IpLinkJson>(["addr", "show", "dev", iface], options));
    } catch (error) {
      if (!(error instanceof LinkError && error.code === "ENODEV")) throw error;
      addresses = [];
    }
    const key = JSON.stringify(addresses);
    if (closed || key === last) return;
    last = key;
    onChange(addresses);
  };
  const watch = new LinkWatch(options, check, (error) => options.onError?.(error));
  return {
    close(): void {
      closed = true;
      watch.close();
    },
  };
}

// IFA_F_* bits by the name `ip -json` gives them (iproute2's ifa_flag_names).
const IFA_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [0x02, "nodad"],
  [0x04, "optimistic"],
  [0x08, "dadfailed"],
  [0x10, "home"],
  [0x20, "deprecated"],
  [0x40, "tentative"],
  [0x100, "mngtmpaddr"],
  [0x200, "noprefixroute"],
  [0x400, "autojoin"],
  [0x800, "stable-privacy"],
];
const IFA_F_SECONDARY = 0x01;
const IFA_F_PERMANENT = 0x80;

/** The flags of an address as `ip -json addr` prints them (its `true` members), sorted. */
function addressFlagNames(address: Pick<NativeAddress, "family" | "flags">): string[] {
  const names = IFA_FLAG_NAMES.filter(([bit]) => (address.flags & bit) !== 0).map(([, name]) => name);
  // One bit, two names: a temporary (privacy) address in IPv6.
  if ((address.flags & IFA_F_SECONDARY) !== 0) names.push(address.family === 6 ? "temporary" : "secondary");
  if ((address.flags & IFA_F_PERMANENT) === 0) names.push("dynamic");
  return names.sort();
}

// watchAddressFlags in the namespace of `netns`, woken by netlink notices made there.
function watchAddressFlagsInNetns(
  iface: string,
  onChange: (addresses: AddressFlags[]) => void,
  options: WatchAddressFlagsOptions,
  netns: NetnsRef,
): { close(): void } {
  const addon = nativeAddon().addon;
  if (addon?.watchNetlink === undefined || addon.listAddresses === undefined) {
    throw new LinkError("ADDON_UNAVAILABLE", `Cannot watch the addresses of "${iface}" in "${netns.path}": the native addon is missing or predates namespaces`);
  }
  const { watchNetlink, listAddresses } = addon as Required<NativeAddon>;
  let last: string | undefined;
  let closed = false;
  const check = (): void => {
    if (closed) return;
    let addresses: AddressFlags[];
    try {
      addresses = listAddresses(iface, netns.fd).map((a) => ({ address: a.address, prefixLength: a.prefixLength, flags: addressFlagNames(a) }));
    } catch (error) {
      if ((error as { code?: unknown }).code !== "ENODEV") {
        options.onError?.(error);
        return;
      }
      addresses = [];
    }
    const key = JSON.stringify(addresses);
    if (key === last) return;
    last = key;
    onChange(addresses);
  };
  // Subscribed before the first read, so no change falls between them.
  const watch: NativeSocketHandle = watchNetlink(check, (error) => options.onError?.(error), netns.fd);
  queueMicrotask(check);
  return {
    close(): void {
      if (closed) return;
      closed = true;
      addon.close(watch);
    },
  };
}
