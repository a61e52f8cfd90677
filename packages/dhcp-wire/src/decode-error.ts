/**
 * The only error a decoder throws, whatever the input: where in the packet
 * decoding stopped and why.
 *
 * @example
 * try { decodeDhcpv4(bytes) } catch (e) { if (e instanceof DhcpDecodeError) log(e.offset, e.reason) }
 */
export class DhcpDecodeError extends Error {
  /** Byte offset in the packet where the problem was found. */
  readonly offset: number;
  /** What was wrong, without the offset. */
  readonly reason: string;

  constructor(offset: number, reason: string) {
    super(`Malformed DHCP packet at byte ${offset}: ${reason}`);
    this.name = "DhcpDecodeError";
    this.offset = offset;
    this.reason = reason;
  }
}
