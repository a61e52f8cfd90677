import type { Duid } from "@incusx/dhcp-wire";
import { describe, expect, it } from "vitest";
import { MAX_KEPT_OFFERS, keepOffer, selectOffer, type Offer } from "./select.js";

const offer = (i: number, preference: number): Offer => ({
  serverId: { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(i >> 8, i & 0xff) } as Duid,
  preference,
  addresses: [],
});

describe("keepOffer", () => {
  it(`keeps at most ${MAX_KEPT_OFFERS} offers, whatever a flood of Advertises brings`, () => {
    const kept: Offer[] = [];
    for (let i = 0; i < 10_000; i++) keepOffer(kept, offer(i, i % 251));
    expect(kept).toHaveLength(MAX_KEPT_OFFERS);
    // Preference 250 comes 39 times: the first 16 of those are kept.
    expect(kept.map((o) => o.preference)).toEqual(Array(MAX_KEPT_OFFERS).fill(250));
    expect(kept[0]).toEqual(offer(250, 250));
  });

  it("selects what selectOffer would have selected from the whole list: highest preference, earliest among equals", () => {
    const all = Array.from({ length: 100 }, (_, i) => offer(i, [3, 7, 7, 1][i % 4]!));
    const kept: Offer[] = [];
    for (const o of all) keepOffer(kept, o);
    expect(selectOffer(kept)).toBe(selectOffer(all));
    expect(selectOffer(kept)).toBe(all[1]);
  });

  it("drops a new offer no better than the worst kept once full", () => {
    const kept: Offer[] = [];
    for (let i = 0; i < MAX_KEPT_OFFERS; i++) keepOffer(kept, offer(i, 5));
    const later = offer(999, 5);
    keepOffer(kept, later);
    expect(kept).not.toContain(later);
    const better = offer(1000, 6);
    keepOffer(kept, better);
    expect(kept).toContain(better);
    expect(kept).toHaveLength(MAX_KEPT_OFFERS);
  });
});
