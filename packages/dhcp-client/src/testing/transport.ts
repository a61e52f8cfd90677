import type { Clock } from "@incusx/sdk";

/** How test fakes turn a client's bytes into messages and back: a wire codec and the message type. */
export interface MessageCodec<M> {
  /** Decodes one message the client sent. */
  decode(bytes: Uint8Array): M;
  /** Encodes a message for the client, as it would come off the wire. */
  encode(message: M): Uint8Array;
  /** The message's type (DHCPv4 option 53, the DHCPv6 msg-type), for {@link RecordingTransport.ofType}. */
  typeOf(message: M): number | undefined;
}

/** One message a client sent through a {@link RecordingTransport}, decoded. */
export interface SentMessage<M, D> {
  /** The message. */
  readonly message: M;
  /** Where the client sent it. */
  readonly to: D;
  /** The clock's time when it was sent. */
  readonly at: number;
}

/**
 * A fake client transport for unit tests of a DHCP client state machine:
 * records what the client sends (decoded, with the destination and the
 * clock's time) and delivers injected messages, so tests read like a packet
 * trace. Plugins subclass it with their codec and destination type.
 *
 * @example
 * const transport = new RecordingTransport<Dhcpv4Message, Dhcpv4Destination>(clock, {
 *   decode: (bytes) => decodeDhcpv4(bytes.slice()), encode: encodeDhcpv4, typeOf: (m) => dhcpv4OptionValue(m, 53) });
 * transport.deliver(offer(transport.last()));
 */
export class RecordingTransport<M, D> {
  /** Everything sent so far, in order. */
  readonly sent: SentMessage<M, D>[] = [];
  /** Whether `close` was called. */
  closed = false;
  /** Set to make every send fail with `ENETUNREACH`. */
  failSends = false;
  readonly #clock: Pick<Clock, "now">;
  readonly #codec: MessageCodec<M>;
  #listener: ((bytes: Uint8Array) => void) | undefined;

  constructor(clock: Pick<Clock, "now">, codec: MessageCodec<M>) {
    this.#clock = clock;
    this.#codec = codec;
  }

  /** Records the message (decoded), or fails when {@link RecordingTransport.failSends} is set. */
  async send(bytes: Uint8Array, to: D): Promise<void> {
    if (this.failSends) throw new Error("ENETUNREACH");
    this.sent.push({ message: this.#codec.decode(bytes), to, at: this.#clock.now() });
  }

  /** Takes the client's listener; only the latest one hears deliveries. */
  onMessage(listener: (bytes: Uint8Array) => void): { close(): void } {
    this.#listener = listener;
    return { close: () => void (this.#listener = undefined) };
  }

  /** Marks the transport closed. */
  async close(): Promise<void> {
    this.closed = true;
  }

  /** Whether the client listens now. */
  get listening(): boolean {
    return this.#listener !== undefined;
  }

  /** Delivers a message to the client, encoded as it would come off the wire. */
  deliver(message: M): void {
    this.#listener?.(this.#codec.encode(message).slice());
  }

  /** Delivers raw bytes. */
  deliverBytes(bytes: Uint8Array): void {
    this.#listener?.(bytes);
  }

  /** Sent messages of one type. */
  ofType(type: number): SentMessage<M, D>[] {
    return this.sent.filter((s) => this.#codec.typeOf(s.message) === type);
  }

  /** The last sent message; throws when nothing was sent. */
  last(): M {
    const s = this.sent.at(-1);
    if (s === undefined) throw new Error("Nothing sent");
    return s.message;
  }
}

/** One datagram a runner sent through a {@link ScriptedSocket}, decoded. */
export interface SocketSend<M> {
  /** The message. */
  readonly message: M;
  /** Destination address and port. */
  readonly address: string;
  readonly port: number;
}

/**
 * A fake UDP socket for unit tests of a DHCP runner, whose far end is a
 * scripted server: every message sent is recorded, and `answer` (when given)
 * says what the server sends back at once (on a microtask).
 *
 * @example
 * const socket = new ScriptedSocket(codec, (m) => (isDiscover(m) ? offer(m) : undefined), { address: "192.0.2.1", port: 67 });
 */
export class ScriptedSocket<M> {
  /** Everything sent so far, in order. */
  readonly sent: SocketSend<M>[] = [];
  /** Whether `close` was called. */
  closed = false;
  readonly #codec: Pick<MessageCodec<M>, "decode" | "encode">;
  readonly #answer: ((message: M) => M | undefined) | undefined;
  readonly #from: { readonly address: string; readonly port: number };
  readonly #listeners = new Set<(bytes: Uint8Array, from: { address: string; port: number }) => void>();

  /** `answer` undefined: a link without a server. `from`: the server's address and port on answers. */
  constructor(
    codec: Pick<MessageCodec<M>, "decode" | "encode">,
    answer: ((message: M) => M | undefined) | undefined,
    from: { readonly address: string; readonly port: number },
  ) {
    this.#codec = codec;
    this.#answer = answer;
    this.#from = from;
  }

  /** Records the message and queues the server's answer, if any. */
  async send(bytes: Uint8Array, address: string, port: number): Promise<void> {
    const message = this.#codec.decode(bytes);
    this.sent.push({ message, address, port });
    if (this.#answer === undefined) return;
    const answer = this.#answer(message);
    if (answer !== undefined) queueMicrotask(() => this.deliver(answer));
  }

  /** Delivers a message to every listener, encoded, from the server's address. */
  deliver(message: M): void {
    for (const l of this.#listeners) l(this.#codec.encode(message).slice(), { ...this.#from });
  }

  /** Adds a listener until its subscription is closed. */
  onMessage(listener: (bytes: Uint8Array, from: { address: string; port: number }) => void): { close(): void } {
    this.#listeners.add(listener);
    return { close: () => void this.#listeners.delete(listener) };
  }

  /** Marks the socket closed. */
  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * The base of a fake link for unit tests of a DHCP runner: a fixed MAC
 * address, and sockets opened from a factory and recorded with the options
 * they were asked for; set {@link FakeSocketLink.openError} to make opening
 * fail. Plugins add their link operations, opening through
 * {@link FakeSocketLink.openSocket}.
 *
 * @example
 * class FakeLink extends FakeSocketLink<{ iface: string; port: number }, FakeSocket> {
 *   openUdp4DeviceSocket(options: { iface: string; port: number }) { return this.openSocket(options); }
 * }
 */
export class FakeSocketLink<O, S> {
  /** The options of every socket opened, in order. */
  readonly opened: O[] = [];
  /** Every socket opened, in order. */
  readonly sockets: S[] = [];
  /** Set to make the next openings fail with it. */
  openError: Error | undefined;
  readonly #newSocket: () => S;

  /** `mac`: what `readLinkInfo` reports; `newSocket`: makes each socket opened. */
  constructor(
    readonly mac: string,
    newSocket: () => S,
  ) {
    this.#newSocket = newSocket;
  }

  /** The link's MAC address, as `@incusx/linux-net`'s `readLinkInfo` gives it. */
  async readLinkInfo(): Promise<{ mac: string }> {
    return { mac: this.mac };
  }

  /** Records `options` and returns a new socket, or throws {@link FakeSocketLink.openError}. */
  protected async openSocket(options: O): Promise<S> {
    if (this.openError !== undefined) throw this.openError;
    this.opened.push(options);
    const socket = this.#newSocket();
    this.sockets.push(socket);
    return socket;
  }
}
