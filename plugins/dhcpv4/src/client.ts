import { randomInt } from "node:crypto";
import { Dhcpv4MessageType, Dhcpv4OptionCode, dhcpv4OptionValue, findDhcpv4Option, type Dhcpv4Message } from "@incusx/dhcp-wire";
import type { Clock, DhcpAttemptFailure, Lease, LeaseEventKind, Logger } from "@incusx/sdk";
import { runExchange, isReplyTo, isType, sendMessage, unusableAddress, type Exchange, type ExchangeContext } from "./exchange.js";
import { Inbox, receiveUntilAborted, type AdmissionSlot, type MessageSource } from "@incusx/dhcp-client";
import { bindingFromAck, expiresAt, fuzzedRenewalTimes, leaseOf, savedLeaseOf, timeOf, type Binding, type SavedLease } from "./lease.js";
import { AddressConflictDetector, MAX_CONFLICTS, RATE_LIMIT_INTERVAL_MS, macText, type AddressDefence, type ArpConflict } from "./acd.js";
import { buildDecline, buildDiscover, buildRelease, buildRequest, secondsSince, type ClientIdentity } from "./messages.js";
import { announcedName, type Dhcpv4ClientOptions } from "./options.js";
import { renewRetransmitAt, retransmitDelay, type RandomSource } from "./retransmit.js";

/**
 * Where the state machine is (RFC 2131 figure 5; `rebooting` covers
 * INIT-REBOOT; `probing` is the ARP check of an ACKed address, RFC 5227).
 */
export type Dhcpv4State = "idle" | "init" | "selecting" | "requesting" | "rebooting" | "probing" | "bound" | "renewing" | "rebinding" | "stopped";

/** REQUESTs sent in REQUESTING before going back to INIT (4 s + 8 s + 16 s + 32 s of waiting). */
export const REQUEST_TRANSMISSIONS = 4;
/** REQUESTs sent in INIT-REBOOT before giving the old address up and discovering (4 s + 8 s of waiting). */
export const REBOOT_TRANSMISSIONS = 2;
/**
 * Longest wait before DISCOVER after DHCPNAKs in a row: a server that
 * offers and then refuses must not make the client loop at full speed. The
 * first NAK restarts at once (RFC 2131 section 3.1); the 10 s is the loop
 * guard RFC 2131 sets for DHCPDECLINE.
 */
export const NAK_LOOP_DELAY_MS = 10_000;
/**
 * Wait after the second DHCPNAK in a row, doubling with each further one up
 * to {@link NAK_LOOP_DELAY_MS}. Short at first because the common cause is
 * not a broken server but a race: a server that keeps no record of its
 * offers (dnsmasq with `--no-ping`) offers one address to clients starting
 * at the same moment, and all but the first are refused; a fixed 10 s cost
 * each of them 10 s when 200 containers start together.
 */
export const NAK_BACKOFF_INITIAL_MS = 1_000;

/**
 * Wait after a DHCPDECLINE before discovering again: RFC 2131 section 3.1.5
 * asks for at least 10 s, against a loop with a server that keeps offering
 * an address in use.
 */
export const DECLINE_WAIT_MS = 10_000;

/**
 * Wait before DISCOVER after the `conflicts`th address conflict in a row:
 * {@link DECLINE_WAIT_MS}, and from the {@link MAX_CONFLICTS}th on RFC
 * 5227's rate limit of one attempt per {@link RATE_LIMIT_INTERVAL_MS}.
 */
export function declineDelay(conflicts: number): number {
  return conflicts >= MAX_CONFLICTS ? RATE_LIMIT_INTERVAL_MS : DECLINE_WAIT_MS;
}

/**
 * Wait before DISCOVER after `naksInARow` DHCPNAKs: none after the first,
 * then {@link NAK_BACKOFF_INITIAL_MS} doubling up to {@link NAK_LOOP_DELAY_MS},
 * each randomised to between half and all of it so the refused clients of
 * one race do not meet again.
 */
export function nakDelay(naksInARow: number, random: RandomSource): number {
  if (naksInARow < 2) return 0;
  const base = Math.min(NAK_LOOP_DELAY_MS, NAK_BACKOFF_INITIAL_MS * 2 ** (naksInARow - 2));
  return Math.round(base * (0.5 + random() / 2));
}

interface Offer {
  readonly server: string;
  readonly address: string;
}

type Next =
  | { readonly state: "init"; readonly requested?: string; readonly delay?: number }
  | { readonly state: "requesting"; readonly offer: Offer; readonly xid: number; readonly secs: number }
  | { readonly state: "rebooting"; readonly address: string }
  | { readonly state: "bound" }
  | { readonly state: "renewing" }
  | { readonly state: "rebinding" };

type Answer = { readonly kind: "ack"; readonly binding: Binding } | { readonly kind: "nak" };

/**
 * The RFC 2131 DHCPv4 client for one interface, as a state machine: pure
 * protocol logic over an injected clock and transport, no sockets.
 * DISCOVER, the first acceptable OFFER, REQUEST, BOUND, RENEWING at T1
 * (unicast), REBINDING at T2 (broadcast), expiry at the end of the lease,
 * INIT-REBOOT with a lease saved by an earlier run, DHCPNAK back to INIT,
 * and a RELEASE on stop when asked.
 *
 * @example
 * const client = new Dhcpv4Client({ clock, transport, mac, interface: "eth0",
 *   clientIdentifier: { form: "hardware", hardwareType: 1, address: mac }, emit: console.log, logger });
 * await client.run(controller.signal); // resolves after controller.abort()
 */
export class Dhcpv4Client {
  readonly #options: Dhcpv4ClientOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #random: RandomSource;
  readonly #newXid: () => number;
  readonly #identity: ClientIdentity;
  readonly #inbox: Inbox;
  readonly #context: ExchangeContext;
  readonly #broadcastFlag: boolean;
  #state: Dhcpv4State = "idle";
  #binding: Binding | undefined;
  #naksInARow = 0;
  /** The xid of the exchange running, if any: only its replies reach the inbox. */
  #xid: number | undefined;
  /** The admission slot held from DISCOVER until the REQUEST is answered or given up. */
  #slot: AdmissionSlot | undefined;
  /** RFC 5227 conflict detection, when the client has ARP. */
  readonly #acd: AddressConflictDetector | undefined;
  /** The defence of the bound address (from its first announcement until the binding is dropped). */
  #defence: AddressDefence | undefined;
  /** Address conflicts since the last address taken. */
  #conflicts = 0;

  constructor(options: Dhcpv4ClientOptions) {
    this.#options = options;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#random = options.random ?? Math.random;
    this.#newXid = options.transactionId ?? (() => randomInt(0, 2 ** 32));
    this.#inbox = new Inbox(options.clock);
    this.#broadcastFlag = options.requestBroadcast ?? true;
    const name = announcedName(options, this.#log);
    this.#identity = { mac: options.mac, clientIdentifier: options.clientIdentifier, ...(name === undefined ? {} : { name }) };
    this.#acd =
      options.arp === undefined
        ? undefined
        : new AddressConflictDetector({ clock: options.clock, transport: options.arp, mac: options.mac, random: this.#random, logger: this.#log });
    this.#context = {
      clock: options.clock,
      transport: options.transport,
      inbox: this.#inbox,
      mac: options.mac,
      clientIdentifier: options.clientIdentifier,
      log: this.#log,
    };
  }

  /** Where the state machine is now. */
  get state(): Dhcpv4State {
    return this.#state;
  }

  /**
   * Runs until `signal` aborts, then sends a RELEASE when asked to and
   * resolves. Rejects only on a bug; network trouble is retried forever.
   * `failed` aborts when the transport failed for good: the run ends too,
   * but without a RELEASE, since that is a restart and not a stop (the
   * lease is kept for the next run to ask for again).
   */
  async run(signal: AbortSignal, failed?: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const ended = failed === undefined ? signal : AbortSignal.any([signal, failed]);
    const replies = repliesTo(this.#options.transport, this.#options.mac, () => this.#xid);
    try {
      await receiveUntilAborted(replies, this.#inbox, ended, () => this.#loop(ended));
    } finally {
      this.#releaseSlot();
    }
    if (this.#options.releaseOnStop === true && failed?.aborted !== true) await this.#release();
    this.#stopDefending();
    this.#state = "stopped";
  }

  #start(): Next {
    const saved = this.#options.savedLease;
    if (saved === undefined) return { state: "init" };
    // An unexpired lease is asked for again as it is (INIT-REBOOT); an expired one only as a hint.
    if (saved.expiresAt === null || saved.expiresAt > this.#clock.now()) return { state: "rebooting", address: saved.address };
    return { state: "init", requested: saved.address };
  }

  async #loop(signal: AbortSignal): Promise<never> {
    let next: Next = this.#start();
    for (;;) {
      this.#log.debug("DHCPv4 state", { state: next.state });
      switch (next.state) {
        case "init":
          next = await this.#discover(next.requested, next.delay ?? 0, signal);
          break;
        case "requesting":
          next = await this.#request(next.offer, next.xid, next.secs, signal);
          break;
        case "rebooting":
          next = await this.#reboot(next.address, signal);
          break;
        case "bound":
          next = await this.#bound(signal);
          break;
        case "renewing":
          next = await this.#extend("renewing", signal);
          break;
        case "rebinding":
          next = await this.#extend("rebinding", signal);
          break;
      }
    }
  }

  // --- INIT and SELECTING (RFC 2131 section 4.4.1) ---

  async #discover(requested: string | undefined, delay: number, signal: AbortSignal): Promise<Next> {
    this.#state = "init";
    const waitUntil = this.#clock.now() + delay;
    while (this.#clock.now() < waitUntil) await this.#inbox.next(waitUntil - this.#clock.now(), signal);
    // Waits in INIT while the runner's other clients fill the exchange phase; renewals never wait here.
    await this.#admit(signal);
    this.#state = "selecting";
    const xid = this.#newXid() >>> 0;
    const startedAt = this.#clock.now();
    let secs = 0;
    const offer = await this.#exchange<Offer>(
      {
        name: "DHCPDISCOVER",
        xid,
        destination: "broadcast",
        build: (now) => {
          secs = secondsSince(startedAt, now);
          return buildDiscover(this.#identity, { xid, secs, broadcast: this.#broadcastFlag }, requested);
        },
        retransmitAt: (n, now) => now + retransmitDelay(n, this.#random),
        giveUp: (transmissions) => {
          // Never gives up; each unanswered wait is a reason to tell.
          this.#attemptFailed({ code: "NO_REPLY", message: `no reply after ${transmissions} DHCPDISCOVER${transmissions === 1 ? "" : "s"}`, attempts: transmissions });
          return false;
        },
        onReply: (reply) => {
          // RFC 2131 lets the client wait for several offers; the first acceptable one is as good as any.
          if (!isType(reply, Dhcpv4MessageType.Offer) || reply.yiaddr === "0.0.0.0") return undefined;
          const unusable = unusableAddress(reply);
          if (unusable !== undefined) {
            this.#log.warn(`Ignoring a DHCPOFFER: ${unusable}`);
            return undefined;
          }
          return { result: { server: dhcpv4OptionValue(reply, Dhcpv4OptionCode.ServerIdentifier)!, address: reply.yiaddr } };
        },
      },
      signal,
    );
    // DISCOVER never gives up: only an offer ends it.
    return { state: "requesting", offer: offer!, xid, secs };
  }

  // --- REQUESTING (section 4.4.1): the same xid and secs as the DISCOVER ---

  async #request(offer: Offer, xid: number, secs: number, signal: AbortSignal): Promise<Next> {
    this.#state = "requesting";
    const answer = await this.#exchange<Answer>(
      {
        name: "DHCPREQUEST",
        xid,
        destination: "broadcast",
        build: () => buildRequest(this.#identity, { xid, secs, broadcast: this.#broadcastFlag }, { kind: "selecting", ...offer }),
        retransmitAt: (n, now) => now + retransmitDelay(n, this.#random),
        giveUp: (n) => n >= REQUEST_TRANSMISSIONS,
        // Only the selected server's answer counts; the others saw the REQUEST as a decline of their offer.
        onReply: (reply, sentAt) =>
          dhcpv4OptionValue(reply, Dhcpv4OptionCode.ServerIdentifier) === offer.server ? this.#answer(reply, sentAt, "DHCPREQUEST") : undefined,
      },
      signal,
    );
    // Answered (the server recorded the lease, or refused) or given up: the next client may start.
    this.#releaseSlot();
    if (answer === undefined) return { state: "init" };
    return answer.kind === "nak" ? this.#nak() : this.#take(answer.binding, "bound", signal);
  }

  // --- INIT-REBOOT and REBOOTING (section 4.4.2) ---

  async #reboot(address: string, signal: AbortSignal): Promise<Next> {
    this.#state = "rebooting";
    // A restart asks for every NIC's saved address at once: queued like
    // DISCOVERs, so a server's receive queue does not overflow and drop
    // REQUESTs that then wait 4 s for their retransmission.
    await this.#admit(signal);
    const xid = this.#newXid() >>> 0;
    const startedAt = this.#clock.now();
    const answer = await this.#exchange<Answer>(
      {
        name: "DHCPREQUEST (INIT-REBOOT)",
        xid,
        destination: "broadcast",
        build: (now) => buildRequest(this.#identity, { xid, secs: secondsSince(startedAt, now), broadcast: this.#broadcastFlag }, { kind: "init-reboot", address }),
        retransmitAt: (n, now) => now + retransmitDelay(n, this.#random),
        giveUp: (n) => n >= REBOOT_TRANSMISSIONS,
        onReply: (reply, sentAt) => this.#answer(reply, sentAt, "DHCPREQUEST (INIT-REBOOT)"),
      },
      signal,
    );
    this.#releaseSlot();
    if (answer === undefined) {
      this.#log.info(`No DHCPv4 server confirmed the address "${address}"; discovering`);
      return { state: "init", requested: address };
    }
    if (answer.kind === "nak") {
      this.#expireSaved();
      return this.#nak();
    }
    return this.#take(answer.binding, "bound", signal);
  }

  // --- BOUND: wait for T1 or the end of the lease ---

  async #bound(signal: AbortSignal): Promise<Next> {
    this.#state = "bound";
    this.#inbox.dropMessages();
    for (;;) {
      if (this.#defence?.lost !== undefined) return this.#lose(this.#defence.lost);
      const binding = this.#binding!;
      const now = this.#clock.now();
      const expiry = expiresAt(binding);
      if (now >= expiry) return this.#expire();
      const renewAt = timeOf(binding, "t1");
      if (now >= renewAt) return { state: "renewing" };
      // Stale answers to an earlier exchange, or a timer cut short: look again.
      await this.#inbox.next(Math.min(renewAt, expiry) - now, signal);
    }
  }

  // --- RENEWING at T1 (unicast to the server) and REBINDING at T2 (broadcast), section 4.4.5 ---

  async #extend(state: "renewing" | "rebinding", signal: AbortSignal): Promise<Next> {
    if (this.#defence?.lost !== undefined) return this.#lose(this.#defence.lost);
    this.#state = state;
    const binding = this.#binding!;
    const expiry = expiresAt(binding);
    const until = state === "renewing" ? Math.min(timeOf(binding, "t2"), expiry) : expiry;
    const now = this.#clock.now();
    if (now >= until) return state === "renewing" ? { state: "rebinding" } : this.#expire();
    const xid = this.#newXid() >>> 0;
    const name = state === "renewing" ? "DHCPREQUEST (RENEWING)" : "DHCPREQUEST (REBINDING)";
    const answer = await this.#exchange<Answer>(
      {
        name,
        xid,
        destination: state === "renewing" ? { unicast: binding.server } : "broadcast",
        build: (at) => buildRequest(this.#identity, { xid, secs: secondsSince(now, at), broadcast: false, ciaddr: binding.address }, { kind: state }),
        retransmitAt: (_n, at) => renewRetransmitAt(at, until),
        giveUp: (_n, at) => at >= until,
        onReply: (reply, sentAt) => this.#answer(reply, sentAt, name),
      },
      signal,
    );
    if (answer === undefined) return state === "renewing" ? { state: "rebinding" } : this.#expire();
    if (answer.kind === "nak") return this.#nak();
    if (answer.binding.address !== binding.address) {
      // A different address is a new lease: the old one is gone.
      this.#drop("expired");
      return this.#take(answer.binding, "bound", signal);
    }
    return this.#establish(answer.binding, state === "renewing" ? "renewed" : "rebound");
  }

  // --- RELEASE on stop (section 4.4.6) ---

  /**
   * Sends one RELEASE (RFC 2131 gives no retransmission for it) and forgets
   * the lease; a RELEASE that could not be sent forgets nothing.
   */
  async #release(): Promise<void> {
    const binding = this.#binding;
    if (binding === undefined) return;
    const message = buildRelease(this.#identity, { xid: this.#newXid() >>> 0, secs: 0, broadcast: false, ciaddr: binding.address }, binding.server);
    // Unsent, the RELEASE leaves the binding with the server (a failed
    // socket): keep the address and the saved lease for the next run.
    if (!(await sendMessage(this.#context, "DHCPRELEASE", message, { unicast: binding.server }))) return;
    this.#drop("released");
    await this.#persist(undefined);
  }

  // --- Shared machinery ---

  /** Takes a place in the exchange phase from the runner's admission queue, if it has one and this client holds none. */
  async #admit(signal: AbortSignal): Promise<void> {
    if (this.#options.admission !== undefined && this.#slot === undefined) this.#slot = await this.#options.admission.acquire(signal);
  }

  #releaseSlot(): void {
    this.#slot?.release();
    this.#slot = undefined;
  }

  async #exchange<T>(exchange: Exchange<T>, signal: AbortSignal): Promise<T | undefined> {
    this.#xid = exchange.xid >>> 0;
    try {
      return await runExchange(this.#context, exchange, signal);
    } finally {
      this.#xid = undefined;
    }
  }

  /** An ACK (with a usable lease) or a NAK to a REQUEST; anything else is ignored. */
  #answer(reply: Dhcpv4Message, sentAt: number, name: string): { result: Answer } | undefined {
    if (isType(reply, Dhcpv4MessageType.Nak)) {
      // Option 56 (Message) says why, as text.
      const text = findDhcpv4Option(reply, 56);
      const fields = text !== undefined && "data" in text ? { message: Buffer.from(text.data).toString("latin1") } : {};
      this.#log.info(`DHCPv4 server "${dhcpv4OptionValue(reply, Dhcpv4OptionCode.ServerIdentifier)}" refused the ${name} (DHCPNAK)`, fields);
      return { result: { kind: "nak" } };
    }
    if (!isType(reply, Dhcpv4MessageType.Ack)) return undefined;
    const unusable = unusableAddress(reply);
    if (unusable !== undefined) {
      this.#log.warn(`Ignoring a DHCPACK: ${unusable}`);
      return undefined;
    }
    const binding = bindingFromAck(reply, { obtainedAt: sentAt, applyMtu: this.#options.applyMtu ?? true, log: this.#log });
    if ("invalid" in binding) {
      this.#log.warn(`Ignoring a DHCPACK: ${binding.invalid}`);
      return undefined;
    }
    return { result: { kind: "ack", binding } };
  }

  /**
   * A new address granted: with ARP, probed first (RFC 5227 section 2.1),
   * declined when another host holds it, else announced and defended; then
   * established.
   */
  async #take(binding: Binding, event: LeaseEventKind, signal: AbortSignal): Promise<Next> {
    if (this.#acd === undefined) return this.#establish(binding, event);
    this.#state = "probing";
    const conflict = await this.#acd.probe(binding.address, signal);
    if (conflict !== undefined) {
      // An INIT-REBOOT address may be on the link from an earlier run.
      if (this.#options.savedLease?.address === binding.address) this.#expireSaved();
      return this.#decline(binding, conflict);
    }
    this.#conflicts = 0;
    this.#defence = this.#acd.defend(binding.address, () => this.#inbox.wake());
    return this.#establish(binding, event);
  }

  /**
   * Another host holds the address: DHCPDECLINE it (RFC 2131 section
   * 3.1.5), forget the lease, and discover again after
   * {@link declineDelay}, without asking for that address.
   */
  async #decline(binding: Binding, conflict: ArpConflict): Promise<Next> {
    this.#conflicts++;
    const holder = macText(conflict.senderMac);
    this.#log.warn(`The address "${binding.address}" from DHCPv4 server "${binding.server}" is in use by another host (${holder}): declining it`);
    this.#attemptFailed({ code: "DECLINED", message: `the address ${binding.address} is in use by another host (${holder}); declined it` });
    const decline = buildDecline(this.#identity, { xid: this.#newXid() >>> 0 }, binding.address, binding.server);
    await sendMessage(this.#context, "DHCPDECLINE", decline, "broadcast");
    await this.#persist(undefined);
    return { state: "init", delay: declineDelay(this.#conflicts) };
  }

  /** The bound address was lost to another host (RFC 5227 section 2.4): stop using it, decline it, start over. */
  async #lose(conflict: ArpConflict): Promise<Next> {
    const binding = this.#binding!;
    this.#drop("expired");
    return this.#decline(binding, conflict);
  }

  #stopDefending(): void {
    this.#defence?.stop();
    this.#defence = undefined;
  }

  async #establish(granted: Binding, event: LeaseEventKind): Promise<Next> {
    // Fuzzed afresh on every ACK, so clients that bound together drift apart.
    const binding = { ...granted, ...fuzzedRenewalTimes(granted, this.#random) };
    this.#binding = binding;
    this.#naksInARow = 0;
    // Saved while it is applied, as the DHCPv6 client does: the fsync
    // (0.5-1 ms) no longer delays the address. A SIGKILL in between leaves
    // the older saved lease; the next run asks for that, or discovers.
    const saved = this.#persist(savedLeaseOf(binding));
    this.#emit(event);
    await saved;
    return { state: "bound" };
  }

  /** A DHCPNAK: whatever the client held is gone; start over. */
  async #nak(): Promise<Next> {
    this.#naksInARow++;
    this.#attemptFailed({ code: "NAK", message: "the server refused the request (DHCPNAK)" });
    if (this.#binding !== undefined) this.#drop("expired");
    await this.#persist(undefined);
    return { state: "init", delay: nakDelay(this.#naksInARow, this.#random) };
  }

  /** Tells the caller why this attempt got nothing; a listener's bug must not stop the protocol. */
  #attemptFailed(failure: DhcpAttemptFailure): void {
    try {
      this.#options.attemptFailed?.(failure);
    } catch (error) {
      this.#log.error("A DHCPv4 attempt failure listener threw", { error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** The lease ended without an answer: report it and discover, asking for the same address. */
  async #expire(): Promise<Next> {
    const address = this.#binding?.address;
    if (this.#binding !== undefined) this.#drop("expired");
    await this.#persist(undefined);
    return address === undefined ? { state: "init" } : { state: "init", requested: address };
  }

  async #persist(lease: SavedLease | undefined): Promise<void> {
    try {
      await this.#options.persist?.(lease);
    } catch (error) {
      // Losing INIT-REBOOT after a restart is not worth stopping for.
      this.#log.warn("Failed to save the DHCPv4 lease", { error: error instanceof Error ? error.message : String(error) });
    }
  }

  #drop(kind: "expired" | "released"): void {
    this.#stopDefending();
    this.#emit(kind);
    this.#binding = undefined;
  }

  /**
   * The server refused the lease an earlier run saved (INIT-REBOOT NAK): its
   * address may still be on the link, so report it expired for the runtime
   * to remove. A lease saved without its prefix length cannot be matched and
   * is left to its kernel lifetime.
   */
  #expireSaved(): void {
    const saved = this.#options.savedLease;
    if (saved === undefined || saved.prefixLength === undefined) return;
    this.#emitLease("expired", {
      family: "ipv4",
      interface: this.#options.interface,
      server: saved.server,
      obtainedAt: this.#clock.now(),
      addresses: [{ address: saved.address, prefixLength: saved.prefixLength, preferredLifetime: 0, validLifetime: 0 }],
      routes: [],
      dns: { servers: [], search: [] },
    });
  }

  #emit(kind: LeaseEventKind): void {
    this.#emitLease(kind, leaseOf(this.#binding!, this.#options.interface));
  }

  #emitLease(kind: LeaseEventKind, lease: Lease): void {
    this.#log.info(`DHCPv4 lease ${kind}`, { address: lease.addresses[0]?.address, server: lease.server });
    try {
      this.#options.emit({ kind, family: "ipv4", interface: this.#options.interface, at: this.#clock.now(), lease });
    } catch (error) {
      // A listener's bug must not stop the protocol.
      this.#log.error("A DHCPv4 lease event listener threw", { kind, error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/**
 * The packets of `transport` that can answer this client: a BOOTREPLY to
 * its chaddr with the xid of the exchange running (`xid()`), none when no
 * exchange runs. Anyone on the link can send to port 68 at line rate; such
 * a packet is dropped here, reading a few header bytes, before it costs an
 * inbox event, a promise and a timer (at 20,000 packets/s that churn grew
 * the heap by ~3 MB/s until the next full GC).
 */
function repliesTo(transport: MessageSource, mac: Uint8Array, xid: () => number | undefined): MessageSource {
  return {
    onMessage: (listener) =>
      transport.onMessage((bytes) => {
        const expected = xid();
        if (expected !== undefined && isReplyTo(bytes, expected, mac)) listener(bytes);
      }),
  };
}

