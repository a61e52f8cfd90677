import type { RecordingTransport } from "./transport.js";

/** The part of a fake clock {@link serveEverySecond} drives (the testkit's `FakeClock`). */
export interface SteppedClock {
  advance(ms: number): Promise<void>;
  flush(): Promise<void>;
}

/**
 * Lets `seconds` of fake time pass one second at a time, delivering
 * `answer(message)` for each message the client sent (nothing when it
 * returns `undefined`). At most `perSecond` messages are answered a second,
 * so a client stuck in a tight loop fails the test's count instead of
 * hanging it.
 *
 * @example
 * await serveEverySecond(clock, transport, 300, (m) => (typeOf(m) === REQUEST ? ack(m) : undefined));
 */
export async function serveEverySecond<M, D>(
  clock: SteppedClock,
  transport: RecordingTransport<M, D>,
  seconds: number,
  answer: (message: M) => M | undefined,
  perSecond = 3,
): Promise<void> {
  let answered = transport.sent.length;
  for (let s = 0; s < seconds; s++) {
    await clock.advance(1_000);
    for (let n = 0; n < perSecond && answered < transport.sent.length; n++) {
      const reply = answer(transport.sent[answered++]!.message);
      if (reply !== undefined) transport.deliver(reply);
      await clock.flush();
    }
  }
}
