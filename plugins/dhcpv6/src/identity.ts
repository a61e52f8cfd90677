import { randomUUID } from "node:crypto";
import { decodeDuid, encodeDuid, type Duid } from "@incusx/dhcp-wire";
import type { Logger, StateStore } from "@incusx/sdk";

/** State store key of the client DUID, shared by every interface (as Incus keeps `dhcp6.duid`). */
export const DUID_KEY = "dhcp6.duid";

/** State store key of the IAID used on `iface`. */
export function iaidKey(iface: string): string {
  // Store keys allow letters, digits, ".", "-" and "_"; interface names allow more.
  return `dhcp6.iaid.${iface.replace(/[^A-Za-z0-9._-]/g, "_")}`;
}

const DUID_EPOCH_MS = Date.UTC(2000, 0, 1);
const ETHERNET = 1;

/** The MAC address text (`02:16:3e:00:00:01`) as bytes, or `undefined` when it is not one or is all zeros. */
export function macBytes(mac: string): Uint8Array | undefined {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) return undefined;
  const bytes = Uint8Array.from(mac.split(":"), (b) => parseInt(b, 16));
  return bytes.some((b) => b !== 0) ? bytes : undefined;
}

/**
 * A new DUID: DUID-LLT from the MAC address and the current time (RFC 8415
 * section 11.2), or DUID-UUID when the link has no usable MAC address.
 *
 * @example
 * createDuid("02:16:3e:00:00:01", clock.now()) // { type: "llt", hardwareType: 1, time: ..., linkLayerAddress: ... }
 */
export function createDuid(mac: string, nowMs: number): Duid {
  const linkLayerAddress = macBytes(mac);
  if (linkLayerAddress === undefined) return { type: "uuid", uuid: randomUUID() };
  const seconds = Math.floor((nowMs - DUID_EPOCH_MS) / 1000);
  const time = ((seconds % 2 ** 32) + 2 ** 32) % 2 ** 32;
  return { type: "llt", hardwareType: ETHERNET, time, linkLayerAddress };
}

/**
 * The DUID kept in the state store (hex of its wire bytes), created and
 * stored first when there is none or the stored one is unreadable, so the
 * client keeps its identity, and so its address, across restarts.
 */
export async function loadOrCreateDuid(store: StateStore, mac: string, nowMs: number, logger: Logger): Promise<Duid> {
  const stored = await store.get(DUID_KEY);
  if (typeof stored === "string" && /^(?:[0-9a-f]{2}){2,}$/i.test(stored)) {
    const bytes = Uint8Array.from(Buffer.from(stored, "hex"));
    try {
      return decodeDuid(bytes, 0, bytes.length);
    } catch {
      // Fall through: replace it.
    }
  }
  if (stored !== undefined) logger.warn(`Replacing the unreadable stored DHCPv6 DUID ${JSON.stringify(stored)}`);
  const duid = createDuid(mac, nowMs);
  await store.set(DUID_KEY, Buffer.from(encodeDuid(duid)).toString("hex"));
  return duid;
}

/**
 * The IAID for `iface`, stable across restarts: the last four bytes of the
 * MAC address (as dhcpcd does), else a hash of the interface name; stored
 * under {@link iaidKey} the first time.
 */
export async function loadOrCreateIaid(store: StateStore, iface: string, mac: string): Promise<number> {
  const key = iaidKey(iface);
  const stored = await store.get(key);
  if (typeof stored === "number" && Number.isInteger(stored) && stored >= 0 && stored <= 0xffffffff) return stored;
  const bytes = macBytes(mac);
  const iaid = bytes === undefined ? fnv1a(iface) : ((bytes[2]! << 24) | (bytes[3]! << 16) | (bytes[4]! << 8) | bytes[5]!) >>> 0;
  await store.set(key, iaid);
  return iaid;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}
