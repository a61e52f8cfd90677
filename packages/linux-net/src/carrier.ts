import { LinkError } from "./errors.js";
import { assertInterfaceName, netnsRefOf, type IpOptions } from "./ip-command.js";
import { readLinkInfo } from "./link-info.js";
import { LinkWatch } from "./link-watch.js";
import { nativeAddon, type NativeAddon, type NativeSocketHandle } from "./native-addon.js";

/** Options of {@link watchCarrier}. */
export interface WatchCarrierOptions extends IpOptions {
  /** Called when reading fails for another reason than a missing interface; the watch goes on. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Calls `onChange` with whether `iface` is usable (administratively up and
 * with carrier, `LOWER_UP`) once at start and on every change, driven by
 * `ip monitor` (or, with `options.netns` a namespace held by fd, by a
 * netlink socket made there, which needs the native addon). A missing
 * interface counts as down. Lets a DHCPv6 client see the link come back
 * after a flap and Confirm its binding (RFC 8415 section 18.2.3).
 *
 * @example
 * const watch = watchCarrier("eth0", (up) => { if (up && wasDown) client.linkReturned(); wasDown = !up; });
 * watch.close();
 */
export function watchCarrier(iface: string, onChange: (usable: boolean) => void, options: WatchCarrierOptions = {}): { close(): void } {
  assertInterfaceName(iface);
  const ref = netnsRefOf(options);
  let last: boolean | undefined;
  let closed = false;
  const check = async (): Promise<void> => {
    let usable: boolean;
    try {
      const link = await readLinkInfo(iface, options);
      usable = link.up && link.carrier;
    } catch (error) {
      if (!(error instanceof LinkError && error.code === "ENODEV")) throw error;
      usable = false;
    }
    if (closed || usable === last) return;
    last = usable;
    onChange(usable);
  };
  if (ref === undefined) {
    const watch = new LinkWatch(options, check, (error) => options.onError?.(error));
    return {
      close(): void {
        closed = true;
        watch.close();
      },
    };
  }
  const addon = nativeAddon().addon;
  if (addon?.watchNetlink === undefined) {
    throw new LinkError("ADDON_UNAVAILABLE", `Cannot watch the carrier of "${iface}" in "${ref.path}": the native addon is missing or predates namespaces`);
  }
  const { watchNetlink } = addon as Required<NativeAddon>;
  // Reads one after the other, so a later state never lands before an earlier one.
  let chain = Promise.resolve();
  const trigger = (): void => {
    chain = chain.then(check).catch((error: unknown) => {
      if (!closed) options.onError?.(error);
    });
  };
  // Subscribed before the first read, so no change falls between them.
  const watch: NativeSocketHandle = watchNetlink(trigger, (error) => options.onError?.(error), ref.fd);
  trigger();
  return {
    close(): void {
      if (closed) return;
      closed = true;
      addon.close(watch);
    },
  };
}
