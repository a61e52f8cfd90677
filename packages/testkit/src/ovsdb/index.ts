// @incusx/testkit/ovsdb: real OVN databases for integration tests: a
// standalone NB (optionally SB + ovn-northd) and a clustered NB, each in a
// temp dir, stopped on cleanup. Process-level: it returns connection
// strings and runs ovn-nbctl; it does not depend on @incusx/ovsdb.

export { startOvnNorthbound } from "./standalone.js";
export type { OvnNorthboundOptions, OvnTestNorthbound } from "./standalone.js";
export { startOvnNorthboundCluster } from "./cluster.js";
export type { OvnClusterMember, OvnTestCluster } from "./cluster.js";
