import type { Disposable, DnsSink, IpFamily, LeaseDns, LeaseEvent, LeaseEventStream, Logger, ResolvConfTarget, StaticDns } from "@incusx/sdk";
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
  /**
   * The sink of one DNS target (a container's resolv.conf named on the
   * events of its NICs), made once when the target is first seen.
   * Without it, events naming a target are ignored.
   */
  readonly targetSink?: (target: ResolvConfTarget) => DnsSink;
  /** Where merge warnings and sink failures go. */
  readonly logger: Logger;
}

/** Where a target's resolv.conf lies when its `path` is not given. */
export const DEFAULT_TARGET_PATH = "/etc/resolv.conf";

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
 *
 * An event whose NIC names a DNS target (`event.nic.resolvConf`, stamped
 * by a multi-NIC runtime) goes to that target's own coordination instead,
 * by the same rules, keyed by NIC and family: one resolv.conf merged from
 * every NIC naming it, written by `targetSink` alone. `detached` drops
 * that NIC family's DNS and rewrites; when the target's last NIC family
 * is detached the target is forgotten and its file left as it is.
 * Events without a target go to the one process-wide coordination, as
 * they always did (there `detached` changes nothing).
 */
export class DnsCoordinator {
  private readonly own: Coordination;
  private readonly byTarget = new Map<string, Target>();
  // Targets forgotten while a write of theirs was under way, for idle().
  private readonly retiring = new Set<Coordination>();

  constructor(private readonly options: DnsCoordinatorOptions) {
    this.own = new Coordination(options.statics, options.sinks, options.logger);
  }

  /** Subscribes to `stream`; dispose the result to stop listening. */
  subscribe(stream: LeaseEventStream): Disposable {
    return stream.subscribe((event) => this.handle(event));
  }

  /** Takes one lease event into account and schedules a write. */
  handle(event: LeaseEvent): void {
    const target = event.nic?.resolvConf;
    if (target === undefined || event.nic === undefined) {
      if (event.kind !== "detached") this.own.take(`${event.interface}\u0000${event.family}`, event);
      return;
    }
    const key = targetKey(target);
    const member = JSON.stringify([event.nic.instance, event.nic.device, event.family]);
    let entry = this.byTarget.get(key);
    if (event.kind === "detached") {
      if (entry === undefined || !entry.members.delete(member)) return;
      if (entry.members.size > 0) {
        entry.coordination.take(member, event);
        return;
      }
      this.byTarget.delete(key);
      this.retire(entry.coordination);
      return;
    }
    if (entry === undefined) {
      const { targetSink } = this.options;
      if (targetSink === undefined) return;
      const label = targetLabel(target);
      let sink: DnsSink;
      try {
        sink = targetSink(target);
      } catch (error) {
        this.options.logger.error(`Cannot write DNS to "${label}": ${error instanceof Error ? error.message : String(error)}`, { resolvConf: label });
        return;
      }
      entry = { label, members: new Set(), coordination: new Coordination(this.options.statics, () => [sink], this.options.logger.child({ resolvConf: label })) };
      this.byTarget.set(key, entry);
    }
    entry.members.add(member);
    entry.coordination.take(member, event);
  }

  /** Families with a lease in force on `iface`, in the process-wide coordination (for tests and status). */
  families(iface: string): IpFamily[] {
    return this.own.families(iface);
  }

  /** The DNS targets in use (host paths of their resolv.conf), for tests and status. */
  targets(): string[] {
    return [...this.byTarget.values()].map((t) => t.label);
  }

  /** Resolves once every scheduled write is done, of every target too. */
  async idle(): Promise<void> {
    for (;;) {
      const all = [this.own, ...[...this.byTarget.values()].map((t) => t.coordination), ...this.retiring];
      const busy = all.filter((c) => c.busy);
      if (busy.length === 0) return;
      await Promise.all(busy.map((c) => c.idle()));
    }
  }

  // A forgotten target writes nothing more; a write under way ends.
  private retire(coordination: Coordination): void {
    coordination.stop();
    if (!coordination.busy) return;
    this.retiring.add(coordination);
    void coordination.idle().then(() => this.retiring.delete(coordination));
  }
}

interface Target {
  readonly label: string;
  // [instance, device, family] of every NIC family that named it and is not detached.
  readonly members: Set<string>;
  readonly coordination: Coordination;
}

// One merge and its serialized, coalesced writes to a set of sinks.
class Coordination {
  private readonly leases = new Map<string, LeaseDnsInput>();
  private dirty = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private lastWarnings = new Set<string>();

  constructor(
    private readonly statics: StaticDns,
    private readonly sinks: () => readonly DnsSink[],
    private readonly logger: Logger,
  ) {}

  get busy(): boolean {
    return this.running !== undefined;
  }

  take(key: string, event: LeaseEvent): void {
    if ((event.kind === "bound" || event.kind === "renewed" || event.kind === "rebound") && event.lease !== undefined) {
      this.leases.set(key, { interface: event.interface, family: event.family, dns: event.lease.dns ?? EMPTY_DNS });
    } else if (event.kind === "expired" || event.kind === "released" || event.kind === "detached") {
      this.leases.delete(key);
    }
    this.dirty = true;
    this.running ??= this.writeLoop();
  }

  stop(): void {
    this.stopped = true;
    this.dirty = false;
  }

  families(iface: string): IpFamily[] {
    return [...this.leases.values()].filter((l) => l.interface === iface).map((l) => l.family);
  }

  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async writeLoop(): Promise<void> {
    try {
      // Let events published in the same tick land before the first write.
      await Promise.resolve();
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        try {
          await this.writeOnce();
        } catch (error) {
          // Nobody awaits this loop: a rejection would be unhandled and end the host.
          this.logger.error(`Cannot update DNS: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async writeOnce(): Promise<void> {
    const { logger } = this;
    const { config, warnings } = mergeDns(this.statics, [...this.leases.values()]);
    const seen = new Set<string>();
    for (const warning of warnings) {
      seen.add(warning.message);
      // Said once while it lasts, not at every renewal.
      if (!this.lastWarnings.has(warning.message)) logger.warn(warning.message, warning.fields);
    }
    this.lastWarnings = seen;
    let sinks: readonly DnsSink[];
    try {
      sinks = this.sinks();
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

function targetKey(target: ResolvConfTarget): string {
  return JSON.stringify([target.root.replace(/\/+$/, ""), target.path ?? DEFAULT_TARGET_PATH]);
}

function targetLabel(target: ResolvConfTarget): string {
  return `${target.root.replace(/\/+$/, "")}${target.path ?? DEFAULT_TARGET_PATH}`;
}

const EMPTY_DNS: LeaseDns = { servers: [], search: [] };
