import { Dhcpv4OptionCode, dhcpv4OptionValue, invalidDhcpv4Options, type Dhcpv4Message } from "@incusx/dhcp-wire";
import type { InvalidOptionRule, InvalidOptionTable } from "@incusx/dhcp-client";

const rule = (action: InvalidOptionRule["action"], why: string): InvalidOptionRule => ({ action, why });

/**
 * What the DHCPv4 client does with an OFFER, ACK or NAK holding an option
 * the decoder marked invalid (a value breaking its RFC inside a sound
 * packet), per option code. The plugin README lists this table; a test
 * keeps the two in step. Option overload (52) never appears: a bad one
 * is structural and the decoder rejects the packet.
 */
export const DHCPV4_ACCEPTANCE: InvalidOptionTable = {
  rules: new Map([
    [Dhcpv4OptionCode.MessageType, rule("ignore-message", "the message type says what the reply is")],
    [Dhcpv4OptionCode.ServerIdentifier, rule("ignore-message", "the server identifier names whom we request from, renew with and release to")],
    [Dhcpv4OptionCode.ClientIdentifier, rule("ignore-message", "an echoed client identifier must be ours (RFC 6842)")],
    [Dhcpv4OptionCode.LeaseTime, rule("ignore-message", "a lease needs its lifetime")],
    [Dhcpv4OptionCode.DomainSearch, rule("ignore-option", "the names complete before the fault are used")],
  ]),
  otherwise: rule("ignore-option", "the reply is sound without it: treated as absent"),
};

/**
 * The search domains of option 119: its names, or, when the list is
 * invalid, the names that were complete before the fault (a last name cut
 * short is dropped, the others kept), as the DHCPv6 client reads option 24.
 */
export function searchListOf(ack: Pick<Dhcpv4Message, "options">): readonly string[] {
  return (
    dhcpv4OptionValue(ack, Dhcpv4OptionCode.DomainSearch) ??
    invalidDhcpv4Options(ack).find((option) => option.code === Dhcpv4OptionCode.DomainSearch)?.invalid.names ??
    []
  );
}
