import {
  DhcpDecodeError,
  Dhcpv4MessageType,
  Dhcpv4OptionCode,
  decodeDhcpv4,
  dhcpv4MessageTypeName,
  dhcpv4OptionValue,
  encodeDhcpv4,
  encodeDuid,
  invalidDhcpv4Options,
  peekDhcpv4Header,
  type Dhcpv4ClientIdentifier,
  type Dhcpv4Message,
} from "@incusx/dhcp-wire";
import type { Clock, Logger } from "@incusx/sdk";
import { InvalidOptionScreen, type Inbox } from "@incusx/dhcp-client";
import { DHCPV4_ACCEPTANCE } from "./acceptance.js";
import type { Dhcpv4Destination, Dhcpv4Transport } from "./transport.js";

/** One client-initiated exchange: a message (re)sent on a schedule until a reply ends it. */
export interface Exchange<T> {
  /** Message name, for logs. */
  readonly name: string;
  readonly xid: number;
  readonly destination: Dhcpv4Destination;
  /** The message to (re)transmit at clock time `now`. */
  build(now: number): Dhcpv4Message;
  /** Clock time to send again after transmission number `transmissions` (1 for the first) at `now`. */
  retransmitAt(transmissions: number, now: number): number;
  /** Whether to give up, rather than send again, when that time comes. */
  giveUp(transmissions: number, now: number): boolean;
  /** A reply that passed the matching rules; `sentAt` is when the latest transmission went out. */
  onReply(reply: Dhcpv4Message, sentAt: number): { readonly result: T } | undefined;
}

/** What every exchange of one client shares. */
export interface ExchangeContext {
  readonly clock: Clock;
  readonly transport: Dhcpv4Transport;
  readonly inbox: Inbox;
  /** chaddr: replies must carry it. */
  readonly mac: Uint8Array;
  /** The client identifier sent: a reply carrying another one is not for us (RFC 6842). */
  readonly clientIdentifier: Dhcpv4ClientIdentifier;
  readonly log: Logger;
}

/**
 * Runs one exchange: sends, retransmits when `retransmitAt` comes, and hands
 * every matching reply to the exchange until it returns a result. Resolves
 * `undefined` when the exchange gives up; rejects with the signal's reason
 * when aborted.
 */
export async function runExchange<T>(context: ExchangeContext, exchange: Exchange<T>, signal: AbortSignal): Promise<T | undefined> {
  const { clock, inbox } = context;
  inbox.dropMessages();
  let transmissions = 0;
  let sentAt = clock.now();
  const transmit = async (): Promise<number> => {
    sentAt = clock.now();
    transmissions++;
    await sendMessage(context, exchange.name, exchange.build(sentAt), exchange.destination);
    return exchange.retransmitAt(transmissions, sentAt);
  };
  let deadline = await transmit();
  for (;;) {
    const event = await inbox.next(deadline - clock.now(), signal);
    if (event.kind === "wake") continue; // never: this client does not wake its inbox
    if (event.kind === "timeout") {
      // A long wait is cut into timer-sized pieces: look at the clock again.
      if (clock.now() < deadline) continue;
      if (exchange.giveUp(transmissions, clock.now())) {
        context.log.debug(`DHCPv4 ${exchange.name} got no usable answer`, { transmissions });
        return undefined;
      }
      deadline = await transmit();
      continue;
    }
    const expected = { xid: exchange.xid, mac: context.mac, clientIdentifier: context.clientIdentifier };
    const screen = InvalidOptionScreen.of(context, DHCPV4_ACCEPTANCE, context.log, "DHCPv4");
    const reply = acceptReply(event.bytes, expected, context.log, screen);
    if (reply === undefined) continue;
    const outcome = exchange.onReply(reply, sentAt);
    if (outcome !== undefined) return outcome.result;
  }
}

/**
 * Whether the fixed header of `bytes` is a BOOTREPLY with transaction id
 * `xid` to the client with hardware address `mac`; the options are not
 * looked at. Anyone on the link can send to port 68 at line rate: a packet
 * for another transaction costs these few byte reads and nothing more.
 */
export function isReplyTo(bytes: Uint8Array, xid: number, mac: Uint8Array): boolean {
  const header = peekDhcpv4Header(bytes);
  if (header === undefined || header.op !== BOOTREPLY || header.xid !== xid >>> 0) return false;
  return header.hlen === mac.length && sameBytes(header.chaddr, mac);
}

/** BOOTP op of a server's message (RFC 951). */
const BOOTREPLY = 2;

/**
 * Decodes a packet and checks it answers the client: a BOOTREPLY with a
 * message type, the transaction id and chaddr of the client, the client
 * identifier the client sent when it carries one (RFC 6842), a server
 * identifier, and no invalid option that `DHCPV4_ACCEPTANCE` says it cannot
 * be trusted without. Anything else is `undefined`. op, xid and chaddr are read
 * from the raw header before anything is decoded: anyone on the link can
 * send to port 68, and a packet for another transaction must cost a few
 * byte reads, not an option decode.
 */
export function acceptReply(
  bytes: Uint8Array,
  expected: { readonly xid: number; readonly mac: Uint8Array; readonly clientIdentifier: Dhcpv4ClientIdentifier },
  log: Logger,
  screen: InvalidOptionScreen,
): Dhcpv4Message | undefined {
  if (!isReplyTo(bytes, expected.xid, expected.mac)) return undefined;
  let reply: Dhcpv4Message;
  try {
    reply = decodeDhcpv4(bytes);
  } catch (error) {
    if (!(error instanceof DhcpDecodeError)) throw error;
    log.debug("Ignoring a malformed DHCPv4 packet", { error: error.message });
    return undefined;
  }
  const type = dhcpv4OptionValue(reply, Dhcpv4OptionCode.MessageType);
  const clientId = dhcpv4OptionValue(reply, Dhcpv4OptionCode.ClientIdentifier);
  if (type !== undefined && clientId !== undefined && !sameClientIdentifier(clientId, expected.clientIdentifier)) {
    log.debug(`Ignoring a ${dhcpv4MessageTypeName(type)} for another client identifier`);
    return undefined;
  }
  const server = dhcpv4OptionValue(reply, Dhcpv4OptionCode.ServerIdentifier);
  const invalid = invalidDhcpv4Options(reply);
  if (invalid.length > 0 && !screen.accepts(invalid, server ?? "(no valid server identifier)")) return undefined;
  if (type === undefined || server === undefined) return undefined;
  return reply;
}

/**
 * Why an OFFER's or ACK's yiaddr cannot be this host's address, or
 * `undefined` when it can: 0.0.0.0/8 ("this network"), 127.0.0.0/8
 * (loopback), 224.0.0.0/4 (multicast) and 255.255.255.255 (limited
 * broadcast) would break the container's networking if configured, as would
 * a subnet mask of 0.0.0.0 (the whole Internet on-link). yiaddr 0.0.0.0
 * itself means "no address" and is left to the caller.
 */
export function unusableAddress(reply: Dhcpv4Message): string | undefined {
  if (reply.yiaddr === "0.0.0.0") return undefined;
  const first = Number(reply.yiaddr.split(".", 1)[0]);
  if (first === 0 || first === 127 || (first >= 224 && first <= 239) || reply.yiaddr === "255.255.255.255") {
    return `yiaddr ${reply.yiaddr} is not a usable host address`;
  }
  if (dhcpv4OptionValue(reply, Dhcpv4OptionCode.SubnetMask) === "0.0.0.0") return "subnet mask 0.0.0.0";
  return undefined;
}

/** Encodes and sends; a failure is logged, not thrown (the retransmission schedule tries again). Resolves whether it was sent. */
export async function sendMessage(
  context: Pick<ExchangeContext, "transport" | "log">,
  name: string,
  message: Dhcpv4Message,
  to: Dhcpv4Destination,
): Promise<boolean> {
  try {
    await context.transport.send(encodeDhcpv4(message), to);
    context.log.debug(`DHCPv4 sent ${name}`, { xid: message.xid, to });
    return true;
  } catch (error) {
    context.log.warn(`Failed to send DHCPv4 ${name}`, { error: error instanceof Error ? error.message : String(error) });
    return false;
  }
}

/** Whether a message is of `type` (option 53). */
export function isType(message: Dhcpv4Message, type: (typeof Dhcpv4MessageType)[keyof typeof Dhcpv4MessageType]): boolean {
  return dhcpv4OptionValue(message, Dhcpv4OptionCode.MessageType) === type;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Whether two client identifiers are the same bytes on the wire. */
export function sameClientIdentifier(a: Dhcpv4ClientIdentifier, b: Dhcpv4ClientIdentifier): boolean {
  if (a.form === "duid" && b.form === "duid") return a.iaid === b.iaid && sameBytes(encodeDuid(a.duid), encodeDuid(b.duid));
  if (a.form === "hardware" && b.form === "hardware") return a.hardwareType === b.hardwareType && sameBytes(a.address, b.address);
  if (a.form === "other" && b.form === "other") return sameBytes(a.identifier, b.identifier);
  return false;
}
