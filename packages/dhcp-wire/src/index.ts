// The public API of @incusx/dhcp-wire.

export { DhcpDecodeError } from "./decode-error.js";
export { decodeDomainNames, encodeDomainNames } from "./domain-name.js";
