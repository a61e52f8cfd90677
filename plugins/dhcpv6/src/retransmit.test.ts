import { describe, expect, it } from "vitest";
import {
  REQUEST_PARAMS,
  RetransmitSchedule,
  SOLICIT_PARAMS,
  initialTimeout,
  nextTimeout,
  randomFactor,
  type RetransmitParams,
} from "./retransmit.js";

const fixed = (value: number) => () => value;

describe("RFC 8415 section 15 retransmission", () => {
  it("keeps RAND within [-0.1, 0.1]", () => {
    expect(randomFactor(fixed(0))).toBeCloseTo(-0.1);
    expect(randomFactor(fixed(0.5))).toBeCloseTo(0);
    expect(randomFactor(fixed(0.999999))).toBeCloseTo(0.1);
  });

  it("makes RAND strictly positive for the first Solicit, even when the source gives 0", () => {
    expect(randomFactor(fixed(0), true)).toBeCloseTo(0.1);
    expect(randomFactor(fixed(0.999999), true)).toBeGreaterThan(0);
    expect(initialTimeout(SOLICIT_PARAMS, fixed(0.999999), true)).toBeGreaterThanOrEqual(1000);
    expect(initialTimeout(SOLICIT_PARAMS, fixed(0), false)).toBe(900);
  });

  it("starts at IRT + RAND*IRT and doubles with RAND*RTprev", () => {
    expect(initialTimeout(SOLICIT_PARAMS, fixed(0.5), true)).toBe(1050);
    expect(initialTimeout(REQUEST_PARAMS, fixed(1 - 1e-12))).toBe(1100);
    expect(nextTimeout(1050, SOLICIT_PARAMS, fixed(0.5))).toBe(2100);
    expect(nextTimeout(1000, SOLICIT_PARAMS, fixed(0))).toBe(1900);
  });

  it("caps RT at MRT + RAND*MRT", () => {
    expect(nextTimeout(20_000, REQUEST_PARAMS, fixed(0.5))).toBe(30_000);
    expect(nextTimeout(20_000, REQUEST_PARAMS, fixed(0))).toBe(27_000);
    const noCap: RetransmitParams = { irt: 1000, mrt: 0, mrc: 0, mrd: 0 };
    expect(nextTimeout(1_000_000, noCap, fixed(0.5))).toBe(2_000_000);
  });

  it("gives the Solicit schedule 1.05, 2.1, 4.2 s ... up to SOL_MAX_RT", () => {
    const schedule = new RetransmitSchedule(SOLICIT_PARAMS, fixed(0.5), 0, true);
    const waits = [schedule.first()];
    for (let i = 0; i < 13; i++) waits.push(schedule.next(0)!);
    expect(waits).toEqual([1050, 2100, 4200, 8400, 16800, 33600, 67200, 134400, 268800, 537600, 1075200, 2150400, 3600000, 3600000]);
  });

  it("stops after MRC transmissions", () => {
    const schedule = new RetransmitSchedule(REQUEST_PARAMS, fixed(0.5), 0);
    const waits = [schedule.first()];
    for (let wait = schedule.next(0); wait !== undefined; wait = schedule.next(0)) waits.push(wait);
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000]);
    expect(schedule.transmissions).toBe(10);
  });

  it("cuts the last wait at MRD and stops once MRD has passed", () => {
    const params: RetransmitParams = { irt: 10_000, mrt: 600_000, mrc: 0, mrd: 25_000 };
    const schedule = new RetransmitSchedule(params, fixed(0.5), 100);
    expect(schedule.first()).toBe(10_000);
    expect(schedule.next(10_100)).toBe(15_000); // RT 20 s, but MRD ends at 25.1 s
    expect(schedule.next(25_100)).toBeUndefined();
  });

  it("applies a new MRT to the retransmissions still to come", () => {
    const schedule = new RetransmitSchedule(SOLICIT_PARAMS, fixed(0.5), 0, true);
    schedule.first();
    schedule.setMaxTimeout(1_500);
    expect(schedule.next(0)).toBe(1_500);
  });

  it("stays within the RFC bounds for any random source", () => {
    for (let run = 0; run < 200; run++) {
      const schedule = new RetransmitSchedule(SOLICIT_PARAMS, Math.random, 0, true);
      let previous = schedule.first();
      expect(previous).toBeGreaterThanOrEqual(1000);
      expect(previous).toBeLessThanOrEqual(1100);
      for (let i = 0; i < 20; i++) {
        const rt = schedule.next(0)!;
        const mrt = SOLICIT_PARAMS.mrt;
        // Either doubled with jitter (and at most MRT), or capped: MRT with jitter.
        const doubled = rt >= Math.floor(1.9 * previous) && rt <= Math.ceil(2.1 * previous) && rt <= mrt;
        const capped = rt >= Math.floor(0.9 * mrt) && rt <= Math.ceil(1.1 * mrt);
        expect(doubled || capped, `RT ${rt} after ${previous}`).toBe(true);
        previous = rt;
      }
    }
  });
});
