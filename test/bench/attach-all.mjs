// The attach and detach ops of the many-NIC benchmarks' processes under
// test (runtime-runner.mjs in-process, daemon-runner-support.mjs over the
// daemon's socket): every NIC at once, each timed from its attach call to
// its last family bound, in the answer shape the bench reads.

import { performance } from "node:perf_hooks";

/**
 * Attaches `nics` ({ instance, netns, device?, interface?, families?,
 * hostname?, resolvConf? }) all at once: for each, `boundAt(instance,
 * device, families, timeoutMs)` (a promise of the moment every family is
 * bound, asked for before the attach so no event is missed) and then
 * `attach(spec)` with the defaults filled in (device and interface `eth0`,
 * both families); `attached()` runs after each attach call returned.
 * Resolves `{ ms: [per NIC, null when it failed], totalMs, errors }`.
 */
export async function attachAll(nics, { timeoutMs = 30_000, boundAt, attach, attached = () => {} }) {
  const start = performance.now();
  const results = await Promise.allSettled(
    nics.map(async (nic) => {
      const spec = {
        instance: nic.instance,
        device: nic.device ?? "eth0",
        netns: nic.netns,
        interface: nic.interface ?? "eth0",
        families: nic.families ?? ["ipv4", "ipv6"],
        ...(nic.hostname === undefined ? {} : { hostname: nic.hostname }),
        ...(nic.resolvConf === undefined ? {} : { resolvConf: nic.resolvConf }),
      };
      const t0 = performance.now();
      const bound = boundAt(spec.instance, spec.device, spec.families, timeoutMs);
      try {
        await attach(spec);
      } catch (error) {
        bound.catch(() => undefined);
        throw error;
      }
      attached();
      return (await bound) - t0;
    }),
  );
  return { ms: results.map((r) => (r.status === "fulfilled" ? r.value : null)), totalMs: performance.now() - start, errors: errorsOf(results) };
}

/** Detaches `nics` ({ instance, device? }) all at once with `detach(instance, device)`: `{ totalMs, errors }`. */
export async function detachAll(nics, detach) {
  const start = performance.now();
  const results = await Promise.allSettled(nics.map((nic) => detach(nic.instance, nic.device ?? "eth0")));
  return { totalMs: performance.now() - start, errors: errorsOf(results) };
}

function errorsOf(results) {
  return results.filter((r) => r.status === "rejected").map((r) => String(r.reason?.message ?? r.reason));
}
