/** Where a DHCPv6 message goes: every server on the link (ff02::1:2), or one server by unicast. */
export type Dhcpv6Destination = "all-servers" | { readonly unicast: string };

/**
 * How the DHCPv6 client sends and receives packets. The runner builds one
 * over an interface-bound UDP socket (client port 546, servers on 547);
 * tests use a fake that records what was sent and injects replies.
 *
 * @example
 * const transport: Dhcpv6Transport = {
 *   send: async (bytes, to) => sent.push({ bytes, to }),
 *   onMessage: (listener) => { deliver = listener; return { close() {} }; },
 *   close: async () => {},
 * };
 */
export interface Dhcpv6Transport {
  /** Sends one message (the UDP payload). */
  send(bytes: Uint8Array, to: Dhcpv6Destination): Promise<void>;
  /** Calls `listener` with every message received, until closed. */
  onMessage(listener: (bytes: Uint8Array) => void): { close(): void };
  /** Releases the socket. */
  close(): Promise<void>;
}
