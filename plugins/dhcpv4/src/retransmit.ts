/** A source of uniform random numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/** First retransmission delay of RFC 2131 section 4.1: 4 s. */
export const INITIAL_RETRANSMIT_MS = 4_000;
/** Retransmission delays double up to 64 s (RFC 2131 section 4.1). */
export const MAX_RETRANSMIT_MS = 64_000;
/** The +-1 s randomisation of every retransmission delay. */
export const RETRANSMIT_JITTER_MS = 1_000;
/** Shortest wait between REQUESTs in RENEWING and REBINDING (RFC 2131 section 4.4.5). */
export const MIN_RENEW_RETRANSMIT_MS = 60_000;

/**
 * How long to wait after transmission number `transmissions` (1 for the
 * first) before sending again: 4, 8, 16, 32, 64, 64 ... seconds, each
 * randomised by a uniform +-1 s.
 *
 * @example
 * retransmitDelay(1, () => 0.5) // 4000
 * retransmitDelay(3, () => 0) // 15000
 */
export function retransmitDelay(transmissions: number, random: RandomSource): number {
  const base = Math.min(MAX_RETRANSMIT_MS, INITIAL_RETRANSMIT_MS * 2 ** Math.max(0, transmissions - 1));
  return Math.round(base + (random() * 2 - 1) * RETRANSMIT_JITTER_MS);
}

/**
 * When to send the next REQUEST in RENEWING (`until` = T2) or REBINDING
 * (`until` = the lease's end): after half the time left, at least 60 s, and
 * never past `until`.
 *
 * @example
 * renewRetransmitAt(0, 1_000_000) // 500000
 * renewRetransmitAt(0, 90_000) // 60000
 */
export function renewRetransmitAt(now: number, until: number): number {
  return Math.min(until, now + Math.max(MIN_RENEW_RETRANSMIT_MS, (until - now) / 2));
}
