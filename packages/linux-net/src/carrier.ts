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
 * a re-read (down and up again before `ip` answers) is still reported.
 *
 * A flap the kernel itself folds into one notice showing the link up (its
 * link watch holds carrier changes back for up to 1 s; the IPv6 stack does
 * not see such a flap either) is told by the carrier-down count
 * (`IFLA_CARRIER_DOWN_COUNT`, Linux 4.16 and later), which the kernel
 * counts as the carrier goes: when a notice or a read shows it grown while
 * the link is usable and was last reported so, `onChange` gets `false`,
 * then `true`. Once per loss: a read and the notice before or after it
 * showing the same count are one flap. The count is compared with the
 * first read's, per interface index (an interface made again counts
 * afresh). Over `ip monitor`, and on older kernels, which show no count,
 * such a flap is not seen.
 *
 * @example
 * const watch = watchCarrier("eth0", (up) => { if (up && wasDown) client.linkReturned(); wasDown = !up; });
 * watch.close();
 */
export function watchCarrier(iface: string, onChange: (usable: boolean) => void, options: WatchCarrierOptions = {}): { close(): void } {
  assertInterfaceName(iface);
  const ref = netnsRefOf(options);
  const tracker = new CarrierTracker();
  let closed = false;
  const report = (state: LinkState): void => {
    for (const usable of tracker.observe(state)) {
      if (closed) return;
      onChange(usable);
    }
  };
  const check = async (): Promise<void> => {
    let state: LinkState;
    try {
      const link = await readLinkInfo(iface, options);
      state = { usable: link.up && link.carrier, index: link.index, ...(link.carrierDownCount === undefined ? {} : { carrierDownCount: link.carrierDownCount }) };
    } catch (error) {
      if (!(error instanceof LinkError && error.code === "ENODEV")) throw error;
      state = { usable: false };
    }
    report(state);
  };
  const addon = nativeAddon().addon;
  // In-process over rtnetlink when the addon can (no `ip monitor` child per watch); `ip` otherwise, or when asked for.
  const useIp = ref === undefined && (addon?.watchNetlink === undefined || options.ipCommand !== undefined || options.netns !== undefined);
  if (useIp) {
    const onLine = (line: string): void => {
      const usable = usableFromMonitorLine(line, iface);
      if (usable !== undefined) report({ usable });
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
    for (const state of linkStatesFromNetlink(bytes, iface)) report(state);
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

/** One link's state, as a link notice or a read shows it. */
export interface LinkState {
  /** Up with carrier. */
  readonly usable: boolean;
  /** Interface index; absent when the interface is missing. */
  readonly index?: number;
  /** `IFLA_CARRIER_DOWN_COUNT`; absent before Linux 4.16 and from `ip`. */
  readonly carrierDownCount?: number;
}

/**
 * Turns the link states a watch sees (notices and reads, in the order
 * they come) into the `usable` changes to report: a change of state, and
 * a grown carrier-down count while the link stays usable as `false`, then
 * `true` (a loss the kernel announced with no down notice). Counts are
 * compared per interface index and only forwards (modulo 2^32), so a read
 * newer than a notice still queued, or that notice, does not report one
 * loss twice.
 *
 * @example
 * const tracker = new CarrierTracker();
 * tracker.observe({ usable: true, index: 2, carrierDownCount: 3 }); // [true]
 * tracker.observe({ usable: true, index: 2, carrierDownCount: 4 }); // [false, true]
 */
export class CarrierTracker {
  #last: boolean | undefined;
  #index: number | undefined;
  #downCount: number | undefined;

  /** The reports `state` calls for, in order (none when nothing changed). */
  observe(state: LinkState): boolean[] {
    let lost = false;
    if (state.carrierDownCount !== undefined && state.index !== undefined) {
      if (state.index !== this.#index || this.#downCount === undefined) {
        this.#index = state.index;
        this.#downCount = state.carrierDownCount;
      } else if (isAfter(state.carrierDownCount, this.#downCount)) {
        this.#downCount = state.carrierDownCount;
        lost = true;
      }
    }
    if (state.usable !== this.#last) {
      this.#last = state.usable;
      return [state.usable];
    }
    return lost && state.usable ? [false, true] : [];
  }
}

// Whether u32 counter value `a` is past `b`, across a wrap.
function isAfter(a: number, b: number): boolean {
  const ahead = (a - b) >>> 0;
  return ahead !== 0 && ahead < 0x80000000;
}

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const IFLA_IFNAME = 3;
const IFLA_CARRIER_DOWN_COUNT = 48;

/**
 * The states the RTM_NEWLINK/RTM_DELLINK messages in one netlink datagram
 * announce for `iface`, in order. Bounded by the datagram: a message or an
 * attribute whose length runs past its container ends the walk there.
 */
export function linkStatesFromNetlink(bytes: Uint8Array, iface: string): LinkState[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const states: LinkState[] = [];
  let offset = 0;
  while (offset + 16 <= bytes.length) {
    const length = view.getUint32(offset, true);
    const type = view.getUint16(offset + 4, true);
    if (length < 16 || offset + length > bytes.length) break;
    if ((type === RTM_NEWLINK || type === RTM_DELLINK) && length >= 32) {
      const index = view.getInt32(offset + 16 + 4, true);
      const flags = view.getUint32(offset + 16 + 8, true);
      const attributes = linkAttributes(bytes, view, offset + 32, offset + length);
      if (attributes.name === iface) {
        const usable = type === RTM_NEWLINK && (flags & IFF_UP) !== 0 && (flags & IFF_LOWER_UP) !== 0 && (flags & IFF_RUNNING) !== 0;
        states.push({ usable, index, ...(attributes.carrierDownCount === undefined ? {} : { carrierDownCount: attributes.carrierDownCount }) });
      }
    }
    offset += (length + 3) & ~3;
  }
  return states;
}

// The name and carrier-down count among a link message's attributes; a
// name not yet read when an attribute runs past `end` is no name at all.
function linkAttributes(bytes: Uint8Array, view: DataView, start: number, end: number): { name?: string; carrierDownCount?: number } {
  const found: { name?: string; carrierDownCount?: number } = {};
  let at = start;
  while (at + 4 <= end) {
    const length = view.getUint16(at, true);
    const type = view.getUint16(at + 2, true) & 0x3fff;
    if (length < 4 || at + length > end) break;
    if (type === IFLA_IFNAME) {
      const raw = bytes.subarray(at + 4, at + length);
      const nul = raw.indexOf(0);
      found.name = Buffer.from(nul < 0 ? raw : raw.subarray(0, nul)).toString("utf8");
    } else if (type === IFLA_CARRIER_DOWN_COUNT && length >= 8) {
      found.carrierDownCount = view.getUint32(at + 4, true);
    }
    at += (length + 3) & ~3;
  }
  return found;
}
