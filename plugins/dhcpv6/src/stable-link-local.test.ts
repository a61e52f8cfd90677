import { MemoryStateStore } from "@incusx/testkit";
import { isIPv6 } from "node:net";
import { describe, expect, it } from "vitest";
import { STABLE_SECRET_KEY, loadOrCreateStableSecret, stableLinkLocalAddress } from "./stable-link-local.js";

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => i);
const MAC = "02:16:3e:aa:bb:cc";

describe("stableLinkLocalAddress (RFC 7217)", () => {
  it("is a fe80::/64 address, the same for the same MAC and secret, and hides the MAC", () => {
    const address = stableLinkLocalAddress(MAC, SECRET);
    expect(isIPv6(address)).toBe(true);
    expect(address).toMatch(/^fe80::[0-9a-f]{1,4}(:[0-9a-f]{1,4}){3}$/);
    expect(stableLinkLocalAddress(MAC.toUpperCase(), SECRET)).toBe(address);
    // Not the EUI-64 one, which would show the MAC.
    expect(address).not.toContain("3eff:feaa");
  });

  it("differs by MAC, by secret and by DAD counter", () => {
    const address = stableLinkLocalAddress(MAC, SECRET);
    expect(stableLinkLocalAddress("02:16:3e:aa:bb:cd", SECRET)).not.toBe(address);
    expect(stableLinkLocalAddress(MAC, Uint8Array.from({ length: 16 }, () => 7))).not.toBe(address);
    expect(stableLinkLocalAddress(MAC, SECRET, 1)).not.toBe(address);
  });
});

describe("loadOrCreateStableSecret", () => {
  it("creates 16 random bytes once and keeps them", async () => {
    const store = new MemoryStateStore();
    const first = await loadOrCreateStableSecret(store);
    expect(first).toHaveLength(16);
    expect(await store.get(STABLE_SECRET_KEY)).toBe(Buffer.from(first).toString("hex"));
    expect(Buffer.from(await loadOrCreateStableSecret(store)).equals(Buffer.from(first))).toBe(true);
  });

  it("replaces an unreadable stored secret", async () => {
    const store = new MemoryStateStore();
    await store.set(STABLE_SECRET_KEY, "not hex");
    expect(await loadOrCreateStableSecret(store)).toHaveLength(16);
    expect(await store.get(STABLE_SECRET_KEY)).toMatch(/^[0-9a-f]{32}$/);
  });
});
