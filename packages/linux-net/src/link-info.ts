import { LinkError } from "./errors.js";
import { assertInterfaceName, runIpJson, type IpOptions } from "./ip-command.js";
import type { IpLinkJson } from "./ip-json.js";
import { nativeAddon } from "./native-addon.js";

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
}

/**
 * Reads name, index, MAC, MTU and up/carrier state of `iface`: in-process
 * with rtnetlink through the native addon when it is built and `options`
 * ask for nothing else, else with `ip -json link show`. Either read makes
 * the kernel apply a carrier change it still holds back (up to 1 s), so the
 * link turns operationally up at once. Rejects with a {@link LinkError}
 * `ENODEV` when the interface does not exist.
 *
 * @example
 * const { index, mac } = await readLinkInfo("eth0");
 */
export async function readLinkInfo(iface: string, options: IpOptions = {}): Promise<LinkInfo> {
  assertInterfaceName(iface);
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
function readLinkInfoNative(iface: string): LinkInfo | undefined {
  const addon = nativeAddon().addon;
  if (typeof addon?.linkInfo !== "function") return undefined;
  let link: ReturnType<NonNullable<typeof addon.linkInfo>>;
  try {
    link = addon.linkInfo(iface);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENODEV") return undefined;
    throw new LinkError("ENODEV", `Failed to read link "${iface}": Device "${iface}" does not exist`, { cause: error });
  }
  if (link.type !== ARPHRD_ETHER && link.type !== ARPHRD_LOOPBACK) return undefined;
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
  };
}
