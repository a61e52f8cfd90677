import {
  ErrorCode,
  IncusxError,
  InvalidConfigError,
  isIncusxError,
  type ForwardUse,
  type IpFamily,
  type NatBackend,
  type NatOwner,
  type NatReconcileResult,
  type NatRule,
  type NatSkip,
  type NetworkForward,
  type NetworkState,
  type NicDevice,
  type NicProblem,
  type NicValidator,
} from "@incusx/sdk";
import { NicValidationService } from "./validation.js";

const FAMILIES: readonly IpFamily[] = ["ipv4", "ipv6"];

/** What a {@link NicLifecycle} works with. */
export interface NicLifecycleOptions {
  /** Networks, forwards and NICs. */
  readonly state: NetworkState;
  /** Every contributed NIC validator. */
  readonly validators: readonly NicValidator[];
  /** Every contributed NAT backend. */
  readonly backends: readonly NatBackend[];
  /**
   * This host's cluster member. A reconcile leaves out NICs whose
   * `location` names another member (that member's reconcile keeps their
   * rules); NICs without a location are this host's. Absent: every NIC is.
   */
  readonly member?: string;
}

/** What starting a NIC did. */
export interface NicStartResult {
  /** The NIC, as the host state has it. */
  readonly nic: NicDevice;
  /** Network type of the backend that planned its NAT; absent when no backend serves the NIC's network. */
  readonly backend?: string;
  /** Rules ensured, one per family at most. */
  readonly applied: readonly NatRule[];
  /** Families without a rule, and why. */
  readonly skipped: readonly NatSkip[];
}

/** What stopping a NIC did. */
export interface NicStopResult {
  /** The NIC's instance and device. */
  readonly owner: NatOwner;
  /** Owned rules that were removed. */
  readonly removed: readonly NatRule[];
}

/** One NAT rule as listed, with where it lives. */
export interface NatListEntry extends NatRule {
  /** Network type of the backend owning it. */
  readonly networkType: string;
  /** The network's OVN logical router, when the host state knows the network. */
  readonly router?: string;
}

/** Which rules {@link NicLifecycle.listNat} returns. */
export interface NatListFilter {
  /**
   * Only rules of this cluster member (`""`: rules recorded without one).
   * Without it, every member's rules are listed, each naming its `member`.
   */
  readonly member?: string;
  /** Only rules of this network. */
  readonly network?: string;
  /** Only rules of networks whose OVN logical router (in the host state) is this one. */
  readonly router?: string;
}

/** A NIC left out of a reconcile because its config is invalid. */
export interface InvalidNic {
  /** Instance name. */
  readonly instance: string;
  /** Device name. */
  readonly device: string;
  /** Every problem with its config. */
  readonly problems: readonly NicProblem[];
}

/** A family of a NIC that gets no rule, with the NIC named. */
export interface NicSkip extends NatSkip {
  /** Instance name. */
  readonly instance: string;
  /** Device name. */
  readonly device: string;
}

/** A NIC whose instance runs on another cluster member, left to that member by a reconcile. */
export interface NicElsewhere {
  /** Instance name. */
  readonly instance: string;
  /** Device name. */
  readonly device: string;
  /** The member the instance runs on. */
  readonly location: string;
}

/** What reconciling one backend did, or (dry run) would do. */
export interface BackendReconcileReport {
  /** Network type the backend serves. */
  readonly networkType: string;
  /** Rules the host state asks for. */
  readonly desired: readonly NatRule[];
  /** Rules created or corrected (dry run: that would be). */
  readonly ensured: readonly NatRule[];
  /** Owned rules deleted because nothing wants them (dry run: that would be). */
  readonly removed: readonly NatRule[];
  /** Families of NICs that get no rule, and why. */
  readonly skipped: readonly NicSkip[];
  /** NICs left out because their config is invalid (their old rules are removed). */
  readonly invalid: readonly InvalidNic[];
  /** NICs left out because their instance runs on another cluster member (`location`). */
  readonly elsewhere: readonly NicElsewhere[];
  /**
   * The backend's own `reconcile` result, with any detail it adds beyond
   * the SDK's (the OVN backend: rules blocked by foreign rows, rules that
   * failed, transactions made). On a dry run, its `planReconcile` answer
   * (what `reconcile` would do); absent when the backend has none.
   */
  readonly result?: NatReconcileResult;
}

/** What {@link NicLifecycle.reconcile} did. */
export interface NatReconcileReport {
  /** Whether nothing was written. */
  readonly dryRun: boolean;
  /**
   * When reading the host state began (ms since the epoch): the desired
   * rules are no newer than this. Passed to each backend's `reconcile` as
   * `stateReadAt`; a caller reconciling again towards the same rules passes
   * it again.
   */
  readonly stateReadAt: number;
  /** One report per backend. */
  readonly backends: readonly BackendReconcileReport[];
}

/**
 * The life of NICs on the host, generic over NAT backends: validate a NIC,
 * start it (ensure the outbound NAT its backend plans for it), stop it
 * (remove its rules), list and reconcile every backend's rules against the
 * host state, and say which NICs still use a network forward. A NIC's
 * backend is the one whose `networkType` is the type of the network the
 * NIC names.
 *
 * @example
 * const lifecycle = new NicLifecycle({ state, validators, backends }); // a host gives one: host.nicLifecycle()
 * const { applied, skipped } = await lifecycle.start("c1", "eth0");
 */
export class NicLifecycle {
  private readonly state: NetworkState;
  private readonly validators: readonly NicValidator[];
  private readonly backends: readonly NatBackend[];
  private readonly validation: NicValidationService;
  private readonly member: string | undefined;

  constructor(options: NicLifecycleOptions) {
    this.state = options.state;
    this.member = options.member;
    this.validators = [...options.validators];
    this.backends = options.backends.map(guarded);
    this.validation = new NicValidationService(this.validators);
  }

  /**
   * The NIC `device` of `instance` in the host state. Throws
   * {@link IncusxError} (`NOT_FOUND`) when there is none.
   */
  async nic(instance: string, device: string): Promise<NicDevice> {
    const nics = await this.state.nics();
    const nic = nics.find((n) => n.instance === instance && n.device === device);
    if (nic !== undefined) return nic;
    const what = nics.some((n) => n.instance === instance) ? `Instance "${instance}" has no NIC "${device}"` : `Instance "${instance}" not found`;
    throw new IncusxError(ErrorCode.NotFound, `${what} in the host state`);
  }

  /** Every problem with the NIC's config (host rules and every validator); empty when valid. */
  async validate(nic: NicDevice): Promise<NicProblem[]> {
    return this.validation.validate(nic);
  }

  /**
   * Starts a NIC's outbound NAT: validates it (refusing with
   * {@link InvalidConfigError} listing every problem), asks its backend for
   * a plan, ensures each planned rule, and removes its own rules of
   * families the plan has no rule for (an address that went away, an
   * external address that was unset). A NIC on a network no backend serves
   * gets nothing. When ensuring or removing a rule fails, the rules this
   * start ensured (and the one that failed half way) are removed before the
   * error is rethrown, so a failed start leaves no partial NAT.
   */
  async start(instance: string, device: string): Promise<NicStartResult> {
    const nic = await this.nic(instance, device);
    const problems = await this.validate(nic);
    if (problems.length > 0) {
      throw new InvalidConfigError(
        problems.map((p) => p.message).join("\n"),
        problems.map((p) => ({ path: p.key, message: p.message })),
      );
    }
    const backend = await this.backendOf(nic);
    if (backend === undefined) return { nic, applied: [], skipped: [] };
    const plan = await backend.plan(nic);
    const owner = ownerOf(nic);
    const ensured: IpFamily[] = [];
    try {
      for (const rule of plan.rules) {
        ensured.push(rule.family);
        await backend.ensure(rule);
      }
      for (const family of FAMILIES) {
        if (!plan.rules.some((r) => r.family === family)) await backend.remove(owner, family);
      }
    } catch (error) {
      // A start that fails is undone: no family keeps a rule of it.
      for (const family of ensured) await backend.remove(owner, family).catch(() => undefined);
      throw error;
    }
    return { nic, backend: backend.networkType, applied: plan.rules, skipped: plan.skipped };
  }

  /**
   * Removes every rule the NIC owns. A NIC still in the host state is
   * stopped on its network's backend; one that is gone (deleted before it
   * was stopped) on every backend, since each touches only its own rules.
   */
  async stop(instance: string, device: string): Promise<NicStopResult> {
    const owner: NatOwner = { instance, device };
    const nic = (await this.state.nics()).find((n) => n.instance === instance && n.device === device);
    const own = nic === undefined ? undefined : await this.backendOf(nic);
    const backends = own === undefined ? this.backends : [own];
    const removed: NatRule[] = [];
    for (const backend of backends) {
      removed.push(...(await backend.list()).filter((r) => sameOwner(r.owner, owner)));
      await backend.remove(owner);
    }
    return { owner, removed };
  }

  /**
   * Every backend's rules of every cluster member (each naming its
   * `member`), with network type and router, optionally filtered.
   */
  async listNat(filter: NatListFilter = {}): Promise<NatListEntry[]> {
    const routers = new Map((await this.state.networks()).map((n) => [n.name, n.ovnRouter]));
    const entries: NatListEntry[] = [];
    for (const backend of this.backends) {
      for (const rule of await backend.list({ allMembers: true })) {
        const router = routers.get(rule.network);
        if (filter.member !== undefined && (rule.member ?? "") !== filter.member) continue;
        if (filter.network !== undefined && rule.network !== filter.network) continue;
        if (filter.router !== undefined && router !== filter.router) continue;
        entries.push({ ...rule, networkType: backend.networkType, ...(router === undefined ? {} : { router }) });
      }
    }
    return entries;
  }

  /**
   * Makes each backend's owned rules match the host state: the desired
   * rules are the plans of every valid NIC on a network of the backend's
   * type. Invalid NICs are reported and get no rule. Each backend is told
   * when the state read began (`stateReadAt`), so it leaves rules written
   * since (a NIC started meanwhile). With `dryRun`, nothing is written:
   * a backend with `planReconcile` says what its reconcile would do (the
   * same decisions: refusals, port ranges, conflicts); for one without,
   * the difference against its `list()` is computed.
   */
  async reconcile(options: { readonly dryRun?: boolean } = {}): Promise<NatReconcileReport> {
    const dryRun = options.dryRun ?? false;
    const stateReadAt = Date.now();
    const networks = await this.state.networks();
    const nics = await this.state.nics();
    const reports: BackendReconcileReport[] = [];
    for (const backend of this.backends) {
      const served = new Set(networks.filter((n) => n.type === backend.networkType).map((n) => n.name));
      const desired: NatRule[] = [];
      const skipped: NicSkip[] = [];
      const invalid: InvalidNic[] = [];
      const elsewhere: NicElsewhere[] = [];
      for (const nic of nics) {
        if (nic.config.network === undefined || !served.has(nic.config.network)) continue;
        if (this.member !== undefined && nic.location !== undefined && nic.location !== this.member) {
          elsewhere.push({ instance: nic.instance, device: nic.device, location: nic.location });
          continue;
        }
        const problems = await this.validate(nic);
        if (problems.length > 0) {
          invalid.push({ instance: nic.instance, device: nic.device, problems });
          continue;
        }
        const plan = await backend.plan(nic);
        desired.push(...plan.rules);
        skipped.push(...plan.skipped.map((s) => ({ instance: nic.instance, device: nic.device, ...s })));
      }
      const result = dryRun
        ? await backend.planReconcile?.(desired, { stateReadAt })
        : await backend.reconcile(desired, { stateReadAt });
      const outcome = result ?? natDiff(await backend.list(), desired);
      reports.push({
        networkType: backend.networkType,
        desired,
        ensured: outcome.ensured,
        removed: outcome.removed,
        skipped,
        invalid,
        elsewhere,
        ...(result === undefined ? {} : { result }),
      });
    }
    return { dryRun, stateReadAt, backends: reports };
  }

  /**
   * Every NIC still using `forward` (say, as its external address), from
   * each validator's `checkForwardRemoval`. Empty means it can go. A
   * validator that fails makes this reject: a removal is never allowed on
   * an unanswered check.
   */
  async checkForwardRemoval(forward: NetworkForward): Promise<ForwardUse[]> {
    const uses: ForwardUse[] = [];
    for (const validator of this.validators) {
      if (validator.checkForwardRemoval !== undefined) uses.push(...(await validator.checkForwardRemoval(forward)));
    }
    return uses;
  }

  private async backendOf(nic: NicDevice): Promise<NatBackend | undefined> {
    const name = nic.config.network;
    const network = name === undefined ? undefined : await this.state.network(name);
    return network === undefined ? undefined : this.backends.find((b) => b.networkType === network.type);
  }
}

/**
 * `backend` with every failure typed: an error that is not an
 * `IncusxError` (a raw socket error, say) becomes `PLUGIN_FAILED` naming
 * the backend and the operation, so callers always get a code.
 */
function guarded(backend: NatBackend): NatBackend {
  const call = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (isIncusxError(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new IncusxError(ErrorCode.PluginFailed, `NAT backend "${backend.networkType}" failed to ${what}: ${message}`, { cause: error });
    }
  };
  const planReconcile = backend.planReconcile;
  return {
    networkType: backend.networkType,
    ...(planReconcile === undefined
      ? {}
      : { planReconcile: (desired, options) => call("plan a reconcile", () => planReconcile.call(backend, desired, options)) }),
    plan: (nic) => call(`plan NIC "${nic.instance}/${nic.device}"`, () => backend.plan(nic)),
    ensure: (rule) => call(`ensure the ${rule.family} rule of NIC "${rule.owner.instance}/${rule.owner.device}"`, () => backend.ensure(rule)),
    remove: (owner, family) => call(`remove the rules of NIC "${owner.instance}/${owner.device}"`, () => backend.remove(owner, family)),
    list: (options) => call("list its rules", () => (options === undefined ? backend.list() : backend.list(options))),
    reconcile: (desired, options) => call("reconcile", () => (options === undefined ? backend.reconcile(desired) : backend.reconcile(desired, options))),
  };
}

/**
 * What reconciling `current` owned rules to `desired` changes: desired rules
 * not present exactly are ensured (created or corrected); current rules
 * whose owner and family nothing desires are removed.
 */
export function natDiff(current: readonly NatRule[], desired: readonly NatRule[]): { ensured: NatRule[]; removed: NatRule[] } {
  const have = new Set(current.map(ruleKey));
  const wanted = new Set(desired.map(slotKey));
  return {
    ensured: desired.filter((rule) => !have.has(ruleKey(rule))),
    removed: current.filter((rule) => !wanted.has(slotKey(rule))),
  };
}

function ownerOf(nic: NicDevice): NatOwner {
  return { instance: nic.instance, device: nic.device };
}

function sameOwner(a: NatOwner, b: NatOwner): boolean {
  return a.instance === b.instance && a.device === b.device;
}

// One rule per owner and family: the slot a rule fills.
function slotKey(rule: NatRule): string {
  return JSON.stringify([rule.owner.instance, rule.owner.device, rule.family]);
}

function ruleKey(rule: NatRule): string {
  return JSON.stringify([rule.owner.instance, rule.owner.device, rule.family, rule.network, rule.logicalIp, rule.externalIp]);
}
