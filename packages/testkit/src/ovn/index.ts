// @incusx/testkit/ovn: one real OVN chassis (ovs-vswitchd with a userspace
// br-int, ovn-controller, ovn-northd, NB and SB) in a throwaway network
// namespace, for testing DHCP clients against OVN's native DHCP responder.
// Needs root, like @incusx/testkit/netns.

export { OVN_TEST_CONTAINER_MAC, ovnChassisSkipReason, startOvnChassis } from "./chassis.js";
export type { OvnChassisOptions, OvnTestChassis } from "./chassis.js";
