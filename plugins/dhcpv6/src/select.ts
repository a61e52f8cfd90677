import { Dhcpv6OptionCode, findDhcpv6Option, type Dhcpv6ClientServerMessage, type Duid } from "@incusx/dhcp-wire";
import { findIaNa } from "./lease.js";
import type { IaAddress } from "./messages.js";

/** Preference value that tells the client to take this server at once (RFC 8415 section 18.2.1). */
export const MAX_PREFERENCE = 255;

/** An Advertise worth a Request: it offers at least one address. */
export interface Offer {
  /** The advertising server's DUID. */
  readonly serverId: Duid;
  /** Preference option value; 0 when absent. */
  readonly preference: number;
  /** Addresses offered in the client's IA_NA. */
  readonly addresses: readonly IaAddress[];
  /** Server Unicast address, when the server allows unicast. */
  readonly unicast?: string;
}

/** How an Advertise (or a Rapid Commit Reply) counts. */
export type AdvertiseVerdict =
  | { readonly kind: "offer"; readonly offer: Offer }
  /** No address for us (NoAddrsAvail, empty IA): ignored, except for its SOL_MAX_RT/INF_MAX_RT and as a hint to go stateless. */
  | { readonly kind: "no-addresses" };

/**
 * Judges an Advertise that already passed the transaction-id and client-id
 * checks and carries a Server ID (`serverId`). RFC 8415 section 18.2.9: an
 * Advertise without addresses is ignored, whatever its status code says.
 *
 * @example
 * const verdict = judgeAdvertise(advertise, serverId, iaid);
 * if (verdict.kind === "offer") offers.push(verdict.offer);
 */
export function judgeAdvertise(message: Dhcpv6ClientServerMessage, serverId: Duid, iaid: number): AdvertiseVerdict {
  const ia = findIaNa(message, iaid);
  if (ia === undefined || ia.addresses.length === 0 || (ia.status !== undefined && ia.status.code !== 0)) {
    return { kind: "no-addresses" };
  }
  const preference = findDhcpv6Option(message, Dhcpv6OptionCode.PREFERENCE)?.preference ?? 0;
  const unicast = findDhcpv6Option(message, Dhcpv6OptionCode.UNICAST)?.address;
  const base = { serverId, preference, addresses: ia.addresses };
  return { kind: "offer", offer: unicast === undefined ? base : { ...base, unicast } };
}

/**
 * Most Advertises kept while the first RT collects them (RFC 8415 section
 * 18.2.1 sets no bound). Anyone on the link can answer a Solicit, and one
 * real server is the rule: 16 leaves room for a few without letting a flood
 * of Advertises grow the list.
 */
export const MAX_KEPT_OFFERS = 16;

/**
 * Adds `offer` (the latest received) to `offers`, keeping at most
 * {@link MAX_KEPT_OFFERS}: once full, it replaces the worst kept (lowest
 * preference, latest among equals) when strictly better, else it is
 * dropped. {@link selectOffer} then picks what it would have picked from
 * every offer received.
 *
 * @example
 * keepOffer(offers, verdict.offer); // offers.length <= MAX_KEPT_OFFERS
 */
export function keepOffer(offers: Offer[], offer: Offer): void {
  if (offers.length < MAX_KEPT_OFFERS) {
    offers.push(offer);
    return;
  }
  let worst = 0;
  for (let i = 1; i < offers.length; i++) if (offers[i]!.preference <= offers[worst]!.preference) worst = i;
  if (offer.preference <= offers[worst]!.preference) return;
  offers.splice(worst, 1);
  offers.push(offer);
}

/**
 * The offer to Request: highest preference, the earliest received among
 * equals (`offers` in arrival order). `undefined` when there is none.
 *
 * @example
 * selectOffer([{ preference: 10, ... }, { preference: 200, ... }]) // the second
 */
export function selectOffer(offers: readonly Offer[]): Offer | undefined {
  let best: Offer | undefined;
  for (const offer of offers) if (best === undefined || offer.preference > best.preference) best = offer;
  return best;
}
