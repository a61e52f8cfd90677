import type { NetworkState } from "@incusx/sdk";

/**
 * Resolves when `check` holds, checking now and again after every change
 * `state` reports (`watch`): waits on the state itself, never on a timer.
 * Rejects when `check` does.
 *
 * @example
 * await untilState(state, async () => (await state.forwards("ovn0")).length === 2);
 */
export function untilState(state: Required<Pick<NetworkState, "watch">>, check: () => Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const test = () =>
      check().then((ok) => {
        if (ok && !done) {
          done = true;
          stop();
          resolve();
        }
      }, reject);
    const stop = state.watch(() => void test());
    void test();
  });
}
