import type { Disposable, LeaseEvent, LeaseEventStream, Logger } from "@incusx/sdk";

/** The default in-process {@link LeaseEventStream}. */
export class LeaseEventBus implements LeaseEventStream {
  private readonly listeners = new Set<(event: LeaseEvent) => void>();

  constructor(private readonly logger?: Logger) {}

  publish(event: LeaseEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        // One broken subscriber must not starve the others.
        this.logger?.error("Lease event subscriber failed", { error: String(error), kind: event.kind });
      }
    }
  }

  subscribe(listener: (event: LeaseEvent) => void): Disposable {
    const wrapped = (event: LeaseEvent) => listener(event);
    this.listeners.add(wrapped);
    return { dispose: () => void this.listeners.delete(wrapped) };
  }
}
