/**
 * Retransmission parameters of one message exchange (RFC 8415 section 15),
 * in milliseconds. A zero `mrt`, `mrc` or `mrd` means "no limit".
 *
 * @example
 * const request: RetransmitParams = { irt: 1_000, mrt: 30_000, mrc: 10, mrd: 0 };
 */
export interface RetransmitParams {
  /** Initial retransmission time. */
  readonly irt: number;
  /** Maximum retransmission time. */
  readonly mrt: number;
  /** Maximum retransmission count (transmissions, the first included). */
  readonly mrc: number;
  /** Maximum retransmission duration, counted from the first transmission. */
  readonly mrd: number;
}

/** A source of uniform random numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

// RFC 8415 section 7.6, in milliseconds.
/** SOL_TIMEOUT 1 s, SOL_MAX_RT 3600 s. */
export const SOLICIT_PARAMS: RetransmitParams = { irt: 1_000, mrt: 3_600_000, mrc: 0, mrd: 0 };
/** REQ_TIMEOUT 1 s, REQ_MAX_RT 30 s, REQ_MAX_RC 10. */
export const REQUEST_PARAMS: RetransmitParams = { irt: 1_000, mrt: 30_000, mrc: 10, mrd: 0 };
/** REN_TIMEOUT 10 s, REN_MAX_RT 600 s; MRD is the time left until T2. */
export const RENEW_PARAMS: RetransmitParams = { irt: 10_000, mrt: 600_000, mrc: 0, mrd: 0 };
/** REB_TIMEOUT 10 s, REB_MAX_RT 600 s; MRD is the time left until every address is invalid. */
export const REBIND_PARAMS: RetransmitParams = { irt: 10_000, mrt: 600_000, mrc: 0, mrd: 0 };
/** CNF_TIMEOUT 1 s, CNF_MAX_RT 4 s, CNF_MAX_RD 10 s. */
export const CONFIRM_PARAMS: RetransmitParams = { irt: 1_000, mrt: 4_000, mrc: 0, mrd: 10_000 };
/** DEC_TIMEOUT 1 s, DEC_MAX_RC 4. */
export const DECLINE_PARAMS: RetransmitParams = { irt: 1_000, mrt: 0, mrc: 4, mrd: 0 };
/** INF_TIMEOUT 1 s, INF_MAX_RT 3600 s. */
export const INFORMATION_REQUEST_PARAMS: RetransmitParams = { irt: 1_000, mrt: 3_600_000, mrc: 0, mrd: 0 };

/**
 * RAND of RFC 8415 section 15: uniform in [-0.1, 0.1]; strictly above 0 for
 * the first Solicit, so that clients started together spread out instead of
 * sending at once.
 */
export function randomFactor(random: RandomSource, strictlyPositive = false): number {
  return strictlyPositive ? (1 - random()) * 0.1 : random() * 0.2 - 0.1;
}

function capped(rt: number, params: RetransmitParams, random: RandomSource): number {
  if (params.mrt > 0 && rt > params.mrt) return params.mrt + randomFactor(random) * params.mrt;
  return rt;
}

/**
 * The first retransmission timeout: RT = IRT + RAND*IRT, capped by MRT.
 *
 * @example
 * initialTimeout(SOLICIT_PARAMS, () => 0.5, true) // 1050
 */
export function initialTimeout(params: RetransmitParams, random: RandomSource, firstSolicit = false): number {
  return Math.round(capped(params.irt + randomFactor(random, firstSolicit) * params.irt, params, random));
}

/**
 * The timeout after `previous`: RT = 2*RTprev + RAND*RTprev, capped by
 * MRT (then RT = MRT + RAND*MRT).
 *
 * @example
 * nextTimeout(1050, SOLICIT_PARAMS, () => 0.5) // 2100
 */
export function nextTimeout(previous: number, params: RetransmitParams, random: RandomSource): number {
  return Math.round(capped(2 * previous + randomFactor(random) * previous, params, random));
}

/**
 * The transmission schedule of one exchange: when to send again and when to
 * give up (MRC transmissions made, or MRD elapsed since the first one).
 *
 * @example
 * const schedule = new RetransmitSchedule(REQUEST_PARAMS, Math.random, clock.now());
 * let wait = schedule.first(); // send, then wait `wait` ms for a reply
 * wait = schedule.next(clock.now()); // undefined: give up
 */
export class RetransmitSchedule {
  #params: RetransmitParams;
  readonly #random: RandomSource;
  readonly #startedAt: number;
  readonly #firstSolicit: boolean;
  #rt = 0;
  #sent = 0;

  /**
   * @param startedAt Clock time of the first transmission.
   * @param firstSolicit Whether this is the first Solicit on the interface (RAND > 0).
   */
  constructor(params: RetransmitParams, random: RandomSource, startedAt: number, firstSolicit = false) {
    this.#params = params;
    this.#random = random;
    this.#startedAt = startedAt;
    this.#firstSolicit = firstSolicit;
  }

  /** Transmissions made so far. */
  get transmissions(): number {
    return this.#sent;
  }

  /** The RT of the latest transmission. */
  get currentTimeout(): number {
    return this.#rt;
  }

  /**
   * Changes MRT for the retransmissions still to come, as a server's
   * SOL_MAX_RT or INF_MAX_RT option asks (RFC 8415 section 18.2.9).
   */
  setMaxTimeout(mrt: number): void {
    this.#params = { ...this.#params, mrt };
  }

  /** Records the first transmission and returns how long to wait for an answer. */
  first(): number {
    this.#sent = 1;
    this.#rt = initialTimeout(this.#params, this.#random, this.#firstSolicit);
    return this.#bounded(this.#startedAt, this.#rt);
  }

  /**
   * Called when a wait ran out at `now`: returns how long to wait after the
   * retransmission to make now, or `undefined` when the exchange has failed.
   */
  next(now: number): number | undefined {
    const { mrc, mrd } = this.#params;
    if (mrc > 0 && this.#sent >= mrc) return undefined;
    if (mrd > 0 && now - this.#startedAt >= mrd) return undefined;
    this.#sent++;
    this.#rt = nextTimeout(this.#rt, this.#params, this.#random);
    return this.#bounded(now, this.#rt);
  }

  #bounded(now: number, rt: number): number {
    const { mrd } = this.#params;
    return mrd > 0 ? Math.max(0, Math.min(rt, this.#startedAt + mrd - now)) : rt;
  }
}
