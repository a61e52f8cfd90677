// The public API of @incusx/state-incus: the host's network state read from
// a live Incus-compatible server.

export { IncusNetworkState } from "./incus-network-state.js";
export type { IncusInstance, IncusNetworkStateOptions } from "./incus-network-state.js";
export { DEFAULT_LIMITS } from "./client.js";
export type { IncusLimits } from "./client.js";
export { DEFAULT_SOCKETS, findSocket } from "./endpoint.js";
export { IncusStateError } from "./errors.js";
export type { IncusStateErrorKind, IncusStateErrorOptions } from "./errors.js";
export { qualifiedName } from "./snapshot.js";
