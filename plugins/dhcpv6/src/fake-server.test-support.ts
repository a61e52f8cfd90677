// Test support (not shipped): a transport that records what the client sends
// and a scripted server that builds the answers, so unit tests read like a
// packet trace.
import { RecordingTransport, runClient, type SentMessage } from "@incusx/dhcp-client/testing";
import {
  Dhcpv6MessageType,
  Dhcpv6OptionCode,
  decodeDhcpv6,
  encodeDhcpv6,
  findDhcpv6Option,
  type Dhcpv6ClientServerMessage,
  type Dhcpv6Option,
  type Duid,
} from "@incusx/dhcp-wire";
import type { LeaseEvent } from "@incusx/sdk";
import { FakeClock, MemoryLogSink } from "@incusx/testkit";
import { Dhcpv6Client } from "./client.js";
import type { Dhcpv6ClientOptions } from "./options.js";
import type { Dhcpv6Destination, Dhcpv6Transport } from "./transport.js";

/** One message the client sent, decoded. */
export type Sent = SentMessage<Dhcpv6ClientServerMessage, Dhcpv6Destination>;

/** Records sent messages (decoded) and delivers injected ones. */
export class FakeTransport extends RecordingTransport<Dhcpv6ClientServerMessage, Dhcpv6Destination> implements Dhcpv6Transport {
  constructor(clock: FakeClock) {
    super(clock, { decode: (bytes) => decodeDhcpv6(bytes) as Dhcpv6ClientServerMessage, encode: encodeDhcpv6, typeOf: (m) => m.messageType });
  }
}

/** Server DUIDs for tests. */
export const SERVER_A: Duid = { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0, 0, 0, 0, 0xa) };
export const SERVER_B: Duid = { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0, 0, 0, 0, 0xb) };
export const CLIENT_DUID: Duid = { type: "llt", hardwareType: 1, time: 0x2c2f0000, linkLayerAddress: Uint8Array.of(2, 0x16, 0x3e, 1, 2, 3) };
export const OTHER_CLIENT: Duid = { type: "ll", hardwareType: 1, linkLayerAddress: Uint8Array.of(2, 0x16, 0x3e, 9, 9, 9) };
export const IAID = 0x0a0b0c0d;

/** What the scripted server puts in an answer. */
export interface AnswerOptions {
  readonly server?: Duid;
  /** Addresses in the IA_NA; default one address with 3600/7200 s. */
  readonly addresses?: readonly { address: string; preferred: number; valid: number }[];
  readonly t1?: number;
  readonly t2?: number;
  readonly preference?: number;
  readonly status?: number;
  readonly iaStatus?: number;
  /** Leave the IA_NA out. */
  readonly noIa?: boolean;
  readonly rapidCommit?: boolean;
  readonly dns?: readonly string[];
  readonly search?: readonly string[];
  readonly unicast?: string;
  readonly solMaxRt?: number;
  readonly infMaxRt?: number;
  readonly refreshTime?: number;
  /** Override transaction id / client id / drop the server id. */
  readonly transactionId?: number;
  readonly clientId?: Duid | null;
  readonly noServerId?: boolean;
  readonly iaid?: number;
}

export const DEFAULT_ADDRESS = "2001:db8:1::100";

/** Builds an Advertise or Reply answering `to`. */
export function answer(type: number, to: Dhcpv6ClientServerMessage, o: AnswerOptions = {}): Dhcpv6ClientServerMessage {
  const options: Dhcpv6Option[] = [];
  const clientId = o.clientId === undefined ? findDhcpv6Option(to, Dhcpv6OptionCode.CLIENTID)?.duid : o.clientId;
  if (clientId !== null && clientId !== undefined) options.push({ code: Dhcpv6OptionCode.CLIENTID, duid: clientId });
  if (o.noServerId !== true) options.push({ code: Dhcpv6OptionCode.SERVERID, duid: o.server ?? SERVER_A });
  if (o.status !== undefined) options.push({ code: Dhcpv6OptionCode.STATUS_CODE, statusCode: o.status, message: "status" });
  if (o.noIa !== true && to.messageType !== Dhcpv6MessageType.INFORMATION_REQUEST) {
    const addresses = o.addresses ?? [{ address: DEFAULT_ADDRESS, preferred: 3600, valid: 7200 }];
    const inner: Dhcpv6Option[] = addresses.map((a) => ({
      code: Dhcpv6OptionCode.IAADDR,
      address: a.address,
      preferredLifetime: a.preferred,
      validLifetime: a.valid,
      options: [],
    }));
    if (o.iaStatus !== undefined) inner.push({ code: Dhcpv6OptionCode.STATUS_CODE, statusCode: o.iaStatus, message: "ia status" });
    options.push({ code: Dhcpv6OptionCode.IA_NA, iaid: o.iaid ?? findDhcpv6Option(to, Dhcpv6OptionCode.IA_NA)?.iaid ?? IAID, t1: o.t1 ?? 1800, t2: o.t2 ?? 2880, options: inner });
  }
  if (o.preference !== undefined) options.push({ code: Dhcpv6OptionCode.PREFERENCE, preference: o.preference });
  if (o.rapidCommit === true) options.push({ code: Dhcpv6OptionCode.RAPID_COMMIT });
  if (o.unicast !== undefined) options.push({ code: Dhcpv6OptionCode.UNICAST, address: o.unicast });
  options.push({ code: Dhcpv6OptionCode.DNS_SERVERS, servers: o.dns ?? ["2001:db8:1::53"] });
  if (o.search !== undefined) options.push({ code: Dhcpv6OptionCode.DOMAIN_LIST, domains: o.search });
  if (o.solMaxRt !== undefined) options.push({ code: Dhcpv6OptionCode.SOL_MAX_RT, seconds: o.solMaxRt });
  if (o.infMaxRt !== undefined) options.push({ code: Dhcpv6OptionCode.INF_MAX_RT, seconds: o.infMaxRt });
  if (o.refreshTime !== undefined) options.push({ code: Dhcpv6OptionCode.INFORMATION_REFRESH_TIME, seconds: o.refreshTime });
  return { messageType: type, transactionId: o.transactionId ?? to.transactionId, options };
}

/** An Advertise answering `solicit`. */
export const advertise = (solicit: Dhcpv6ClientServerMessage, o?: AnswerOptions): Dhcpv6ClientServerMessage =>
  answer(Dhcpv6MessageType.ADVERTISE, solicit, o);
/** A Reply answering `request`. */
export const reply = (request: Dhcpv6ClientServerMessage, o?: AnswerOptions): Dhcpv6ClientServerMessage =>
  answer(Dhcpv6MessageType.REPLY, request, o);

/** A client on a fake clock and transport, with its events collected. */
export interface Harness {
  readonly clock: FakeClock;
  readonly transport: FakeTransport;
  readonly client: Dhcpv6Client;
  readonly events: LeaseEvent[];
  readonly logs: MemoryLogSink;
  readonly controller: AbortController;
  /** The promise of `client.run`. */
  readonly running: Promise<void>;
  /** Aborts and waits for `run` to resolve. */
  stop(): Promise<void>;
  /** Event kinds so far. */
  kinds(): string[];
}

/** RAND = 0 everywhere (first Solicit: RAND = 0.05), so timings are exact. */
export const MID_RANDOM = (): number => 0.5;

/** Starts a client on a fake clock at time 0 with a fixed random source. */
export async function startClient(overrides: Partial<Dhcpv6ClientOptions> = {}): Promise<Harness> {
  const clock = new FakeClock(0);
  const transport = new FakeTransport(clock);
  const events: LeaseEvent[] = [];
  const logs = new MemoryLogSink();
  let xid = 0x100;
  const client = new Dhcpv6Client({
    clock,
    transport,
    duid: CLIENT_DUID,
    iaid: IAID,
    interface: "eth0",
    config: { addressPrefixLength: 128, rapidCommit: false },
    random: MID_RANDOM,
    transactionId: () => xid++,
    emit: (e) => events.push(e),
    logger: logs.logger("incusx.dhcpv6", clock),
    ...overrides,
  });
  const { controller, running, stop } = runClient(client);
  await clock.flush();
  return { clock, transport, client, events, logs, controller, running, stop, kinds: () => events.map((e) => e.kind) };
}

/** Drives a fresh client through Solicit, Advertise, Request, Reply; returns at the Reply's time. */
export async function bindClient(h: Harness, o: AnswerOptions = {}): Promise<void> {
  const solicit = h.transport.last();
  h.transport.deliver(advertise(solicit, o));
  await h.clock.advance(1050); // first RT with RAND = +0.05
  const request = h.transport.last();
  if (request.messageType !== Dhcpv6MessageType.REQUEST) throw new Error(`Expected a Request, got type ${request.messageType}`);
  h.transport.deliver(reply(request, o));
  await h.clock.flush();
}
