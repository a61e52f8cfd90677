// The public API of @incusx/dhcp-wire/testing: hostile datagrams and real
// captured messages, for tests of DHCP clients built on these codecs.

export { MAX_DATAGRAM, dhcpv4PointerBomb, dhcpv6ManyNames, longName, pointerBombList } from "./hostile.js";

export { capturedMessage } from "./captures.js";
export { systemdDhcp6Reply } from "./third-party.js";
export type { CaptureFamily } from "./captures.js";
