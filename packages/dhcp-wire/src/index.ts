// The public API of @incusx/dhcp-wire.

export { DhcpDecodeError } from "./decode-error.js";
export { decodeDomainNames, encodeDomainNames } from "./domain-name.js";

// DHCPv6
export {
  DuidTypeCode,
  decodeDuid,
  duidSize,
  encodeDuid,
  writeDuid,
  type Duid,
  type DuidEn,
  type DuidLl,
  type DuidLlt,
  type DuidRaw,
  type DuidUuid,
} from "./v6/duid.js";
