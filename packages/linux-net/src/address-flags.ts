import { LinkError } from "./errors.js";
import { assertInterfaceName, runIpJson, type IpOptions } from "./ip-command.js";
import { addressFlagsFromJson, type AddressFlags, type IpLinkJson } from "./ip-json.js";
import { LinkWatch } from "./link-watch.js";

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
