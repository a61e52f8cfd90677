// @incusx/testkit/netns: a root-only harness building throwaway network
// namespaces with a real dnsmasq, for integration tests of DHCP code.
// Not part of the testkit root, which must work without root.

export { createTestNetwork, rootAvailable } from "./test-network.js";
export type { IpAddressJson, IpRouteJson, TestNamespace, TestNetwork, TestNetworkOptions } from "./test-network.js";

export { foldedCarrierFlap } from "./carrier-flap.js";

export { createBridgedNetwork, MAX_BRIDGED_CONTAINERS } from "./bridged-network.js";
export type { BridgedContainer, BridgedNetwork, BridgedNetworkOptions } from "./bridged-network.js";

export type { DnsmasqV6Mode, TestDnsmasq } from "./dnsmasq.js";

export { cleanupStaleTestNamespaces, DEFAULT_NETNS_PREFIX } from "./namespaces.js";

export type { ExecOptions, ExecResult, TestProcess } from "./processes.js";

export { waitFor } from "./wait.js";
export type { WaitForOptions as NetnsWaitForOptions } from "./wait.js";
