// A NIC whose address OVN assigns (the logical switch port's `addresses`
// says "dynamic") has it only in the port's `dynamic_addresses`:
// "MAC [IPv4] [IPv6]". The port is found by the name Incus gives it
// (`incus-net<network ID>-instance-<instance UUID>-<device>`): its
// external_ids name only the switch and the member, not the instance.

import { addressFamily, canonicalAddress, type Network, type NicDevice } from "@incusx/sdk";
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
 * The legacy port name: `<network>-instance-<instance>-<device>`, with the
 * network and instance names in place of Incus's ids. Still looked up (after
 * Incus's name) for states that carry neither the network ID nor the
 * instance's `volatile.uuid`.
 *
 * @example ovnSwitchPortName("ovn0", "c1", "eth0") // "ovn0-instance-c1-eth0"
 */
export function ovnSwitchPortName(network: string, instance: string, device: string): string {
  return `${network}-instance-${instance}-${device}`;
}

/**
 * The logical switch port Incus creates for an OVN NIC
 * (`getInstanceDevicePortName` in Incus's driver_ovn.go):
 * `incus-net<network ID>-instance-<instance volatile.uuid>-<device>`.
 *
 * @example incusSwitchPortName(7, "8f0c...", "eth0") // "incus-net7-instance-8f0c...-eth0"
 */
export function incusSwitchPortName(networkId: number, instanceUuid: string, device: string): string {
  return `incus-net${networkId}-instance-${instanceUuid}-${device}`;
}

const INCUS_ROUTER = /^incus-net(\d+)-lr$/;

/**
 * Incus's network ID of `network`: its `id`, else the one in a router named
 * as Incus names it (`incus-net<id>-lr`); `undefined` when neither says.
 */
export function incusNetworkId(network: Pick<Network, "id" | "ovnRouter">): number | undefined {
  if (network.id !== undefined) return network.id;
  const m = INCUS_ROUTER.exec(network.ovnRouter ?? "");
  return m === null ? undefined : Number(m[1]);
}

/**
 * The logical switch port names a NIC's port may have, in the order they
 * are tried: Incus's (when the network ID and the instance's
 * `volatile.uuid` are known), then the legacy `<network>-instance-<instance>-<device>`.
 */
export function nicSwitchPortNames(network: Pick<Network, "name" | "id" | "ovnRouter">, nic: Pick<NicDevice, "instance" | "device" | "instanceUuid">): string[] {
  const id = incusNetworkId(network);
  const names: string[] = [];
  if (id !== undefined && nic.instanceUuid) names.push(incusSwitchPortName(id, nic.instanceUuid, nic.device));
  names.push(ovnSwitchPortName(network.name, nic.instance, nic.device));
  return names;
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
 * Reads the `dynamic_addresses` of the logical switch port `portName`, or of
 * the first of several names that exists (one read transaction), from the
 * NB. Resolves `undefined` when no such port exists; a port with no dynamic
 * addresses (static, or not assigned yet) gives all fields `undefined`.
 *
 * @example
 * const a = await readDynamicAddresses(client, nicSwitchPortNames(network, nic));
 * if (a?.ipv4 !== undefined) rules.push({ ...rule, family: "ipv4", logicalIp: a.ipv4 });
 */
export async function readDynamicAddresses(client: OvsdbClient, portName: string | readonly string[], timeoutMs?: number): Promise<SwitchPortAddresses | undefined> {
  const names = typeof portName === "string" ? [portName] : portName;
  if (names.length === 0) return undefined;
  let results: SelectResult[];
  try {
    results = (await client.transact(
      OVN_NORTHBOUND,
      names.map((name) => op.select("Logical_Switch_Port", [["name", "==", name]], ["dynamic_addresses"])),
      timeoutMs === undefined ? {} : { timeoutMs },
    )) as SelectResult[];
  } catch (error) {
    throw new OvnNatError("database", `Reading dynamic addresses of logical switch port "${names.join('" or "')}" failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const row = results.map((r) => r.rows[0]).find((r) => r !== undefined);
  if (row === undefined) return undefined;
  const value = optionalAtom(row.dynamic_addresses);
  return parseDynamicAddresses(typeof value === "string" ? value : "");
}
