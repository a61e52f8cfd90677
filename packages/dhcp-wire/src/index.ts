// The public API of @incusx/dhcp-wire.

export { DhcpDecodeError } from "./decode-error.js";
export {
  DHCP_MAX_INVALID_OPTIONS,
  invalidDhcpv4Options,
  invalidDhcpv6Options,
  isDhcpInvalidOption,
  type DhcpInvalidOption,
  type DhcpOptionInvalidity,
  type DhcpOptionProblem,
} from "./invalid-option.js";
export {
  DHCP_MAX_DOMAIN_LIST_CHARS,
  DHCP_MAX_DOMAIN_LIST_NAMES,
  DHCP_MAX_NAME_POINTERS,
  decodeDomainNames,
  dottedLabelName,
  encodeDomainNames,
  type DomainNameOptions,
} from "./domain-name.js";

// DHCPv6
export {
  decodeDuid,
  encodeDuid,
  type Duid,
  type DuidEn,
  type DuidLl,
  type DuidLlt,
  type DuidRaw,
  type DuidUuid,
} from "./v6/duid.js";
export {
  DHCPV6_MAX_OPTION_NESTING,
  DHCPV6_MAX_RELAY_NESTING,
  decodeDhcpv6,
  peekDhcpv6Header,
  type Dhcpv6Header,
} from "./v6/decode.js";
export { encodeDhcpv6 } from "./v6/encode.js";
export {
  Dhcpv6FqdnFlag,
  Dhcpv6MessageType,
  Dhcpv6OptionCode,
  Dhcpv6StatusCode,
  dhcpv6StatusCodeName,
  findDhcpv6Option,
  findDhcpv6Options,
  isDhcpv6RelayMessage,
  type Dhcpv6ClientFqdnOption,
  type Dhcpv6ClientServerMessage,
  type Dhcpv6DnsServersOption,
  type Dhcpv6DomainListOption,
  type Dhcpv6DuidOption,
  type Dhcpv6ElapsedTimeOption,
  type Dhcpv6FlagOption,
  type Dhcpv6IaAddressOption,
  type Dhcpv6IaOption,
  type Dhcpv6IaPrefixOption,
  type Dhcpv6IaTaOption,
  type Dhcpv6Message,
  type Dhcpv6NtpServerOption,
  type Dhcpv6NtpSuboption,
  type Dhcpv6Option,
  type Dhcpv6OptionByCode,
  type Dhcpv6OptionRequestOption,
  type Dhcpv6PreferenceOption,
  type Dhcpv6RawOption,
  type Dhcpv6ReconfigureMessageOption,
  type Dhcpv6RelayMessage,
  type Dhcpv6RelayMessageOption,
  type Dhcpv6SecondsOption,
  type Dhcpv6ServerUnicastOption,
  type Dhcpv6StatusCodeOption,
} from "./v6/message.js";

// DHCPv4
export { decodeDhcpv4, peekDhcpv4Header, type Dhcpv4Header } from "./v4/decode.js";
export { encodeDhcpv4 } from "./v4/encode.js";
export {
  Dhcpv4MessageType,
  Dhcpv4OptionCode,
  dhcpv4MessageTypeName,
  dhcpv4OptionValue,
  findDhcpv4Option,
} from "./v4/message.js";
export type {
  Dhcpv4AreaLayout,
  Dhcpv4ClasslessRoute,
  Dhcpv4ClientFqdn,
  Dhcpv4ClientIdentifier,
  Dhcpv4KnownCode,
  Dhcpv4Layout,
  Dhcpv4Message,
  Dhcpv4Option,
  Dhcpv4OptionValues,
  Dhcpv4RawOption,
  Dhcpv4TypedOption,
} from "./v4/message.js";
