// The NatBackend for OVN: owned snat rows in the northbound database. One
// read, then one wait-guarded transaction per ensure/remove/reconcile; when
// a guard fails (someone wrote in between) or the connection is lost, it
// reads again and re-plans, so a retried write is applied exactly once.
// Rows record the cluster member that owns them: a backend acts on its own
// member's rows, takes a NIC's row over from another member only in
// ensure (the NIC moved here), and adopts legacy rows its state wants.

import { hostname } from "node:os";
import {
  HostIdentityToken,
  HostMetricsToken,
  NetworkStateToken,
  PluginConfigToken,
  inject,
  type HostIdentity,
  type HostMetrics,
  type IpFamily,
  type NatBackend,
  type NatListOptions,
  type NatOwner,
  type NatReconcileOptions,
  type NatReconcileResult,
  type NatPlan,
  type NatRule,
  type NatStoreChange,
  type NatWatch,
  type NetworkState,
  type NicDevice,
} from "@incusx/sdk";
import {
  OvsdbClient,
  OvsdbCommitError,
  OvsdbConnectionLostError,
  OvsdbOperationError,
  OvsdbTimeoutError,
  OvsdbUnavailableError,
  op,
  uuid,
  uuidOf,
  type CountResult,
  type InsertResult,
  type OvsdbOperation,
  type SelectResult,
} from "@incusx/ovsdb";
import { OvnNatError, type NatConflict } from "./errors.js";
import { natTransaction, placedRow, planIsEmpty, planNat, type NatChangePlan, type NatView, type OwnedGuard, type PlacedRule, type PlanOwnership } from "./plan.js";
import { placeOnGateways, readGatewayPorts } from "./gateway-ports.js";
import { nicSwitchPortNames, readDynamicAddresses } from "./dynamic-addresses.js";
import { planNicNat } from "./nic-plan.js";
import { forwardLbError, forwardLbGuards, readForwardVips, screenForwardLbs, type ForwardLbBlock, type ForwardLbRead } from "./forward-lb.js";
import { readAll, readForRule } from "./reads.js";
import { NatWatcher, rowPrint, type RowPrint, type WatchedChanges } from "./watch.js";
import {
  EXTERNAL_ID_KEYS,
  NAT_COLUMNS,
  OVN_NORTHBOUND,
  instanceSelector,
  isOwned,
  memberSelector,
  natRowView,
  nicName,
  normalizeRule,
  ownerKey,
  ownerSelector,
  rowHolder,
  rowOwnerKey,
  ruleOfRow,
  type NatRowView,
} from "./rows.js";
import { DEFAULT_OVN_NAT_CONFIG, type OvnNatConfigInput } from "../generated/config.js";


export type { OvnNatConfig } from "../generated/config.js";

/** Rules made ready for a plan. */
interface PreparedRules {
  readonly rules: readonly NatRule[];
  readonly placed: readonly PlacedRule[];
  readonly failed: readonly { readonly rule: NatRule; readonly error: OvnNatError }[];
}

/** What a batched ensure or a reconcile did, beyond the SDK's result. */
export interface OvnNatReconcileResult extends NatReconcileResult {
  /** Rules not applied because a row we do not own translates the same logical address (that row is left alone). */
  readonly conflicts: readonly NatConflict[];
  /** Rules not applied because their network's router does not exist, or the network is unknown. */
  readonly failed: readonly { readonly rule: NatRule; readonly error: OvnNatError }[];
  /** Write transactions committed (0 when nothing had to change). */
  readonly transactions: number;
  /** Rows the backend owns once it finished, as far as it knows. */
  readonly ownedRows?: number;
  /** Rows written before members were recorded that this member's rules wanted: now recorded as its own, updated in place. */
  readonly adopted: readonly NatRule[];
  /** Rows written before members were recorded that nothing of this member wants: left alone. */
  readonly legacy: readonly NatRule[];
  /**
   * This member's rules the desired ones do not name whose rows it took
   * over from another member since its previous reconcile (the NIC moved
   * here after the state these rules came from was read): kept; the next
   * reconcile decides.
   */
  readonly spared?: readonly NatRule[];
}

/** How a backend made outside a host ({@link OvnNatBackend.withClient}) is set up. */
export interface OvnNatBackendOptions {
  /** The cluster member it writes as; default the host name (`os.hostname()`). */
  readonly member?: string;
}

const MAX_ATTEMPTS = 10;
/** Above this many inserts, a reconcile on a watch's view reads everything instead of the inserted addresses. */
const MIRRORED_INSERTS_MAX = 64;

/**
 * {@link NatBackend} for `ovn` networks: one `snat` NAT row per NIC and
 * family on the network's logical router, tagged with its owner and its
 * cluster member (the host's {@link HostIdentity}) in `external_ids`. Only
 * its own member's rows are ever deleted; `ensure` takes a NIC's row over
 * from another member in place (the NIC moved here).
 *
 * @example
 * const backend = OvnNatBackend.withClient(await OvsdbClient.connect(nb, { database: "OVN_Northbound" }), state);
 * await backend.ensure({ owner: { instance: "c1", device: "eth0" }, network: "ovn0", family: "ipv4",
 *                        logicalIp: "10.0.0.5", externalIp: "198.51.100.9" });
 */
export class OvnNatBackend implements NatBackend {
  readonly networkType = "ovn";
  // Input, not OvnNatConfig: a backend made outside the host has no defaults filled in.
  readonly #config: OvnNatConfigInput;
  readonly #state: NetworkState;
  readonly #member: string;
  readonly #metrics: HostMetrics | undefined;
  #client: Promise<OvsdbClient> | undefined;
  #ownsClient = true;
  #writes = 0;
  /** Router uuids seen by name: lets a first ensure go in one round trip. */
  readonly #routerUuids = new Map<string, string>();
  /** NICs (owner key) known to have a row: their ensure reads first. */
  readonly #knownKeys = new Set<string>();
  /** Owned rows per instance as last seen: what a first ensure's guard expects. */
  readonly #instanceRows = new Map<string, Set<string>>();
  /** Owned rows (uuid to content) as last read or written; complete after a full read. */
  readonly #known = new Map<string, RowPrint>();
  #knownComplete = false;
  /** Writes in flight: a watch holds its comparison until they end. */
  #inFlight = 0;
  /** Switch ports whose dynamic addresses a plan read. */
  readonly #plannedPorts = new Set<string>();
  readonly #watchers = new Set<NatWatcher>();
  /** The last rules prepared (normalized, placed), by array identity. */
  #prepared: PreparedRules | undefined;
  /** {@link #plannedAddresses} of one rule set. */
  #addressesOf: { readonly prepared: PreparedRules; readonly addresses: ReadonlyMap<string, ReadonlySet<string>> } | undefined;
  /** The rules of the last reconcile that succeeded. */
  #settled: PreparedRules | undefined;
  /** Where the last reconcile that succeeded placed rules on gateway ports ({@link gatewayPlacement}). */
  #settledPlacement = "";
  /** NICs (owner keys) whose rule the last reconcile could not apply (missing router, row in the way): planned again every time. */
  readonly #blockedKeys = new Set<string>();
  /** Counts takeovers of rows from other members (NICs that moved here): orders them against reconciles. */
  #takeOvers = 0;
  /** NICs (owner key) by the number of the last takeover of their row. */
  readonly #takenOverAt = new Map<string, number>();
  /** The takeover count when the last reconcile finished: a later takeover is newer than any state a reconcile can have read. */
  #reconciledThrough = 0;

  constructor(
    @inject(PluginConfigToken) config: unknown,
    @inject(NetworkStateToken) state: NetworkState,
    @inject(HostIdentityToken) identity?: HostIdentity,
    @inject(HostMetricsToken) metrics?: HostMetrics,
  ) {
    this.#config = (config ?? {}) as OvnNatConfigInput;
    this.#state = state;
    this.#member = identity?.member || hostname();
    this.#metrics = metrics;
  }

  /** A backend on an existing client (the caller closes it), writing as `options.member` (default the host name). */
  static withClient(client: OvsdbClient, state: NetworkState, options: OvnNatBackendOptions = {}): OvnNatBackend {
    const backend = new OvnNatBackend({}, state, options.member === undefined ? undefined : { member: options.member });
    backend.#client = Promise.resolve(client);
    backend.#ownsClient = false;
    return backend;
  }

  /** The cluster member this backend writes as (`incusx:member` of its rows). */
  get member(): string {
    return this.#member;
  }

  /** Write transactions committed so far by this backend. */
  get writeTransactions(): number {
    return this.#writes;
  }

  /** Closes the NB connection the backend opened (not one given to {@link withClient}). */
  async close(): Promise<void> {
    for (const watcher of this.#watchers) await watcher.close().catch(() => undefined);
    this.#watchers.clear();
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined && this.#ownsClient) (await client.catch(() => undefined))?.close();
  }

  /**
   * The rules `nic` asks for: one per family whose `*.address.external` is
   * set, from its static address or else its switch port's
   * `dynamic_addresses`: the port Incus names
   * `incus-net<network ID>-instance-<instance UUID>-<device>` (network ID
   * from the state's network `id` or its `incus-net<id>-lr` router, UUID
   * from the NIC's `instanceUuid`), else the legacy
   * `<network>-instance-<instance>-<device>`. Never writes.
   */
  async plan(nic: NicDevice): Promise<NatPlan> {
    let ports: string[] = [];
    return planNicNat(
      nic,
      async (name) => {
        const network = await this.#state.network(name);
        ports = nicSwitchPortNames(network ?? { name }, nic);
        // Every name tried: the port appearing (Incus starting the NIC) under any of them changes the plan.
        for (const port of ports) this.#plannedPorts.add(port);
        return readDynamicAddresses(await this.#connect(), ports, this.#timeout());
      },
      () => ports,
    );
  }

  /**
   * Watches the NB (one `monitor_cond_since`, resumed by the client across
   * reconnects and leader changes) for what can make the owned rows drift:
   * an owned row deleted, edited or added by someone else (compared with
   * what this backend last read or wrote, so its own writes report
   * nothing), a logical router inserted, deleted or renamed, a change of a
   * switch port whose dynamic addresses a plan read, a change of the load
   * balancer VIPs (direct or through a load balancer group) on an external
   * address of the last rules, on their router (`forward`: the next
   * reconcile screens every rule again), and a monitor that had to start
   * over. Rejects with `OvnNatError` (`database`) when the NB is
   * unreachable. Closed by {@link close} too.
   */
  async watch(listener: (change: NatStoreChange) => void): Promise<NatWatch> {
    let client: OvsdbClient;
    let watcher: NatWatcher;
    try {
      client = await this.#connect();
      watcher = await NatWatcher.start(client, memberSelector(this.#member), {
        knownRows: () => (this.#knownComplete ? this.#known : undefined),
        writing: () => this.#inFlight > 0,
        plannedPorts: () => this.#plannedPorts,
        plannedAddresses: () => this.#plannedAddresses(),
      }, listener);
    } catch (error) {
      if (error instanceof OvnNatError) throw error;
      throw new OvnNatError("database", `Watching the OVN northbound database failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    this.#watchers.add(watcher);
    return {
      close: async () => {
        this.#watchers.delete(watcher);
        await watcher.close();
      },
    };
  }

  /**
   * Creates or corrects the NIC's rule of `rule.family` in one guarded
   * transaction; commits nothing when it is in place. A row of the NIC held
   * by another member (the NIC moved here) or written before members were
   * recorded is updated in place to this member's: never deleted and
   * inserted again, so the NIC keeps its SNAT throughout.
   */
  async ensure(rule: NatRule): Promise<void> {
    const normal = normalizeRule(rule);
    const router = await this.routerOf(normal.network);
    const key = ownerKey(normal.owner, normal.family);
    const instance = normal.owner.instance;
    const selector = instanceSelector(instance);
    // A NIC not known to have a row is first tried in one round trip: a
    // transaction guarded on "the instance's rows are the ones we last saw,
    // no row on this address". The guards, not the guess, keep it correct;
    // a failed guard falls back to reading first.
    // IPv6 is never guessed: its guard only sees the canonical spellings of the address.
    let optimistic = normal.family === "ipv4" && this.#routerUuids.has(router) && !this.#knownKeys.has(key);
    // The load balancers are read in every attempt: the write is guarded on them as read.
    const refused = await this.#retrying(`Ensuring SNAT of NIC "${nicName(normal.owner)}" on network "${normal.network}"`, async (): Promise<ForwardLbBlock | undefined> => {
      const client = await this.#connect();
      // The rule once per gateway port it goes on (one entry on a router with at most one).
      const { lbs, allowed: placed, blocked } = await this.#screenAndPlace(client, [{ rule: normal, router }]);
      if (blocked[0] !== undefined) return blocked[0];
      if (optimistic) {
        optimistic = false;
        const guess: NatView = { routers: new Map([[router, this.#routerUuids.get(router)!]]), rows: [], routerOf: () => undefined };
        const plan = planNat(guess, placed, "keys", { member: this.#member, takeOver: true });
        try {
          const inserted = await this.#commit(client, plan, guess, [{ selector, uuids: [...(this.#instanceRows.get(instance) ?? [])] }], lbs);
          this.#rememberWrites(plan, inserted);
          return undefined;
        } catch (error) {
          if (!(error instanceof OvsdbOperationError && error.op === "wait")) throw error;
          if (error.index === 0) this.#routerUuids.delete(router);
        }
      }
      const view = await readForRule(client, normal, router, this.#timeout());
      const routerUuid = view.routers.get(router);
      if (routerUuid === undefined) this.#routerUuids.delete(router);
      else this.#routerUuids.set(router, routerUuid);
      const ownedRows = view.rows.filter((r) => isOwned(r) && r.externalIds[EXTERNAL_ID_KEYS.instance] === instance);
      const owned = ownedRows.map((r) => r.uuid);
      this.#knowInstance(instance, ownedRows.filter((r) => rowHolder(r, this.#member) === "own"));
      this.#instanceRows.set(instance, new Set(owned));
      // Every NIC seen with a row must read first: a guess would not replace that row.
      this.#rememberKeysOf(ownedRows);
      const plan = planNat(view, placed, "keys", { member: this.#member, takeOver: true });
      throwIfBlocked(plan, normal.network);
      // The instance's rows of every member (nothing new), and this member's (none taken away by another).
      const mine = ownedRows.filter((r) => rowHolder(r, this.#member) === "own").map((r) => r.uuid);
      const guards = [
        { selector, uuids: owned },
        { selector: memberSelector(this.#member, instance), uuids: mine },
      ];
      this.#markTakeOvers(plan);
      if (!planIsEmpty(plan)) this.#rememberWrites(plan, await this.#commit(client, plan, view, guards, lbs));
      this.#knownKeys.add(key);
      return undefined;
    });
    if (refused !== undefined) {
      // Its row of that family would break the NIC: it goes too.
      await this.remove(normal.owner, normal.family);
      throw forwardLbError(refused);
    }
  }

  /**
   * Removes the owner's rows of this member (one family or both); rows of
   * other NICs, also sharing the external address, stay, and so does a row
   * of the NIC another member holds (the NIC moved there) or one written
   * before members were recorded.
   */
  async remove(owner: NatOwner, family?: IpFamily): Promise<void> {
    const selector = ownerSelector(owner, family, this.#member);
    await this.#retrying(`Removing SNAT of NIC "${nicName(owner)}"`, async () => {
      const client = await this.#connect();
      const read = op.select("NAT", [["external_ids", "includes", selector]], ["_uuid"]);
      const [rows] = (await client.transact(OVN_NORTHBOUND, [read], { timeoutMs: this.#timeout() })) as [SelectResult];
      const uuids = rows.rows.map((r) => uuidOf(r._uuid)!);
      if (uuids.length === 0) return;
      const ops: OvsdbOperation[] = [
        op.wait("NAT", [["external_ids", "includes", selector]], ["_uuid"], "==", uuids.map((u) => ({ _uuid: uuid(u) }))),
        ...uuids.map((u) => op.mutate("Logical_Router", [["nat", "includes", uuid(u)]], [["nat", "delete", uuid(u)]])),
      ];
      await this.#writing(async () => {
        await client.transact(OVN_NORTHBOUND, ops, { timeoutMs: this.#timeout() });
        this.#writes++;
        for (const u of uuids) {
          this.#instanceRows.get(owner.instance)?.delete(u);
          this.#known.delete(u);
        }
      });
    });
    // Only now: after a failed remove the rows may remain, and a guessed ensure would not replace them.
    for (const f of family === undefined ? (["ipv4", "ipv6"] as const) : [family]) this.#knownKeys.delete(ownerKey(owner, f));
  }

  /**
   * Every rule this member owns, read from the NB; with `allMembers`, the
   * rules of every member and those recorded without one, each rule naming
   * its `member` (absent for a legacy row).
   */
  async list(options: NatListOptions = {}): Promise<readonly NatRule[]> {
    return this.#retrying("Listing owned SNAT rows", async () => {
      const client = await this.#connect();
      const selector = options.allMembers === true ? ownerSelector() : memberSelector(this.#member);
      const read = op.select("NAT", [["external_ids", "includes", selector]], [...NAT_COLUMNS]);
      const [rows] = (await client.transactPruned(OVN_NORTHBOUND, [read], { timeoutMs: this.#timeout() })) as [SelectResult];
      return rows.rows.map(natRowView).flatMap((row) => ruleOfRow(row) ?? []);
    });
  }

  /**
   * Makes this member's rows equal `desired`: adds what is missing, corrects
   * drift, deletes its rows nothing wants, in one transaction (none when
   * nothing changed). Rules blocked by foreign rows, by another member's
   * row of the NIC, or by missing routers are reported, not applied; the
   * rest still are. Legacy rows a desired rule wants are adopted; the others
   * are reported in `legacy` and left alone. Other members' rows are never
   * changed.
   */
  async reconcile(desired: readonly NatRule[], options: NatReconcileOptions = {}): Promise<OvnNatReconcileResult> {
    return this.#applyAll(desired, "all", options);
  }

  /**
   * What {@link reconcile} would do now with the same arguments, writing
   * nothing: the same reads (the routers' load balancers, every snat and
   * owned row) and the same plan, so a rule a forward refuses is in
   * `failed` (`forward-lb-conflict`), an ensured rule carries the
   * `externalPortRange` its row would get, and `transactions` is 0.
   */
  async planReconcile(desired: readonly NatRule[], options: NatReconcileOptions = {}): Promise<OvnNatReconcileResult> {
    const prepared = await this.#prepare(desired);
    const started = this.#takenOverSince(this.#reconciledThrough);
    const { plan, blocked } = await this.#retrying("Planning the SNAT reconcile", async () => {
      const client = await this.#connect();
      const { allowed, blocked } = await this.#screenAndPlace(client, prepared.placed);
      const view = await readAll(client, this.#timeout());
      return { plan: planNat(view, allowed, "all", this.#ownership("all", options, started, prepared)), blocked };
    });
    return this.#result(plan, [...prepared.failed, ...blockedFailures(blocked)], 0);
  }

  /**
   * Ensures many rules in one transaction (each NIC's old row of that
   * family is replaced, a row another member holds is taken over as
   * `ensure` does); owned rows of other NICs are left alone.
   */
  async ensureAll(rules: readonly NatRule[]): Promise<OvnNatReconcileResult> {
    return this.#applyAll(rules, "keys");
  }

  /** The logical router of network `name`; throws `unknown-network` when the host does not know it as an OVN network with a router. */
  async routerOf(name: string): Promise<string> {
    const network = await this.#state.network(name);
    if (network === undefined) throw new OvnNatError("unknown-network", `Network "${name}" is not known to the host`);
    if (network.type !== "ovn") throw new OvnNatError("unknown-network", `Network "${name}" is of type "${network.type}", not "ovn"`);
    if (!network.ovnRouter) throw new OvnNatError("unknown-network", `Network "${name}" names no OVN logical router`);
    return network.ovnRouter;
  }

  async #applyAll(rules: readonly NatRule[], scope: "keys" | "all", options: NatReconcileOptions = {}): Promise<OvnNatReconcileResult> {
    const prepared = await this.#prepare(rules);
    // A reconcile towards the rules of the last one that succeeded only has to look at the NICs whose rows changed since
    // (unless a gateway port added or removed since moves rows: checked in the attempt, which reads the ports).
    const settled = scope === "all" && this.#settled === prepared;
    const settledPlacement = this.#settledPlacement;
    this.#settled = undefined;
    // The host state these rules came from was read after the previous reconcile finished, maybe before
    // a NIC that moved here since was started: the row taken over for it is not this reconcile's to delete.
    const started = this.#takenOverSince(this.#reconciledThrough);
    const before = this.#writes;
    let useMirror = true;
    let restricted = false;
    let blocked: readonly ForwardLbBlock[] = [];
    let placement = "";
    const plan = await this.#retrying(scope === "all" ? "Reconciling SNAT rows" : "Ensuring SNAT rows", async () => {
      restricted = false;
      const client = await this.#connect();
      // Read in every attempt: the write is guarded on the load balancers as read.
      const screened = await this.#screenAndPlace(client, prepared.placed);
      const { lbs, allowed } = screened;
      blocked = screened.blocked;
      placement = gatewayPlacement(allowed);
      const watcher = useMirror ? this.#liveWatcher() : undefined;
      const changes = watcher?.takeChanges() ?? "all";
      // A retry (a guard failed: the monitor was behind, or the connection was lost) reads everything.
      useMirror = false;
      // A gateway port added or removed since the last reconcile moves rows the changed-rows repair would not look at.
      if (watcher !== undefined && settled && placement === settledPlacement && changes !== "all") {
        // Rows of NICs the rules do not name are left alone here: they may be a NIC started since
        // the rules were planned (its rule is in the next full plan); a full reconcile removes strays.
        const byKey = placedByKey(allowed);
        restricted = true;
        const keys = new Set([...changes.keys, ...this.#blockedKeys].filter((key) => byKey.has(key)));
        return this.#applyChanged(client, watcher, byKey, keys, changes, lbs);
      }
      const mirrored = watcher?.view();
      const view = mirrored === undefined ? await readAll(client, this.#timeout()) : await this.#withInsertAddresses(client, mirrored, allowed, scope);
      this.#routerUuids.clear();
      for (const [name, id] of view.routers) this.#routerUuids.set(name, id);
      const plan = planNat(view, allowed, scope, this.#ownership(scope, options, started, prepared));
      this.#instanceRows.clear();
      for (const row of view.rows.filter(isOwned)) {
        const instance = row.externalIds[EXTERNAL_ID_KEYS.instance] ?? "";
        const rows = this.#instanceRows.get(instance) ?? new Set<string>();
        this.#instanceRows.set(instance, rows.add(row.uuid));
      }
      this.#rememberKeysOf(view.rows.filter(isOwned));
      this.#known.clear();
      if (mirrored !== undefined) for (const [id, print] of mirrored.prints) this.#known.set(id, print);
      else for (const row of view.rows) if (isOwned(row) && rowHolder(row, this.#member) === "own") this.#known.set(row.uuid, printOf(row));
      this.#knownComplete = true;
      if (scope === "keys") this.#markTakeOvers(plan);
      if (!planIsEmpty(plan)) {
        const mine = view.rows.filter((r) => isOwned(r) && rowHolder(r, this.#member) === "own").map((r) => r.uuid);
        const guards = mirrored === undefined ? [{ selector: memberSelector(this.#member), uuids: mine }] : instanceGuards(plan, view, this.#member);
        this.#rememberWrites(plan, await this.#commit(client, plan, view, guards, lbs));
      } else for (const p of plan.kept) this.#knownKeys.add(ownerKey(p.rule.owner, p.rule.family));
      return plan;
    });
    if (scope === "all") {
      this.#settled = prepared;
      this.#settledPlacement = placement;
      this.#reconciledThrough = this.#takeOvers;
      for (const [key, seq] of this.#takenOverAt) if (seq <= this.#reconciledThrough) this.#takenOverAt.delete(key);
      if (!restricted) this.#blockedKeys.clear();
      for (const p of [...plan.kept, ...plan.inserts, ...plan.updates.map((u) => u.placed)]) this.#blockedKeys.delete(ownerKey(p.rule.owner, p.rule.family));
      for (const b of [...plan.missingRouters.map((m) => m.rule), ...plan.conflicts.map((c) => c.rule)]) this.#blockedKeys.add(ownerKey(b.owner, b.family));
    }
    // A reconcile deleted their rows as unwanted; an ensureAll leaves other keys' rows, so these go here.
    if (scope === "keys") for (const b of blocked) await this.remove(b.placed.rule.owner, b.placed.rule.family);
    return this.#result(plan, [...prepared.failed, ...blockedFailures(blocked)], this.#writes - before);
  }

  /** Whose rows a plan of `scope` may change, and which it must spare (NICs started since the state was read). */
  #ownership(scope: "keys" | "all", options: NatReconcileOptions, started: ReadonlySet<string>, prepared: PreparedRules): PlanOwnership {
    if (scope === "keys") return { member: this.#member, takeOver: true };
    // Taken after the view was read: a row stamped later than this comes from a clock set back.
    const planAt = Date.now();
    // Rules a forward refuses still name their NIC: its row is not a stranger's to spare (the keeper may have written it since).
    const named = new Set(prepared.placed.map((p) => ownerKey(p.rule.owner, p.rule.family)));
    return {
      member: this.#member,
      takeOver: false,
      started,
      named,
      ...(options.stateReadAt === undefined ? {} : { stateRead: { at: options.stateReadAt, planAt } }),
    };
  }

  /** NICs (owner keys) whose rows were taken over from another member after takeover number `through`. */
  #takenOverSince(through: number): Set<string> {
    return new Set([...this.#takenOverAt].filter(([, seq]) => seq > through).map(([key]) => key));
  }

  /** The result of applying (or, with 0 transactions, planning) `plan`; `failed` holds the rules refused before planning. */
  #result(plan: NatChangePlan, failed: readonly { rule: NatRule; error: OvnNatError }[], transactions: number): OvnNatReconcileResult {
    const adopted = plan.updates.filter((u) => u.from === undefined);
    return {
      ensured: [...plan.inserts.map(reportedRule), ...plan.updates.filter((u) => u.from !== undefined).map((u) => reportedRule(u.placed))],
      removed: plan.deletes.flatMap((d) => d.rule ?? []),
      conflicts: plan.conflicts,
      failed: [...failed, ...plan.missingRouters.map((m) => ({ rule: m.rule, error: routerMissing(m.router, m.rule.network) }))],
      transactions,
      adopted: adopted.map((u) => reportedRule(u.placed)),
      legacy: plan.legacy.flatMap((row) => ruleOfRow(row) ?? []),
      ...(plan.spared.length > 0 ? { spared: plan.spared.flatMap((row) => ruleOfRow(row) ?? []) } : {}),
      ...(this.#knownComplete ? { ownedRows: this.#known.size } : {}),
    };
  }

  /** The external addresses of the last rules prepared, by router (cached per rule set). */
  #plannedAddresses(): ReadonlyMap<string, ReadonlySet<string>> {
    const prepared = this.#prepared;
    if (prepared === undefined) return new Map();
    if (this.#addressesOf?.prepared === prepared) return this.#addressesOf.addresses;
    const addresses = new Map<string, Set<string>>();
    for (const { rule, router } of prepared.placed) (addresses.get(router) ?? addresses.set(router, new Set()).get(router)!).add(rule.externalIp);
    this.#addressesOf = { prepared, addresses };
    return addresses;
  }

  /** `rules` normalized and placed on their routers; the same array object gives the same result (a keeper passes its last plan again). */
  async #prepare(rules: readonly NatRule[]): Promise<PreparedRules> {
    if (this.#prepared?.rules === rules) return this.#prepared;
    const failed: { rule: NatRule; error: OvnNatError }[] = [];
    const placed: PlacedRule[] = [];
    const routers = new Map<string, Promise<string>>();
    for (const rule of rules) {
      try {
        const normal = normalizeRule(rule);
        let router = routers.get(normal.network);
        if (router === undefined) routers.set(normal.network, (router = this.routerOf(normal.network)));
        placed.push({ rule: normal, router: await router });
      } catch (error) {
        if (!(error instanceof OvnNatError)) throw error;
        failed.push({ rule, error });
      }
    }
    this.#prepared = { rules, placed, failed };
    return this.#prepared;
  }

  /**
   * Plans only the NICs whose owned rows changed since the last reconcile
   * towards the same rules (the others were right then and nothing touched
   * them), on the watch's view; commits when something differs.
   */
  async #applyChanged(
    client: OvsdbClient,
    watcher: NatWatcher,
    byKey: ReadonlyMap<string, readonly PlacedRule[]>,
    keys: ReadonlySet<string>,
    changes: WatchedChanges,
    lbs: ForwardLbRead,
  ): Promise<NatChangePlan> {
    // What the backend knows follows every changed row, planned or not.
    for (const id of changes.uuids) this.#known.delete(id);
    for (const row of watcher.rowsFor(changes.keys, new Set())) this.#known.set(row.view.uuid, row.print);
    const placed = [...keys].flatMap((key) => byKey.get(key)!);
    if (placed.length === 0) return planNat({ routers: new Map(), rows: [], routerOf: () => undefined }, [], "keys", { member: this.#member });
    // Rows of other NICs on the same addresses are in the way of an insert: they are in the view too.
    const mirrored = watcher.rowsFor(keys, new Set(placed.map((p) => p.rule.logicalIp)));
    const routers = watcher.routerNames();
    const partial: NatView = { routers, rows: mirrored.map((r) => r.view), routerOf: (id) => watcher.routerOf(id) };
    const view = await this.#withInsertAddresses(client, partial, placed, "keys");
    for (const [name, id] of routers) this.#routerUuids.set(name, id);
    for (const row of mirrored) this.#known.set(row.view.uuid, row.print);
    const plan = planNat(view, placed, "keys", { member: this.#member, takeOver: false });
    if (!planIsEmpty(plan)) this.#rememberWrites(plan, await this.#commit(client, plan, view, instanceGuards(plan, view, this.#member), lbs));
    return plan;
  }

  /** A watch whose monitor has its contents, if any. */
  #liveWatcher(): NatWatcher | undefined {
    for (const watcher of this.#watchers) if (watcher.ready) return watcher;
    return undefined;
  }

  /**
   * `mirrored` with the snat rows on the addresses a plan from it inserts
   * (read in one transaction: a foreign row there blocks the rule); a full
   * read when the plan inserts many rules or any IPv6 one, whose spellings
   * the server cannot match.
   */
  async #withInsertAddresses(client: OvsdbClient, mirrored: NatView, placed: readonly PlacedRule[], scope: "keys" | "all"): Promise<NatView> {
    const inserts = planNat(mirrored, placed, scope, { member: this.#member, takeOver: scope === "keys" }).inserts;
    if (inserts.length === 0) return mirrored;
    if (inserts.length > MIRRORED_INSERTS_MAX || inserts.some((p) => p.rule.family !== "ipv4")) return readAll(client, this.#timeout());
    const selects = inserts.flatMap(({ rule }) =>
      [rule.logicalIp, `${rule.logicalIp}/32`].map((spelling) => op.select("NAT", [["type", "==", "snat"], ["logical_ip", "==", spelling]], [...NAT_COLUMNS])),
    );
    const results = (await client.transactPruned(OVN_NORTHBOUND, selects, { timeoutMs: this.#timeout() })) as SelectResult[];
    const rows = new Map(mirrored.rows.map((r) => [r.uuid, r]));
    for (const r of results.flatMap((s) => s.rows)) {
      const view = natRowView(r);
      if (!rows.has(view.uuid)) rows.set(view.uuid, view);
    }
    return { routers: mirrored.routers, rows: [...rows.values()], routerOf: (id) => mirrored.routerOf(id) };
  }

  /**
   * Reads the load balancers and the distributed gateway ports of
   * `placed`'s routers (one round trip), splits off the rules whose external
   * address is a portless load balancer VIP of their router (forward-lb.ts)
   * and places the others on their routers' gateway ports (gateway-ports.ts:
   * one entry per port on a router with several). `lbs` is what a write
   * decided from the result is guarded on.
   */
  async #screenAndPlace(client: OvsdbClient, placed: readonly PlacedRule[]): Promise<{ lbs: ForwardLbRead; allowed: PlacedRule[]; blocked: ForwardLbBlock[] }> {
    const routers = routersOf(placed);
    const [lbs, gateways] = await Promise.all([
      readForwardVips(client, routers, this.#timeout()),
      placed.length === 0 ? new Map() : readGatewayPorts(client, routers, this.#timeout()),
    ]);
    const { allowed, blocked } = screenForwardLbs(placed, lbs);
    return { lbs, allowed: placeOnGateways(allowed, gateways), blocked };
  }

  /**
   * Commits `plan`, guarded also on the load balancers `lbs` read of the
   * routers it writes on (a forward changed meanwhile fails it); returns
   * the uuids of the inserted rows, in the order of `plan.inserts`.
   */
  async #commit(client: OvsdbClient, plan: NatChangePlan, view: NatView, owned: readonly OwnedGuard[], lbs: ForwardLbRead): Promise<string[]> {
    const writtenAt = Date.now();
    const { ops, routerMutations } = natTransaction(plan, view, owned, { writtenAt, guards: forwardLbGuards(lbs.tables, plannedRouters(plan, view)) });
    return this.#writing(async () => {
      const results = await client.transactPruned(OVN_NORTHBOUND, ops, { timeoutMs: this.#timeout() });
      this.#writes++;
      const inserted = ops.flatMap((o, i) => (o.op === "insert" ? [uuidOf((results[i] as InsertResult).uuid) ?? ""] : []));
      for (const d of plan.deletes) this.#known.delete(d.row.uuid);
      plan.inserts.forEach((p, i) => this.#known.set(inserted[i]!, rowPrint(natRowView(placedRow(p, plan.member, undefined, writtenAt)))));
      for (const u of plan.updates) this.#known.set(u.row.uuid, rowPrint(natRowView(placedRow(u.placed, plan.member, u.row.externalIds, writtenAt))));
      for (const { index, router } of routerMutations) {
        if ((results[index] as CountResult).count !== 1) {
          throw new OvnNatError("router-missing", `Logical router "${router}" disappeared while its SNAT rows were written`);
        }
      }
      return inserted;
    });
  }

  /** Runs one write, marked in flight for the watches; they compare again once it ends. */
  async #writing<T>(work: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await work();
    } finally {
      this.#inFlight--;
      for (const watcher of this.#watchers) watcher.writeDone();
    }
  }

  /** Records the NICs whose rows `plan` takes over from another member (they moved here), before it commits. */
  #markTakeOvers(plan: NatChangePlan): void {
    for (const u of plan.updates) if (u.from !== undefined) this.#takenOverAt.set(ownerKey(u.placed.rule.owner, u.placed.rule.family), ++this.#takeOvers);
  }

  /** Takes `rows`, just read, as every owned row of `instance`. */
  #knowInstance(instance: string, rows: readonly NatRowView[]): void {
    // Called before #instanceRows takes the new rows: the old ones are the instance's known ones.
    for (const id of this.#instanceRows.get(instance) ?? []) this.#known.delete(id);
    for (const row of rows) this.#known.set(row.uuid, printOf(row));
  }

  /** Marks the NICs of owned `rows` as known to have a row (their next ensure reads first). */
  #rememberKeysOf(rows: readonly NatRowView[]): void {
    for (const row of rows) {
      const key = rowOwnerKey(row);
      if (key !== undefined) this.#knownKeys.add(key);
    }
  }

  /** Updates what the backend knows of owned rows after committing `plan`. */
  #rememberWrites(plan: NatChangePlan, inserted: readonly string[]): void {
    for (const d of plan.deletes) {
      if (d.rule !== undefined) this.#knownKeys.delete(ownerKey(d.rule.owner, d.rule.family));
      this.#instanceRows.get(d.row.externalIds[EXTERNAL_ID_KEYS.instance] ?? "")?.delete(d.row.uuid);
    }
    for (const p of [...plan.kept, ...plan.updates.map((u) => u.placed)]) this.#knownKeys.add(ownerKey(p.rule.owner, p.rule.family));
    plan.inserts.forEach((p, i) => {
      this.#knownKeys.add(ownerKey(p.rule.owner, p.rule.family));
      const rows = this.#instanceRows.get(p.rule.owner.instance) ?? new Set<string>();
      this.#instanceRows.set(p.rule.owner.instance, rows.add(inserted[i]!));
    });
  }

  #connect(): Promise<OvsdbClient> {
    if (this.#client === undefined) {
      const northbound = this.#config.northbound;
      if (!northbound) {
        return Promise.reject(new OvnNatError("unknown-network", 'No OVN northbound connection configured (plugin config "northbound")'));
      }
      const client = OvsdbClient.connect(northbound, {
        database: OVN_NORTHBOUND,
        requestTimeoutMs: this.#timeout(),
        unrefWhenIdle: true,
      });
      this.#client = client;
      client.then(
        // The host counts the connection's losses (incusx_ovsdb_reconnects_total); the client heals them itself.
        (c) => c.on("reconnect", () => this.#metrics?.record({ kind: "ovsdb-reconnect", database: OVN_NORTHBOUND })),
        () => (this.#client = undefined),
      );
    }
    return this.#client;
  }

  #timeout(): number {
    return this.#config.requestTimeoutMs ?? DEFAULT_OVN_NAT_CONFIG.requestTimeoutMs;
  }

  /**
   * Runs `attempt` until it succeeds. A failed guard (someone wrote in
   * between) is retried at once, up to MAX_ATTEMPTS times; a lost
   * connection or a timeout (a cluster electing a new leader) is retried
   * with backoff until the request time limit has passed since the start.
   */
  async #retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#timeout();
    let conflicts = 0;
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (error) {
        if (error instanceof OvnNatError) throw error;
        const guard = error instanceof OvsdbOperationError;
        if (guard) conflicts++;
        const spent = guard ? conflicts >= MAX_ATTEMPTS : Date.now() >= deadline;
        if (!retryable(error) || spent) {
          throw new OvnNatError("database", `${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        if (!guard) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** i, 1000)));
      }
    }
  }
}

/** Errors after which reading again and re-planning is safe (every write is wait-guarded). */
function retryable(error: unknown): boolean {
  if (error instanceof OvsdbOperationError) return error.op === "wait" && error.error === "timed out";
  if (error instanceof OvsdbCommitError) return !/integrity|constraint/.test(error.error);
  return error instanceof OvsdbConnectionLostError || error instanceof OvsdbTimeoutError || error instanceof OvsdbUnavailableError;
}

function routerMissing(router: string, network: string): OvnNatError {
  return new OvnNatError(
    "router-missing",
    `Logical router "${router}" of network "${network}" does not exist in the OVN northbound database`,
  );
}

function throwIfBlocked(plan: NatChangePlan, network: string): void {
  const missing = plan.missingRouters[0];
  if (missing !== undefined) throw routerMissing(missing.router, network);
  const conflict = plan.conflicts[0];
  if (conflict !== undefined) {
    const who =
      conflict.ownedBy === undefined
        ? "a foreign writer"
        : `NIC "${conflict.ownedBy}"${conflict.member === undefined ? "" : ` of member "${conflict.member}"`}`;
    throw new OvnNatError(
      "foreign-conflict",
      `Logical address "${conflict.rule.logicalIp}" of NIC "${nicName(conflict.rule.owner)}" is already translated on router "${conflict.router}" by a snat row of ${who} (_uuid ${conflict.uuid || "pending"}, external_ip "${conflict.externalIp}"); it is left alone`,
      { conflicts: plan.conflicts },
    );
  }
}

function printOf(row: NatRowView): RowPrint {
  return rowPrint(row);
}

/** Guards of a plan made on a watch's view: the owned rows of each instance it changes are still the ones seen. */
function instanceGuards(plan: NatChangePlan, view: NatView, member: string): OwnedGuard[] {
  const touched = new Set<string>([
    ...plan.inserts.map((p) => p.rule.owner.instance),
    ...plan.deletes.map((d) => d.row.externalIds[EXTERNAL_ID_KEYS.instance] ?? ""),
  ]);
  const rows = new Map<string, string[]>([...touched].map((instance) => [instance, []]));
  for (const row of view.rows) {
    if (isOwned(row) && rowHolder(row, member) === "own") rows.get(row.externalIds[EXTERNAL_ID_KEYS.instance] ?? "")?.push(row.uuid);
  }
  return [...rows].map(([instance, uuids]) => ({ selector: memberSelector(member, instance), uuids }));
}

/** Which rules went on which gateway ports: compared between reconciles (rules without a gateway port are left out, so usually ""). */
function gatewayPlacement(placed: readonly PlacedRule[]): string {
  return placed.flatMap((p) => (p.gatewayPort === undefined ? [] : [`${ownerKey(p.rule.owner, p.rule.family)}\u0000${p.gatewayPort}`])).join("\n");
}

/** `placed`'s rule as a result reports it: with the port range its row gets. */
function reportedRule(placed: PlacedRule): NatRule {
  return placed.portRange === undefined ? placed.rule : { ...placed.rule, externalPortRange: placed.portRange };
}

/** Rules refused because of a portless forward VIP, as failures. */
function blockedFailures(blocked: readonly ForwardLbBlock[]): { rule: NatRule; error: OvnNatError }[] {
  return blocked.map((b) => ({ rule: b.placed.rule, error: forwardLbError(b) }));
}

/** The routers of `placed`, for reading their load balancers and gateway ports (`undefined`: several, so every router is read in one select). */
function routersOf(placed: readonly PlacedRule[]): string[] | undefined {
  const routers = [...new Set(placed.map((p) => p.router))];
  return routers.length === 1 ? routers : undefined;
}

/** The routers `plan` writes rows on or deletes rows from: its decisions rest on their load balancers. */
function plannedRouters(plan: NatChangePlan, view: NatView): Set<string> {
  const routers = new Set<string>([...plan.inserts.map((p) => p.router), ...plan.updates.map((u) => u.placed.router)]);
  for (const d of plan.deletes) {
    const router = view.routerOf(d.row.uuid);
    if (router !== undefined) routers.add(router);
  }
  return routers;
}

/** The first rule of each NIC and family (a plan keeps the first too), with its entries on every gateway port. */
function placedByKey(placed: readonly PlacedRule[]): Map<string, PlacedRule[]> {
  const byKey = new Map<string, PlacedRule[]>();
  for (const p of placed) {
    const key = ownerKey(p.rule.owner, p.rule.family);
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [p]);
    else if (list[0]!.rule === p.rule) list.push(p);
  }
  return byKey;
}
