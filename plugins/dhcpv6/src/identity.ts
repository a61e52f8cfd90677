import { iaidFor, loadOrCreateDuid as loadOrCreateStoredDuid, storeKeyPart } from "@incusx/dhcp-client";
import type { Duid } from "@incusx/dhcp-wire";
import type { Logger, StateStore } from "@incusx/sdk";

// DUID creation and the IAID are shared with the DHCPv4 plugin through @incusx/dhcp-client.
export { createDuid } from "@incusx/dhcp-client";

/** State store key of the client DUID, shared by every interface (as Incus keeps `dhcp6.duid`). */
export const DUID_KEY = "dhcp6.duid";

/** State store key of the IAID used on a NIC: `nic` is its `leaseKey`, else its interface name. */
export function iaidKey(nic: string): string {
  return `dhcp6.iaid.${storeKeyPart(nic)}`;
}

/**
 * State store key of the binding kept for a restart: `key` is the NIC's
 * `DhcpRunOptions.leaseKey` (else the interface name), so two NICs named
 * `eth0` in different namespaces keep theirs apart.
 */
export function bindingKey(key: string): string {
  return `dhcp6.lease.${storeKeyPart(key)}`;
}

/**
 * The DUID kept in the state store (hex of its wire bytes), created and
 * stored first when there is none or the stored one is unreadable, so the
 * client keeps its identity, and so its address, across restarts.
 */
export function loadOrCreateDuid(store: StateStore, mac: string, nowMs: number, logger: Logger): Promise<Duid> {
  return loadOrCreateStoredDuid(store, { key: DUID_KEY, label: "DHCPv6 DUID", mac, nowMs }, logger);
}

/**
 * The IAID for `iface`, stable across restarts: the last four bytes of the
 * MAC address (as dhcpcd does), else a hash of the interface name; stored
 * under {@link iaidKey} of `leaseKey` (default `iface`) the first time.
 */
export async function loadOrCreateIaid(store: StateStore, iface: string, mac: string, leaseKey: string = iface): Promise<number> {
  const key = iaidKey(leaseKey);
  const stored = await store.get(key);
  if (typeof stored === "number" && Number.isInteger(stored) && stored >= 0 && stored <= 0xffffffff) return stored;
  const iaid = iaidFor(iface, mac);
  await store.set(key, iaid);
  return iaid;
}
