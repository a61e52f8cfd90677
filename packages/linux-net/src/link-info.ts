import { LinkError } from "./errors.js";
import { assertInterfaceName, netnsRefOf, runIpJson, type IpOptions } from "./ip-command.js";
import type { IpLinkJson } from "./ip-json.js";
import { nativeAddon } from "./native-addon.js";
import type { NetnsRef } from "./netns.js";

/** What the kernel says about one interface. */
export interface LinkInfo {
  /** Interface name. */
  readonly name: string;
  /** Interface index (stable while the interface exists; the zone id of its link-local addresses). */
  readonly index: number;
  /** Hardware address, lower case (`""` for links without one). */
  readonly mac: string;
  /** Current MTU. */
  readonly mtu: number;
  /** Administratively up (`ip link set IF up`, the `UP` flag). */
  readonly up: boolean;
  /** The link has carrier (`LOWER_UP`): a cable, or a veth whose peer is up. */
  readonly carrier: boolean;
  /**
   * How often the link gained its carrier since it was made
   * (`IFLA_CARRIER_UP_COUNT`, wrapping at 2^32), counted as it happens,
   * before the kernel's link watch announces it. In-process reads on
   * Linux 4.16 and later only; `undefined` from `ip` (which does not show it).
   */
  readonly carrierUpCount?: number;
  /** How often the link lost its carrier (`IFLA_CARRIER_DOWN_COUNT`), like {@link LinkInfo.carrierUpCount}: a loss too short for any notice still counts. */
  readonly carrierDownCount?: number;
}

/**
 * Reads name, index, MAC, MTU and up/carrier state of `iface`: in-process
 * with rtnetlink through the native addon when it is built and `options`
 * ask for nothing else, else with `ip -json link show`. Either read makes
 * the kernel apply a carrier change it still holds back (up to 1 s), so the
 * link turns operationally up at once. Rejects with a {@link LinkError}
 * `ENODEV` when the interface does not exist.
 *
 * With `options.netns` a namespace held by fd (`openNetns`, a
 * {@link NetnsRef}) it reads the link in that namespace over rtnetlink,
 * the process staying where it is: always in-process (the MAC is the
 * link's hardware address bytes whatever the link type),
 * `ADDON_UNAVAILABLE` without the addon, `EINVAL` with `ipCommand` too or
 * a closed handle. A name or path in `netns` runs `ip` there.
 *
 * @example
 * const { index, mac } = await readLinkInfo("eth0");
 */
export async function readLinkInfo(iface: string, options: IpOptions = {}): Promise<LinkInfo> {
  assertInterfaceName(iface);
  const ref = netnsRefOf(options);
  if (ref !== undefined) return readLinkInfoInNetns(iface, ref);
  if (options.netns === undefined && options.ipCommand === undefined) {
    const link = readLinkInfoNative(iface);
    if (link !== undefined) return link;
  }
  const links = await runIpJson<IpLinkJson>(["link", "show", "dev", iface], options, `Failed to read link "${iface}"`);
  const link = links[0];
  if (link === undefined) throw new LinkError("ENODEV", `Failed to read link "${iface}": Device "${iface}" does not exist`);
  return linkInfoFromJson(link);
}

/** A {@link LinkInfo} from one entry of `ip -json link show`. */
export function linkInfoFromJson(link: IpLinkJson): LinkInfo {
  const flags = link.flags ?? [];
  return {
    name: link.ifname,
    index: link.ifindex,
    mac: (link.address ?? "").toLowerCase(),
    mtu: link.mtu,
    up: flags.includes("UP"),
    carrier: flags.includes("LOWER_UP") && !flags.includes("NO-CARRIER"),
  };
}

const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const IFF_LOWER_UP = 0x10000;

// The addon's RTM_GETLINK, read as `ip` reads it; `undefined` (use `ip`)
// without the addon, for link types whose address `ip` prints otherwise,
// and for errors other than a missing link.
function readLinkInfoNative(iface: string, netns?: number): LinkInfo | undefined {
  const addon = nativeAddon().addon;
  if (typeof addon?.linkInfo !== "function") return undefined;
  let link: ReturnType<NonNullable<typeof addon.linkInfo>>;
  try {
    link = addon.linkInfo(iface, netns);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENODEV") throw new LinkError("ENODEV", `Failed to read link "${iface}": Device "${iface}" does not exist`, { cause: error });
    if (netns === undefined) return undefined;
    throw new LinkError(code === "EPERM" || code === "EINVAL" ? code : "IP_FAILED", `Failed to read link "${iface}": ${(error as Error).message}`, { cause: error });
  }
  if (netns === undefined && link.type !== ARPHRD_ETHER && link.type !== ARPHRD_LOOPBACK) return undefined;
  const up = (link.flags & IFF_UP) !== 0;
  // `ip` shows NO-CARRIER for a link that is up but not running.
  const noCarrier = up && (link.flags & IFF_RUNNING) === 0;
  return {
    name: link.name,
    index: link.index,
    mac: [...link.address].map((b) => b.toString(16).padStart(2, "0")).join(":"),
    mtu: link.mtu,
    up,
    carrier: (link.flags & IFF_LOWER_UP) !== 0 && !noCarrier,
    ...(link.carrierUpCount === undefined ? {} : { carrierUpCount: link.carrierUpCount }),
    ...(link.carrierDownCount === undefined ? {} : { carrierDownCount: link.carrierDownCount }),
  };
}

// readLinkInfo in the namespace of `netns`: the addon only, never ip here.
function readLinkInfoInNetns(iface: string, netns: NetnsRef): LinkInfo {
  const addon = nativeAddon().addon;
  if (addon?.openNetns === undefined) {
    throw new LinkError("ADDON_UNAVAILABLE", `Cannot read link "${iface}" in "${netns.path}": the native addon is missing or predates namespaces`);
  }
  // A closed handle throws its LinkError EINVAL here.
  const link = readLinkInfoNative(iface, netns.fd);
  if (link === undefined) throw new LinkError("ADDON_UNAVAILABLE", `Cannot read link "${iface}" in "${netns.path}": the native addon cannot read links`);
  return link;
}
