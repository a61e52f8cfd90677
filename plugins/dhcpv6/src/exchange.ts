import {
  DhcpDecodeError,
  Dhcpv6MessageType,
  Dhcpv6OptionCode,
  decodeDhcpv6,
  encodeDhcpv6,
  findDhcpv6Option,
  invalidDhcpv6Options,
  isDhcpv6RelayMessage,
  peekDhcpv6Header,
  type Dhcpv6ClientServerMessage,
  type Duid,
} from "@incusx/dhcp-wire";
import type { Clock, Logger } from "@incusx/sdk";
import { InvalidOptionScreen, type Inbox } from "@incusx/dhcp-client";
import { DHCPV6_ACCEPTANCE } from "./acceptance.js";
import { duidHex } from "./lease.js";
import { elapsedHundredths } from "./messages.js";
import { RetransmitSchedule, type RandomSource, type RetransmitParams } from "./retransmit.js";
import type { Dhcpv6Destination, Dhcpv6Transport } from "./transport.js";

/** An Advertise or Reply that answers the client's current transaction. */
export interface Response {
  readonly message: Dhcpv6ClientServerMessage;
  /** The Server Identifier (a copy, safe to keep). */
  readonly serverId: Duid;
  /** The same, as hex. */
  readonly server: string;
}

/**
 * What a response does to an exchange: ends it with a result, asks to say
 * it again by multicast (status UseMulticast), or nothing (ignored).
 */
export type Outcome<T> = { readonly result: T } | "use-multicast" | undefined;

/** One client-initiated message exchange (RFC 8415 section 15). */
export interface Exchange<T> {
  /** Message name, for logs. */
  readonly name: string;
  readonly params: RetransmitParams;
  /** The first Solicit on the interface: RAND > 0. */
  readonly firstSolicit?: boolean;
  /** Where to send; a unicast destination falls back to multicast on UseMulticast. */
  readonly destination: Dhcpv6Destination;
  /** The current MRT, read before each retransmission (a server's SOL_MAX_RT/INF_MAX_RT). */
  maxTimeout?(): number;
  /** The message to (re)transmit, with the Elapsed Time value to put in it. */
  build(transactionId: number, elapsed: number): Dhcpv6ClientServerMessage;
  /** A response that passed the transaction-id, client-id and server-id-present checks. */
  onResponse(response: Response): Outcome<T>;
  /** A wait ran out after `transmissions` transmissions; a result ends the exchange. */
  onTimeout?(transmissions: number): { readonly result: T } | undefined;
}

/** What every exchange of one client shares. */
export interface ExchangeContext {
  readonly clock: Clock;
  readonly transport: Dhcpv6Transport;
  readonly inbox: Inbox;
  readonly random: RandomSource;
  readonly newTransactionId: () => number;
  /** Hex of the client's DUID: responses must carry it. */
  readonly clientIdHex: string;
  readonly log: Logger;
  /** Sees every response to the client, also those an exchange then ignores. */
  onAnyResponse(message: Dhcpv6ClientServerMessage): void;
}

/**
 * Runs one exchange: sends, retransmits on the RFC 8415 section 15
 * schedule, and hands every valid response to the exchange until it returns
 * a result. Resolves `undefined` when MRC or MRD ran out; rejects with the
 * signal's reason when aborted.
 */
export async function runExchange<T>(context: ExchangeContext, exchange: Exchange<T>, signal: AbortSignal): Promise<T | undefined> {
  const { clock, inbox } = context;
  inbox.dropMessages();
  const transactionId = context.newTransactionId() & 0xffffff;
  const startedAt = clock.now();
  const schedule = new RetransmitSchedule(exchange.params, context.random, startedAt, exchange.firstSolicit === true);
  let destination = exchange.destination;
  const transmit = (): Promise<void> =>
    sendMessage(context, exchange.name, exchange.build(transactionId, elapsedHundredths(startedAt, clock.now())), destination);
  await transmit();
  let deadline = startedAt + schedule.first();
  for (;;) {
    const event = await inbox.next(deadline - clock.now(), signal);
    if (event.kind === "wake") continue;
    if (event.kind === "timeout") {
      const ended = exchange.onTimeout?.(schedule.transmissions);
      if (ended !== undefined) return ended.result;
      if (exchange.maxTimeout !== undefined) schedule.setMaxTimeout(exchange.maxTimeout());
      const wait = schedule.next(clock.now());
      if (wait === undefined) {
        context.log.debug(`DHCPv6 ${exchange.name} got no usable answer`, { transmissions: schedule.transmissions });
        return undefined;
      }
      await transmit();
      deadline = clock.now() + wait;
      continue;
    }
    const screen = InvalidOptionScreen.of(context, DHCPV6_ACCEPTANCE, context.log, "DHCPv6");
    const response = acceptResponse(event.bytes, transactionId, context.clientIdHex, context.log, screen);
    if (response === undefined) continue;
    context.onAnyResponse(response.message);
    const outcome = exchange.onResponse(response);
    if (outcome === "use-multicast") {
      // UseMulticast: the server wants multicast; say it again that way (section 18.2.10).
      if (destination === "all-servers") continue;
      destination = "all-servers";
      await transmit();
    } else if (outcome !== undefined) {
      return outcome.result;
    }
  }
}

/**
 * Decodes a packet and checks it answers the transaction: an Advertise or
 * Reply with its transaction id, the client's Client ID and a Server ID
 * (RFC 8415 section 16), and no invalid option that `DHCPV6_ACCEPTANCE`
 * says it cannot be trusted without. Anything else is `undefined`. The
 * message type and transaction id are read from the raw header before
 * anything is decoded, so a packet for another transaction costs a few
 * byte reads.
 */
export function acceptResponse(
  bytes: Uint8Array,
  transactionId: number,
  clientIdHex: string,
  log: Logger,
  screen: InvalidOptionScreen,
): Response | undefined {
  const header = peekDhcpv6Header(bytes);
  if (header === undefined || header.transactionId !== transactionId) return undefined;
  if (header.messageType !== Dhcpv6MessageType.ADVERTISE && header.messageType !== Dhcpv6MessageType.REPLY) return undefined;
  let message;
  try {
    message = decodeDhcpv6(bytes);
  } catch (error) {
    if (!(error instanceof DhcpDecodeError)) throw error;
    log.debug("Ignoring a malformed DHCPv6 packet", { error: error.message });
    return undefined;
  }
  if (isDhcpv6RelayMessage(message)) return undefined; // never, after the header check; narrows the type
  const clientId = findDhcpv6Option(message, Dhcpv6OptionCode.CLIENTID);
  // Another client's response (a valid Client ID not ours) is not ours to judge or log.
  if (clientId !== undefined && duidHex(clientId.duid) !== clientIdHex) return undefined;
  const serverId = findDhcpv6Option(message, Dhcpv6OptionCode.SERVERID);
  const invalid = invalidDhcpv6Options(message);
  const server = serverId === undefined ? "(no valid Server ID)" : duidHex(serverId.duid);
  if (invalid.length > 0 && !screen.accepts(invalid, server)) return undefined;
  if (clientId === undefined || serverId === undefined) return undefined;
  // Copy: the decoded DUID is a view into a packet buffer the socket may reuse.
  const duid = copyDuid(serverId.duid);
  return { message, serverId: duid, server: duidHex(duid) };
}

/** Encodes and sends; a failure is logged, not thrown: the retransmission schedule tries again. */
export async function sendMessage(
  context: Pick<ExchangeContext, "transport" | "log">,
  name: string,
  message: Dhcpv6ClientServerMessage,
  to: Dhcpv6Destination,
): Promise<void> {
  try {
    await context.transport.send(encodeDhcpv6(message), to);
    context.log.debug(`DHCPv6 sent ${name}`, { transactionId: message.transactionId, to });
  } catch (error) {
    context.log.warn(`Failed to send DHCPv6 ${name}`, { error: error instanceof Error ? error.message : String(error) });
  }
}

function copyDuid(duid: Duid): Duid {
  switch (duid.type) {
    case "llt":
    case "ll":
      return { ...duid, linkLayerAddress: duid.linkLayerAddress.slice() };
    case "en":
      return { ...duid, identifier: duid.identifier.slice() };
    case "raw":
      return { ...duid, data: duid.data.slice() };
    case "uuid":
      return duid;
  }
}
