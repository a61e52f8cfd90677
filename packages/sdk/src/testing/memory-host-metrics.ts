import type { HostMetricEvent, HostMetrics } from "../services.js";

/**
 * Keeps every {@link HostMetricEvent} a plugin records, to assert on them.
 *
 * @example
 * const metrics = new MemoryHostMetrics();
 * new MyBackend(config, state, metrics);
 * expect(metrics.count("ovsdb-reconnect")).toBe(1);
 */
export class MemoryHostMetrics implements HostMetrics {
  /** Every event recorded, oldest first. */
  readonly events: HostMetricEvent[] = [];

  record(event: HostMetricEvent): void {
    this.events.push(event);
  }

  /** How many events of `kind` were recorded. */
  count(kind: HostMetricEvent["kind"]): number {
    return this.events.filter((e) => e.kind === kind).length;
  }
}
