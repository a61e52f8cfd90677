// Hostile inputs shared by the codec tests, the fuzz gate, the DHCP client
// plugins' tests and the flood integration test: the largest datagrams an
// attacker on the link can send.

/** The largest UDP payload over IPv4 (65,535 - 20 IP - 8 UDP). */
export const MAX_DATAGRAM = 65_507;

/** One 253-octet name (four labels, 254 presentation characters with the root dot). */
export function longName(): number[] {
  const out: number[] = [];
  for (const length of [63, 63, 63, 61]) {
    out.push(length);
    for (let i = 0; i < length; i++) out.push(0x61 + (i % 26));
  }
  out.push(0);
  return out;
}

/**
 * An option 119 value of `size` bytes: {@link longName} and then two-byte
 * compression pointers to it, each a whole name. Without a bound it
 * decodes to one 254-character name per pointer.
 */
export function pointerBombList(size: number): Uint8Array {
  const value = longName();
  while (value.length + 2 <= size) value.push(0xc0, 0x00);
  return Uint8Array.from(value);
}

/**
 * A DHCPv4 BOOTREPLY of at most `size` bytes (the datagram maximum by
 * default) whose options are one option 119 split over as many instances
 * as fit (RFC 3396), holding a {@link pointerBombList}. `xid` and `chaddr`
 * go in the header, so a test can aim it at a client or not.
 */
export function dhcpv4PointerBomb(xid: number, chaddr: Uint8Array = new Uint8Array(6), size = MAX_DATAGRAM): Uint8Array {
  const instances = Math.floor((size - 240 - 1) / 257);
  const list = pointerBombList(instances * 255);
  const packet = new Uint8Array(240 + Math.ceil(list.length / 255) * 257 + 1);
  packet.set([2, 1, chaddr.length, 0]);
  new DataView(packet.buffer).setUint32(4, xid >>> 0);
  packet.set(chaddr, 28);
  packet.set([99, 130, 83, 99], 236);
  let at = 240;
  for (let i = 0; i < list.length; i += 255) {
    const chunk = list.subarray(i, i + 255);
    packet[at++] = 119;
    packet[at++] = chunk.length;
    packet.set(chunk, at);
    at += chunk.length;
  }
  packet[at++] = 255;
  return packet.subarray(0, at);
}

/**
 * A DHCPv6 Reply (transaction id 0x010203) of `size` bytes whose one
 * option 24 holds one-letter names back to back: DHCPv6 forbids
 * compression, so this is the most names an uncompressed list can carry.
 */
export function dhcpv6ManyNames(size = MAX_DATAGRAM): Uint8Array {
  const names = Math.floor((size - 8) / 3);
  const packet = new Uint8Array(8 + names * 3);
  packet.set([7, 1, 2, 3, 0, 24, (names * 3) >> 8, (names * 3) & 0xff]);
  for (let i = 0; i < names; i++) packet.set([1, 0x61, 0], 8 + i * 3);
  return packet;
}
