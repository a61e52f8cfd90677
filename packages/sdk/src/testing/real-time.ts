// Real timers, captured when this module loads. The fakes' own waits
// (MemoryLeaseEventStream.waitFor's time limit, FakeClock settling promise
// chains) must keep working when a test installs vitest's fake timers.

/** The event loop's `setImmediate`, as it was when the fakes loaded. */
export const realSetImmediate = globalThis.setImmediate;
/** The event loop's `setTimeout`, as it was when the fakes loaded. */
export const realSetTimeout = globalThis.setTimeout;
/** The event loop's `clearTimeout`, as it was when the fakes loaded. */
export const realClearTimeout = globalThis.clearTimeout;
