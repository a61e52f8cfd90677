import { randomInt } from "node:crypto";
import {
  Dhcpv6MessageType,
  Dhcpv6OptionCode,
  Dhcpv6StatusCode,
  dhcpv6StatusCodeName,
  findDhcpv6Option,
  type Dhcpv6ClientServerMessage,
} from "@incusx/dhcp-wire";
import { INFINITE_LIFETIME, canonicalAddress, type Clock, type DhcpAttemptFailure, type LeaseEventKind, type Logger } from "@incusx/sdk";
import { Inbox, receiveUntilAborted, type AdmissionSlot } from "@incusx/dhcp-client";
import { fqdnNameOf, type Dhcpv6ClientOptions } from "./options.js";
import {
  bindingFromReply,
  dnsOf,
  duidHex,
  expiresAt,
  findIaNa,
  informationRefreshTime,
  leaseOf,
  secondsToMs,
  topLevelStatus,
  type Binding,
} from "./lease.js";
import {
  buildConfirm,
  buildDecline,
  buildInformationRequest,
  buildRebind,
  buildRelease,
  buildRenew,
  buildRequest,
  buildSolicit,
  type ClientIdentity,
  type IaAddress,
} from "./messages.js";
import {
  CONFIRM_PARAMS,
  DECLINE_PARAMS,
  INFORMATION_REQUEST_PARAMS,
  REBIND_PARAMS,
  RENEW_PARAMS,
  REQUEST_PARAMS,
  SOLICIT_PARAMS,
  type RandomSource,
} from "./retransmit.js";
import { savedBindingOf } from "./saved-binding.js";
import { MAX_PREFERENCE, judgeAdvertise, keepOffer, selectOffer, type Offer } from "./select.js";
import { hasRapidCommit } from "./acceptance.js";
import { runExchange, sendMessage, type Exchange, type ExchangeContext, type Outcome, type Response } from "./exchange.js";

/** Where the state machine is (RFC 8415 section 18 plus the stateless fallback). */
export type Dhcpv6State =
  | "idle"
  | "soliciting"
  | "requesting"
  | "bound"
  | "confirming"
  | "renewing"
  | "rebinding"
  | "declining"
  | "informing"
  | "informed"
  | "stopped";

/** Range a server's SOL_MAX_RT and INF_MAX_RT must fall in to count (RFC 8415 sections 21.24 and 21.25), seconds. */
export const MAX_RT_OPTION_RANGE = Object.freeze({ min: 60, max: 86_400 });

/**
 * Solicit rounds (one RT each) answered only by servers without addresses
 * before the client goes stateless (Information-request). Two rounds, not
 * one, so a slower stateful server still wins over a quick stateless one.
 */
export const STATELESS_AFTER_ROUNDS = 2;

/**
 * How long a restarted client waits for the Reply to its first Renew (or
 * Rebind) of a saved binding before it checks the binding with a Confirm
 * instead, in ms. One Renew (REN_TIMEOUT is 10 s, so no retransmission
 * fits): servers that answer Renew do so in milliseconds, and OVN never
 * does. Short enough that a restart on OVN is configured within Incus's
 * 5 s readiness wait.
 */
export const RESTART_RENEW_WAIT_MS = 2_000;

type Next =
  | { readonly state: "soliciting"; readonly probe?: boolean }
  | { readonly state: "requesting"; readonly offer: Offer; readonly event: LeaseEventKind }
  | { readonly state: "bound" }
  | { readonly state: "confirming" }
  | { readonly state: "renewing" }
  | { readonly state: "rebinding" }
  | { readonly state: "declining"; readonly addresses: readonly string[] }
  | { readonly state: "informing" }
  | { readonly state: "informed"; readonly refreshAt: number };

type SolicitResult =
  | { readonly kind: "offer"; readonly offer: Offer }
  | { readonly kind: "rapid-reply"; readonly response: Response }
  | { readonly kind: "stateless" };

/**
 * The RFC 8415 DHCPv6 client for one IA_NA on one interface, as a state
 * machine: pure protocol logic over an injected clock and transport, no
 * sockets. Solicit (Rapid Commit when configured), Advertise selection,
 * Request, Bound, Renew at T1, Rebind at T2, expiry at the end of the valid
 * lifetimes, Decline after a DAD failure, Release on stop when asked, and a
 * stateless fallback (Information-request) when servers offer no address.
 *
 * @example
 * const client = new Dhcpv6Client({ clock, transport, duid, iaid: 1, interface: "eth0",
 *   config: { addressPrefixLength: 128, rapidCommit: true }, emit: console.log, logger });
 * await client.run(controller.signal); // resolves after controller.abort()
 */
export class Dhcpv6Client {
  readonly #options: Dhcpv6ClientOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: RandomSource;
  readonly #newTransactionId: () => number;
  readonly #identity: ClientIdentity;
  readonly #clientIdHex: string;
  readonly #inbox: Inbox;
  readonly #dadFailed = new Set<string>();
  readonly #context: ExchangeContext;
  #state: Dhcpv6State = "idle";
  #binding: Binding | undefined;
  // The binding came from an earlier run and no server has confirmed it yet.
  #unconfirmed = false;
  #persisting: Promise<void> = Promise.resolve();
  #solicitedBefore = false;
  /** The admission slot held from Solicit until the Reply that binds, or the Request given up. */
  #slot: AdmissionSlot | undefined;
  #solMaxRt = SOLICIT_PARAMS.mrt;
  #infMaxRt = INFORMATION_REQUEST_PARAMS.mrt;
  #probeAt = Infinity;
  #statelessRefreshAt = Infinity;
  // The link came back (carrier down, then up) since the binding was last confirmed.
  #linkReturned = false;

  constructor(options: Dhcpv6ClientOptions) {
    this.#options = options;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#random = options.random ?? Math.random;
    this.#newTransactionId = options.transactionId ?? (() => randomInt(0, 0x1000000));
    this.#inbox = new Inbox(options.clock);
    this.#clientIdHex = duidHex(options.duid);
    this.#context = {
      clock: options.clock,
      transport: options.transport,
      inbox: this.#inbox,
      random: this.#random,
      newTransactionId: this.#newTransactionId,
      clientIdHex: this.#clientIdHex,
      log: this.#log,
      onAnyResponse: (message) => this.#takeMaxRt(message),
    };
    const fqdnName = fqdnNameOf(options, this.#log);
    this.#identity = fqdnName === undefined ? { duid: options.duid, iaid: options.iaid } : { duid: options.duid, iaid: options.iaid, fqdnName };
  }

  /** Where the state machine is now. */
  get state(): Dhcpv6State {
    return this.#state;
  }

  /** The server's SOL_MAX_RT in force, in milliseconds. */
  get solMaxRt(): number {
    return this.#solMaxRt;
  }

  /** The server's INF_MAX_RT in force, in milliseconds. */
  get infMaxRt(): number {
    return this.#infMaxRt;
  }

  /**
   * Tells the client that the kernel marked `address` as a duplicate (DAD
   * failed). If the client holds it, it declines it and solicits again.
   */
  reportDadFailure(address: string): void {
    this.#dadFailed.add(canonical(address));
    this.#inbox.wake();
  }

  /**
   * Tells the client that the link came back (carrier down, then up): the
   * host may be on another link now. With a valid binding the client
   * checks it with a Confirm (RFC 8415 section 18.2.3) before the next
   * renewal: Success keeps the binding and its addresses, NotOnLink starts
   * over with Solicit, and no answer within CNF_MAX_RD (10 s) keeps the
   * binding, as the RFC says. A stateless client asks again with an
   * Information-request at once (section 18.2.12).
   */
  linkReturned(): void {
    this.#linkReturned = true;
    this.#inbox.wake();
  }

  /**
   * Runs until `signal` aborts, then sends a Release when asked to and
   * resolves. Rejects only on a bug; network trouble is retried forever.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    try {
      await receiveUntilAborted(this.#options.transport, this.#inbox, signal, () => this.#loop(signal));
    } finally {
      this.#releaseSlot();
    }
    if (this.#options.releaseOnStop === true) await this.#release();
    await this.#persisting;
    this.#state = "stopped";
  }

  /**
   * Where to begin: Renew of a binding an earlier run saved (RFC 8415
   * section 18.2.4; Rebind when its T2 is past), so the addresses on the
   * link stay; Solicit without one. A Renew or Rebind unanswered within
   * {@link RESTART_RENEW_WAIT_MS} gives way to the Confirm RFC 8415 section
   * 18.2.12 asks for after a reboot (OVN answers Confirm, never Renew).
   */
  #start(): Next {
    const saved = this.#options.savedBinding;
    if (saved === undefined) return { state: "soliciting" };
    if (expiresAt(saved) <= this.#clock.now()) {
      this.#log.info("The saved DHCPv6 binding has expired; soliciting");
      return { state: "soliciting" };
    }
    this.#binding = saved;
    this.#unconfirmed = true;
    this.#log.info("Renewing the DHCPv6 binding saved by an earlier run", { addresses: saved.addresses.map((a) => a.address), server: saved.server });
    return { state: "renewing" };
  }

  async #loop(signal: AbortSignal): Promise<never> {
    let next: Next = this.#start();
    for (;;) {
      this.#state = next.state;
      this.#log.debug("DHCPv6 state", { state: next.state });
      switch (next.state) {
        case "soliciting":
          next = await this.#solicit(signal, next.probe === true);
          break;
        case "requesting":
          next = await this.#request(next.offer, next.event, signal);
          break;
        case "bound":
          next = await this.#bound(signal);
          break;
        case "confirming":
          next = await this.#confirm(signal);
          break;
        case "renewing":
          next = await this.#renew(signal);
          break;
        case "rebinding":
          next = await this.#rebind(signal);
          break;
        case "declining":
          next = await this.#decline(next.addresses, signal);
          break;
        case "informing":
          next = await this.#inform(signal);
          break;
        case "informed":
          next = await this.#informed(next.refreshAt, signal);
          break;
      }
    }
  }

  // --- Solicit and Advertise selection (RFC 8415 sections 18.2.1, 18.2.9) ---

  async #solicit(signal: AbortSignal, probe: boolean): Promise<Next> {
    const rapidCommit = this.#options.config.rapidCommit;
    const offers: Offer[] = [];
    let firstRtOver = false;
    let noAddressesThisRound = false;
    let noAddressRounds = 0;
    const firstSolicit = !this.#solicitedBefore;
    this.#solicitedBefore = true;
    // Waits while the runner's other clients fill the exchange phase; Renew and Rebind wait only after a restart.
    await this.#admit(signal);
    const result = await this.#exchange<SolicitResult>(
      {
        name: "Solicit",
        // A probe from the stateless state is one Solicit and one RT of listening.
        params: { ...SOLICIT_PARAMS, mrt: this.#solMaxRt, mrc: probe ? 1 : 0 },
        maxTimeout: () => this.#solMaxRt,
        firstSolicit,
        destination: "all-servers",
        build: (transactionId, elapsed) => buildSolicit(this.#identity, { transactionId, elapsed, rapidCommit }),
        onResponse: (response) => {
          const { message } = response;
          if (message.messageType === Dhcpv6MessageType.REPLY) {
            // A Reply answers a Solicit only as a Rapid Commit (section 18.2.1).
            if (!rapidCommit || !hasRapidCommit(message)) return undefined;
            if (grantsAddresses(message, this.#options.iaid)) return { result: { kind: "rapid-reply", response } };
            noAddressesThisRound = true;
            return undefined;
          }
          if (message.messageType !== Dhcpv6MessageType.ADVERTISE) return undefined;
          const verdict = judgeAdvertise(message, response.serverId, this.#options.iaid);
          if (verdict.kind === "no-addresses") {
            noAddressesThisRound = true;
            return undefined;
          }
          if (verdict.offer.preference === MAX_PREFERENCE || firstRtOver) return { result: { kind: "offer", offer: verdict.offer } };
          keepOffer(offers, verdict.offer);
          return undefined;
        },
        onTimeout: (transmissions) => {
          firstRtOver = true;
          const best = selectOffer(offers);
          if (best !== undefined) return { result: { kind: "offer", offer: best } };
          this.#attemptFailed(
            noAddressesThisRound
              ? { code: "NO_ADDRS_AVAIL", message: `servers answered ${plural(transmissions, "Solicit")} with no address to give (NoAddrsAvail)`, attempts: transmissions }
              : { code: "NO_REPLY", message: `no reply after ${plural(transmissions, "Solicit")}`, attempts: transmissions },
          );
          if (noAddressesThisRound) noAddressRounds++;
          noAddressesThisRound = false;
          if (noAddressRounds >= STATELESS_AFTER_ROUNDS || (probe && noAddressRounds > 0)) return { result: { kind: "stateless" } };
          return undefined;
        },
      },
      signal,
    );
    // An Advertise keeps the slot for the Request; anything else ends this client's exchange.
    if (result?.kind !== "offer") this.#releaseSlot();
    if (result === undefined || result.kind === "stateless") {
      if (this.#binding !== undefined && this.#binding.addresses.length === 0) {
        // Still stateless: back to waiting for the next refresh or probe.
        this.#probeAt = this.#clock.now() + this.#solMaxRt;
        return { state: "informed", refreshAt: this.#statelessRefreshAt };
      }
      this.#log.info("DHCPv6 servers offer no addresses; using stateless configuration (Information-request)");
      return { state: "informing" };
    }
    if (result.kind === "rapid-reply") return this.#establish(result.response, "bound", undefined);
    return { state: "requesting", offer: result.offer, event: "bound" };
  }

  // --- Request (section 18.2.2) ---

  async #request(offer: Offer, event: LeaseEventKind, signal: AbortSignal): Promise<Next> {
    const expected = duidHex(offer.serverId);
    const result = await this.#exchange<Next>(
      {
        name: "Request",
        params: REQUEST_PARAMS,
        destination: offer.unicast === undefined ? "all-servers" : { unicast: offer.unicast },
        build: (transactionId, elapsed) =>
          buildRequest(this.#identity, { transactionId, elapsed, serverId: offer.serverId, addresses: offer.addresses }),
        onResponse: (response) => {
          if (response.message.messageType !== Dhcpv6MessageType.REPLY || response.server !== expected) return undefined;
          const status = topLevelStatus(response.message);
          if (status?.code === Dhcpv6StatusCode.UseMulticast) return "use-multicast";
          if (status !== undefined && status.code !== Dhcpv6StatusCode.Success) {
            this.#logStatus("Request", status);
            // UnspecFail and the like: keep retransmitting (bounded by REQ_MAX_RC).
            if (status.code !== Dhcpv6StatusCode.NoAddrsAvail && status.code !== Dhcpv6StatusCode.NotOnLink) return undefined;
            this.#statusFailed("Request", status.code);
            return { result: this.#restart() };
          }
          const ia = findIaNa(response.message, this.#options.iaid);
          if (ia === undefined || ia.addresses.length === 0 || (ia.status !== undefined && ia.status.code !== Dhcpv6StatusCode.Success)) {
            if (ia?.status !== undefined) this.#logStatus("Request", ia.status);
            this.#statusFailed("Request", ia?.status?.code ?? Dhcpv6StatusCode.NoAddrsAvail);
            return { result: this.#restart() };
          }
          // A Request after NoBinding re-establishes the lease in force; one after Solicit starts anew.
          return { result: this.#establish(response, event, event === "bound" ? undefined : this.#binding) };
        },
      },
      signal,
    );
    this.#releaseSlot();
    // REQ_MAX_RC transmissions without an answer: solicit again (section 18.2.2).
    if (result === undefined) this.#attemptFailed({ code: "NO_REPLY", message: `no reply to ${plural(REQUEST_PARAMS.mrc, "Request")}`, attempts: REQUEST_PARAMS.mrc });
    return result ?? this.#restart();
  }

  // --- Bound: wait for T1, the end of the valid lifetimes, or a DAD failure ---

  async #bound(signal: AbortSignal): Promise<Next> {
    this.#inbox.dropMessages();
    for (;;) {
      const binding = this.#binding!;
      const failed = binding.addresses.map((a) => a.address).filter((a) => this.#dadFailed.has(canonical(a)));
      if (failed.length > 0) return { state: "declining", addresses: failed };
      const now = this.#clock.now();
      const expiry = expiresAt(binding);
      if (now >= expiry) return this.#expire();
      if (this.#linkReturned) return { state: "confirming" };
      const renewAt = binding.obtainedAt + secondsToMs(binding.t1);
      if (now >= renewAt) return { state: "renewing" };
      // Woken by a DAD report, a stale answer to an earlier exchange, or the time: look again.
      await this.#inbox.next(Math.min(renewAt, expiry) - now, signal);
    }
  }

  // --- Confirm after the link came back (section 18.2.3) ---

  async #confirm(signal: AbortSignal): Promise<Next> {
    this.#linkReturned = false;
    const binding = this.#binding!;
    const expiry = expiresAt(binding);
    const now = this.#clock.now();
    if (!this.#unconfirmed) this.#log.info("The link came back; confirming the DHCPv6 binding", { addresses: binding.addresses.map((a) => a.address) });
    const result = await this.#exchange<"on-link" | "not-on-link">(
      {
        name: "Confirm",
        // Never past the end of the binding: then it is gone anyway.
        params: { ...CONFIRM_PARAMS, mrd: Number.isFinite(expiry) ? Math.max(1, Math.min(CONFIRM_PARAMS.mrd, expiry - now)) : CONFIRM_PARAMS.mrd },
        destination: "all-servers",
        build: (transactionId, elapsed) => buildConfirm(this.#identity, { transactionId, elapsed, addresses: this.#heldAddresses() }),
        onResponse: (response) => {
          if (response.message.messageType !== Dhcpv6MessageType.REPLY) return undefined;
          const status = topLevelStatus(response.message);
          // Any other status (UnspecFail, none at all) leaves the addresses usable (section 18.2.10.2).
          if (status?.code === Dhcpv6StatusCode.NotOnLink) {
            this.#logStatus("Confirm", status);
            this.#statusFailed("Confirm", status.code);
            return { result: "not-on-link" };
          }
          return { result: "on-link" };
        },
      },
      signal,
    );
    // A restart's slot, kept from its unanswered Renew or Rebind.
    this.#releaseSlot();
    if (result === "not-on-link") return this.#expire();
    if (result === undefined) this.#log.info("No DHCPv6 server answered the Confirm; keeping the binding (RFC 8415 section 18.2.3)");
    else this.#log.info("DHCPv6 server confirmed the binding is on this link");
    // Reported again so whoever applies it puts back what the link flap took (an admin down flushes IPv6 addresses);
    // after a restart this is the first report of the saved binding, so a bind.
    const kind = this.#unconfirmed ? "bound" : "renewed";
    this.#unconfirmed = false;
    if (this.#binding !== undefined) this.#emit(kind);
    return { state: "bound" };
  }

  // --- Renew at T1 (section 18.2.4) ---

  async #renew(signal: AbortSignal): Promise<Next> {
    const binding = this.#binding!;
    const now = this.#clock.now();
    const until = Math.min(binding.obtainedAt + secondsToMs(binding.t2), expiresAt(binding));
    if (now >= until) return { state: "rebinding" };
    const restarted = this.#unconfirmed;
    if (restarted) await this.#admit(signal);
    const result = await this.#exchange<Next>(
      {
        name: "Renew",
        params: { ...RENEW_PARAMS, mrd: restarted ? Math.min(RESTART_RENEW_WAIT_MS, until - now) : Number.isFinite(until) ? until - now : 0 },
        destination: binding.unicast === undefined ? "all-servers" : { unicast: binding.unicast },
        build: (transactionId, elapsed) =>
          buildRenew(this.#identity, { transactionId, elapsed, serverId: binding.serverId, addresses: this.#heldAddresses() }),
        onResponse: (response) => {
          if (response.message.messageType !== Dhcpv6MessageType.REPLY || response.server !== binding.server) return undefined;
          return this.#extended(response, "renewed");
        },
      },
      signal,
    );
    if (result === undefined && restarted) return this.#confirmAfterRestart("Renew");
    this.#releaseSlot();
    // No answer by T2: ask any server (section 18.2.5).
    return result ?? { state: "rebinding" };
  }

  // --- Rebind at T2 (section 18.2.5) ---

  async #rebind(signal: AbortSignal): Promise<Next> {
    const binding = this.#binding!;
    const now = this.#clock.now();
    const expiry = expiresAt(binding);
    if (now >= expiry) return this.#expire();
    const restarted = this.#unconfirmed;
    if (restarted) await this.#admit(signal);
    const result = await this.#exchange<Next>(
      {
        name: "Rebind",
        params: { ...REBIND_PARAMS, mrd: restarted ? Math.min(RESTART_RENEW_WAIT_MS, expiry - now) : Number.isFinite(expiry) ? expiry - now : 0 },
        destination: "all-servers",
        build: (transactionId, elapsed) => buildRebind(this.#identity, { transactionId, elapsed, addresses: this.#heldAddresses() }),
        onResponse: (response) => {
          if (response.message.messageType !== Dhcpv6MessageType.REPLY) return undefined;
          return this.#extended(response, "rebound");
        },
      },
      signal,
    );
    if (result === undefined && restarted) return this.#confirmAfterRestart("Rebind");
    this.#releaseSlot();
    // No server answered before the last address became invalid.
    return result ?? this.#expire();
  }

  /**
   * The first Renew or Rebind of a saved binding got no Reply: Confirm it
   * (section 18.2.12, "the client reboots"). Servers that never answer
   * Renew (OVN) answer Confirm; the binding then stands until its own T1.
   */
  #confirmAfterRestart(exchange: "Renew" | "Rebind"): Next {
    this.#log.info(`No DHCPv6 server answered the ${exchange} of the binding an earlier run saved; confirming it instead`, {
      waitedMs: RESTART_RENEW_WAIT_MS,
    });
    return { state: "confirming" };
  }

  /** The Reply to a Renew or Rebind: extended, moved to Request (NoBinding), or lost (NotOnLink). */
  #extended(response: Response, event: "renewed" | "rebound"): Outcome<Next> {
    const status = topLevelStatus(response.message);
    if (status?.code === Dhcpv6StatusCode.UseMulticast) return "use-multicast";
    if (status !== undefined && status.code !== Dhcpv6StatusCode.Success) {
      this.#logStatus(event === "renewed" ? "Renew" : "Rebind", status);
      if (status.code === Dhcpv6StatusCode.NotOnLink) {
        this.#statusFailed(event === "renewed" ? "Renew" : "Rebind", status.code);
        return { result: this.#expire() };
      }
      return undefined; // UnspecFail and the like: retransmit until MRD
    }
    const ia = findIaNa(response.message, this.#options.iaid);
    if (ia === undefined) return undefined;
    if (ia.status?.code === Dhcpv6StatusCode.NoBinding) {
      // The server lost our binding: Request it back from that server (section 18.2.10.1).
      this.#logStatus(event === "renewed" ? "Renew" : "Rebind", ia.status);
      const offer: Offer = { serverId: response.serverId, preference: 0, addresses: this.#heldAddresses() };
      const unicast = findDhcpv6Option(response.message, Dhcpv6OptionCode.UNICAST)?.address;
      return { result: { state: "requesting", offer: unicast === undefined ? offer : { ...offer, unicast }, event } };
    }
    if (ia.status?.code === Dhcpv6StatusCode.NotOnLink) {
      this.#logStatus(event === "renewed" ? "Renew" : "Rebind", ia.status);
      return { result: this.#expire() };
    }
    if (ia.status !== undefined && ia.status.code !== Dhcpv6StatusCode.Success) {
      this.#logStatus(event === "renewed" ? "Renew" : "Rebind", ia.status);
      return undefined;
    }
    return { result: this.#establish(response, event, this.#binding) };
  }

  // --- Decline after a DAD failure (section 18.2.8) ---

  async #decline(addresses: readonly string[], signal: AbortSignal): Promise<Next> {
    const binding = this.#binding!;
    this.#log.warn("DHCPv6 address failed duplicate address detection; declining it", { addresses });
    this.#attemptFailed({ code: "DECLINED", message: `${addresses.join(", ")} failed duplicate address detection and was declined` });
    this.#drop("expired");
    for (const address of addresses) this.#dadFailed.delete(canonical(address));
    const declined: IaAddress[] = addresses.map((address) => ({ address, preferredLifetime: 0, validLifetime: 0 }));
    await this.#exchange<true>(
      {
        name: "Decline",
        params: DECLINE_PARAMS,
        destination: binding.unicast === undefined ? "all-servers" : { unicast: binding.unicast },
        build: (transactionId, elapsed) => buildDecline(this.#identity, { transactionId, elapsed, serverId: binding.serverId, addresses: declined }),
        onResponse: (response) => {
          if (response.message.messageType !== Dhcpv6MessageType.REPLY || response.server !== binding.server) return undefined;
          if (topLevelStatus(response.message)?.code === Dhcpv6StatusCode.UseMulticast) return "use-multicast";
          return { result: true };
        },
      },
      signal,
    );
    return { state: "soliciting" };
  }

  // --- Stateless: Information-request (section 18.2.6) ---

  async #inform(signal: AbortSignal): Promise<Next> {
    const result = await this.#exchange<Response>(
      {
        name: "Information-request",
        params: { ...INFORMATION_REQUEST_PARAMS, mrt: this.#infMaxRt },
        maxTimeout: () => this.#infMaxRt,
        destination: "all-servers",
        build: (transactionId, elapsed) => buildInformationRequest(this.#identity, { transactionId, elapsed }),
        onResponse: (response) => {
          if (response.message.messageType !== Dhcpv6MessageType.REPLY) return undefined;
          const status = topLevelStatus(response.message);
          if (status !== undefined && status.code !== Dhcpv6StatusCode.Success) {
            this.#logStatus("Information-request", status);
            return undefined;
          }
          return { result: response };
        },
      },
      signal,
    );
    // Information-request has no MRC/MRD: only an answer ends it.
    const { message, serverId, server } = result!;
    const now = this.#clock.now();
    const previous = this.#binding;
    this.#binding = { serverId, server, obtainedAt: now, addresses: [], t1: Infinity, t2: Infinity, dns: dnsOf(message) };
    this.#emit(previous === undefined ? "bound" : "renewed");
    this.#probeAt = now + this.#solMaxRt;
    const refresh = informationRefreshTime(message);
    this.#statelessRefreshAt = now + secondsToMs(refresh === Infinity ? INFINITE_LIFETIME : refresh);
    return { state: "informed", refreshAt: this.#statelessRefreshAt };
  }

  /**
   * Stateless and configured: refresh at the Information Refresh Time, or at
   * once when the link came back (the host may be on another link, RFC 8415
   * section 18.2.12); meanwhile probe for addresses every SOL_MAX_RT.
   */
  async #informed(refreshAt: number, signal: AbortSignal): Promise<Next> {
    this.#inbox.dropMessages();
    for (;;) {
      if (this.#linkReturned) {
        this.#linkReturned = false;
        this.#log.info("The link came back; asking again for the stateless DHCPv6 configuration");
        return { state: "informing" };
      }
      const now = this.#clock.now();
      if (now >= refreshAt) return { state: "informing" };
      if (now >= this.#probeAt) return { state: "soliciting", probe: true };
      await this.#inbox.next(Math.min(refreshAt, this.#probeAt) - now, signal);
    }
  }

  // --- Release on stop (section 18.2.7) ---

  /**
   * Sends one Release, not the REL_MAX_RC retransmissions of the RFC, and
   * does not wait for the Reply: stopping must be prompt, and the address
   * goes away anyway. dhcpcd does the same.
   */
  async #release(): Promise<void> {
    const binding = this.#binding;
    if (binding === undefined || binding.addresses.length === 0) return;
    const message = buildRelease(this.#identity, {
      transactionId: this.#newTransactionId() & 0xffffff,
      elapsed: 0,
      serverId: binding.serverId,
      addresses: this.#heldAddresses(),
    });
    await sendMessage(this.#context, "Release", message, binding.unicast === undefined ? "all-servers" : { unicast: binding.unicast });
    this.#drop("released");
  }

  // --- Shared machinery ---

  #exchange<T>(exchange: Exchange<T>, signal: AbortSignal): Promise<T | undefined> {
    return runExchange(this.#context, exchange, signal);
  }

  /** SOL_MAX_RT and INF_MAX_RT count in every response, even one otherwise ignored (section 18.2.9). */
  #takeMaxRt(message: Dhcpv6ClientServerMessage): void {
    const inRange = (s: number): boolean => s >= MAX_RT_OPTION_RANGE.min && s <= MAX_RT_OPTION_RANGE.max;
    const sol = findDhcpv6Option(message, Dhcpv6OptionCode.SOL_MAX_RT);
    if (sol !== undefined && inRange(sol.seconds)) this.#solMaxRt = sol.seconds * 1000;
    const inf = findDhcpv6Option(message, Dhcpv6OptionCode.INF_MAX_RT);
    if (inf !== undefined && inRange(inf.seconds)) this.#infMaxRt = inf.seconds * 1000;
  }

  /** Takes the lease a Reply grants and reports it. */
  #establish(response: Response, event: LeaseEventKind, previous: Binding | undefined): Next {
    const ia = findIaNa(response.message, this.#options.iaid)!;
    const binding = bindingFromReply(response.message, {
      serverId: response.serverId,
      grant: ia,
      now: this.#clock.now(),
      ...(previous !== undefined && previous.addresses.length > 0 ? { previous } : {}),
    });
    if (binding.addresses.length === 0) {
      // Every address was withdrawn (valid lifetime 0): the lease is over.
      this.#binding = previous;
      return this.#expire();
    }
    this.#binding = binding;
    // A fresh Reply answers for this link already.
    this.#linkReturned = false;
    this.#save(binding);
    // The first confirmation of a binding an earlier run saved is a bind for whoever listens now.
    const kind = this.#unconfirmed ? "bound" : event;
    this.#unconfirmed = false;
    this.#emit(kind);
    return { state: "bound" };
  }

  /**
   * Takes a place in the exchange phase from the runner's admission queue,
   * if it has one and this client holds none: before a Solicit, and before
   * the first Renew or Rebind after a restart, which every NIC sends at
   * once (a server's overflowing receive queue drops some, and a Renew
   * waits RESTART_RENEW_WAIT_MS before its Confirm).
   */
  async #admit(signal: AbortSignal): Promise<void> {
    if (this.#options.admission !== undefined && this.#slot === undefined) this.#slot = await this.#options.admission.acquire(signal);
  }

  #releaseSlot(): void {
    this.#slot?.release();
    this.#slot = undefined;
  }

  /** The lease ended without a Release: report it and start over. */
  #expire(): Next {
    if (this.#binding !== undefined) this.#drop("expired");
    return { state: "soliciting" };
  }

  /**
   * Back to Solicit after a failed Request. Addresses held (a Request after
   * NoBinding) are given up: the server no longer stands behind them. A
   * stateless configuration stays until an address lease replaces it.
   */
  #restart(): Next {
    if (this.#binding !== undefined && this.#binding.addresses.length > 0) return this.#expire();
    return { state: "soliciting" };
  }

  #drop(kind: "expired" | "released"): void {
    this.#emit(kind);
    this.#binding = undefined;
    this.#unconfirmed = false;
    this.#linkReturned = false;
    this.#save(undefined);
  }

  /** Queues the binding (or its end) for `persist`, after earlier writes, so the last word is the store's. */
  #save(binding: Binding | undefined): void {
    const persist = this.#options.persist;
    if (persist === undefined) return;
    const saved = binding === undefined ? undefined : savedBindingOf(binding, this.#options.iaid);
    this.#persisting = this.#persisting
      .then(() => persist(saved))
      .catch((error: unknown) => {
        // Losing the Renew after a restart is not worth stopping for.
        this.#log.warn("Failed to save the DHCPv6 binding", { error: error instanceof Error ? error.message : String(error) });
      });
  }

  #emit(kind: LeaseEventKind): void {
    const lease = leaseOf(this.#binding!, this.#options.interface, this.#options.config.addressPrefixLength);
    this.#log.info(`DHCPv6 lease ${kind}`, { addresses: lease.addresses.map((a) => a.address), server: lease.server });
    try {
      this.#options.emit({ kind, family: "ipv6", interface: this.#options.interface, at: this.#clock.now(), lease });
    } catch (error) {
      // A listener's bug must not stop the protocol.
      this.#log.error("A DHCPv6 lease event listener threw", { kind, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Addresses held now, with their remaining lifetimes. */
  #heldAddresses(): IaAddress[] {
    const binding = this.#binding;
    if (binding === undefined) return [];
    const passed = Math.floor((this.#clock.now() - binding.obtainedAt) / 1000);
    const left = (s: number): number => (s === INFINITE_LIFETIME ? s : Math.max(0, s - passed));
    return binding.addresses.map((a) => ({ address: a.address, preferredLifetime: left(a.preferredLifetime), validLifetime: left(a.validLifetime) }));
  }

  /** Tells the caller why this attempt got nothing; a listener's bug must not stop the protocol. */
  #attemptFailed(failure: DhcpAttemptFailure): void {
    try {
      this.#options.attemptFailed?.(failure);
    } catch (error) {
      this.#log.error("A DHCPv6 attempt failure listener threw", { error: error instanceof Error ? error.message : String(error) });
    }
  }

  #statusFailed(exchange: string, code: number): void {
    const name = dhcpv6StatusCodeName(code) ?? String(code);
    const failure: DhcpAttemptFailure["code"] = code === Dhcpv6StatusCode.NotOnLink ? "NOT_ON_LINK" : "NO_ADDRS_AVAIL";
    this.#attemptFailed({ code: failure, message: `the server answered the ${exchange} with ${name}` });
  }

  #logStatus(exchange: string, status: { code: number; message: string }): void {
    this.#log.info(`DHCPv6 server answered ${exchange} with status "${dhcpv6StatusCodeName(status.code) ?? status.code}"`, {
      status: status.code,
      message: status.message,
    });
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function grantsAddresses(message: Dhcpv6ClientServerMessage, iaid: number): boolean {
  const status = topLevelStatus(message);
  if (status !== undefined && status.code !== Dhcpv6StatusCode.Success) return false;
  const ia = findIaNa(message, iaid);
  return ia !== undefined && ia.addresses.length > 0 && (ia.status === undefined || ia.status.code === Dhcpv6StatusCode.Success);
}

function canonical(address: string): string {
  try {
    return canonicalAddress(address);
  } catch {
    return address.toLowerCase();
  }
}
