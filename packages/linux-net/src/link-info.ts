import { LinkError } from "./errors.js";
import { assertInterfaceName, runIpJson, type IpOptions } from "./ip-command.js";
import type { IpLinkJson } from "./ip-json.js";

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
 * Reads name, index, MAC, MTU and up/carrier state of `iface` with
 * `ip -json link show`. Rejects with a {@link LinkError} `ENODEV` when the
 * interface does not exist.
 *
 * @example
 * const { index, mac } = await readLinkInfo("eth0");
 */
export async function readLinkInfo(iface: string, options: IpOptions = {}): Promise<LinkInfo> {
  assertInterfaceName(iface);
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
