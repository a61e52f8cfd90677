import { describe, expect, it } from "vitest";
import { renewRetransmitAt, retransmitDelay } from "./retransmit.js";

describe("retransmission delays (RFC 2131 section 4.1)", () => {
  it("are 4, 8, 16, 32, then 64 s for ever without jitter", () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => retransmitDelay(n, () => 0.5))).toEqual([4_000, 8_000, 16_000, 32_000, 64_000, 64_000, 64_000]);
  });

  it("move by at most one second either way", () => {
    expect(retransmitDelay(1, () => 0)).toBe(3_000);
    expect(retransmitDelay(5, () => 0.999_999)).toBe(65_000);
    for (let i = 0; i < 200; i++) {
      const d = retransmitDelay(3, Math.random);
      expect(d).toBeGreaterThanOrEqual(15_000);
      expect(d).toBeLessThanOrEqual(17_000);
    }
  });
});

describe("RENEWING and REBINDING retransmissions (section 4.4.5)", () => {
  it("wait half the time left, at least 60 s, never past the end", () => {
    expect(renewRetransmitAt(0, 1_000_000)).toBe(500_000);
    expect(renewRetransmitAt(0, 100_000)).toBe(60_000);
    expect(renewRetransmitAt(0, 30_000)).toBe(30_000);
  });
});
