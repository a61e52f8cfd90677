import { Inbox } from "@incusx/dhcp-client";
import type { Clock, Logger } from "@incusx/sdk";
import { buildArpAnnouncement, buildArpProbe, parseArp, sameMac, type ArpPacket } from "./arp.js";
import type { RandomSource } from "./retransmit.js";

// RFC 5227 section 1.1 timing constants, in ms.
/** Longest random wait before the first probe. */
export const PROBE_WAIT_MS = 1_000;
/** Probes sent. */
export const PROBE_NUM = 3;
/** Shortest and longest random wait between probes. */
export const PROBE_MIN_MS = 1_000;
export const PROBE_MAX_MS = 2_000;
/** Wait after the last probe before the address counts as free. */
export const ANNOUNCE_WAIT_MS = 2_000;
/** Announcements sent once the address is taken, this far apart. */
export const ANNOUNCE_NUM = 2;
export const ANNOUNCE_INTERVAL_MS = 2_000;
/** Conflicts after which the client tries at most one address per {@link RATE_LIMIT_INTERVAL_MS}. */
export const MAX_CONFLICTS = 10;
export const RATE_LIMIT_INTERVAL_MS = 60_000;
/** A second conflict within this time of the first one defended makes the client give the address up. */
export const DEFEND_INTERVAL_MS = 10_000;

/**
 * How the detector sends and receives ARP packets (the 28 bytes without the
 * Ethernet header). The runner builds one over `@incusx/linux-net`'s
 * `openArpSocket`; tests use a fake.
 */
export interface ArpTransport {
  /** Broadcasts one ARP packet out of the interface. */
  send(packet: Uint8Array): Promise<void>;
  /** Calls `listener` with every ARP packet received (never the ones this host sends), until closed. */
  onPacket(listener: (bytes: Uint8Array) => void): { close(): void };
}

/** The conflicting packet a probe or a defence saw. */
export type ArpConflict = ArpPacket;

/** The defence of a bound address (RFC 5227 section 2.4), from its first announcement on. */
export interface AddressDefence {
  /** The conflict that made the client give the address up, once it has. */
  readonly lost: ArpConflict | undefined;
  /** Stops defending (the address is gone); cancels a pending announcement. */
  stop(): void;
}

/** What an {@link AddressConflictDetector} needs. */
export interface AddressConflictDetectorOptions {
  readonly clock: Clock;
  readonly transport: ArpTransport;
  /** The interface's MAC: the sender of every packet, and never a conflict. */
  readonly mac: Uint8Array;
  /** Uniform random numbers in [0, 1) for the probe waits. */
  readonly random: RandomSource;
  readonly logger: Logger;
}

/**
 * A packet that says another host holds `address`: it uses it as its
 * sender address, or (while probing, `probing`) it probes for it too. A
 * packet from `mac` is this host's own.
 */
export function isConflict(packet: ArpPacket, address: string, mac: Uint8Array, probing: boolean): boolean {
  if (sameMac(packet.senderMac, mac)) return false;
  if (packet.senderIp === address) return true;
  return probing && packet.operation === 1 && packet.senderIp === "0.0.0.0" && packet.targetIp === address;
}

/**
 * RFC 5227 address conflict detection for one interface, over an injected
 * clock and ARP transport (no sockets). `probe` checks an address before
 * use: a random wait of up to 1 s, 3 probes 1 to 2 s apart, then 2 s more
 * listening (4 to 7 s in all). `defend` announces an address taken and
 * defends it while it is held: the first conflict gets one announcement in
 * answer; a second within 10 s means the address is lost.
 *
 * @example
 * const acd = new AddressConflictDetector({ clock, transport, mac, random: Math.random, logger });
 * const conflict = await acd.probe("192.0.2.10", signal);
 * if (conflict === undefined) defence = acd.defend("192.0.2.10", () => inbox.wake());
 */
export class AddressConflictDetector {
  readonly #clock: Clock;
  readonly #transport: ArpTransport;
  readonly #mac: Uint8Array;
  readonly #random: RandomSource;
  readonly #log: Logger;

  constructor(options: AddressConflictDetectorOptions) {
    this.#clock = options.clock;
    this.#transport = options.transport;
    this.#mac = options.mac;
    this.#random = options.random;
    this.#log = options.logger;
  }

  /**
   * Probes for `address`; resolves with the first conflicting packet, or
   * `undefined` when no other host answered or probed for it. Rejects with
   * the signal's reason when aborted.
   */
  async probe(address: string, signal: AbortSignal): Promise<ArpConflict | undefined> {
    const inbox = new Inbox(this.#clock);
    // Listening from the start: a conflict during the first wait counts too.
    const subscription = this.#transport.onPacket((bytes) => inbox.push(bytes));
    try {
      let sent = 0;
      let next = this.#clock.now() + Math.round(this.#random() * PROBE_WAIT_MS);
      for (;;) {
        const now = this.#clock.now();
        if (now >= next) {
          if (sent === PROBE_NUM) return undefined;
          await this.#send(buildArpProbe(this.#mac, address), "ARP probe", address);
          sent++;
          const wait = sent < PROBE_NUM ? PROBE_MIN_MS + Math.round(this.#random() * (PROBE_MAX_MS - PROBE_MIN_MS)) : ANNOUNCE_WAIT_MS;
          next = this.#clock.now() + wait;
          continue;
        }
        const event = await inbox.next(next - now, signal);
        if (event.kind !== "message") continue;
        const packet = parseArp(event.bytes);
        if (packet !== undefined && isConflict(packet, address, this.#mac, true)) return packet;
      }
    } finally {
      subscription.close();
    }
  }

  /**
   * Announces `address` now and {@link ANNOUNCE_INTERVAL_MS} later, and
   * defends it until stopped: on a conflict, one announcement, unless the
   * last conflict was under {@link DEFEND_INTERVAL_MS} ago; then the
   * address is lost and `lost` is called once.
   */
  defend(address: string, lost: () => void): AddressDefence {
    let stopped = false;
    let lostTo: ArpConflict | undefined;
    let lastConflict: number | undefined;
    const announce = (why: string): void => void this.#send(buildArpAnnouncement(this.#mac, address), why, address);
    announce("ARP announcement");
    let announcements = 1;
    let timer: { cancel(): void } | undefined;
    const scheduleAnnouncement = (): void => {
      if (announcements >= ANNOUNCE_NUM) return;
      timer = this.#clock.setTimer(ANNOUNCE_INTERVAL_MS, () => {
        if (stopped) return;
        announcements++;
        announce("ARP announcement");
        scheduleAnnouncement();
      });
    };
    scheduleAnnouncement();
    const subscription = this.#transport.onPacket((bytes) => {
      if (stopped || lostTo !== undefined) return;
      const packet = parseArp(bytes);
      if (packet === undefined || !isConflict(packet, address, this.#mac, false)) return;
      const now = this.#clock.now();
      const from = macText(packet.senderMac);
      if (lastConflict === undefined || now - lastConflict >= DEFEND_INTERVAL_MS) {
        lastConflict = now;
        this.#log.warn(`Another host (${from}) claims the address "${address}": defending it`);
        announce("defending ARP announcement");
        return;
      }
      lostTo = packet;
      this.#log.warn(`Another host (${from}) claims the address "${address}" again within ${DEFEND_INTERVAL_MS / 1000} s: giving it up`);
      try {
        lost();
      } catch (error) {
        this.#log.error("An address conflict listener threw", { error: error instanceof Error ? error.message : String(error) });
      }
    });
    return {
      get lost() {
        return lostTo;
      },
      stop() {
        stopped = true;
        timer?.cancel();
        subscription.close();
      },
    };
  }

  /** Sends `packet`; a failure is logged, not thrown: detection is best effort, and the DHCP socket reports a dead link. */
  async #send(packet: Uint8Array, what: string, address: string): Promise<void> {
    try {
      await this.#transport.send(packet);
    } catch (error) {
      this.#log.warn(`Failed to send an ${what} for "${address}"`, { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** `02:16:3e:aa:bb:cc`. */
export function macText(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
}
