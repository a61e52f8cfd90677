// Test support (not shipped): an ARP transport that records what the
// detector sends, with the fake clock's time, and delivers injected packets.
import type { ArpTransport } from "./acd.js";
import { encodeArp, parseArp, type ArpPacket } from "./arp.js";

/** Records sent ARP packets (decoded) and delivers injected ones to every listener. */
export class FakeArp implements ArpTransport {
  readonly sent: { at: number; packet: ArpPacket }[] = [];
  readonly #listeners = new Set<(bytes: Uint8Array) => void>();
  readonly #clock: { now(): number };

  /** `clock` stamps what is sent (a `FakeClock`, or anything reading one). */
  constructor(clock: { now(): number }) {
    this.#clock = clock;
  }

  async send(packet: Uint8Array): Promise<void> {
    this.sent.push({ at: this.#clock.now(), packet: parseArp(packet)! });
  }

  onPacket(listener: (bytes: Uint8Array) => void): { close(): void } {
    const wrapped = (bytes: Uint8Array): void => listener(bytes);
    this.#listeners.add(wrapped);
    return { close: () => void this.#listeners.delete(wrapped) };
  }

  deliver(bytes: Uint8Array): void {
    for (const listener of [...this.#listeners]) listener(bytes);
  }

  /** Listeners subscribed now. */
  get listening(): number {
    return this.#listeners.size;
  }
}

/** A reply from `mac` holding `address`, as Linux answers a probe from `to`. */
export function arpReply(mac: Uint8Array, address: string, to: Uint8Array): Uint8Array {
  return encodeArp({ operation: 2, senderMac: mac, senderIp: address, targetMac: to, targetIp: "0.0.0.0" });
}
