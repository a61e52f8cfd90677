// A NIC whose address OVN assigns (the logical switch port's `addresses`
// says "dynamic") has it only in the port's `dynamic_addresses`:
// "MAC [IPv4] [IPv6]". Incus applied no SNAT at all for such NICs.

import { addressFamily, canonicalAddress } from "@incusx/sdk";
import { OvsdbClient, op, optionalAtom, type SelectResult } from "@incusx/ovsdb";
import { OvnNatError } from "./errors.js";
import { OVN_NORTHBOUND } from "./rows.js";

/** The addresses OVN assigned to a logical switch port. */
export interface SwitchPortAddresses {
  /** The MAC address, when assigned. */
  readonly mac: string | undefined;
  /** The IPv4 address (canonical), when assigned. */
  readonly ipv4: string | undefined;
  /** The IPv6 address (canonical), when assigned. */
  readonly ipv6: string | undefined;
}

/**
 * The logical switch port name incusx uses for a NIC:
 * `<network>-instance-<instance>-<device>`. It mirrors Incus's
 * `incus-net<networkID>-instance-<instanceUUID>-<device>` with the network
 * and instance names in place of the ids, which the host state does not
 * carry. A state provider that knows Incus's ids passes Incus's name to
 * {@link readDynamicAddresses} instead.
 *
 * @example ovnSwitchPortName("ovn0", "c1", "eth0") // "ovn0-instance-c1-eth0"
 */
export function ovnSwitchPortName(network: string, instance: string, device: string): string {
  return `${network}-instance-${instance}-${device}`;
}

/**
 * Parses a `dynamic_addresses` value (`"0a:00:00:00:00:05 10.0.0.5 fd00::5"`,
 * either address may be absent).
 */
export function parseDynamicAddresses(text: string): SwitchPortAddresses {
  const [mac, ...rest] = text.trim().split(/\s+/).filter((t) => t !== "");
  let ipv4: string | undefined;
  let ipv6: string | undefined;
  for (const token of rest) {
    try {
      const canonical = canonicalAddress(token);
      if (addressFamily(canonical) === "ipv4") ipv4 ??= canonical;
      else ipv6 ??= canonical;
    } catch {
      // Not an address (a future field): ignored.
    }
  }
  return { mac: mac === undefined || mac === "" ? undefined : mac.toLowerCase(), ipv4, ipv6 };
}

/**
 * Reads the `dynamic_addresses` of the logical switch port `portName` from
 * the NB. Resolves `undefined` when the port does not exist; a port with
 * no dynamic addresses (static, or not assigned yet) gives all fields
 * `undefined`.
 *
 * @example
 * const a = await readDynamicAddresses(client, ovnSwitchPortName("ovn0", "c1", "eth0"));
 * if (a?.ipv4 !== undefined) rules.push({ ...rule, family: "ipv4", logicalIp: a.ipv4 });
 */
export async function readDynamicAddresses(client: OvsdbClient, portName: string, timeoutMs?: number): Promise<SwitchPortAddresses | undefined> {
  let result: SelectResult;
  try {
    [result] = (await client.transact(
      OVN_NORTHBOUND,
      [op.select("Logical_Switch_Port", [["name", "==", portName]], ["dynamic_addresses"])],
      timeoutMs === undefined ? {} : { timeoutMs },
    )) as [SelectResult];
  } catch (error) {
    throw new OvnNatError("database", `Reading dynamic addresses of logical switch port "${portName}" failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const row = result.rows[0];
  if (row === undefined) return undefined;
  const value = optionalAtom(row.dynamic_addresses);
  return parseDynamicAddresses(typeof value === "string" ? value : "");
}
