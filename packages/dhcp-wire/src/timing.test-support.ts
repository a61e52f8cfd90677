// Timing for the codec tests' cost bounds.

/**
 * The fastest of `runs` wall-clock timings of `work`, in ms. One timing on
 * the shared 2-core test machine can include a scheduler stall or a GC
 * pause of tens of ms; the fastest of a few is what the code costs.
 */
export function fastestMs(work: () => unknown, runs = 3): number {
  let fastest = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    work();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return fastest;
}
