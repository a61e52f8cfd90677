// The public API of @incusx/linux-net: interface-bound UDP/IPv6 sockets and
// device-bound UDP/IPv4 sockets (native addon, for DHCPv4),
// addresses, routes and MTU over rtnetlink in-process (native addon) or
// iproute2, an interface's IPv6 settings (native addon), link and DAD
// state, and
// entering network namespaces (in-process through the native addon, or
// nsenter), and noticing a NIC's interface or namespace going away. A plain library: no SDK at runtime.

export { LinkError } from "./errors.js";
export type { LinkErrorCode, LinkErrorOptions } from "./errors.js";

export type { IpOptions } from "./ip-command.js";

export { IpRoute2LinkConfigurator } from "./link-configurator.js";
export type { IpRoute2LinkConfiguratorOptions } from "./link-configurator.js";

export { readLinkInfo } from "./link-info.js";
export type { LinkInfo } from "./link-info.js";

export { linkLocalBlocker, waitForLinkLocal } from "./link-local.js";
export type { LinkLocalBlocker } from "./link-local.js";

export { readIpv6Sysctl, setIpv6Sysctls } from "./ipv6-sysctl.js";
export type { Ipv6SysctlOptions } from "./ipv6-sysctl.js";

export { watchAddressFlags } from "./address-flags.js";
export { watchCarrier } from "./carrier.js";
export type { WatchCarrierOptions } from "./carrier.js";
export type { WatchAddressFlagsOptions } from "./address-flags.js";
export type { AddressFlags } from "./ip-json.js";

export {
  ALL_DHCP_SERVERS,
  DHCPV6_CLIENT_PORT,
  DHCPV6_SERVER_PORT,
  openUdp6Socket,
} from "./udp6-socket.js";
export type { Udp6Peer, Udp6Socket, Udp6SocketOptions } from "./udp6-socket.js";

export { watchNicPresence } from "./nic-presence.js";
export type { NicGone, NicGoneReason, NicPresenceTarget, WatchNicPresenceOptions } from "./nic-presence.js";
export { IDLE_DIRECTORY_WATCHES, NETNS_POLL_MS } from "./netns-presence.js";

export { NETNS_RUN_DIR, NetnsHandle, enterNetns, enterNetnsUnavailable, isCurrentNetns, netnsPath, nsenterArgs, openNetns } from "./netns.js";
export type { NetnsRef } from "./netns.js";

export {
  DHCPV4_CLIENT_PORT,
  DHCPV4_SERVER_PORT,
  IPV4_BROADCAST,
  openUdp4DeviceSocket,
} from "./udp4-device-socket.js";
export type { Udp4DeviceSocket, Udp4DeviceSocketOptions, Udp4Peer } from "./udp4-device-socket.js";
export { openArpSocket } from "./arp-socket.js";
export type { ArpSocket, ArpSocketOptions } from "./arp-socket.js";
export { nativeAddonStatus } from "./native-addon.js";
export type { NativeAddonStatus } from "./native-addon.js";

export { peerCredentials } from "./peer-credentials.js";
export type { PeerCredentials } from "./peer-credentials.js";
