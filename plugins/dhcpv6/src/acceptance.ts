import {
  Dhcpv6OptionCode,
  findDhcpv6Option,
  isDhcpInvalidOption,
  type Dhcpv6ClientServerMessage,
} from "@incusx/dhcp-wire";
import type { InvalidOptionRule, InvalidOptionTable } from "@incusx/dhcp-client";

const rule = (action: InvalidOptionRule["action"], why: string): InvalidOptionRule => ({ action, why });

/**
 * What the DHCPv6 client does with an Advertise or Reply holding an option
 * the decoder marked invalid (a value breaking its RFC inside a sound
 * message), per option code, at any level (a Status Code inside an IA_NA
 * or IAADDR follows the Status Code row). The plugin README lists this
 * table; a test keeps the two in step.
 */
export const DHCPV6_ACCEPTANCE: InvalidOptionTable = {
  rules: new Map([
    [Dhcpv6OptionCode.CLIENTID, rule("ignore-message", "the response must echo our Client ID")],
    [Dhcpv6OptionCode.SERVERID, rule("ignore-message", "the Server ID names whom we bind to and answer")],
    [Dhcpv6OptionCode.IA_NA, rule("ignore-message", "it holds the addresses and T1/T2 we would bind")],
    [Dhcpv6OptionCode.IAADDR, rule("ignore-message", "an address we would configure, with its lifetimes")],
    [Dhcpv6OptionCode.STATUS_CODE, rule("ignore-message", "a status may refuse the request (NoAddrsAvail, NotOnLink...)")],
    [Dhcpv6OptionCode.RAPID_COMMIT, rule("treat-as-present", "its presence is its meaning; systemd accepts it with a value")],
    [Dhcpv6OptionCode.DOMAIN_LIST, rule("ignore-option", "the names complete before the fault are used")],
  ]),
  otherwise: rule("ignore-option", "the message is sound without it: treated as absent"),
};

/**
 * Whether `message` carries Rapid Commit, valid or not: a value where
 * RFC 8415 wants none (systemd's test Reply has one byte) still means the
 * server committed the binding.
 */
export function hasRapidCommit(message: Dhcpv6ClientServerMessage): boolean {
  return message.options.some((o) => o.code === Dhcpv6OptionCode.RAPID_COMMIT);
}

/**
 * The search domains of option 24: its names, or, when the list is
 * invalid, the names that were complete before the fault (a last name
 * missing its zero label is dropped, the others kept).
 */
export function domainListOf(message: Dhcpv6ClientServerMessage): readonly string[] {
  const valid = findDhcpv6Option(message, Dhcpv6OptionCode.DOMAIN_LIST);
  if (valid !== undefined) return valid.domains;
  for (const option of message.options) {
    if (option.code === Dhcpv6OptionCode.DOMAIN_LIST && isDhcpInvalidOption(option)) return option.invalid.names ?? [];
  }
  return [];
}
