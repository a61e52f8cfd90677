#!/usr/bin/env node
// How soon a host reading a live server (@incusx/state-incus, the host
// config's "state": { "type": "incus" }) sees a network forward made with
// `lxc network forward create`: a real LXD 5.0 in its own namespace
// (@incusx/testkit/lxd), a Host over its socket, FORWARDS forwards (default
// 20) made one after the other. For each, timed until the host's
// NetworkState lists it (its watch fires after the event's re-read):
//   - from the `lxc` command's start (includes the client's own start-up),
//   - from the event's timestamp (LXD's clock: the server announced it),
//   - from the `lxc` command's exit (negative: seen before lxc returned),
//   - and, for FORWARDS more forwards made with the request the command
//     sends (`POST /1.0/networks/NAME/forwards`, no client start-up), from
//     that request's start: the server's work plus ours.
// Target: median <= 100 ms from the creation (the request, or the event).
//
// Usage: node test/bench/state-incus-events.bench.mjs   (root, Debian's lxd; needs `pnpm run build`)
// Env:   BENCH_FORWARDS (20)   BENCH_ENFORCE=1 exits 1 when the target is missed.
// The last line printed is a JSON summary.

import { performance } from "node:perf_hooks";
import { importDists, positiveInt } from "./ovn-bench-support.mjs";

const FORWARDS = positiveInt("BENCH_FORWARDS", 20);
const { host: hostDist, sdk, lxdKit } = await importDists({
  host: "packages/host/dist/index.js",
  sdk: "packages/sdk/dist/index.js",
  lxdKit: "packages/testkit/dist/lxd/index.js",
});
const skip = lxdKit.lxdSkipReason();
if (skip !== undefined) {
  console.error(`Skipped: ${skip}`);
  process.exit(0);
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (ms) => Math.round(ms * 10) / 10;
const stats = (values) => ({ median: round(median(values)), min: round(Math.min(...values)), max: round(Math.max(...values)) });

const lxd = await lxdKit.startLxd();
let host;
try {
  host = new hostDist.Host({ plugins: [], state: { type: "incus", socket: lxd.socketPath }, services: { logSink: () => {} } });
  await host.start();
  const state = host.resolve(sdk.NetworkStateToken);
  await state.networks();
  const events = await lxd.events(["lifecycle"]);
  const fromCommand = [];
  const fromEvent = [];
  const fromExit = [];
  const fromRequest = [];
  /** Resolves with when (performance.now, Date.now) the host's state first lists a forward on `address`. */
  const seenForward = (address) =>
    new Promise((resolve) => {
      let done = false;
      const check = async () => {
        if (!done && (await state.forwards(lxd.bridge)).some((f) => f.listenAddress === address)) {
          done = true;
          const at = { at: performance.now(), wall: Date.now() };
          stop();
          resolve(at);
        }
      };
      const stop = state.watch(() => void check());
    });
  for (let i = 0; i < FORWARDS; i++) {
    const address = `198.51.100.${100 + i}`;
    let seenAt = 0;
    let seenWall = 0;
    const seen = seenForward(address).then((t) => {
      seenAt = t.at;
      seenWall = t.wall;
    });
    const event = events.waitFor((e) => e.metadata.action === "network-forward-created" && e.metadata.source?.endsWith(`/${address}`) === true);
    const begin = performance.now();
    await lxd.createForward(address);
    const exited = performance.now();
    const [announced] = await Promise.all([event, seen]);
    fromCommand.push(seenAt - begin);
    fromExit.push(seenAt - exited);
    fromEvent.push(seenWall - Date.parse(announced.timestamp));
  }
  for (let i = 0; i < FORWARDS; i++) {
    const address = `198.51.100.${150 + i}`;
    const seen = seenForward(address);
    const begin = performance.now();
    const response = await lxd.request("POST", `/1.0/networks/${lxd.bridge}/forwards`, { listen_address: address, description: "", config: {}, ports: [] });
    if (response.type === "error") throw new Error(`POST forward ${address}: ${JSON.stringify(response)}`);
    fromRequest.push((await seen).at - begin);
  }
  await events.close();
  const summary = {
    forwards: FORWARDS,
    server: `LXD ${lxd.version}`,
    fromEventMs: stats(fromEvent),
    fromCommandStartMs: stats(fromCommand),
    fromCommandExitMs: stats(fromExit),
    fromRequestMs: stats(fromRequest),
    target: { fromEventMedianMs: 100, fromRequestMedianMs: 100 },
  };
  console.log(`seen after the event:        median ${summary.fromEventMs.median} ms (min ${summary.fromEventMs.min}, max ${summary.fromEventMs.max})`);
  console.log(`seen after lxc started:      median ${summary.fromCommandStartMs.median} ms (min ${summary.fromCommandStartMs.min}, max ${summary.fromCommandStartMs.max})`);
  console.log(`seen after lxc exited:       median ${summary.fromCommandExitMs.median} ms (min ${summary.fromCommandExitMs.min}, max ${summary.fromCommandExitMs.max})`);
  console.log(`seen after the POST request:  median ${summary.fromRequestMs.median} ms (min ${summary.fromRequestMs.min}, max ${summary.fromRequestMs.max})`);
  console.log(JSON.stringify(summary));
  if (process.env.BENCH_ENFORCE === "1" && (summary.fromEventMs.median > 100 || summary.fromRequestMs.median > 100)) process.exitCode = 1;
} finally {
  await host?.stop();
  await lxd.stop();
}
