// Test support (not shipped): a transport that records what the client sends
// and a scripted server that builds the answers, so unit tests read like a
// packet trace.
import { RecordingTransport, runClient, type SentMessage } from "@incusx/dhcp-client/testing";
import { Dhcpv4MessageType, decodeDhcpv4, dhcpv4OptionValue, encodeDhcpv4, type Dhcpv4ClientIdentifier, type Dhcpv4Message, type Dhcpv4Option, type Duid } from "@incusx/dhcp-wire";
import type { LeaseEvent } from "@incusx/sdk";
import { FakeClock, MemoryLogSink } from "@incusx/testkit";
import { Dhcpv4Client } from "./client.js";
import type { SavedLease } from "./lease.js";
import type { Dhcpv4ClientOptions } from "./options.js";
import type { Dhcpv4Destination, Dhcpv4Transport } from "./transport.js";

/** One message the client sent, decoded. */
export type Sent = SentMessage<Dhcpv4Message, Dhcpv4Destination>;

/** Records sent messages (decoded) and delivers injected ones. */
export class FakeTransport extends RecordingTransport<Dhcpv4Message, Dhcpv4Destination> implements Dhcpv4Transport {
  constructor(clock: FakeClock) {
    super(clock, { decode: (bytes) => decodeDhcpv4(bytes.slice()), encode: encodeDhcpv4, typeOf: (m) => dhcpv4OptionValue(m, 53) });
  }
}

export const MAC = Uint8Array.of(0x02, 0x16, 0x3e, 0xaa, 0xbb, 0xcc);
export const OTHER_MAC = Uint8Array.of(0x02, 0x16, 0x3e, 0x99, 0x99, 0x99);
export const CLIENT_DUID: Duid = { type: "llt", hardwareType: 1, time: 0x2c2f0000, linkLayerAddress: MAC };
export const IAID = 0x3eaabbcc;
export const CLIENT_ID: Dhcpv4ClientIdentifier = { form: "duid", iaid: IAID, duid: CLIENT_DUID };
export const SERVER_A = "192.0.2.1";
export const SERVER_B = "192.0.2.2";
export const ADDRESS = "192.0.2.100";

/** What the scripted server puts in an answer. */
export interface AnswerOptions {
  readonly server?: string | null;
  readonly address?: string;
  readonly mask?: string | null;
  readonly leaseTime?: number | null;
  readonly t1?: number;
  readonly t2?: number;
  readonly routers?: readonly string[];
  readonly classless?: readonly { destination: string; prefixLength: number; router: string }[];
  readonly dns?: readonly string[];
  readonly domain?: string;
  readonly search?: readonly string[];
  readonly mtu?: number;
  /** Override xid / chaddr / op; client id: `null` leaves it out, default echoes the request's. */
  readonly xid?: number;
  readonly chaddr?: Uint8Array;
  readonly op?: number;
  readonly clientId?: Dhcpv4ClientIdentifier | null;
  readonly noMessageType?: boolean;
}

/** Builds an OFFER, ACK or NAK answering `to`. */
export function answer(type: number, to: Dhcpv4Message, o: AnswerOptions = {}): Dhcpv4Message {
  const options: Dhcpv4Option[] = [];
  if (o.noMessageType !== true) options.push({ code: 53, value: type });
  if (o.server !== null) options.push({ code: 54, value: o.server ?? SERVER_A });
  const clientId = o.clientId === undefined ? dhcpv4OptionValue(to, 61) : o.clientId;
  if (clientId !== null && clientId !== undefined) options.push({ code: 61, value: clientId });
  if (type !== Dhcpv4MessageType.Nak) {
    if (o.leaseTime !== null) options.push({ code: 51, value: o.leaseTime ?? 3600 });
    if (o.t1 !== undefined) options.push({ code: 58, value: o.t1 });
    if (o.t2 !== undefined) options.push({ code: 59, value: o.t2 });
    if (o.mask !== null) options.push({ code: 1, value: o.mask ?? "255.255.255.0" });
    options.push({ code: 3, value: o.routers ?? [SERVER_A] });
    if (o.classless !== undefined) options.push({ code: 121, value: o.classless });
    options.push({ code: 6, value: o.dns ?? ["192.0.2.53"] });
    if (o.domain !== undefined) options.push({ code: 15, value: o.domain });
    if (o.search !== undefined) options.push({ code: 119, value: o.search });
    if (o.mtu !== undefined) options.push({ code: 26, value: o.mtu });
  }
  const yiaddr = type === Dhcpv4MessageType.Nak ? "0.0.0.0" : (o.address ?? (to.ciaddr !== "0.0.0.0" ? to.ciaddr : (dhcpv4OptionValue(to, 50) ?? ADDRESS)));
  return {
    op: o.op ?? 2,
    htype: 1,
    hlen: (o.chaddr ?? to.chaddr).length,
    hops: 0,
    xid: o.xid ?? to.xid,
    secs: 0,
    broadcast: to.broadcast,
    reservedFlags: 0,
    ciaddr: to.ciaddr,
    yiaddr,
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr: (o.chaddr ?? to.chaddr).slice(),
    sname: "",
    file: "",
    options,
  };
}

/** An OFFER answering `discover`. */
export const offer = (discover: Dhcpv4Message, o?: AnswerOptions): Dhcpv4Message => answer(Dhcpv4MessageType.Offer, discover, o);
/** An ACK answering `request`. */
export const ack = (request: Dhcpv4Message, o?: AnswerOptions): Dhcpv4Message => answer(Dhcpv4MessageType.Ack, request, o);
/** A NAK answering `request`. */
export const nak = (request: Dhcpv4Message, o?: AnswerOptions): Dhcpv4Message => answer(Dhcpv4MessageType.Nak, request, o);

/** A client on a fake clock and transport, with its events and saved leases collected. */
export interface Harness {
  readonly clock: FakeClock;
  readonly transport: FakeTransport;
  readonly client: Dhcpv4Client;
  readonly events: LeaseEvent[];
  readonly logs: MemoryLogSink;
  /** Every value given to `persist`, in order. */
  readonly saved: (SavedLease | undefined)[];
  readonly running: Promise<void>;
  stop(): Promise<void>;
  kinds(): string[];
}

/** Jitter 0: retransmissions at exactly 4, 8, 16, 32, 64 s. */
export const MID_RANDOM = (): number => 0.5;

/** Starts a client on a fake clock at time 0 with a fixed random source and xids 0x100, 0x101, ... */
export async function startClient(overrides: Partial<Dhcpv4ClientOptions> = {}): Promise<Harness> {
  const clock = new FakeClock(0);
  const transport = new FakeTransport(clock);
  const events: LeaseEvent[] = [];
  const saved: (SavedLease | undefined)[] = [];
  const logs = new MemoryLogSink();
  let xid = 0x100;
  const client = new Dhcpv4Client({
    clock,
    transport,
    mac: MAC,
    clientIdentifier: CLIENT_ID,
    interface: "eth0",
    random: MID_RANDOM,
    transactionId: () => xid++,
    persist: async (lease) => void saved.push(lease),
    emit: (e) => events.push(e),
    logger: logs.logger("incusx.dhcpv4", clock),
    ...overrides,
  });
  const { running, stop } = runClient(client);
  await clock.flush();
  return { clock, transport, client, events, logs, saved, running, stop, kinds: () => events.map((e) => e.kind) };
}

/** Drives a fresh client through DISCOVER, OFFER, REQUEST, ACK at time 0. */
export async function bindClient(h: Harness, o: AnswerOptions = {}): Promise<void> {
  h.transport.deliver(offer(h.transport.last(), o));
  await h.clock.flush();
  const request = h.transport.last();
  if (dhcpv4OptionValue(request, 53) !== Dhcpv4MessageType.Request) throw new Error("Expected a REQUEST");
  h.transport.deliver(ack(request, o));
  await h.clock.flush();
}
