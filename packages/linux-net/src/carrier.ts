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
 * with carrier, `LOWER_UP`) once at start and on every change, driven by a
 * netlink socket of the native addon (made in `options.netns` when that is
 * a namespace held by fd, which needs the addon), else by `ip monitor`
 * (without the addon, with `ipCommand`, or a namespace name or path). A missing
 * interface counts as down. Lets a DHCPv6 client see the link come back
 * after a flap and Confirm its binding (RFC 8415 section 18.2.3). Each link
 * notice is read for the state it carries, in order, so a flap shorter than
 * a re-read (down and up again before `ip` answers) is still reported. A
 * flap the kernel itself folds into no notice (its link watch batches
 * carrier changes for up to 1 s) is not seen, and the IPv6 stack does not
 * see it either.
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
  const report = (usable: boolean): void => {
    if (closed || usable === last) return;
    last = usable;
    onChange(usable);
  };
  const check = async (): Promise<void> => {
    let usable: boolean;
    try {
      const link = await readLinkInfo(iface, options);
      usable = link.up && link.carrier;
    } catch (error) {
      if (!(error instanceof LinkError && error.code === "ENODEV")) throw error;
      usable = false;
    }
    report(usable);
  };
  const addon = nativeAddon().addon;
  // In-process over rtnetlink when the addon can (no `ip monitor` child per watch); `ip` otherwise, or when asked for.
  const useIp = ref === undefined && (addon?.watchNetlink === undefined || options.ipCommand !== undefined || options.netns !== undefined);
  if (useIp) {
    const onLine = (line: string): void => {
      const usable = usableFromMonitorLine(line, iface);
      if (usable !== undefined) report(usable);
    };
    const watch = new LinkWatch(options, check, (error) => options.onError?.(error), onLine);
    return {
      close(): void {
        closed = true;
        watch.close();
      },
    };
  }
  if (addon?.watchNetlink === undefined) {
    throw new LinkError("ADDON_UNAVAILABLE", `Cannot watch the carrier of "${iface}" in "${ref!.path}": the native addon is missing or predates namespaces`);
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
  const onMessage = (bytes: Buffer): void => {
    for (const usable of usableFromNetlink(bytes, iface)) report(usable);
    trigger();
  };
  const watch: NativeSocketHandle = watchNetlink(onMessage, (error) => options.onError?.(error), ref?.fd);
  trigger();
  return {
    close(): void {
      if (closed) return;
      closed = true;
      addon.close(watch);
    },
  };
}

const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const IFF_LOWER_UP = 0x10000;

/**
 * The state an `ip -o monitor link` line announces for `iface` (up with
 * carrier, or not; a deletion is down), else `undefined`.
 *
 * @example
 * usableFromMonitorLine("3: eth0@if2: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 state DOWN", "eth0") // false
 */
export function usableFromMonitorLine(line: string, iface: string): boolean | undefined {
  const match = /^(Deleted )?\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>/.exec(line);
  if (match === null || match[2] !== iface) return undefined;
  if (match[1] !== undefined) return false;
  const flags = match[3]!.split(",");
  return flags.includes("UP") && flags.includes("LOWER_UP") && !flags.includes("NO-CARRIER");
}

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const IFLA_IFNAME = 3;

/** The states the RTM_NEWLINK/RTM_DELLINK messages in one netlink datagram announce for `iface`, in order. */
export function usableFromNetlink(bytes: Uint8Array, iface: string): boolean[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const states: boolean[] = [];
  let offset = 0;
  while (offset + 16 <= bytes.length) {
    const length = view.getUint32(offset, true);
    const type = view.getUint16(offset + 4, true);
    if (length < 16 || offset + length > bytes.length) break;
    if ((type === RTM_NEWLINK || type === RTM_DELLINK) && length >= 32) {
      const flags = view.getUint32(offset + 16 + 8, true);
      if (ifnameOf(bytes, view, offset + 32, offset + length) === iface) {
        states.push(type === RTM_NEWLINK && (flags & IFF_UP) !== 0 && (flags & IFF_LOWER_UP) !== 0 && (flags & IFF_RUNNING) !== 0);
      }
    }
    offset += (length + 3) & ~3;
  }
  return states;
}

function ifnameOf(bytes: Uint8Array, view: DataView, start: number, end: number): string | undefined {
  let at = start;
  while (at + 4 <= end) {
    const length = view.getUint16(at, true);
    const type = view.getUint16(at + 2, true) & 0x3fff;
    if (length < 4 || at + length > end) return undefined;
    if (type === IFLA_IFNAME) {
      const raw = bytes.subarray(at + 4, at + length);
      const nul = raw.indexOf(0);
      return Buffer.from(nul < 0 ? raw : raw.subarray(0, nul)).toString("utf8");
    }
    at += (length + 3) & ~3;
  }
  return undefined;
}
