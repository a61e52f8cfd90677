import { randomUUID } from "node:crypto";
import {
  ErrorCode,
  type Clock,
  type DhcpRunner,
  type IpFamily,
  type LeaseEvent,
  type LeaseEventStream,
  type LinkConfigurator,
  type Logger,
  type StateStore,
} from "@incusx/sdk";
import { LeaseApplier, type LinkProblem } from "./lease-applier.js";
import { LeaseEventQueue } from "./lease-event-queue.js";

/** Code of the `failed` event the runtime publishes when the link refused part of a lease. */
export const LINK_FAILED = "LINK_FAILED";

/** How long the runtime waits before restarting a runner that stopped on its own. */
export interface RestartBackoff {
  /** First delay in milliseconds; default 1000. */
  readonly initialMs?: number;
  /** Longest delay in milliseconds (the delay doubles up to it); default 60 000. */
  readonly maxMs?: number;
}

/** What a {@link NetworkRuntime} works with; `Host.networkRuntime()` of `@incusx/host` fills it from the host container. */
export interface NetworkRuntimeOptions {
  /** Every DHCP runner available, any family. */
  readonly runners: readonly DhcpRunner[];
  /** Applies leases to the interface. */
  readonly link: LinkConfigurator;
  /** Where every lease event goes. */
  readonly events: LeaseEventStream;
  /** Time for lifetimes and restart delays. */
  readonly clock: Clock;
  /** Where the runtime logs. */
  readonly logger: Logger;
  /** Restart delays; default 1 s doubling to 60 s. */
  readonly backoff?: RestartBackoff;
  /**
   * Where the client's DUID is kept across restarts, shared by every
   * family (RFC 4361). Without it, each runner keeps its own.
   */
  readonly identity?: StateStore;
}

/** What {@link NetworkRuntime.run} is asked to do. */
export interface NetworkRunOptions {
  /** Interface to configure, in the current network namespace. */
  readonly interface: string;
  /** Families to run; default every family a runner serves. */
  readonly families?: readonly IpFamily[];
  /** Hostname the runners announce. */
  readonly hostname?: string;
  /** Fully qualified name the runners announce. */
  readonly fqdn?: string;
  /** Runners release their leases when stopped (and the runtime removes the addresses). */
  readonly releaseOnStop?: boolean;
  /** Aborted to stop every runner. */
  readonly signal: AbortSignal;
  /** The client DUID to use instead of the one kept in `identity`. */
  readonly duid?: Uint8Array;
}

/** State key of the client DUID in {@link NetworkRuntimeOptions.identity}. */
export const CLIENT_DUID_KEY = "client.duid";

const LEASE_IN_FORCE: ReadonlySet<LeaseEvent["kind"]> = new Set(["bound", "renewed", "rebound"]);

/**
 * Runs the DHCP runners of an interface side by side and keeps the link in
 * step with their leases: a bound lease is applied at once (addresses
 * with the lifetimes left, so a crashed client cannot leave an address
 * forever; routes; MTU), a renewal replaces what changed, an expired or
 * released lease is removed. Every event goes to the lease-event stream.
 * Each runner is supervised on its own: when it stops by itself it is
 * restarted after a backoff (1 s doubling to 60 s, reset by a successful
 * bind), and neither that nor a link failure touches the other family.
 *
 * @example
 * const runtime = host.networkRuntime(); // or new NetworkRuntime({ runners, link, events, clock, logger })
 * const stop = new AbortController();
 * process.once("SIGTERM", () => stop.abort());
 * await runtime.run({ interface: "eth0", signal: stop.signal });
 */
export class NetworkRuntime {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(private readonly options: NetworkRuntimeOptions) {
    this.initialDelayMs = options.backoff?.initialMs ?? 1_000;
    this.maxDelayMs = options.backoff?.maxMs ?? 60_000;
  }

  /** Families some runner serves, in a stable order. */
  get families(): IpFamily[] {
    const served = new Set(this.options.runners.map((r) => r.family));
    return (["ipv4", "ipv6"] as const).filter((f) => served.has(f));
  }

  /**
   * Runs every runner of the wanted families until `signal` aborts, then
   * waits for them to stop and for their removals (`expired`, `released`)
   * to be applied; a lease being applied then is abandoned between two
   * link changes and waiting leases are dropped (see {@link LeaseEventQueue}).
   * Never rejects for a runner's or the link's fault; those are published
   * as `failed` events and logged.
   */
  async run(options: NetworkRunOptions): Promise<void> {
    const wanted = new Set(options.families ?? ["ipv4", "ipv6"]);
    const runners = this.options.runners.filter((r) => wanted.has(r.family));
    for (const family of wanted) {
      if (!runners.some((r) => r.family === family)) {
        this.options.logger.warn(`No DHCP runner serves "${family}"; it is not configured`, { family, interface: options.interface });
      }
    }
    const duid = options.duid ?? (await this.clientDuid());
    const runOptions = duid === undefined ? options : { ...options, duid };
    await Promise.all(runners.map((runner, index) => this.supervise(runner, index, runOptions)));
  }

  // One DUID for the client, whatever the family: a DUID-UUID (RFC 6355),
  // which needs no link information, created once and then kept.
  private async clientDuid(): Promise<Uint8Array | undefined> {
    const store = this.options.identity;
    if (store === undefined) return undefined;
    try {
      const stored = await store.get(CLIENT_DUID_KEY);
      if (typeof stored === "string" && /^(?:[0-9a-f]{2}){3,130}$/.test(stored)) return Uint8Array.from(Buffer.from(stored, "hex"));
      if (stored !== undefined) this.options.logger.warn(`Replacing the unreadable stored client DUID ${JSON.stringify(stored)}`);
      const duid = Uint8Array.from([0x00, 0x04, ...Buffer.from(randomUUID().replace(/-/g, ""), "hex")]);
      await store.set(CLIENT_DUID_KEY, Buffer.from(duid).toString("hex"));
      return duid;
    } catch (error) {
      this.options.logger.warn(`No shared client DUID (${String(error)}); each runner keeps its own`);
      return undefined;
    }
  }

  private async supervise(runner: DhcpRunner, index: number, options: NetworkRunOptions): Promise<void> {
    const { clock, events } = this.options;
    const { signal } = options;
    const family = runner.family;
    const logger = this.options.logger.child({ family, interface: options.interface, runner: index });
    const applier = new LeaseApplier(options.interface, this.options.link, clock);
    let delayMs = this.initialDelayMs;

    const handle = async (event: LeaseEvent, stopping: AbortSignal): Promise<void> => {
      let problems: LinkProblem[] = [];
      if (LEASE_IN_FORCE.has(event.kind) && event.lease !== undefined) {
        problems = await applier.apply(event.lease, stopping);
        if (stopping.aborted) {
          // Not published: it is not on the link as a whole. What is there is left, as a stop leaves a lease.
          logger.info(`Stopped applying a ${event.kind} lease: the runtime is stopping`, { kind: event.kind });
          return;
        }
        if (problems.length === 0) problems = await this.readBack(options.interface, applier);
        delayMs = this.initialDelayMs;
      } else if (event.kind === "expired" || event.kind === "released") {
        problems = await applier.clear(event.lease);
      }
      events.publish(event);
      if (problems.length > 0) this.linkFailed(event, problems, logger);
    };

    // At most one lease application in flight for this runner; newer events coalesce behind it.
    const queue = new LeaseEventQueue(
      handle,
      signal,
      (event) => events.publish(event),
      (event, error) => logger.error("Could not handle a lease event", { kind: event.kind, error: String(error) }),
    );
    const emit = (event: LeaseEvent): void => queue.push(event);

    while (!signal.aborted) {
      let failure: unknown;
      try {
        await runner.run({
          interface: options.interface,
          ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
          ...(options.fqdn === undefined ? {} : { fqdn: options.fqdn }),
          ...(options.releaseOnStop === undefined ? {} : { releaseOnStop: options.releaseOnStop }),
          ...(options.duid === undefined ? {} : { duid: options.duid }),
          signal,
          emit,
        });
        if (signal.aborted) break;
        failure = new Error("The runner stopped although it was not asked to");
      } catch (error) {
        if (signal.aborted) break;
        failure = error;
      }
      await queue.idle();
      const message = failure instanceof Error ? failure.message : String(failure);
      logger.warn(`DHCP runner for "${family}" stopped: ${message}; restarting in ${delayMs} ms`, { delayMs });
      events.publish({
        kind: "failed",
        family,
        interface: options.interface,
        at: clock.now(),
        error: { code: codeOf(failure), message },
      });
      try {
        await clock.sleep(delayMs, signal);
      } catch {
        break;
      }
      delayMs = Math.min(delayMs * 2, this.maxDelayMs);
    }
    await queue.idle();
    if (queue.superseded > 0) logger.debug(`${queue.superseded} lease events were superseded by newer ones before they were applied`);
  }

  // What the kernel shows, not what we asked for: an address refused
  // silently (or removed at once) must not count as configured.
  private async readBack(iface: string, applier: LeaseApplier): Promise<LinkProblem[]> {
    let snapshot;
    try {
      snapshot = await this.options.link.snapshot(iface);
    } catch (error) {
      return [{ action: "read back the link", error }];
    }
    const present = new Set(snapshot.addresses.map((a) => `${a.address}/${a.prefixLength}`));
    return applier.applied
      .filter((a) => !present.has(`${a.address}/${a.prefixLength}`))
      .map((a) => ({
        action: `check address ${a.address}/${a.prefixLength}`,
        error: new Error(`Address "${a.address}/${a.prefixLength}" is not on "${iface}" after it was added`),
      }));
  }

  private linkFailed(event: LeaseEvent, problems: readonly LinkProblem[], logger: Logger): void {
    const message = problems.map((p) => `Cannot ${p.action}: ${errorText(p.error)}`).join("; ");
    logger.error(`Lease applied only in part on "${event.interface}": ${message}`, { kind: event.kind });
    this.options.events.publish({
      kind: "failed",
      family: event.family,
      interface: event.interface,
      at: this.options.clock.now(),
      ...(event.lease === undefined ? {} : { lease: event.lease }),
      error: { code: LINK_FAILED, message },
    });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// A runner's own code (ENODEV from the link, an incusx code) says more than a generic one.
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code !== "" ? code : ErrorCode.PluginFailed;
}
