/**
 * ARP for IPv4 over Ethernet (RFC 826), as much as address conflict
 * detection needs (RFC 5227): the 28-byte packet without the Ethernet
 * header (the packet socket adds and strips it).
 */

/** Bytes of an Ethernet/IPv4 ARP packet; anything after them is link padding. */
export const ARP_PACKET_LENGTH = 28;

/** ARP request (1) and reply (2). */
export type ArpOperation = 1 | 2;

/** One Ethernet/IPv4 ARP packet. */
export interface ArpPacket {
  readonly operation: ArpOperation;
  /** 6 bytes. */
  readonly senderMac: Uint8Array;
  /** Dotted quad; 0.0.0.0 in a probe. */
  readonly senderIp: string;
  /** 6 bytes; zero in requests. */
  readonly targetMac: Uint8Array;
  readonly targetIp: string;
}

const HTYPE_ETHERNET = 1;
const PTYPE_IPV4 = 0x0800;

function ipv4At(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

function writeIpv4(bytes: Uint8Array, offset: number, address: string): void {
  const octets = address.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new TypeError(`Invalid IPv4 address "${address}"`);
  bytes.set(octets, offset);
}

/**
 * The ARP packet in `bytes`, or `undefined` for anything else: shorter
 * than 28 bytes, not Ethernet/IPv4 (hardware type 1, protocol 0x0800,
 * lengths 6 and 4), or an operation other than request or reply. Reads a
 * fixed 28 bytes whatever the length, so hostile input costs nothing more.
 *
 * @example
 * parseArp(buildArpProbe(mac, "192.0.2.10"))?.targetIp // "192.0.2.10"
 */
export function parseArp(bytes: Uint8Array): ArpPacket | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < ARP_PACKET_LENGTH) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, ARP_PACKET_LENGTH);
  if (view.getUint16(0) !== HTYPE_ETHERNET || view.getUint16(2) !== PTYPE_IPV4 || bytes[4] !== 6 || bytes[5] !== 4) return undefined;
  const operation = view.getUint16(6);
  if (operation !== 1 && operation !== 2) return undefined;
  return {
    operation,
    senderMac: bytes.slice(8, 14),
    senderIp: ipv4At(bytes, 14),
    targetMac: bytes.slice(18, 24),
    targetIp: ipv4At(bytes, 24),
  };
}

/** Encodes `packet` (MACs of 6 bytes, dotted-quad addresses) in 28 bytes. */
export function encodeArp(packet: ArpPacket): Uint8Array {
  if (packet.senderMac.length !== 6 || packet.targetMac.length !== 6) throw new TypeError("ARP hardware addresses have 6 bytes");
  const bytes = new Uint8Array(ARP_PACKET_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, HTYPE_ETHERNET);
  view.setUint16(2, PTYPE_IPV4);
  bytes[4] = 6;
  bytes[5] = 4;
  view.setUint16(6, packet.operation);
  bytes.set(packet.senderMac, 8);
  writeIpv4(bytes, 14, packet.senderIp);
  bytes.set(packet.targetMac, 18);
  writeIpv4(bytes, 24, packet.targetIp);
  return bytes;
}

const ZERO_MAC = new Uint8Array(6);

/** An ARP Probe for `address` (RFC 5227 section 2.1.1): a request with sender address 0.0.0.0. */
export function buildArpProbe(mac: Uint8Array, address: string): Uint8Array {
  return encodeArp({ operation: 1, senderMac: mac, senderIp: "0.0.0.0", targetMac: ZERO_MAC, targetIp: address });
}

/** An ARP Announcement of `address` (RFC 5227 section 2.3): a request with sender and target address both `address`. */
export function buildArpAnnouncement(mac: Uint8Array, address: string): Uint8Array {
  return encodeArp({ operation: 1, senderMac: mac, senderIp: address, targetMac: ZERO_MAC, targetIp: address });
}

/** Whether two 6-byte hardware addresses are the same. */
export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
