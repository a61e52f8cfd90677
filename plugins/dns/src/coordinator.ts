import type { Disposable, DnsSink, IpFamily, LeaseDns, LeaseEvent, LeaseEventStream, Logger, StaticDns } from "@incusx/sdk";
import { mergeDns, type LeaseDnsInput } from "./merge.js";

/** What a {@link DnsCoordinator} works with. */
export interface DnsCoordinatorOptions {
  /** Checked static settings ({@link staticDnsFromConfig}). */
  readonly statics: StaticDns;
  /**
   * The sinks to apply to, looked up at every write: contributions are
   * registered in the host only once their plugin started, so a list
   * taken at start would miss this plugin's own resolv.conf sink.
   */
  readonly sinks: () => readonly DnsSink[];
  /** Where merge warnings and sink failures go. */
  readonly logger: Logger;
}

/**
 * Keeps the DNS of every lease in force, per interface and family, and
 * hands the merged configuration to every sink after each lease event:
 * - `bound`, `renewed`, `rebound` set the lease's DNS (so a renewal that
 *   changes DNS rewrites, a DHCPv4 renewal included);
 * - `expired`, `released` remove it;
 * - `failed` keeps it: the runtime keeps the lease's addresses when a
 *   runner fails or the link refuses part of a lease, and reports
 *   `expired` when the lease does lapse; it still triggers a refresh.
 * Writes are serialized and coalesced: events arriving during a write
 * (or in the same tick, as when both families bind at once) lead to one
 * more write with the state after all of them. A failing sink is logged
 * and the others still get the config.
 */
export class DnsCoordinator {
  private readonly leases = new Map<string, LeaseDnsInput>();
  private dirty = false;
  private running: Promise<void> | undefined;
  private lastWarnings = new Set<string>();

  constructor(private readonly options: DnsCoordinatorOptions) {}

  /** Subscribes to `stream`; dispose the result to stop listening. */
  subscribe(stream: LeaseEventStream): Disposable {
    return stream.subscribe((event) => this.handle(event));
  }

  /** Takes one lease event into account and schedules a write. */
  handle(event: LeaseEvent): void {
    const key = `${event.interface}\u0000${event.family}`;
    if ((event.kind === "bound" || event.kind === "renewed" || event.kind === "rebound") && event.lease !== undefined) {
      this.leases.set(key, { interface: event.interface, family: event.family, dns: event.lease.dns ?? EMPTY_DNS });
    } else if (event.kind === "expired" || event.kind === "released") {
      this.leases.delete(key);
    }
    this.dirty = true;
    this.running ??= this.writeLoop();
  }

  /** Families with a lease in force on `iface` (for tests and status). */
  families(iface: string): IpFamily[] {
    return [...this.leases.values()].filter((l) => l.interface === iface).map((l) => l.family);
  }

  /** Resolves once every scheduled write is done. */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async writeLoop(): Promise<void> {
    try {
      // Let events published in the same tick land before the first write.
      await Promise.resolve();
      while (this.dirty) {
        this.dirty = false;
        try {
          await this.writeOnce();
        } catch (error) {
          // Nobody awaits this loop: a rejection would be unhandled and end the host.
          this.options.logger.error(`Cannot update DNS: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async writeOnce(): Promise<void> {
    const { logger } = this.options;
    const { config, warnings } = mergeDns(this.options.statics, [...this.leases.values()]);
    const seen = new Set<string>();
    for (const warning of warnings) {
      seen.add(warning.message);
      // Said once while it lasts, not at every renewal.
      if (!this.lastWarnings.has(warning.message)) logger.warn(warning.message, warning.fields);
    }
    this.lastWarnings = seen;
    let sinks: readonly DnsSink[];
    try {
      sinks = this.options.sinks();
    } catch (error) {
      logger.error(`Cannot look up the DNS sinks: ${String(error)}`);
      return;
    }
    for (const sink of sinks) {
      try {
        await sink.apply(config);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        logger.error(`DNS sink "${sink.name}" failed: ${error instanceof Error ? error.message : String(error)}`, {
          sink: sink.name,
          ...(typeof code === "string" ? { code } : {}),
        });
      }
    }
  }
}

const EMPTY_DNS: LeaseDns = { servers: [], search: [] };
