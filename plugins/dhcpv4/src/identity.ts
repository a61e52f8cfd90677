import { ETHERNET_HARDWARE_TYPE, loadOrCreateDuid as loadOrCreateStoredDuid, storeKeyPart } from "@incusx/dhcp-client";
import type { Dhcpv4ClientIdentifier, Duid } from "@incusx/dhcp-wire";
import type { Logger, StateStore } from "@incusx/sdk";

// DUID creation and the IAID are shared with the DHCPv6 plugin through @incusx/dhcp-client.
export { createDuid, duidFromHex, iaidFor, macBytes } from "@incusx/dhcp-client";

/**
 * State store key of the DUID this plugin created, used when neither the
 * runtime nor the config gives one. Each plugin has its own store, so this
 * is not the DHCPv6 plugin's `dhcp6.duid`; it is created the same way.
 */
export const DUID_KEY = "dhcp4.duid";

/** State store key of the lease kept for INIT-REBOOT on a NIC: `nic` is its `leaseKey`, else its interface name. */
export function leaseKey(nic: string): string {
  return `dhcp4.lease.${storeKeyPart(nic)}`;
}

/**
 * The DUID kept in the state store under {@link DUID_KEY}, created and
 * stored first when there is none or the stored one is unreadable, so the
 * client keeps its identity, and so its address, across restarts.
 */
export function loadOrCreateDuid(store: StateStore, mac: string, nowMs: number, logger: Logger): Promise<Duid> {
  return loadOrCreateStoredDuid(store, { key: DUID_KEY, label: "DHCPv4 DUID", mac, nowMs }, logger);
}

/**
 * The client identifier (option 61) to send: RFC 4361 (type 255, IAID,
 * DUID) for `"duid"`, hardware type 1 and the MAC for `"mac"`.
 *
 * @example
 * clientIdentifier("mac", { duid, iaid, mac: Uint8Array.of(2, 0x16, 0x3e, 0, 0, 1) }) // { form: "hardware", hardwareType: 1, ... }
 */
export function clientIdentifier(
  kind: "duid" | "mac",
  identity: { readonly duid: Duid; readonly iaid: number; readonly mac: Uint8Array },
): Dhcpv4ClientIdentifier {
  return kind === "mac"
    ? { form: "hardware", hardwareType: ETHERNET_HARDWARE_TYPE, address: identity.mac }
    : { form: "duid", iaid: identity.iaid, duid: identity.duid };
}
