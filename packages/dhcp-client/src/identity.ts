import { randomUUID } from "node:crypto";
import { decodeDuid, encodeDuid, type Duid } from "@incusx/dhcp-wire";
import type { Logger, StateStore } from "@incusx/sdk";

const DUID_EPOCH_MS = Date.UTC(2000, 0, 1);
/** ARP hardware type of Ethernet, in DUIDs and DHCPv4 client identifiers. */
export const ETHERNET_HARDWARE_TYPE = 1;

/**
 * `name` made fit for a state store key part: store keys allow letters,
 * digits, ".", "-" and "_", interface names allow more; the rest becomes "_".
 *
 * @example
 * `dhcp6.iaid.${storeKeyPart("veth:1@x")}` // "dhcp6.iaid.veth_1_x"
 */
export function storeKeyPart(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * The MAC address text (`02:16:3e:00:00:01`) as bytes, or `undefined` when
 * it is not one or is all zeros.
 *
 * @example
 * macBytes("02:16:3e:00:00:01") // Uint8Array [2, 22, 62, 0, 0, 1]
 */
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
  return { type: "llt", hardwareType: ETHERNET_HARDWARE_TYPE, time, linkLayerAddress };
}

/**
 * A DUID from hex of its wire bytes (at least 2 bytes), or `undefined` when
 * it is not one.
 *
 * @example
 * duidFromHex("000100010000000a02163eaabbcc") // { type: "llt", hardwareType: 1, time: 10, ... }
 */
export function duidFromHex(hex: string): Duid | undefined {
  if (!/^(?:[0-9a-f]{2}){2,}$/i.test(hex)) return undefined;
  const bytes = Uint8Array.from(Buffer.from(hex, "hex"));
  try {
    return decodeDuid(bytes, 0, bytes.length);
  } catch {
    return undefined;
  }
}

/**
 * Hex of a DUID's wire bytes, as DUIDs are kept in state stores and configs.
 *
 * @example
 * duidHex(createDuid("02:16:3e:aa:bb:cc", Date.UTC(2000, 0, 1) + 10_500)) // "000100010000000a02163eaabbcc"
 */
export function duidHex(duid: Duid): string {
  return Buffer.from(encodeDuid(duid)).toString("hex");
}

/**
 * The DUID that `bytes` (a runtime's shared DUID) hold, or `undefined` when
 * there are none or they do not decode; `onUnreadable` hears why.
 *
 * @example
 * decodeSharedDuid(options.duid, (error) => log.warn(`Ignoring the unreadable shared DUID: ${String(error)}`)) ?? ownDuid
 */
export function decodeSharedDuid(bytes: Uint8Array | undefined, onUnreadable: (error: unknown) => void): Duid | undefined {
  if (bytes === undefined) return undefined;
  try {
    return decodeDuid(bytes, 0, bytes.length);
  } catch (error) {
    onUnreadable(error);
    return undefined;
  }
}

/** Where {@link loadOrCreateDuid} keeps a client's DUID. */
export interface StoredDuidOptions {
  /** The state store key (`"dhcp6.duid"`). */
  readonly key: string;
  /** What the DUID is called in the warning about an unreadable one (`"DHCPv6 DUID"`). */
  readonly label: string;
  /** The interface's MAC address text, for a new DUID-LLT. */
  readonly mac: string;
  /** The clock's time now, for a new DUID-LLT. */
  readonly nowMs: number;
}

/**
 * The DUID kept in `store` under `options.key` (hex of its wire bytes),
 * created with {@link createDuid} and stored first when there is none or the
 * stored one is unreadable (with a warning), so the client keeps its
 * identity, and so its address, across restarts.
 *
 * @example
 * const duid = await loadOrCreateDuid(store, { key: "dhcp6.duid", label: "DHCPv6 DUID", mac, nowMs: clock.now() }, log);
 */
export async function loadOrCreateDuid(store: StateStore, options: StoredDuidOptions, logger: Logger): Promise<Duid> {
  const stored = await store.get(options.key);
  const duid = typeof stored === "string" ? duidFromHex(stored) : undefined;
  if (duid !== undefined) return duid;
  if (stored !== undefined) logger.warn(`Replacing the unreadable stored ${options.label} ${JSON.stringify(stored)}`);
  const created = createDuid(options.mac, options.nowMs);
  await store.set(options.key, duidHex(created));
  return created;
}

/**
 * The IAID for `iface`: the last four bytes of the MAC address (as dhcpcd
 * does), else an FNV-1a hash of the interface name. DHCPv4 (RFC 4361) and
 * DHCPv6 derive it the same way, so both families use the same IAID.
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
