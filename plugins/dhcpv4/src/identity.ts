import { randomUUID } from "node:crypto";
import { decodeDuid, encodeDuid, type Dhcpv4ClientIdentifier, type Duid } from "@incusx/dhcp-wire";
import type { Logger, StateStore } from "@incusx/sdk";

/**
 * State store key of the DUID this plugin created, used when neither the
 * runtime nor the config gives one. Each plugin has its own store, so this
 * is not the DHCPv6 plugin's `dhcp6.duid`; it is created the same way.
 */
export const DUID_KEY = "dhcp4.duid";

/** State store key of the lease kept for INIT-REBOOT on `iface`. */
export function leaseKey(iface: string): string {
  // Store keys allow letters, digits, ".", "-" and "_"; interface names allow more.
  return `dhcp4.lease.${iface.replace(/[^A-Za-z0-9._-]/g, "_")}`;
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
 * A new DUID, made exactly as the DHCPv6 plugin makes its own: DUID-LLT
 * from the MAC address and the current time (RFC 8415 section 11.2), or
 * DUID-UUID when the link has no usable MAC address.
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

/** A DUID from hex of its wire bytes, or `undefined` when it is not one. */
export function duidFromHex(hex: string): Duid | undefined {
  if (!/^(?:[0-9a-f]{2}){3,}$/i.test(hex)) return undefined;
  const bytes = Uint8Array.from(Buffer.from(hex, "hex"));
  try {
    return decodeDuid(bytes, 0, bytes.length);
  } catch {
    return undefined;
  }
}

/** Hex of a DUID's wire bytes. */
export function duidHex(duid: Duid): string {
  return Buffer.from(encodeDuid(duid)).toString("hex");
}

/**
 * The DUID kept in the state store under {@link DUID_KEY}, created and
 * stored first when there is none or the stored one is unreadable, so the
 * client keeps its identity, and so its address, across restarts.
 */
export async function loadOrCreateDuid(store: StateStore, mac: string, nowMs: number, logger: Logger): Promise<Duid> {
  const stored = await store.get(DUID_KEY);
  const duid = typeof stored === "string" ? duidFromHex(stored) : undefined;
  if (duid !== undefined) return duid;
  if (stored !== undefined) logger.warn(`Replacing the unreadable stored DHCPv4 DUID ${JSON.stringify(stored)}`);
  const created = createDuid(mac, nowMs);
  await store.set(DUID_KEY, duidHex(created));
  return created;
}

/**
 * The IAID for `iface`: the last four bytes of the MAC address, else an
 * FNV-1a hash of the interface name. The same derivation as the DHCPv6
 * plugin's IAID (plugins/dhcpv6/src/identity.ts, duplicated because plugins
 * never import each other), so RFC 4361's "same IAID as DHCPv6" holds for
 * the usual case of an interface with a MAC address.
 *
 * @example
 * iaidFor("eth0", "02:16:3e:aa:bb:cc") // 0x3eaabbcc
 */
export function iaidFor(iface: string, mac: string): number {
  const bytes = macBytes(mac);
  return bytes === undefined ? fnv1a(iface) : ((bytes[2]! << 24) | (bytes[3]! << 16) | (bytes[4]! << 8) | bytes[5]!) >>> 0;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
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
    ? { form: "hardware", hardwareType: ETHERNET, address: identity.mac }
    : { form: "duid", iaid: identity.iaid, duid: identity.duid };
}
