import { createHash, randomUUID } from "node:crypto";
import {
  ErrorCode,
  IncusxError,
  type Clock,
  type DhcpRunner,
  type IpFamily,
  type DhcpAttemptFailure,
  type DhcpRunOptions,
  type Lease,
  type LeaseEvent,
  type LeaseEventNic,
  type LeaseEventStream,
  type LinkAddress,
  type LinkConfigurator,
  type Logger,
  type NetworkNamespace,
  type ResolvConfTarget,
  type StateStore,
} from "@incusx/sdk";
import { ATTACHED_KEY_PREFIX, AttachmentStore, namespaceIdentity } from "./attachment-store.js";
import { LeaseApplier, type LinkProblem } from "./lease-applier.js";
import { LeaseEventQueue } from "./lease-event-queue.js";

/** Code of the `failed` event the runtime publishes when the link refused part of a lease. */
export const LINK_FAILED = "LINK_FAILED";

/**
 * Code of the `failed` event the runtime publishes, once per family, when
 * an attached NIC is gone (see {@link NetworkRuntimeOptions.watchNic}): its
 * runners were stopped and it left {@link NetworkRuntime.list}.
 */
export const NIC_GONE = "NIC_GONE";

/**
 * Why an attached NIC went away, as a {@link NicWatcher} reports it;
 * `@incusx/linux-net`'s `watchNicPresence` reports `interface-removed`,
 * `interface-renamed` and `namespace-gone`.
 */
export interface NicGoneReport {
  /** A stable word for hosts to branch on (`namespace-gone`, ...). */
  readonly reason: string;
  /** A sentence for logs. */
  readonly message: string;
}

/**
 * Watches one attached NIC and calls `onGone` once when its interface or
 * namespace is gone; the returned `close()` ends the watch (harmless twice,
 * and after a report). `@incusx/linux-net`'s `watchNicPresence` is one:
 * `(nic, netns, onGone) => watchNicPresence({ iface: nic.interface, netns }, onGone)`.
 */
export type NicWatcher = (nic: NicSpec, netns: NetworkNamespace, onGone: (gone: NicGoneReport) => void) => { close(): void };

/** An attached NIC the runtime let go because it was gone, as {@link NetworkRuntimeOptions.onNicGone} hears it. */
export interface GoneNic extends NicKey {
  /** Interface that was configured. */
  readonly interface: string;
  /** Network namespace given at attach. */
  readonly netns?: string;
  /** What the watcher said. */
  readonly gone: NicGoneReport;
}

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
  /** Applies leases to the interface; the link of {@link NetworkRuntime.run} and, without `linkFor`, of every attached NIC. */
  readonly link: LinkConfigurator;
  /**
   * The link configurator of one attached NIC, e.g. one bound to the NIC's
   * network namespace: `netns` is the namespace the runtime holds open for
   * it (with `openNetns`; else `undefined`, and only the path `nic.netns`
   * says where). Default `link` for every NIC. Called once per attach.
   * A link it returns with a `close()` method (`@incusx/linux-net`'s
   * `IpRoute2LinkConfigurator` keeps a netlink socket in the namespace) is
   * closed once the NIC's runners stopped (detach, or the NIC gone),
   * unless it is `link` or another attached NIC's link too. A
   * link with an `addresses(iface)` method (that one too) is read back
   * with it after each lease instead of a whole `snapshot`.
   */
  readonly linkFor?: (nic: NicSpec, netns?: NetworkNamespace) => LinkConfigurator;
  /**
   * Opens the network namespace at a path and holds it by fd until
   * `close()` (`@incusx/linux-net`'s `openNetns`). With it, `attach` of a
   * NIC with `netns` opens the namespace once, gives it to every runner
   * (`DhcpRunOptions.netns`) and to `linkFor`, and closes it when the NIC
   * is detached, so one process serves NICs of many namespaces without
   * entering them. Without it the runtime only carries the path.
   */
  readonly openNetns?: (path: string) => NetworkNamespace & { close(): void };
  /**
   * Watches each NIC whose namespace the runtime holds (`openNetns` and
   * `nic.netns` given), from attach until its runners stopped. While the
   * runtime holds the fd, deleting the namespace's name does not destroy
   * it: without a watch, a stopped container's NIC would keep its
   * namespace, runners and sockets until detached. On a report the runtime
   * stops that NIC's runners without releasing (nothing is left to
   * remove), closes the namespace, publishes a `failed` event with code
   * {@link NIC_GONE} per family on the NIC's event stream, calls
   * `onNicGone`, logs a warning and drops the NIC from `list()`; no other
   * NIC is touched. A watcher that throws is logged; the NIC runs unwatched.
   */
  readonly watchNic?: NicWatcher;
  /** Hears each NIC the runtime let go because its watcher reported it gone, once its runners stopped. */
  readonly onNicGone?: (nic: GoneNic) => void;
  /**
   * Default of {@link NicSpec.optimisticDad} (and of
   * {@link NetworkRunOptions.optimisticDad}) for every NIC; default
   * `false`. Needs `setIpv6Sysctls`.
   */
  readonly optimisticDad?: boolean;
  /**
   * Sets IPv6 settings of an interface (`net.ipv6.conf.IFACE.NAME`), in
   * `options.netns` when given, else the process's namespace:
   * `@incusx/linux-net`'s `setIpv6Sysctls`. Used for optimistic DAD only.
   */
  readonly setIpv6Sysctls?: (iface: string, settings: Readonly<Record<string, number>>, options?: { readonly netns?: NetworkNamespace }) => void | Promise<void>;
  /** Where every lease event goes (without `eventsFor`, those of every attached NIC too). */
  readonly events: LeaseEventStream;
  /**
   * Where the lease events of one attached NIC go, so a host can tell NICs
   * apart (an event names only the interface); default `events`. Called
   * once per attach.
   */
  readonly eventsFor?: (nic: NicSpec) => LeaseEventStream;
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
  /**
   * Where the runtime keeps its attached set (each NIC's spec, not its
   * leases: the runners keep those), so {@link NetworkRuntime.restore}
   * re-attaches every NIC after a restart, even after SIGKILL. `attach`
   * saves a NIC before it resolves; `detach` deletes it (unless told to
   * keep it). One key per NIC, `attached.` and its {@link nicLeaseKey};
   * the store may be shared with `identity`, not with another runtime.
   */
  readonly attachments?: StateStore;
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
  /** As {@link NicSpec.optimisticDad}, for the interface in the process's namespace; default the runtime's `optimisticDad`. */
  readonly optimisticDad?: boolean;
  /** Told why a family's latest attempt got no lease (the runner's {@link DhcpRunOptions.attemptFailed}). */
  attemptFailed?(family: IpFamily, failure: DhcpAttemptFailure): void;
}

/**
 * The IPv6 settings the runtime sets on an interface for optimistic DAD
 * (RFC 4429): `optimistic_dad` makes the kernel create its addresses
 * (the link-local one when the link comes up) optimistic, usable while
 * DAD runs, so the DHCPv6 Solicit can leave at once; `use_optimistic`
 * lets source address selection use them.
 */
export const OPTIMISTIC_DAD_SYSCTLS: Readonly<Record<"optimistic_dad" | "use_optimistic", number>> = Object.freeze({ optimistic_dad: 1, use_optimistic: 1 });

/** State key of the client DUID in {@link NetworkRuntimeOptions.identity}. */
export const CLIENT_DUID_KEY = "client.duid";

/** Which NIC: one device of one instance, unique in a runtime. */
export interface NicKey {
  /** Instance (container) name. */
  readonly instance: string;
  /** Device name of the NIC in the instance's config (`eth0`, `net1`). */
  readonly device: string;
}

/** What {@link NetworkRuntime.attach} is asked to run: one NIC. */
export interface NicSpec extends NicKey {
  /** Interface to configure, as named in the NIC's network namespace. */
  readonly interface: string;
  /**
   * The NIC's network namespace (`/run/netns/NAME`, `/proc/PID/ns/net`).
   * With {@link NetworkRuntimeOptions.openNetns} the runtime opens it once
   * at attach and holds it until detach; else it only passes the path on
   * to `linkFor`.
   */
  readonly netns?: string;
  /** Families to run; default every family a runner serves. */
  readonly families?: readonly IpFamily[];
  /** Hostname the runners announce. */
  readonly hostname?: string;
  /** Fully qualified name the runners announce. */
  readonly fqdn?: string;
  /** Release the leases when detached, unless `detach` says otherwise; default false. */
  readonly releaseOnStop?: boolean;
  /** The client DUID to use instead of the instance's one kept in `identity`. */
  readonly duid?: Uint8Array;
  /**
   * The container's resolv.conf, for the DNS plugin: it is stamped on the
   * NIC's events (`LeaseEvent.nic`), and every NIC naming the same target
   * shares one resolv.conf merged from their leases.
   */
  readonly resolvConf?: ResolvConfTarget;
  /**
   * Optimistic DAD (RFC 4429) on the NIC's interface; default the
   * runtime's `optimisticDad` (off). When on and the NIC runs IPv6, the
   * runtime sets {@link OPTIMISTIC_DAD_SYSCTLS} on the interface (in its
   * namespace) before its runners start. It takes effect for addresses
   * the kernel creates afterwards: attach before the link comes up (the
   * link-local address is created at link up with carrier), and the
   * DHCPv6 runner sends its Solicit from the optimistic link-local address
   * at once instead of waiting out DAD (~1-2 s). A link-local address
   * already there when it is set stays tentative until its DAD ends. The
   * kernel ignores it while IPv6 forwarding is on in the namespace.
   */
  readonly optimisticDad?: boolean;
}

/** Where one family of an attached NIC stands. */
export type NicFamilyState = "starting" | "bound" | "failed" | "stopping";

/** One family of an attached NIC, as {@link NetworkRuntime.list} shows it. */
export interface NicFamilyStatus {
  /** The family. */
  readonly family: IpFamily;
  /** `starting` (no lease yet, or it ended), `bound` (a lease is on the link), `failed` (the runner stopped; it restarts after its backoff), `stopping` (being detached). */
  readonly state: NicFamilyState;
  /** The lease in force, as last applied. */
  readonly lease?: Lease;
  /** The last failure (the runner's, or `LINK_FAILED`), until the next lease applied cleanly. */
  readonly error?: { readonly code: string; readonly message: string };
  /** Why the runner's latest attempt got no lease, until a lease is applied. */
  readonly lastAttemptFailure?: DhcpAttemptFailure;
}

/** An attached NIC, as {@link NetworkRuntime.list} shows it. */
export interface AttachedNic extends NicKey {
  /** Interface configured. */
  readonly interface: string;
  /** Network namespace given at attach. */
  readonly netns?: string;
  /** resolv.conf target given at attach. */
  readonly resolvConf?: ResolvConfTarget;
  /** One entry per family a runner serves for it. */
  readonly families: readonly NicFamilyStatus[];
  /** Why the NIC is going away on its own (its runners are stopping; it leaves the list once they stopped). */
  readonly gone?: NicGoneReport;
}

/** What {@link NetworkRuntime.detach} is asked to do. */
export interface DetachOptions {
  /** Release the leases (and remove the addresses); default the NIC's `releaseOnStop`. */
  readonly release?: boolean;
  /**
   * Delete the NIC from the saved attached set; default true. A host
   * shutting down gracefully passes false, so the next start's
   * {@link NetworkRuntime.restore} re-adopts the NIC.
   */
  readonly forget?: boolean;
}

/** What {@link NetworkRuntime.restore} did with the saved attached set. */
export interface RestoreResult {
  /** NICs attached again (or attached already). */
  readonly restored: readonly NicKey[];
  /** Entries deleted from the set: the NIC's namespace is gone or is another one now, or the entry does not read back. */
  readonly dropped: readonly RestoreProblem[];
  /** Entries that could not be read, and NICs whose attach failed for another reason; they stay saved, for the next restore. */
  readonly failed: readonly RestoreProblem[];
}

/** One saved NIC {@link NetworkRuntime.restore} could not attach again. */
export interface RestoreProblem {
  /** Its state key. */
  readonly key: string;
  /** The NIC, when the entry reads back. */
  readonly nic?: NicKey;
  /** Why. */
  readonly reason: string;
}

/**
 * State key of one attached NIC in {@link NetworkRuntimeOptions.attachments}:
 * `attached.` and its {@link nicLeaseKey}.
 *
 * @example
 * attachedNicKey({ instance: "c1", device: "eth0" }) // "attached.nic.i.c1.eth0"
 */
export function attachedNicKey(nic: NicKey): string {
  return `${ATTACHED_KEY_PREFIX}${nicLeaseKey(nic.instance, nic.device)}`;
}

/**
 * State key of the client DUID of the attached NICs of `instance` in
 * {@link NetworkRuntimeOptions.identity}: one DUID per instance (a client
 * in RFC 8415 terms), so two instances never share a lease, while the
 * NICs of one instance differ by their IAID.
 */
export function instanceDuidKey(instance: string): string {
  if (/^[A-Za-z0-9._-]{1,100}$/.test(instance)) return `${CLIENT_DUID_KEY}.i.${instance}`;
  return `${CLIENT_DUID_KEY}.h.${createHash("sha256").update(instance).digest("hex").slice(0, 40)}`;
}

/**
 * The key under which the runners of one attached NIC keep its lease
 * (`DhcpRunOptions.leaseKey`), so two instances' `eth0` never share a
 * saved lease: `nic.i.INSTANCE.DEVICE` when both names are plain (letters,
 * digits, `-`, `_`, at most 40 each), else `nic.h.` and a hash of both. A
 * valid state key either way, at most 89 characters.
 *
 * @example
 * nicLeaseKey("c1", "eth0") // "nic.i.c1.eth0"
 */
export function nicLeaseKey(instance: string, device: string): string {
  const plain = /^[A-Za-z0-9_-]{1,40}$/;
  if (plain.test(instance) && plain.test(device)) return `nic.i.${instance}.${device}`;
  return `nic.h.${createHash("sha256").update(JSON.stringify([instance, device])).digest("hex").slice(0, 40)}`;
}

// What the supervision of one NIC needs, whether from run() or attach().
interface NicRun {
  readonly interface: string;
  readonly attemptFailed?: (family: IpFamily, failure: DhcpAttemptFailure) => void;
  readonly netns?: NetworkNamespace;
  readonly leaseKey?: string;
  readonly families?: readonly IpFamily[];
  readonly hostname?: string;
  readonly fqdn?: string;
  readonly duid?: Uint8Array;
  readonly signal: AbortSignal;
  readonly link: LinkConfigurator;
  readonly events: LeaseEventStream;
  readonly duidKey: string;
  // Read by the runner (a getter for attached NICs: detach decides).
  readonly runnerReleaseOnStop: () => { releaseOnStop?: boolean };
  readonly status?: Map<IpFamily, FamilyCell>;
  readonly logFields?: Record<string, string>;
  readonly optimisticDad: boolean;
  // The NIC's write to the attached set: the runners start at once, but no
  // lease is applied before it is done, so a NIC carrying an address is
  // always one a restart re-adopts.
  readonly persisted?: Promise<void>;
}

interface Closable {
  close(): void;
}

// A link that reads its addresses without the rest of a snapshot.
interface AddressReader {
  addresses(iface: string): Promise<readonly LinkAddress[]>;
}

interface FamilyCell {
  state: NicFamilyState;
  lease?: Lease;
  error?: { code: string; message: string };
  lastAttemptFailure?: DhcpAttemptFailure;
}

interface Attachment {
  readonly spec: NicSpec;
  readonly link: LinkConfigurator;
  readonly events: LeaseEventStream;
  readonly stop: AbortController;
  readonly status: Map<IpFamily, FamilyCell>;
  // The write of the spec to the attached set, when there is one.
  readonly remembered: Promise<void>;
  release: boolean;
  running?: Promise<void>;
  stopped?: Promise<void>;
  watch?: { close(): void };
  gone?: NicGoneReport;
}

const LEASE_IN_FORCE: ReadonlySet<LeaseEvent["kind"]> = new Set(["bound", "renewed", "rebound"]);

/** How many instances' client DUIDs a runtime keeps in memory (about 100 bytes each), so attaching a NIC does not read its instance's DUID from the store each time. */
export const KNOWN_DUIDS = 4096;

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
  private readonly nics = new Map<string, Attachment>();
  // DUID loads under way, so NICs of one instance attached at once share the DUID one of them creates.
  private readonly duidLoads = new Map<string, Promise<Uint8Array | undefined>>();
  // DUIDs read or made, by key, most recently used last: an instance's DUID never changes, so an attach reads it once.
  private readonly duids = new Map<string, Uint8Array>();
  private readonly saved: AttachmentStore | undefined;

  constructor(private readonly options: NetworkRuntimeOptions) {
    this.initialDelayMs = options.backoff?.initialMs ?? 1_000;
    this.maxDelayMs = options.backoff?.maxMs ?? 60_000;
    if (options.optimisticDad === true && options.setIpv6Sysctls === undefined) {
      throw new IncusxError(ErrorCode.InvalidConfig, "Optimistic DAD (optimisticDad) needs setIpv6Sysctls to set the interfaces' IPv6 settings");
    }
    this.saved = options.attachments === undefined ? undefined : new AttachmentStore(options.attachments, attachedNicKey, options.logger);
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
    const releaseOnStop = options.releaseOnStop === undefined ? {} : { releaseOnStop: options.releaseOnStop };
    const optimisticDad = this.optimisticDadOf(options, `interface "${options.interface}"`);
    await this.runNic({
      interface: options.interface,
      ...(options.families === undefined ? {} : { families: options.families }),
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      ...(options.fqdn === undefined ? {} : { fqdn: options.fqdn }),
      ...(options.duid === undefined ? {} : { duid: options.duid }),
      signal: options.signal,
      link: this.options.link,
      events: this.options.events,
      duidKey: CLIENT_DUID_KEY,
      ...(options.attemptFailed === undefined ? {} : { attemptFailed: options.attemptFailed }),
      runnerReleaseOnStop: () => releaseOnStop,
      optimisticDad,
    });
  }

  /**
   * Starts the runners of one more NIC, next to the others: its leases go
   * to its own link (`linkFor(nic)`), its DUID is its instance's
   * ({@link instanceDuidKey}), and a runner crash or link failure of it
   * touches no other NIC. Resolves once its runners are started and the
   * NIC is saved in `attachments` (a failed save is logged: the NIC runs,
   * it is only not restored after a restart).
   *
   * @throws IncusxError `IN_USE` when (instance, device) is attached
   *   already (also while it is being detached); `INVALID_CONFIG` for an
   *   empty instance, device or interface name, a `resolvConf` whose root
   *   is not absolute or whose path is not absolute or has `.`, `..` or
   *   empty components, or when `linkFor` or `eventsFor` throws.
   */
  attach(nic: NicSpec): Promise<void> {
    return this.attachNic(nic, { remember: true });
  }

  // attach(), and restore() with the identity of the namespace the NIC was attached in.
  private async attachNic(nic: NicSpec, how: { readonly remember: boolean; readonly netnsId?: string }): Promise<void> {
    for (const field of ["instance", "device", "interface"] as const) {
      if (typeof nic[field] !== "string" || nic[field] === "") {
        throw new IncusxError(ErrorCode.InvalidConfig, `Cannot attach a NIC without ${field === "interface" ? "an" : "a"} ${field} name`);
      }
    }
    if (nic.resolvConf !== undefined) checkResolvConfTarget(nic);
    const key = nicKey(nic);
    if (this.nics.has(key)) {
      throw new IncusxError(ErrorCode.InUse, `NIC "${nic.device}" of instance "${nic.instance}" is attached already`);
    }
    const optimisticDad = this.optimisticDadOf(nic, `NIC "${nic.device}" of instance "${nic.instance}"`);
    const held = this.openNicNetns(nic);
    const netns = held === undefined ? undefined : namespaceView(held);
    const netnsId = held !== undefined ? namespaceIdentity(held) : nic.netns === undefined ? undefined : namespaceIdentity(nic.netns);
    if (how.netnsId !== undefined && netnsId !== how.netnsId) {
      this.closeNetns(held, nic);
      const why = netnsId === undefined ? "no longer exists" : "is another network namespace now";
      throw new IncusxError(ErrorCode.NotFound, `NIC "${nic.device}" of instance "${nic.instance}" was attached in "${nic.netns}", which ${why}`);
    }
    let link: LinkConfigurator;
    let events: LeaseEventStream;
    try {
      link = this.options.linkFor?.(nic, netns) ?? this.options.link;
      events = stamped(this.options.eventsFor?.(nic) ?? this.options.events, nic);
    } catch (error) {
      this.closeNetns(held, nic);
      throw new IncusxError(ErrorCode.InvalidConfig, `No link or event stream for NIC "${nic.device}" of instance "${nic.instance}": ${errorText(error)}`, { cause: error });
    }
    const remembered = (how.remember ? this.saved?.remember(nic, netnsId) : undefined) ?? Promise.resolve();
    const attachment: Attachment = { spec: nic, link, events, stop: new AbortController(), status: new Map(), remembered, release: nic.releaseOnStop === true };
    this.nics.set(key, attachment);
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    attachment.running = this.runNic(
      {
        interface: nic.interface,
        ...(netns === undefined ? {} : { netns }),
        leaseKey: nicLeaseKey(nic.instance, nic.device),
        ...(nic.families === undefined ? {} : { families: nic.families }),
        ...(nic.hostname === undefined ? {} : { hostname: nic.hostname }),
        ...(nic.fqdn === undefined ? {} : { fqdn: nic.fqdn }),
        ...(nic.duid === undefined ? {} : { duid: nic.duid }),
        signal: attachment.stop.signal,
        link,
        events,
        duidKey: instanceDuidKey(nic.instance),
        runnerReleaseOnStop: () => ({
          get releaseOnStop() {
            return attachment.release;
          },
        }),
        status: attachment.status,
        logFields: { instance: nic.instance, device: nic.device, ...(nic.netns === undefined ? {} : { netns: nic.netns }) },
        optimisticDad,
        persisted: remembered,
      },
      started,
    ).finally(() => {
      started();
      this.closeWatch(attachment);
      // The runners stopped and their last removals were applied: nothing uses the link or the namespace now.
      this.closeLink(attachment);
      this.closeNetns(held, nic);
      // A gone NIC's detached events follow its failed NIC_GONE ones (nicGone), so listeners learn why first.
      if (attachment.gone === undefined) this.publishDetached(attachment);
    });
    // After `running` is set, so a report at once stops a NIC whose runners have not started yet.
    if (netns !== undefined) this.watch(attachment, netns);
    await Promise.all([ready, remembered]);
  }

  /**
   * Attaches again every NIC saved in `attachments` by an earlier run of
   * the runtime on the same state (after a crash, SIGKILL or a graceful
   * stop that kept them), all at once; each NIC's runners find their saved
   * leases (DHCPv4 INIT-REBOOT, DHCPv6 Renew) and the addresses on the
   * link stay. A NIC whose namespace no longer exists, or whose path now
   * names another namespace (a reused PID), and an entry that does not
   * read back are deleted from the set and reported in `dropped`; any
   * other attach failure is reported in `failed` and kept. Neither stops
   * the other NICs. Call it once, before new attaches; a NIC attached
   * already counts as restored.
   */
  async restore(): Promise<RestoreResult> {
    const saved = this.saved;
    if (saved === undefined) return { restored: [], dropped: [], failed: [] };
    const restored: NicKey[] = [];
    const dropped: RestoreProblem[] = [];
    const failed: RestoreProblem[] = [];
    const drop = async (problem: RestoreProblem): Promise<void> => {
      dropped.push(problem);
      this.options.logger.warn(`Dropping saved NIC "${problem.key}": ${problem.reason}`, { key: problem.key });
      await saved.drop(problem.key);
    };
    const entries = await saved.entries();
    await Promise.all(
      entries.map(async (found) => {
        const { key } = found;
        if ("readError" in found) {
          failed.push({ key, reason: `the entry cannot be read: ${found.readError}` });
          this.options.logger.error(`Could not read saved NIC "${key}": ${found.readError}`, { key });
          return;
        }
        const entry = found.saved;
        if (typeof entry === "string") return drop({ key, reason: `the entry is unreadable: ${entry}` });
        const { spec } = entry;
        const nic = { instance: spec.instance, device: spec.device };
        if (attachedNicKey(nic) !== key) return drop({ key, nic, reason: `the entry names NIC "${nic.device}" of instance "${nic.instance}", whose key is another` });
        if (this.nics.has(nicKey(nic))) return void restored.push(nic);
        try {
          await this.attachNic(spec, { remember: false, ...(entry.netnsId === undefined ? {} : { netnsId: entry.netnsId }) });
          restored.push(nic);
        } catch (error) {
          if (isNotFound(error)) return drop({ key, nic, reason: errorText(error) });
          failed.push({ key, nic, reason: errorText(error) });
          this.options.logger.error(`Could not restore NIC "${nic.device}" of instance "${nic.instance}": ${errorText(error)}`, nic);
        }
      }),
    );
    this.options.logger.info(`Restored ${restored.length} attached NICs`, { restored: restored.length, dropped: dropped.length, failed: failed.length });
    return { restored, dropped, failed };
  }

  // Whether optimistic DAD is wanted for one NIC that runs IPv6; refused
  // (before anything starts) when the runtime has no way to set it.
  private optimisticDadOf(nic: { readonly optimisticDad?: boolean; readonly families?: readonly IpFamily[] }, what: string): boolean {
    const wanted = (nic.optimisticDad ?? this.options.optimisticDad ?? false) && (nic.families ?? ["ipv6"]).includes("ipv6");
    if (wanted && this.options.setIpv6Sysctls === undefined) {
      throw new IncusxError(ErrorCode.InvalidConfig, `Cannot turn on optimistic DAD for ${what}: the runtime was given no setIpv6Sysctls`);
    }
    return wanted;
  }

  // Before the runners start, so the link-local address the kernel makes
  // at link up is optimistic. A failure costs only speed: the runners
  // start anyway and the address goes through DAD as usual.
  private async turnOnOptimisticDad(options: NicRun): Promise<void> {
    try {
      await this.options.setIpv6Sysctls!(options.interface, OPTIMISTIC_DAD_SYSCTLS, options.netns === undefined ? {} : { netns: options.netns });
    } catch (error) {
      this.options.logger.warn(`Could not turn on optimistic DAD on "${options.interface}": ${errorText(error)}; its link-local address goes through DAD as usual`, {
        interface: options.interface,
        ...options.logFields,
      });
    }
  }

  // The NIC's namespace opened with `openNetns`, or undefined when there is none to open.
  private openNicNetns(nic: NicSpec): (NetworkNamespace & { close(): void }) | undefined {
    const open = this.options.openNetns;
    if (open === undefined || nic.netns === undefined) return undefined;
    try {
      return open(nic.netns);
    } catch (error) {
      const code = (error as { code?: unknown } | undefined)?.code === "ENOENT" ? ErrorCode.NotFound : ErrorCode.InvalidConfig;
      throw new IncusxError(code, `Cannot attach NIC "${nic.device}" of instance "${nic.instance}": ${errorText(error)}`, { cause: error });
    }
  }

  // A link of linkFor with a close() (the netlink socket it keeps in the
  // namespace) is closed with its NIC; `link`, and a link another attached
  // NIC still uses, are not.
  private closeLink(attachment: Attachment): void {
    const { link, spec: nic } = attachment;
    if (link === this.options.link || [...this.nics.values()].some((other) => other !== attachment && other.link === link)) return;
    try {
      (link as Partial<Closable>).close?.();
    } catch (error) {
      this.options.logger.warn(`Could not close the link of NIC "${nic.device}" of instance "${nic.instance}": ${errorText(error)}`);
    }
  }

  private closeNetns(held: { close(): void } | undefined, nic: NicKey): void {
    try {
      held?.close();
    } catch (error) {
      this.options.logger.warn(`Could not close the network namespace of NIC "${nic.device}" of instance "${nic.instance}": ${errorText(error)}`);
    }
  }

  /**
   * Stops the runners of one NIC (releasing its leases when asked) and
   * resolves once they stopped and their last removals were applied; the
   * NIC's timers are gone then. A second detach while one is under way,
   * or a detach of a NIC stopping because it is gone, waits for the same
   * stop (and releases nothing).
   *
   * @throws IncusxError `NOT_FOUND` when the NIC is not attached.
   */
  async detach(nic: NicKey, options: DetachOptions = {}): Promise<void> {
    const attachment = this.nics.get(nicKey(nic));
    if (attachment === undefined) {
      throw new IncusxError(ErrorCode.NotFound, `NIC "${nic.device}" of instance "${nic.instance}" is not attached`);
    }
    if (attachment.stopped === undefined && options.release !== undefined) attachment.release = options.release;
    const forgotten = attachment.stopped === undefined && options.forget !== false ? this.forget(attachment) : undefined;
    await Promise.all([this.stopNic(attachment), forgotten]);
  }

  // Stops the runners of a NIC once (detach or gone) and drops it from the list after.
  private stopNic(attachment: Attachment): Promise<void> {
    if (attachment.stopped === undefined) {
      for (const cell of attachment.status.values()) cell.state = "stopping";
      attachment.stop.abort();
      attachment.stopped = (attachment.running ?? Promise.resolve()).finally(() => this.nics.delete(nicKey(attachment.spec)));
    }
    return attachment.stopped;
  }

  // Deletes the NIC from the attached set (the store runs one NIC's writes in order: after its save).
  private forget(attachment: Attachment): Promise<void> {
    return this.saved?.forget(attachment.spec) ?? Promise.resolve();
  }

  private watch(attachment: Attachment, netns: NetworkNamespace): void {
    const { spec } = attachment;
    try {
      const watch = this.options.watchNic?.(spec, netns, (gone) => this.nicGone(attachment, gone));
      // Reported (or detached) while the watch was being set up: it ends now.
      if (attachment.stopped !== undefined) watch?.close();
      else if (watch !== undefined) attachment.watch = watch;
    } catch (error) {
      this.options.logger.warn(`Cannot watch NIC "${spec.device}" of instance "${spec.instance}" for its namespace or interface going away: ${errorText(error)}; it stays attached until detached`, {
        instance: spec.instance,
        device: spec.device,
      });
    }
  }

  private nicGone(attachment: Attachment, gone: NicGoneReport): void {
    // A detach under way, or a second report: that stop stands.
    if (attachment.stopped !== undefined || attachment.gone !== undefined) return;
    const { spec } = attachment;
    attachment.gone = { reason: String(gone.reason), message: String(gone.message) };
    // Nothing is left to release: the namespace or interface went with its addresses.
    attachment.release = false;
    this.closeWatch(attachment);
    const fields = { instance: spec.instance, device: spec.device, interface: spec.interface, reason: attachment.gone.reason, ...(spec.netns === undefined ? {} : { netns: spec.netns }) };
    this.options.logger.warn(`NIC "${spec.device}" of instance "${spec.instance}" is gone (${attachment.gone.message}); stopping its runners without release`, fields);
    const families = [...attachment.status.keys()];
    // A gone NIC is not re-adopted after a restart.
    void this.forget(attachment);
    void this.stopNic(attachment).then(() => {
      for (const family of families) {
        attachment.events.publish({ kind: "failed", family, interface: spec.interface, at: this.options.clock.now(), error: { code: NIC_GONE, message: attachment.gone!.message } });
      }
      this.publishDetached(attachment);
      try {
        this.options.onNicGone?.({ instance: spec.instance, device: spec.device, interface: spec.interface, ...(spec.netns === undefined ? {} : { netns: spec.netns }), gone: attachment.gone! });
      } catch (error) {
        this.options.logger.error(`onNicGone failed: ${errorText(error)}`, fields);
      }
    });
  }

  // One `detached` per family the NIC ran, once its runners stopped: whatever followed the NIC (its DNS) drops it.
  private publishDetached(attachment: Attachment): void {
    const { spec, events, status } = attachment;
    for (const family of status.keys()) events.publish({ kind: "detached", family, interface: spec.interface, at: this.options.clock.now() });
  }

  private closeWatch(attachment: Attachment): void {
    const watch = attachment.watch;
    attachment.watch = undefined;
    try {
      watch?.close();
    } catch (error) {
      this.options.logger.warn(`Could not stop watching NIC "${attachment.spec.device}" of instance "${attachment.spec.instance}": ${errorText(error)}`);
    }
  }

  /**
   * Every attached NIC (also those being detached, and those gone whose
   * runners are still stopping, with `gone` set), with each family's state
   * and lease.
   */
  list(): AttachedNic[] {
    return [...this.nics.values()].map(({ spec, status, gone }) => ({
      instance: spec.instance,
      device: spec.device,
      interface: spec.interface,
      ...(spec.netns === undefined ? {} : { netns: spec.netns }),
      ...(spec.resolvConf === undefined ? {} : { resolvConf: spec.resolvConf }),
      families: [...status].map(([family, cell]) => ({
        family,
        state: cell.state,
        ...(cell.lease === undefined ? {} : { lease: cell.lease }),
        ...(cell.error === undefined ? {} : { error: cell.error }),
        ...(cell.lastAttemptFailure === undefined ? {} : { lastAttemptFailure: cell.lastAttemptFailure }),
      })),
      ...(gone === undefined ? {} : { gone }),
    }));
  }

  // The supervision of one NIC, shared by run() and attach(): `started` is
  // called once every runner was started.
  private async runNic(options: NicRun, started?: () => void): Promise<void> {
    const wanted = new Set(options.families ?? ["ipv4", "ipv6"]);
    const runners = this.options.runners.filter((r) => wanted.has(r.family));
    for (const family of wanted) {
      if (!runners.some((r) => r.family === family)) {
        this.options.logger.warn(`No DHCP runner serves "${family}"; it is not configured`, { family, interface: options.interface, ...options.logFields });
      }
    }
    for (const runner of runners) options.status?.set(runner.family, { state: "starting" });
    if (options.optimisticDad && runners.some((r) => r.family === "ipv6")) await this.turnOnOptimisticDad(options);
    // Without a wait when the DUID is known: the runners start in this turn.
    const known = options.duid ?? this.clientDuid(options.duidKey);
    const duid = known instanceof Promise ? await known : known;
    const runOptions = duid === undefined ? options : { ...options, duid };
    const supervised = runners.map((runner, index) => this.supervise(runner, index, runOptions));
    started?.();
    await Promise.all(supervised);
  }

  private clientDuid(key: string): Uint8Array | Promise<Uint8Array | undefined> {
    const known = this.duids.get(key);
    if (known !== undefined) {
      this.duids.delete(key);
      this.duids.set(key, known);
      return known;
    }
    let load = this.duidLoads.get(key);
    if (load === undefined) {
      load = this.loadDuid(key).then(
        (duid) => {
          this.duidLoads.delete(key);
          if (duid !== undefined) {
            this.duids.set(key, duid);
            // Bounded: the oldest instance's DUID is read from the store again when it comes back.
            for (const oldest of this.duids.keys()) {
              if (this.duids.size <= KNOWN_DUIDS) break;
              this.duids.delete(oldest);
            }
          }
          return duid;
        },
        (error: unknown) => {
          this.duidLoads.delete(key);
          throw error;
        },
      );
      this.duidLoads.set(key, load);
    }
    return load;
  }

  // One DUID for the client, whatever the family: a DUID-UUID (RFC 6355),
  // which needs no link information, created once and then kept.
  private async loadDuid(key: string): Promise<Uint8Array | undefined> {
    const store = this.options.identity;
    if (store === undefined) return undefined;
    try {
      const stored = await store.get(key);
      if (typeof stored === "string" && /^(?:[0-9a-f]{2}){3,130}$/.test(stored)) return Uint8Array.from(Buffer.from(stored, "hex"));
      if (stored !== undefined) this.options.logger.warn(`Replacing the unreadable stored client DUID ${JSON.stringify(stored)}`);
      const duid = Uint8Array.from([0x00, 0x04, ...Buffer.from(randomUUID().replace(/-/g, ""), "hex")]);
      await store.set(key, Buffer.from(duid).toString("hex"));
      return duid;
    } catch (error) {
      this.options.logger.warn(`No shared client DUID (${String(error)}); each runner keeps its own`);
      return undefined;
    }
  }

  private async supervise(runner: DhcpRunner, index: number, options: NicRun): Promise<void> {
    const { clock } = this.options;
    const { signal, link, events } = options;
    const family = runner.family;
    const logger = this.options.logger.child({ family, interface: options.interface, runner: index, ...options.logFields });
    const applier = new LeaseApplier(options.interface, link, clock);
    // Several runners of one family share the cell: the last word wins.
    const cell: FamilyCell = options.status?.get(family) ?? { state: "starting" };
    let delayMs = this.initialDelayMs;

    const handle = async (event: LeaseEvent, stopping: AbortSignal): Promise<void> => {
      let problems: LinkProblem[] = [];
      if (LEASE_IN_FORCE.has(event.kind) && event.lease !== undefined) {
        if (options.persisted !== undefined) await options.persisted;
        problems = await applier.apply(event.lease, stopping);
        if (stopping.aborted) {
          // Not published: it is not on the link as a whole. What is there is left, as a stop leaves a lease.
          logger.info(`Stopped applying a ${event.kind} lease: the runtime is stopping`, { kind: event.kind });
          return;
        }
        if (problems.length === 0) problems = await this.readBack(options.interface, link, applier);
        delayMs = this.initialDelayMs;
        if (!signal.aborted) cell.state = "bound";
        cell.lease = event.lease;
        delete cell.error;
        delete cell.lastAttemptFailure;
      } else if (event.kind === "expired" || event.kind === "released") {
        problems = await applier.clear(event.lease);
        if (!signal.aborted) cell.state = "starting";
        delete cell.lease;
      }
      events.publish(event);
      if (problems.length > 0) cell.error = this.linkFailed(event, problems, logger, events);
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
      if (cell.state === "failed") cell.state = cell.lease === undefined ? "starting" : "bound";
      try {
        // Spread would read a getter now; the runner must read it when it stops.
        const runOptions = Object.defineProperties(
          {
            interface: options.interface,
            ...(options.netns === undefined ? {} : { netns: options.netns }),
            ...(options.leaseKey === undefined ? {} : { leaseKey: options.leaseKey }),
            ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
            ...(options.fqdn === undefined ? {} : { fqdn: options.fqdn }),
            ...(options.duid === undefined ? {} : { duid: options.duid }),
            signal,
            emit,
            attemptFailed: (failure: DhcpAttemptFailure) => {
              cell.lastAttemptFailure = failure;
              options.attemptFailed?.(family, failure);
            },
          },
          Object.getOwnPropertyDescriptors(options.runnerReleaseOnStop()),
        );
        await runner.run(runOptions);
        if (signal.aborted) break;
        failure = new Error("The runner stopped although it was not asked to");
      } catch (error) {
        if (signal.aborted) break;
        failure = error;
      }
      await queue.idle();
      const message = failure instanceof Error ? failure.message : String(failure);
      logger.warn(`DHCP runner for "${family}" stopped: ${message}; restarting in ${delayMs} ms`, { delayMs });
      const error = { code: codeOf(failure), message };
      if (!signal.aborted) cell.state = "failed";
      cell.error = error;
      events.publish({ kind: "failed", family, interface: options.interface, at: clock.now(), error });
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
  // silently (or removed at once) must not count as configured. A link
  // that reads its addresses alone (`IpRoute2LinkConfigurator.addresses`:
  // one netlink dump instead of four) is asked for those only.
  private async readBack(iface: string, link: LinkConfigurator & Partial<AddressReader>, applier: LeaseApplier): Promise<LinkProblem[]> {
    let addresses: readonly LinkAddress[];
    try {
      addresses = typeof link.addresses === "function" ? await link.addresses(iface) : (await link.snapshot(iface)).addresses;
    } catch (error) {
      return [{ action: "read back the link", error }];
    }
    const present = new Set(addresses.map((a) => `${a.address}/${a.prefixLength}`));
    return applier.applied
      .filter((a) => !present.has(`${a.address}/${a.prefixLength}`))
      .map((a) => ({
        action: `check address ${a.address}/${a.prefixLength}`,
        error: new Error(`Address "${a.address}/${a.prefixLength}" is not on "${iface}" after it was added`),
      }));
  }

  private linkFailed(event: LeaseEvent, problems: readonly LinkProblem[], logger: Logger, events: LeaseEventStream): { code: string; message: string } {
    const message = problems.map((p) => `Cannot ${p.action}: ${errorText(p.error)}`).join("; ");
    logger.error(`Lease applied only in part on "${event.interface}": ${message}`, { kind: event.kind });
    events.publish({
      kind: "failed",
      family: event.family,
      interface: event.interface,
      at: this.options.clock.now(),
      ...(event.lease === undefined ? {} : { lease: event.lease }),
      error: { code: LINK_FAILED, message },
    });
    return { code: LINK_FAILED, message };
  }
}

// The plugin resolves `path` component by component below `root`: `..`
// would climb out of the container, and `.` or an empty name is a typo.
function checkResolvConfTarget(nic: NicSpec): void {
  const { root, path = "/etc/resolv.conf" } = nic.resolvConf ?? { root: "" };
  const names = typeof path === "string" ? path.split("/").slice(1) : [];
  const bad =
    typeof root !== "string" || !root.startsWith("/")
      ? `its root ${JSON.stringify(root)} is not an absolute path`
      : typeof path !== "string" || !path.startsWith("/") || names.some((n) => n === "" || n === "." || n === "..")
        ? `its path ${JSON.stringify(path)} is not an absolute path of names without "." or ".."`
        : undefined;
  if (bad !== undefined) {
    throw new IncusxError(ErrorCode.InvalidConfig, `Invalid resolv.conf target for NIC "${nic.device}" of instance "${nic.instance}": ${bad}`);
  }
}

// Every event of an attached NIC says which NIC (and DNS target) it is
// about: one stream carries many NICs, and an interface name is unique
// only within its namespace.
function stamped(events: LeaseEventStream, spec: NicSpec): LeaseEventStream {
  const nic: LeaseEventNic = {
    instance: spec.instance,
    device: spec.device,
    ...(spec.resolvConf === undefined ? {} : { resolvConf: { ...spec.resolvConf } }),
  };
  return { publish: (event) => events.publish({ ...event, nic }), subscribe: (listener) => events.subscribe(listener) };
}

// What runners and links get of a held namespace: its path and fd (read
// per use, so it throws once closed), never its close().
function namespaceView(held: NetworkNamespace): NetworkNamespace {
  return Object.freeze({
    path: held.path,
    get fd() {
      return held.fd;
    },
  });
}

function nicKey(nic: NicKey): string {
  return JSON.stringify([nic.instance, nic.device]);
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === ErrorCode.NotFound;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// A runner's own code (ENODEV from the link, an incusx code) says more than a generic one.
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code !== "" ? code : ErrorCode.PluginFailed;
}
