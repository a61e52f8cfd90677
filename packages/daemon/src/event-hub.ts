/** One event of `GET /1.0/events`, shaped as Incus's events. */
export interface DaemonEvent {
  /** `lease` (a DHCP lease event of one NIC) or `lifecycle` (a NIC attached, detached or gone). */
  readonly type: DaemonEventType;
  /** When it happened, ISO 8601. */
  readonly timestamp: string;
  /** What happened; for `lifecycle`, `{ action, source, context }` as Incus has it. */
  readonly metadata: Record<string, unknown>;
}

/** The kinds of {@link DaemonEvent}. */
export type DaemonEventType = "lease" | "lifecycle";

/** The event kinds `GET /1.0/events?type=` accepts. */
export const EVENT_TYPES: readonly DaemonEventType[] = ["lease", "lifecycle"];

/**
 * Hands every event to the subscribers of the moment; a subscriber that
 * throws is dropped without stopping the others (a stream whose client
 * went away must not stop the daemon).
 */
export class EventHub {
  private readonly listeners = new Set<(event: DaemonEvent) => void>();

  /** Delivers `event` to every subscriber. */
  publish(type: DaemonEventType, metadata: Record<string, unknown>, at = new Date()): void {
    const event: DaemonEvent = { type, timestamp: at.toISOString(), metadata };
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  /** Calls `listener` for every event from now on, until the returned function is called. */
  subscribe(listener: (event: DaemonEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** How many subscribers there are (open event streams). */
  get size(): number {
    return this.listeners.size;
  }
}
