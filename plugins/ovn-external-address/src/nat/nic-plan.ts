// Which rules a NIC asks for: `ipv4.address.external` / `ipv6.address.external`
// set, with the NIC's static `ipv4.address` / `ipv6.address`, or else the
// address OVN assigned dynamically to its logical switch port.

import { addressFamily, canonicalAddress, type IpFamily, type NatPlan, type NatRule, type NatSkip, type NicDevice } from "@incusx/sdk";
import type { SwitchPortAddresses } from "./dynamic-addresses.js";
import { nicName } from "./rows.js";
import { nicAddressIP } from "../validator.js";

const FAMILIES: readonly IpFamily[] = ["ipv4", "ipv6"];
const LABEL: Readonly<Record<IpFamily, string>> = { ipv4: "IPv4", ipv6: "IPv6" };

/**
 * The NAT plan of `nic`. `dynamic` reads the port's dynamic addresses; it
 * is called only when a family wants a rule and has no static address.
 * `portsOf` names the switch ports looked for, for the skip reason when
 * none exists. NICs that are not `ovn`, or set no external address, get an
 * empty plan.
 */
export async function planNicNat(
  nic: NicDevice,
  dynamic: (network: string) => Promise<SwitchPortAddresses | undefined>,
  portsOf?: (network: string) => readonly string[],
): Promise<NatPlan> {
  const rules: NatRule[] = [];
  const skipped: NatSkip[] = [];
  if (nic.type !== "ovn") return { rules, skipped };
  const network = nic.config.network ?? "";
  let live: Promise<SwitchPortAddresses | undefined> | undefined;
  for (const family of FAMILIES) {
    const external = nic.config[`${family}.address.external`];
    if (external === undefined || external === "") continue;
    const owner = { instance: nic.instance, device: nic.device };
    if (network === "") {
      skipped.push({ family, reason: `NIC "${nicName(owner)}" names no network` });
      continue;
    }
    const configured = nic.config[`${family}.address`];
    // A static address may carry a prefix (`10.0.0.5/24`); the rule needs the address alone.
    let logical = configured !== undefined && configured !== "" && configured !== "none" ? sameFamily(nicAddressIP(configured), family) : undefined;
    if (configured === "none") {
      skipped.push({ family, reason: `NIC "${nicName(owner)}" has ${family}.address "none"` });
      continue;
    }
    let noPort = false;
    if (logical === undefined && (configured === undefined || configured === "")) {
      live ??= dynamic(network);
      const addresses = await live;
      noPort = addresses === undefined;
      logical = addresses?.[family];
    }
    if (logical === undefined) {
      const ports = noPort ? (portsOf?.(network) ?? []) : [];
      const why = ports.length === 0 ? "" : ` (no logical switch port ${ports.join(" or ")})`;
      skipped.push({ family, reason: `NIC "${nicName(owner)}" has no ${LABEL[family]} address${why}` });
      continue;
    }
    rules.push({ owner, network, family, logicalIp: logical, externalIp: sameFamily(external, family) ?? external });
  }
  return { rules, skipped };
}

function sameFamily(text: string, family: IpFamily): string | undefined {
  try {
    const canonical = canonicalAddress(text);
    return addressFamily(canonical) === family ? canonical : undefined;
  } catch {
    return undefined;
  }
}
