// @incusx/testkit/lxd: a real LXD daemon (Debian 12's LXD 5.0) in a
// throwaway network namespace with its own LXD_DIR, a dir storage pool and a
// bridge on documentation addresses, for testing clients of the /1.0 REST
// API and its event websocket. Needs root, like @incusx/testkit/netns.

export { LXD_TEST_BRIDGE, LXD_TEST_IPV4, LXD_TEST_IPV6, LXD_TEST_POOL, lxdSkipReason, startLxd, withLxd } from "./server.js";
export type { LxdForwardOptions, LxdForwardPort, LxdInstanceOptions, LxdLeftovers, LxdTestOptions, LxdTestServer } from "./server.js";
export { LxdRequestError, lxdRequest, subscribeLxdEvents } from "./rest.js";
export type { LxdEvent, LxdEventOptions, LxdEventStream, LxdResponse } from "./rest.js";
