/**
 * Where a DHCPv4 message goes: the limited broadcast 255.255.255.255, or one
 * server by unicast (RENEWING, RELEASE). Servers listen on port 67.
 */
export type Dhcpv4Destination = "broadcast" | { readonly unicast: string };

/**
 * How the DHCPv4 client sends and receives packets. The runner builds one
 * over a device-bound UDP socket (client port 68); tests use a fake that
 * records what was sent and injects replies.
 *
 * @example
 * const transport: Dhcpv4Transport = {
 *   send: async (bytes, to) => sent.push({ bytes, to }),
 *   onMessage: (listener) => { deliver = listener; return { close() {} }; },
 *   close: async () => {},
 * };
 */
export interface Dhcpv4Transport {
  /** Sends one message (the UDP payload). */
  send(bytes: Uint8Array, to: Dhcpv4Destination): Promise<void>;
  /** Calls `listener` with every message received, until closed. */
  onMessage(listener: (bytes: Uint8Array) => void): { close(): void };
  /** Releases the socket. */
  close(): Promise<void>;
}
