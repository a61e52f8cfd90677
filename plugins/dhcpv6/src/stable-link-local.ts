import { createHash, randomBytes } from "node:crypto";
import type { JsonValue, StateStore } from "@incusx/sdk";

/** State key of the secret that {@link stableLinkLocalAddress} hashes (hex, 16 bytes), kept per host state dir. */
export const STABLE_SECRET_KEY = "dhcp6.stable-secret";

/** DAD_Counter values tried before giving up on finding an unreserved interface identifier (RFC 7217 IDGEN_RETRIES is 3). */
const MAX_DAD_COUNTER = 3;

/**
 * The RFC 7217 link-local address of an interface: fe80::/64 with the
 * interface identifier F(Prefix, Net_Iface, Network_ID, DAD_Counter,
 * secret_key) = the first 64 bits of SHA-256 over the prefix, the MAC
 * (Net_Iface: stable while Incus keeps `volatile.hwaddr`), an empty
 * Network_ID and the counter. Stable for one MAC and secret, different
 * between interfaces, and it says nothing about the MAC, as dhcpcd's
 * `slaac private` makes. Identifiers RFC 5453 reserves are skipped by
 * counting up.
 *
 * @example
 * stableLinkLocalAddress("02:16:3e:aa:bb:cc", secret) // "fe80::9c1b:..."
 */
export function stableLinkLocalAddress(mac: string, secret: Uint8Array, dadCounter = 0): string {
  for (let counter = dadCounter; counter <= dadCounter + MAX_DAD_COUNTER; counter++) {
    const hash = createHash("sha256")
      .update(Buffer.from([0xfe, 0x80, 0, 0, 0, 0, 0, 0]))
      .update(mac.toLowerCase())
      .update(Buffer.from([counter]))
      .update(secret)
      .digest();
    const iid = hash.subarray(0, 8);
    if (reserved(iid)) continue;
    const groups: string[] = [];
    for (let i = 0; i < 8; i += 2) groups.push(iid.readUInt16BE(i).toString(16));
    return `fe80::${groups.join(":")}`;
  }
  throw new Error("No unreserved RFC 7217 interface identifier found");
}

// RFC 5453: the all-zero identifier, the subnet anycast range fdff:ffff:ffff:ff80-ffff and the proxy-mobile 0200:5efe:: block.
function reserved(iid: Buffer): boolean {
  if (iid.every((b) => b === 0)) return true;
  if (iid.readUInt32BE(0) === 0xfdffffff && iid.readUInt16BE(4) === 0xffff && iid[6] === 0xff && iid[7]! >= 0x80) return true;
  return iid.readUInt32BE(0) === 0x02005efe;
}

/** The host's secret for {@link stableLinkLocalAddress}: the stored one, else 16 random bytes stored now. */
export async function loadOrCreateStableSecret(store: StateStore): Promise<Uint8Array> {
  const stored = await store.get(STABLE_SECRET_KEY);
  if (typeof stored === "string" && /^[0-9a-f]{32,}$/i.test(stored)) return Buffer.from(stored, "hex");
  const secret = randomBytes(16);
  await store.set(STABLE_SECRET_KEY, secret.toString("hex") as JsonValue);
  return secret;
}
